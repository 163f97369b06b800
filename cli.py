"""The `stylegraph` command: run presets (one photo, or a sweep over many), check and
describe them, open the node editor, and share recipes as packs."""

from __future__ import annotations

import argparse
import difflib
import errno
import json
import os
import re
import shutil
import socket
import sys
import textwrap
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stylegraph import __version__
from stylegraph.graph.atomic import remove_empty_folders, remove_partial_files, watch_new_folder
from stylegraph.graph.cache import DiskCache, default_cache_dir
from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine, Event, RunReport, Status, error_sentence
from stylegraph.graph.files import missing_files
from stylegraph.graph.model import GraphError
from stylegraph.graph.paths import file_path, with_paths
from stylegraph.graph.preset import (
    Preset,
    PresetError,
    did_you_mean,
    parse_value,
    preset_from_dict,
    preset_to_dict,
)
from stylegraph.graph.recipe import files_written, recipe_json
from stylegraph.graph.registry import Registry, UnknownNodeType
from stylegraph.graph.spec import ParamError, ParamType, path_length_problem, short_path
from stylegraph.graph.validate import ValidationError, is_empty, unset_params, validate
from stylegraph.jobs.interrupt import CANCELLED, Interrupted, run_cancellable, signals_raise
from stylegraph.jobs.pack import (
    PACK_SUFFIX,
    is_pack,
    left_for_receiver,
    load_preset_or_pack,
    preset_from_recipe,
    unpack,
    write_pack,
)
from stylegraph.nodes import default_registry
from stylegraph.presets import shipped_presets


class UsageError(Exception):
    """A mistake in the command line or its files; printed without a traceback."""


def _find_preset(name: str) -> Path:
    too_long = path_length_problem(name)
    if too_long:
        raise UsageError(f"the preset: {too_long}")
    path = Path(name)
    if path.exists() or path.suffix in (".json", PACK_SUFFIX):
        return path
    shipped = shipped_presets()
    if name in shipped:
        return shipped[name]
    raise UsageError(
        f"no preset file {name!r}, and no shipped preset of that name "
        f"(shipped: {', '.join(shipped) or 'none'}){did_you_mean(name, shipped)}"
    )


def _load_preset(name: str, registry: Registry) -> tuple[Preset, Path]:
    """How every command takes a preset: a file, a shipped preset's name, or a pack (its
    files verified and kept in the cache folder). Returns the preset and where it came from."""
    path = _find_preset(name)
    return load_preset_or_pack(path, registry), path


def _apply_sets(preset: Preset, assignments: list[str]) -> None:
    """``--set content=photo.jpg`` sets a named input; ``--set blur.radius=3`` any param.
    A mistyped name is refused with the closest real one; a value is checked against its
    param (type, range, syntax, path length) before it is set."""
    graph = preset.graph
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep:
            raise UsageError(f"--set {short_path(assignment)!r}: expected NAME=VALUE")
        if name in preset.inputs:
            node_id, param_name = preset.inputs[name].node, preset.inputs[name].param
        elif "." in name:
            node_id, param_name = name.split(".", 1)
        else:
            known = ", ".join(sorted(preset.inputs)) or "none"
            # `--set strength=0.5` means the param of that name, on whichever node has it
            params = [f"{n.id}.{name}" for n in graph.nodes() if graph.node_type(n.id).param(name)]
            hint = did_you_mean(name, preset.inputs) or did_you_mean(name, params[:1], 0.0)
            raise UsageError(
                f"--set {name}: the preset has no input {name!r} (inputs: {known}){hint}"
            )
        if node_id not in graph:
            raise UsageError(
                f"--set {name}: the preset has no node {node_id!r}"
                + did_you_mean(node_id, [n.id for n in graph.nodes()])
            )
        node_type = graph.node_type(node_id)
        param = node_type.param(param_name)
        if param is None:
            raise UsageError(
                f"--set {name}: node {node_id!r} ({node_type.type_id}) has no param "
                f"{param_name!r}" + did_you_mean(param_name, [p.name for p in node_type.params])
            )
        value: Any = parse_value(param.type, text)
        where = f"--set {name}: node {node_id!r} ({node_type.type_id}), param {param_name!r}"
        try:
            param.check(value)  # before the paths are resolved, which a NUL would break
        except ParamError as exc:
            raise UsageError(f"{where}: {exc}") from None
        value = with_paths(param.type, value, lambda v: str(file_path(v, Path.cwd()).resolve()))
        try:
            graph.set_param(node_id, param_name, value)
        except GraphError as exc:
            raise UsageError(f"--set {name}: {exc}") from None


