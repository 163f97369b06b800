"""Batch sweeps, expanding the items: ``--over`` specs expanded into items (the cross product
of the named inputs), each with a unique output name and its own preset, and the check that
lets a killed batch resume without redoing finished items. No rendering happens here."""

from __future__ import annotations

import glob
import itertools
import json
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stylegraph.graph.paths import home_expanded
from stylegraph.graph.preset import Preset
from stylegraph.nodes.functional.image_io import EXTENSIONS
from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")
LIST_SUFFIXES = (".txt", ".lst", ".list")
_GLOB_CHARS = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class BatchError(ValueError):
    """A mistake in the batch's command line; one sentence naming the option."""


@dataclass(frozen=True)
class Axis:
    """One ``--over NAME=...``: an input (or ``node.param``) and the files it takes."""

    name: str
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class BatchItem:
    """One render of the sweep: the value of every axis, and its output name."""

    name: str
    values: dict[str, Path]

    def assignments(self) -> list[str]:
        """The item as ``--set`` assignments, applied after the batch's own ``--set``s."""
        return [f"{axis}={path}" for axis, path in self.values.items()]


@dataclass
class PreparedItem:
    """An item with its preset set up and the recipe its outputs will carry."""

    item: BatchItem
    preset: Preset
    recipe: str
    outputs: list[Path] = field(default_factory=list)  # final paths, relative to --out


def _list_file(path: Path) -> list[Path]:
    """A text file of paths, one a line; blank lines and ``#`` comments are ignored, and
    relative paths are relative to the list's folder."""
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [(path.parent / home_expanded(e)).resolve() for e in entries]


