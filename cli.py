"""The `stylegraph` command: run, validate, nodes, recipe, cache, pack, unpack."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from stylegraph import __version__
from stylegraph.graph.cache import DiskCache, default_cache_dir
from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine, Event, RunReport, Status, error_sentence
from stylegraph.graph.files import missing_files
from stylegraph.graph.model import GraphError
from stylegraph.graph.pack import (
    PACK_SUFFIX,
    is_pack,
    left_for_receiver,
    load_preset_or_pack,
    preset_from_recipe,
    unpack,
    write_pack,
)
from stylegraph.graph.preset import (
    Preset,
    PresetError,
    parse_value,
    preset_from_dict,
    preset_to_dict,
)
from stylegraph.graph.recipe import files_written, recipe_json
from stylegraph.graph.registry import Registry, UnknownNodeType
from stylegraph.graph.spec import ParamType
from stylegraph.graph.validate import ValidationError, validate
from stylegraph.nodes import default_registry
from stylegraph.presets import shipped_presets


class UsageError(Exception):
    """A mistake in the command line or its files; printed without a traceback."""


def _find_preset(name: str) -> Path:
    path = Path(name)
    if path.exists() or path.suffix in (".json", PACK_SUFFIX):
        return path
    shipped = shipped_presets()
    if name in shipped:
        return shipped[name]
    raise UsageError(
        f"no preset file {name!r}, and no shipped preset of that name "
        f"(shipped: {', '.join(shipped) or 'none'})"
    )


def _load_preset(name: str, registry: Registry) -> tuple[Preset, Path]:
    """How every command takes a preset: a file, a shipped preset's name, or a pack (its
    files verified and kept in the cache folder). Returns the preset and where it came from."""
    path = _find_preset(name)
    return load_preset_or_pack(path, registry), path


def _apply_sets(preset: Preset, assignments: list[str]) -> None:
    """``--set content=photo.jpg`` sets a named input; ``--set blur.radius=3`` any param."""
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep:
            raise UsageError(f"--set {assignment!r}: expected NAME=VALUE")
        if name in preset.inputs:
            node_id, param_name = preset.inputs[name].node, preset.inputs[name].param
        elif "." in name:
            node_id, param_name = name.split(".", 1)
        else:
            known = ", ".join(sorted(preset.inputs)) or "none"
            raise UsageError(f"--set {name}: the preset has no input {name!r} (inputs: {known})")
        if node_id not in preset.graph:
            raise UsageError(f"--set {name}: the preset has no node {node_id!r}")
        param = preset.graph.node_type(node_id).param(param_name)
        if param is None:
            raise UsageError(f"--set {name}: node {node_id!r} has no param {param_name!r}")
        value: Any = parse_value(param.type, text)
        if param.type == ParamType.FILE:
            value = str(Path(value).expanduser().resolve())
        elif param.type == ParamType.FILE_LIST:
            value = [str(Path(v).expanduser().resolve()) for v in value]
        try:
            preset.graph.set_param(node_id, param_name, value)
        except GraphError as exc:
            raise UsageError(f"--set {name}: {exc}") from None


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
    out_dir = Path(args.out).resolve()
    cancel = CancelToken()
    engine = _engine(args)
    holder: dict[str, Any] = {}

    def work(on_event: Any) -> None:
        try:
            holder["report"] = engine.run(
                preset.graph,
                output_dir=out_dir,
                base_dir=preset.base_dir,
                cancel=cancel,
                on_event=on_event,
                recipe=recipe_json(preset),
            )
        except BaseException as exc:
            holder["error"] = exc

    show_progress = not (args.quiet or args.json)
    progress = _Progress(preset) if show_progress else None
    thread = threading.Thread(target=work, args=(progress,), daemon=True)
    try:
        if progress is not None:
            with progress:
                thread.start()
                _join(thread, cancel)
        else:
            thread.start()
            _join(thread, cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        thread.join()
    if "error" in holder:
        raise holder["error"]
    report: RunReport = holder["report"]
    _print_report(preset, report, args)
    if report.cancelled:
        return 130
    return 0 if report.ok else 1


def _join(thread: threading.Thread, cancel: CancelToken) -> None:
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        print("cancelling...", file=sys.stderr)
        cancel.cancel()
        thread.join()


def _print_report(preset: Preset, report: RunReport, args: argparse.Namespace) -> None:
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
            print(f"error: {node_report.error}", file=sys.stderr)
            if args.debug and node_report.traceback:
                print(node_report.traceback, file=sys.stderr)
    if report.cancelled:
        print("cancelled", file=sys.stderr)


def cmd_batch(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.graph.batch import BatchError
    from stylegraph.graph.batch_driver import run_batch

    loaded, path = _load_preset(args.preset, registry)  # a pack is verified once, not per item
    recipe = preset_to_dict(loaded)

    def make_preset(item_sets: list[str]) -> Preset:
        preset = preset_from_dict(recipe, registry, loaded.base_dir, str(path))
        _apply_sets(preset, (args.set or []) + item_sets)
        return preset

    try:
        return run_batch(
            args.over,
            Path(args.out).resolve(),
            make_preset,
            recipe_json,
            lambda: _engine(args),
            template=args.name,
            dry_run=args.dry_run,
            jobs=args.jobs,
            cluster=args.cluster,
            json_lines=args.json,
            sheet=args.sheet,
        )
    except BatchError as exc:
        raise UsageError(str(exc)) from None


def cmd_sheet(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.graph.batch import BatchError
    from stylegraph.graph.batch_sheet import write_sheet

    try:
        print(write_sheet(Path(args.folder)))
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_validate(args: argparse.Namespace, registry: Registry) -> int:
    preset, _ = _load_preset(args.preset, registry)
    problems = validate(preset.graph) + missing_files(preset.graph, preset.base_dir)
    for problem in problems:
        print(f"{args.preset}: {problem}", file=sys.stderr)
    if problems:
        return 1
    inputs = ", ".join(preset.inputs) or "none"
    print(f"{args.preset}: valid ({len(preset.graph)} nodes; inputs: {inputs})")
    return 0


def cmd_nodes(args: argparse.Namespace, registry: Registry) -> int:
    if args.type:
        described = registry.get(args.type).describe()
        if args.json:
            print(json.dumps(described, indent=2))
            return 0
        print(
            f"{described['type']}  {described['name']}  (v{described['version']}, "
            f"{described['category']})\n  {described['description']}"
        )
        for section in ("inputs", "outputs", "params"):
            for name, spec in described[section].items():
                extra = {k: v for k, v in spec.items() if k not in ("type", "help")}
                help_text = f"  {spec['help']}" if spec.get("help") else ""
                print(f"  {section[:-1]:6} {name}: {spec['type']} {extra or ''}{help_text}")
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
        from stylegraph.graph.pack import default_pack_dir

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
    parser = argparse.ArgumentParser(prog="stylegraph", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"stylegraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    run = add("run", help="run a preset")
    run.add_argument("preset", help="a preset file, or the name of a shipped preset")
    run.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="set a named input (content=photo.jpg) or a param (node.param=3)",
    )
    run.add_argument("--out", default="stylegraph-out", help="output folder")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("--json", action="store_true", help="print the run report as JSON")
    run.add_argument(
        "--no-disk-cache",
        action="store_true",
        help="neither read nor write the on-disk result cache",
    )
    run.set_defaults(func=cmd_run)

    batch = add("batch", help="run a preset over many inputs (a sweep), resumably")
    batch.add_argument("preset", help="a preset file, or the name of a shipped preset")
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
    val.add_argument("preset")
    val.set_defaults(func=cmd_validate)

    nodes = add("nodes", help="list node types, or describe one")
    nodes.add_argument("type", nargs="?")
    nodes.add_argument("--json", action="store_true")
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

    edit = add("edit", help="open the node editor")
    edit.add_argument("preset", nargs="?")
    edit.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="set a named input before opening"
    )
    edit.add_argument("--run", action="store_true", help="run the graph on opening")
    edit.add_argument("--select", help="node to preview after the run (with --screenshot)")
    edit.add_argument("--screenshot", help="run, save a PNG of the window there, and close")
    edit.add_argument("--viewer-zoom", type=float, help="viewer zoom in %% (with --screenshot)")
    edit.add_argument("--compare", help="node shown left of the viewer's split (with --screenshot)")
    edit.add_argument(
        "--paint-stroke", help="x,y;x,y... normalised stroke on the viewed mask.paint"
    )
    edit.add_argument("--geometry", help="write node and viewer screen positions there (tests)")
    edit.set_defaults(func=cmd_edit)
    return parser


def cmd_edit(args: argparse.Namespace, registry: Registry) -> int:
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
        return args.func(args, default_registry())
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
        else:
            print(
                f"error: {error_sentence(exc)} (run with --debug for the details)",
                file=sys.stderr,
            )
        return 1