# What to write after ``--set NAME=`` in a hint, for the usual named inputs.
_PLACEHOLDERS = {"content": "PHOTO", "style": "PAINTING"}


def _placeholder(preset: Preset, name: str) -> str:
    binding = preset.inputs[name]
    param = preset.graph.node_type(binding.node).param(binding.param)
    by_type = "FILE" if param is not None and param.type == ParamType.FILE else "VALUE"
    if param is not None and param.type == ParamType.FILE_LIST:
        by_type = "FILE[,FILE...]"
    return _PLACEHOLDERS.get(name, by_type)


def _unset(preset: Preset, nodes: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """The named inputs a run of ``nodes`` (default: all) needs and lacks, and the other
    required params left empty there, each as a sentence."""
    bound = {(b.node, b.param): name for name, b in preset.inputs.items()}
    inputs, others = [], []
    for node_id, param in unset_params(preset.graph, nodes):
        name = bound.get((node_id, param))
        if name is not None:
            inputs.append(name)
        else:
            type_id = preset.graph.node(node_id).type_id
            others.append(f"node {node_id!r} ({type_id}), param {param!r}: is empty")
    return [name for name in preset.inputs if name in inputs], others


def _check_before_running(preset: Preset) -> None:
    """What a run would stop at, refused before any node runs: what ``validate`` reports
    (values of the wrong type first, since the other checks read them), named inputs not
    set, other required params left empty, and input files that are missing or no
    regular files."""
    needed = preset.graph.upstream(preset.graph.sinks())
    problems = validate(preset.graph, needed)
    if problems:
        raise ValidationError(problems)
    inputs, lines = _unset(preset, needed)
    lines = [
        f"the preset's input {name!r} is not set: --set {name}={_placeholder(preset, name)}"
        for name in inputs
    ] + lines
    lines += [
        _one_line(str(problem))
        for problem in missing_files(preset.graph, preset.base_dir)
        if problem.node_id in needed
    ]
    if lines:
        raise UsageError("\nerror: ".join(lines))


def _check_out(out: str) -> Path:
    too_long = path_length_problem(out)
    if too_long:
        raise UsageError(f"--out: {too_long}")
    return Path(out).resolve()


class _Progress:
    """Progress on stderr with rich: one line per node as it finishes, a bar while it runs."""

    def __init__(self, preset: Preset) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.preset = preset
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("starting", total=1.0)

    def __enter__(self) -> _Progress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, event: Event) -> None:
        type_id = self.preset.graph.node(event.node_id).type_id
        if event.kind == "start":
            self.progress.update(
                self.task, description=f"{event.node_id} ({type_id})", completed=0.0
            )
        elif event.kind == "progress":
            self.progress.update(self.task, completed=event.fraction)
        elif event.report is not None:
            self.progress.console.print(_report_line(event.node_id, event.report))


def _report_line(node_id: str, report: Any) -> str:
    marks = {Status.RAN: "ran", Status.CACHED: f"cached ({report.cache})"}
    what = marks.get(report.status, report.status.value)
    line = f"{node_id} ({report.type_id}): {what} in {report.seconds:.2f}s"
    for warning in report.warnings:
        line += f"\n  warning: {warning}"
    return line


def _engine(args: argparse.Namespace) -> Engine:
    disk = None if args.no_disk_cache else DiskCache(default_cache_dir())
    return Engine(disk=disk)


def cmd_run(args: argparse.Namespace, registry: Registry) -> int:
    preset, _ = _load_preset(args.preset, registry)
    _apply_sets(preset, args.set or [])
    out_dir = _check_out(args.out)
    _check_before_running(preset)
    engine = _engine(args)
    made = watch_new_folder(out_dir)

    def work(cancel: CancelToken) -> RunReport:
        return engine.run(
            preset.graph,
            output_dir=out_dir,
            base_dir=preset.base_dir,
            cancel=cancel,
            on_event=progress,
            recipe=recipe_json(preset),
        )

    show_progress = not (args.quiet or args.json)
    progress = _Progress(preset) if show_progress else None
    try:
        if progress is not None:
            with progress:
                report, signum = run_cancellable(work)
        else:
            report, signum = run_cancellable(work)
    finally:
        if made is not None:
            remove_empty_folders(made)  # a run that wrote nothing leaves no folder behind
    _print_report(preset, report, args, cancelled=signum is not None or report.cancelled)
    if signum is not None:
        return 128 + signum
    if report.cancelled:
        return 130
    return 0 if report.ok else 1


