"""The ``stylegraph batch`` command, one item's path in order: expand the items
(``items``), plan the shared work (``plan``), render here (``render``) or on Ray
(``cluster``), write (``write``), report (``report``). Each module is entered once."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine
from stylegraph.graph.preset import Preset
from stylegraph.jobs.eta import item_work
from stylegraph.jobs.items import (
    PreparedItem,
    check_axes,
    expand_items,
    is_done,
    merge_axes,
    prepare,
)
from stylegraph.jobs.plan import plan
from stylegraph.jobs.render import BatchStats, render_here
from stylegraph.jobs.report import BatchReporter, ItemResult, summary_json
from stylegraph.jobs.sheet import write_sheet
from stylegraph.jobs.write import clear_stale, write_files


def dry_run_lines(prepared: list[PreparedItem], failed: dict[str, str], out_dir: Path) -> list:
    lines = []
    for entry in prepared:
        values = ", ".join(f"{k}={v}" for k, v in entry.item.values.items())
        outputs = ", ".join(str(out_dir / r) for r in entry.outputs)
        lines.append(f"{entry.item.name}: {values} -> {outputs}")
    lines += [f"{name}: cannot run: {error}" for name, error in failed.items()]
    return lines


def run_batch(
    over: list[str],
    out_dir: Path,
    make_preset: Callable[[list[str]], Preset],
    make_recipe: Callable[[Preset], str],
    make_engine: Callable[[], Engine],
    *,
    template: str | None = None,
    dry_run: bool = False,
    jobs: int = 1,
    cluster: str | None = None,
    json_lines: bool = False,
    sheet: bool = False,
    cancel: CancelToken | None = None,
) -> int:
    """0 when every item is done or skipped, 1 when any failed, 130 when ``cancel`` stopped
    it (what was written is whole and is skipped next time; an item cut short is neither
    written nor reported)."""
    cancel = cancel or CancelToken()
    axes = merge_axes(over)
    check_axes(axes, make_preset([]))
    items = expand_items(axes, template)
    prepared, failed = prepare(items, make_preset, make_recipe)
    if dry_run:
        print("\n".join(dry_run_lines(prepared, failed, out_dir)))
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    clear_stale(out_dir, prepared)  # a killed batch's staging folders and temp files
    work = {entry.item.name: item_work(entry.preset) for entry in prepared}
    reporter = BatchReporter(
        len(items), json_lines=json_lines, show_progress=not json_lines, work=work
    )
    stats = BatchStats()
    with reporter:
        for name, error in failed.items():
            reporter.finished(ItemResult(name, "failed", error=error))
        pending = []
        for entry in prepared:
            if is_done(entry, out_dir):
                outputs = [str(out_dir / r) for r in entry.outputs]
                reporter.finished(ItemResult(entry.item.name, "skipped", outputs=outputs))
            else:
                pending.append(entry)
        groups = plan(pending)
        if cluster:
            from stylegraph.jobs.cluster import render_on_ray

            renders = render_on_ray(groups, make_recipe, cluster, stats, reporter.node)
        else:
            renders = render_here(
                groups,
                make_engine,
                make_recipe,
                stats,
                staging=out_dir,
                on_node=reporter.node,
                jobs=jobs,
                cancel=cancel,
            )
        for rendered in renders:
            if cancel.cancelled:
                break
            if rendered.error is not None:
                result = ItemResult(rendered.name, "failed", rendered.seconds, rendered.error)
            else:
                written = write_files(rendered.files, out_dir)
                outputs = [str(p) for p in written]
                result = ItemResult(rendered.name, "done", rendered.seconds, outputs=outputs)
            reporter.finished(result)
    if json_lines:
        print(json.dumps({"summary": summary_json(reporter, stats)}), flush=True)
    reporter.print_summary()
    if sheet and any(r.status != "failed" for r in reporter.results):
        print(f"contact sheet: {write_sheet(out_dir)}", file=sys.stderr)
    if cancel.cancelled:
        return 130
    return 1 if reporter.failed else 0
