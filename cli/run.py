"""Running presets: ``run`` (one photo, progress on stderr, the files written on stdout),
``batch`` (a sweep over many inputs, resumable) and ``sheet`` (a contact sheet of a
folder)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from stylegraph.cli.errors import UsageError, one_line
from stylegraph.cli.presets import check_before_running, check_out, load_preset
from stylegraph.graph.assign import apply_assignments
from stylegraph.graph.atomic import remove_empty_folders, watch_new_folder
from stylegraph.graph.cache import DiskCache, default_cache_dir
from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine, Event, RunReport, Status
from stylegraph.graph.preset import Preset, preset_from_dict, preset_to_dict
from stylegraph.graph.recipe import files_written, recipe_json
from stylegraph.graph.registry import Registry
from stylegraph.jobs.interrupt import CANCELLED, run_cancellable


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


def engine_for(args: argparse.Namespace) -> Engine:
    disk = None if args.no_disk_cache else DiskCache(default_cache_dir())
    return Engine(disk=disk)


def cmd_run(args: argparse.Namespace, registry: Registry) -> int:
    preset, _ = load_preset(args.preset, registry)
    apply_assignments(preset, args.set or [])
    out_dir = check_out(args.out)
    check_before_running(preset)
    engine = engine_for(args)
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
            print(f"error: {one_line(node_report.error or '')}", file=sys.stderr)
            if args.debug and node_report.traceback:
                print(node_report.traceback, file=sys.stderr)
    if cancelled:
        print(CANCELLED, file=sys.stderr)


def cmd_batch(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.jobs.batch import run_batch
    from stylegraph.jobs.items import BatchError

    loaded, path = load_preset(args.preset, registry)  # a pack is verified once, not per item
    recipe = preset_to_dict(loaded)

    def make_preset(item_sets: list[str]) -> Preset:
        preset = preset_from_dict(recipe, registry, loaded.base_dir, str(path))
        apply_assignments(preset, (args.set or []) + item_sets)
        return preset

    out_dir = check_out(args.out)
    made = watch_new_folder(out_dir)

    def work(cancel: CancelToken) -> int:
        return run_batch(
            args.over,
            out_dir,
            make_preset,
            recipe_json,
            lambda: engine_for(args),
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