def _print_report(
    preset: Preset, report: RunReport, args: argparse.Namespace, *, cancelled: bool
) -> None:
    written = files_written(preset.graph, report)
    if args.json:
        print(json.dumps({**report.to_json(), "written": written}, indent=2))
    elif not args.quiet:
        for path in written:
            print(path)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for node_report in report.nodes.values():
        if node_report.status == Status.FAILED:
            print(f"error: {_one_line(node_report.error or '')}", file=sys.stderr)
            if args.debug and node_report.traceback:
                print(node_report.traceback, file=sys.stderr)
    if cancelled:
        print(CANCELLED, file=sys.stderr)


def cmd_batch(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.jobs.batch import run_batch
    from stylegraph.jobs.items import BatchError

    loaded, path = _load_preset(args.preset, registry)  # a pack is verified once, not per item
    recipe = preset_to_dict(loaded)

    def make_preset(item_sets: list[str]) -> Preset:
        preset = preset_from_dict(recipe, registry, loaded.base_dir, str(path))
        _apply_sets(preset, (args.set or []) + item_sets)
        return preset

    out_dir = _check_out(args.out)
    made = watch_new_folder(out_dir)

    def work(cancel: CancelToken) -> int:
        return run_batch(
            args.over,
            out_dir,
            make_preset,
            recipe_json,
            lambda: _engine(args),
            template=args.name,
            dry_run=args.dry_run,
            jobs=args.jobs,
            cluster=args.cluster,
            json_lines=args.json,
            sheet=args.sheet,
            cancel=cancel,
        )

    try:
        code, signum = run_cancellable(work)
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if made is not None:
            remove_empty_folders(made)
    if signum is not None:
        print(CANCELLED, file=sys.stderr)
        return 128 + signum
    return code


def cmd_sheet(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.jobs.items import BatchError
    from stylegraph.jobs.sheet import write_sheet

    try:
        print(write_sheet(Path(args.folder)))
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_validate(args: argparse.Namespace, registry: Registry) -> int:
    preset, _ = _load_preset(args.preset, registry)
    needed, empty = _unset(preset)
    problems = [str(p) for p in validate(preset.graph)] + empty
    problems += [str(p) for p in missing_files(preset.graph, preset.base_dir)]
    for problem in problems:
        print(f"{args.preset}: {problem}", file=sys.stderr)
    if problems:
        return 1
    inputs = ", ".join(preset.inputs) or "none"
    print(f"{args.preset}: valid ({len(preset.graph)} nodes; inputs: {inputs})")
    if needed:
        sets = " ".join(f"--set {name}={_placeholder(preset, name)}" for name in needed)
        print(f"{args.preset}: a run needs {', '.join(needed)}: {sets}")
    optional = [n for n, v in preset.input_values().items() if is_empty(v) and n not in needed]
    if optional:
        print(f"{args.preset}: optional, not set: {', '.join(optional)}")
    return 0


def _param_line(spec: dict[str, Any]) -> str:
    """``float 0..1, default 1.0`` / ``choice of normal, multiply, ...; default normal``."""
    kind = spec["type"]
    if "choices" in spec:
        kind += f" of {', '.join(spec['choices'])};"
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None or high is not None:
        kind += f" {'' if low is None else f'{low:g}'}..{'' if high is None else f'{high:g}'},"
    default = spec["default"]
    shown = json.dumps(default, ensure_ascii=False) if not isinstance(default, str) else default
    return f"{kind} default {shown if shown != '' else 'empty'}"


def _describe(described: dict[str, Any]) -> str:
    """A node type as a person reads it: what it does, then its ports and params, one a
    line, with their help beneath."""
    lines = [
        f"{described['type']}: {described['name']} (version {described['version']}, "
        f"{described['category']})",
        *textwrap.wrap(described["description"], 88, initial_indent="  ", subsequent_indent="  "),
    ]
    for section in ("inputs", "outputs", "params"):
        entries = described[section]
        lines.append(f"{section}:" if entries else f"{section}: none")
        for name, spec in entries.items():
            if section == "params":
                what = _param_line(spec)
            else:
                what = spec["type"]
                if spec.get("variadic"):
                    what += f", any number ({name}1, {name}2, ...)"
                elif spec.get("optional"):
                    what += ", optional"
            lines += textwrap.wrap(
                f"{name}: {what}", 88, initial_indent="  ", subsequent_indent="      "
            )
            if spec.get("help"):
                lines += textwrap.wrap(
                    spec["help"], 88, initial_indent="      ", subsequent_indent="      "
                )
    return "\n".join(lines)


def _closest_type(word: str, registry: Registry) -> str:
    """The did-you-mean for a node type, matching the part after the category too, so
    that `nodes blend` finds image.blend."""
    types = [t.type_id for t in registry]
    family = [t for t in types if t.startswith(f"{word}.")]
    if family:
        return f"; the {word} nodes are {', '.join(family)}"
    hint = did_you_mean(word, types, cutoff=0.75)  # ids share their categories' letters
    if hint:
        return hint
    short: dict[str, str] = {}
    for type_id in types:
        short.setdefault(type_id.split(".", 1)[-1], type_id)
    close = difflib.get_close_matches(word, list(short), n=1, cutoff=0.75)
    return f"; did you mean {short[close[0]]!r}?" if close else ""


def cmd_nodes(args: argparse.Namespace, registry: Registry) -> int:
    if args.type:
        if args.type not in registry:
            raise UsageError(
                f"unknown node type {args.type!r}{_closest_type(args.type, registry)} "
                "(`stylegraph nodes` lists them all)"
            )
        described = registry.get(args.type).describe()
        if args.json:
            print(json.dumps(described, indent=2))
            return 0
        print(_describe(described))
        return 0
    if args.json:
        print(json.dumps([t.describe() for t in registry], indent=2))
        return 0
    for node_type in registry:
        print(f"{node_type.type_id:28} {node_type.display_name:28} {node_type.category}")
    return 0


def cmd_recipe(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe

    try:
        recipe = read_recipe(args.image)
    except RecipeError as exc:
        raise UsageError(str(exc)) from None
    preset = recipe.get("preset")
    if not isinstance(preset, dict):
        raise UsageError(f"{args.image}: the embedded recipe has no preset")
    print(json.dumps(preset, indent=2, ensure_ascii=False))
    return 0


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")


def cmd_pack(args: argparse.Namespace, registry: Registry) -> int:
    source = Path(args.source)
    if source.suffix.lower() in _IMAGE_SUFFIXES:
        from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe

        try:
            recipe = read_recipe(source)
        except RecipeError as exc:
            raise UsageError(str(exc)) from None
        preset = preset_from_recipe(recipe, registry, source.resolve().parent, str(source))
    else:
        preset, _ = _load_preset(args.source, registry)
    with_inputs = True if args.with_inputs else (args.with_input or False)
    try:
        left = left_for_receiver(preset, with_inputs)
    except KeyError as exc:
        raise UsageError(f"--with-input: {exc.args[0]}") from None
    packed = write_pack(preset, args.output, with_inputs=with_inputs)
    for item in packed:
        print(f"{item.entry}  {item.source}  ({', '.join(item.uses)})")
    if left:
        print(f"left for the receiver: {', '.join(left)}")
    print(f"wrote {args.output}")
    return 0


def cmd_unpack(args: argparse.Namespace, registry: Registry) -> int:
    print(unpack(args.pack, args.dest))
    return 0


def cmd_cache(args: argparse.Namespace, registry: Registry) -> int:
    disk = DiskCache(default_cache_dir())
    if args.action == "clear":
        from stylegraph.jobs.pack import default_pack_dir

        packs = default_pack_dir()
        unpacked = sum(1 for p in packs.rglob("*") if p.is_file()) if packs.is_dir() else 0
        shutil.rmtree(packs, ignore_errors=True)
        print(
            f"removed {disk.clear()} cached results and {unpacked} unpacked files from {disk.root}"
        )
        return 0
    info = disk.info()
    print(
        json.dumps(
            {
                "path": info.path,
                "entries": info.entries,
                "bytes": info.nbytes,
                "max_bytes": info.max_bytes,
            },
            indent=2,
        )
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's own (absent) --debug must not reset `stylegraph --debug run`;
    # the top level has its own --debug action, whose default is False
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    parser = argparse.ArgumentParser(
        prog="stylegraph",
        description=__doc__,
        epilog="`stylegraph COMMAND --help` says more about each. A first run: "
        "stylegraph run fusion --set content=photo.jpg --set style=painting.jpg --out out",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"stylegraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    run = add(
        "run",
        help="run a preset on a photo",
        description="Run a preset: a preset file (.json), the name of a shipped preset "
        f"({', '.join(shipped_presets())}), or a pack (.sgpack) someone shared, whose "
        "paintings and models come inside it. Named inputs and params are set with --set.",
        epilog="e.g. stylegraph run fusion --set content=photo.jpg --set style=painting.jpg "
        "--set render.strength=0.8 --out out",
    )
    run.add_argument("preset", help="a preset file, a shipped preset's name, or a pack (.sgpack)")
    run.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="set a named input (content=photo.jpg) or a param (node.param=3)",
    )
    run.add_argument(
        "--out", default="stylegraph-out", help="output folder (default: ./stylegraph-out)"
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("--json", action="store_true", help="print the run report as JSON")
    run.add_argument(
        "--no-disk-cache",
        action="store_true",
        help="neither read nor write the on-disk result cache",
    )
    run.set_defaults(func=cmd_run)

    batch = add("batch", help="run a preset over many inputs (a sweep), resumably")
    batch.add_argument("preset", help="a preset file, a shipped preset's name, or a pack")
    batch.add_argument(
        "--over",
        action="append",
        required=True,
        metavar="NAME=PATHS",
        help="an input and its values: a folder, a glob, a file, or a .txt list of paths",
    )
    batch.add_argument("--set", action="append", metavar="NAME=VALUE", help="as for run")
    batch.add_argument("--out", default="stylegraph-out", help="output folder")
    batch.add_argument("--name", help='output name template, e.g. "{content}_{style}"')
    batch.add_argument("--dry-run", action="store_true", help="list the items, run nothing")
    batch.add_argument("--jobs", type=int, default=1, help="photos rendered at once")
    batch.add_argument("--cluster", metavar="auto|local|ADDRESS", help="run on a Ray cluster")
    batch.add_argument("--json", action="store_true", help="one JSON line per finished item")
    batch.add_argument("--sheet", action="store_true", help="write a contact sheet at the end")
    batch.add_argument("--no-disk-cache", action="store_true", help="as for run")
    batch.set_defaults(func=cmd_batch)

    sheet = add("sheet", help="a labelled contact sheet of the images in a folder")
    sheet.add_argument("folder")
    sheet.set_defaults(func=cmd_sheet)

    val = add("validate", help="check a preset without running it")
    val.add_argument("preset", help="a preset file, a shipped preset's name, or a pack")
    val.set_defaults(func=cmd_validate)

    nodes = add("nodes", help="list node types, or describe one")
    nodes.add_argument("type", nargs="?", help="a node type id, e.g. image.blend")
    nodes.add_argument("--json", action="store_true", help="print JSON")
    nodes.set_defaults(func=cmd_nodes)

    recipe = add("recipe", help="print the preset embedded in an output image")
    recipe.add_argument("image")
    recipe.set_defaults(func=cmd_recipe)

    cache = add("cache", help="inspect or clear the on-disk result cache")
    cache.add_argument("action", choices=("info", "clear"))
    cache.set_defaults(func=cmd_cache)

    pack = add("pack", help="bundle a preset, or an output image's recipe, with its files")
    pack.add_argument("source", help="a preset, a shipped preset's name, a pack, or an image")
    pack.add_argument("-o", "--output", required=True, help="the pack to write (.sgpack)")
    pack.add_argument(
        "--with-inputs",
        action="store_true",
        help="also pack the named inputs' files (the photo); by default they are left empty",
    )
    pack.add_argument(
        "--with-input",
        action="append",
        metavar="NAME",
        help="pack this named input's files (e.g. style), leave the others empty",
    )
    pack.set_defaults(func=cmd_pack)

    unpack_cmd = add("unpack", help="extract a pack into a new folder, for editing")
    unpack_cmd.add_argument("pack")
    unpack_cmd.add_argument("dest")
    unpack_cmd.set_defaults(func=cmd_unpack)

    edit = add(
        "edit",
        help="open the node editor (needs a display)",
        description="Open the node editor on a preset, or on an empty graph. It needs a "
        "display; on a machine without one, xvfb-run serves scripts.",
    )
    edit.add_argument("preset", nargs="?", help="a preset file, a shipped preset's name, or a pack")
    edit.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="set a named input before opening"
    )
    edit.add_argument("--run", action="store_true", help="run the graph on opening")
    # Scripting hooks for the editor's tests and the README's screenshot, kept out of --help:
    # --select (node to preview), --screenshot (run, save a PNG of the window, close),
    # --viewer-zoom (%), --compare (node left of the split), --paint-stroke (x,y;x,y...
    # normalised, on the viewed mask.paint), --geometry (write screen positions there).
    hidden = argparse.SUPPRESS
    edit.add_argument("--select", help=hidden)
    edit.add_argument("--screenshot", help=hidden)
    edit.add_argument("--viewer-zoom", type=float, help=hidden)
    edit.add_argument("--compare", help=hidden)
    edit.add_argument("--paint-stroke", help=hidden)
    edit.add_argument("--geometry", help=hidden)
    edit.set_defaults(func=cmd_edit)
    return parser


def display_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why the editor cannot open a window here, or None. On X11 systems (not macOS or
    Windows) GLFW aborts the process when it finds no display, which no handler can catch,
    so the display is checked first: DISPLAY set and, for a local one, its socket there."""
    if sys.platform in ("darwin", "win32"):
        return None
    environ = os.environ if environ is None else environ
    display = environ.get("DISPLAY", "")
    how = "run it on a desktop, or under xvfb-run for scripts (xvfb-run stylegraph edit ...)"
    if not display:
        return f"the editor needs a display and DISPLAY is not set: {how}"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local is None:  # host:N, a forwarded or remote display: GLFW has to try it
        return None
    path = f"/tmp/.X11-unix/X{local.group(1)}"
    for address in (path, "\0" + path):  # the socket file, or Linux's abstract socket
        with socket.socket(socket.AF_UNIX) as sock:
            try:
                sock.connect(address)
                return None
            except OSError:
                continue
    return f"the editor needs a display and none answers at DISPLAY={display}: {how}"


def cmd_edit(args: argparse.Namespace, registry: Registry) -> int:
    problem = display_problem()
    if problem:
        raise UsageError(problem)
    from stylegraph.ui.app import Script, run_editor

    preset, path = _load_preset(args.preset, registry) if args.preset else (None, None)
    if preset is not None:
        _apply_sets(preset, args.set or [])
    if path is not None and is_pack(path):
        path = None  # a pack opens as an unsaved graph: Save asks where
    stroke = [tuple(map(float, p.split(","))) for p in (args.paint_stroke or "").split(";") if p]
    script = Script(
        select=args.select,
        viewer_zoom=args.viewer_zoom,
        compare=args.compare,
        paint_stroke=stroke,
        screenshot=Path(args.screenshot).resolve() if args.screenshot else None,
        geometry=Path(args.geometry).resolve() if args.geometry else None,
    )
    return run_editor(registry, preset, path, run=args.run, script=script)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.func is cmd_edit:  # the editor's window has its own Ctrl+C
            return args.func(args, default_registry())
        with signals_raise():
            return args.func(args, default_registry())
    except Interrupted as exc:
        remove_partial_files()
        print(CANCELLED, file=sys.stderr)
        return exc.exit_code
    except (UsageError, PresetError, ValidationError, GraphError, UnknownNodeType) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`stylegraph nodes | head`): stop quietly, as other tools
        # do, and keep Python from complaining when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        elif isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            name = short_path(os.fsdecode(exc.filename or ""))
            print(f"error: a path is too long for this system: {name}", file=sys.stderr)
            return 2
        else:
            print(
                f"error: {_one_line(error_sentence(exc))} (run with --debug for the details)",
                file=sys.stderr,
            )
        return 1


def _shorten_long_words(text: str, longest: int = 200) -> str:
    """A message stays readable when it quotes a path of thousands of characters."""
    return re.sub(rf"\S{{{longest},}}", lambda m: short_path(m.group(0)), text)


def _one_line(text: str) -> str:
    """A message quoting a user's path or text, as one readable line: control characters
    (a newline, a form feed in a file name) written as escapes, long words shortened."""
    escaped = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: repr(m.group())[1:-1], text)
    return _shorten_long_words(escaped)