def expand_over(spec: str) -> Axis:
    """``content=photos/`` (a folder's images), ``style=paintings/*.jpg`` (a glob),
    ``style=one.jpg`` (a file) or ``style=list.txt`` (a text file listing paths)."""
    name, sep, value = spec.partition("=")
    if not sep or not name or not value:
        raise BatchError(f"--over {spec!r}: expected NAME=FOLDER, NAME=GLOB or NAME=FILE")
    path = home_expanded(value)
    if path.is_dir():
        paths = sorted(p.resolve() for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        paths = _list_file(path)
    elif path.is_file():
        paths = [path.resolve()]
    elif _GLOB_CHARS.search(value):
        paths = sorted(Path(p).resolve() for p in glob.glob(str(path)) if Path(p).is_file())
    else:
        raise BatchError(f"--over {name}: no file, folder or glob match for {value!r}")
    if not paths:
        raise BatchError(f"--over {name}: {value!r} gives no image files")
    return Axis(name, tuple(paths))


def merge_axes(specs: list[str]) -> list[Axis]:
    """Several ``--over`` for one name add up, in the order given."""
    merged: dict[str, list[Path]] = {}
    for spec in specs:
        axis = expand_over(spec)
        merged.setdefault(axis.name, []).extend(axis.paths)
    return [Axis(name, tuple(paths)) for name, paths in merged.items()]


def check_axes(axes: list[Axis], preset: Preset) -> None:
    """Every ``--over`` names an input of the preset or a ``node.param`` it has; caught
    before any item, rather than failing every item with the same message."""
    for axis in axes:
        if axis.name in preset.inputs:
            continue
        node_id, _, param = axis.name.partition(".")
        if param and node_id in preset.graph and preset.graph.node_type(node_id).param(param):
            continue
        known = ", ".join(sorted(preset.inputs)) or "none"
        raise BatchError(
            f"--over {axis.name}: the preset has no input {axis.name!r} (inputs: {known})"
        )


def sanitise(stem: str) -> str:
    """A file-name-safe version of an input's stem."""
    return _UNSAFE.sub("-", stem).strip(".-") or "item"


def default_template(axes: list[Axis]) -> str:
    return "_".join(f"{{{axis.name}}}" for axis in axes)


def _template_fields(template: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise BatchError(f"--name {template!r}: {exc}") from None


def expand_items(axes: list[Axis], template: str | None = None) -> list[BatchItem]:
    """The cross product of the axes, in the order given (the last axis varies fastest),
    named from ``template`` with the inputs' stems; repeated names get ``-2``, ``-3``..."""
    if not axes:
        raise BatchError("give at least one --over NAME=FOLDER_OR_GLOB")
    template = template or default_template(axes)
    names = [axis.name for axis in axes]
    unknown = [f for f in _template_fields(template) if f not in names]
    if unknown:
        raise BatchError(
            f"--name {template!r}: no --over input {unknown[0]!r} (inputs: {', '.join(names)})"
        )
    items: list[BatchItem] = []
    used: set[str] = set()
    for combo in itertools.product(*(axis.paths for axis in axes)):
        values = dict(zip(names, combo, strict=True))
        stems = {name: sanitise(path.stem) for name, path in values.items()}
        base = sanitise(template.format(**stems))
        name, count = base, 1
        while name in used:
            count += 1
            name = f"{base}-{count}"
        used.add(name)
        items.append(BatchItem(name, values))
    return items


LAYERED_SUFFIXES = (".psd", ".ora")  # written by Export Layers; they carry no recipe


def name_outputs(preset: Preset, item_name: str) -> list[Path]:
    """Point every file-writing node at the item's name and return the files they will
    write, relative to the output folder: Save Image (``NAME`` for one, ``NAME_node`` for
    several), and Export Layers' PSD and ORA, named after the Save Image linked to its
    ``name_from`` (as a run names them), else ``NAME`` (``NAME_node`` for several)."""
    graph = preset.graph
    saves = sorted(n.id for n in graph.nodes() if n.type_id == "image.save")
    exports = sorted(n.id for n in graph.nodes() if n.type_id == "image.export_layers")
    outputs = []
    for node_id in saves:
        filename = item_name if len(saves) == 1 else f"{item_name}_{node_id}"
        graph.set_param(node_id, "filename", filename)
        params = graph.node(node_id).params
        outputs.append(
            Path(params["directory"] or ".") / f"{filename}{EXTENSIONS[params['format']]}"
        )
    for node_id in exports:
        link = graph.input_link(node_id, "name_from")
        if link is not None and link.src in saves:
            stem = graph.node(link.src).params["filename"]
        else:
            stem = item_name if len(exports) == 1 else f"{item_name}_{node_id}"
            graph.set_param(node_id, "filename", stem)
        params = graph.node(node_id).params
        folder = Path(params["directory"] or ".")
        outputs += [folder / f"{stem}.{fmt}" for fmt in params["format"].split("+")]
    return outputs


def prepare(
    items: list[BatchItem],
    make_preset: Callable[[list[str]], Preset],
    make_recipe: Callable[[Preset], str],
) -> tuple[list[PreparedItem], dict[str, str]]:
    """Each item's preset (the batch's ``--set``s, then the item's values) and recipe. An
    item whose values the preset refuses is returned as a failure, not raised."""
    prepared, failed = [], {}
    for item in items:
        try:
            preset = make_preset(item.assignments())
            outputs = name_outputs(preset, item.name)
        except Exception as exc:  # a bad value fails this item only
            failed[item.name] = str(exc)
            continue
        if not outputs:
            raise BatchError("the preset has no Save Image node, so a batch would write nothing")
        prepared.append(PreparedItem(item, preset, make_recipe(preset), outputs))
    return prepared, failed


def is_done(prepared: PreparedItem, out_dir: Path) -> bool:
    """Finished earlier: every output exists and every picture carries exactly the recipe
    that would be run now, so a changed param (or a changed input file's path) renders
    again. Layered files, which carry no recipe, need only exist."""
    wanted = json.loads(prepared.recipe)
    for relative in prepared.outputs:
        if relative.suffix in LAYERED_SUFFIXES:
            if not (out_dir / relative).is_file():
                return False
            continue
        try:
            if read_recipe(out_dir / relative) != wanted:
                return False
        except (RecipeError, ValueError):
            return False
    return True
