"""Runs a prepared batch on this machine: skips finished items, clears temp files a killed
batch left behind, renders the rest group by group and writes each output atomically."""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stylegraph.graph.batch import (
    PreparedItem,
    check_axes,
    expand_items,
    is_done,
    merge_axes,
    prepare,
    stale_temp_files,
)
from stylegraph.graph.batch_report import BatchReporter, ItemResult
from stylegraph.graph.batch_run import (
    BATCH_SIZE,
    BatchStats,
    Rendered,
    Renderer,
    sharing_groups,
    write_rendered,
)
from stylegraph.graph.batch_sheet import write_sheet
from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine
from stylegraph.graph.preset import Preset


def split_done(
    prepared: list[PreparedItem], out_dir: Path, reporter: BatchReporter
) -> list[PreparedItem]:
    """Report finished items as skipped; return the ones left to render."""
    for stale in stale_temp_files(out_dir, prepared):
        stale.unlink(missing_ok=True)
    pending = []
    for entry in prepared:
        if is_done(entry, out_dir):
            outputs = [str(out_dir / r) for r in entry.outputs]
            reporter.finished(ItemResult(entry.item.name, "skipped", outputs=outputs))
        else:
            pending.append(entry)
    return pending


def finish(rendered: Rendered, out_dir: Path, reporter: BatchReporter) -> None:
    if rendered.error is not None:
        reporter.finished(ItemResult(rendered.name, "failed", rendered.seconds, rendered.error))
        return
    written = write_rendered(rendered, out_dir)
    reporter.finished(
        ItemResult(rendered.name, "done", rendered.seconds, outputs=[str(p) for p in written])
    )


def chunks(group: list[PreparedItem]) -> list[list[PreparedItem]]:
    return [group[i : i + BATCH_SIZE] for i in range(0, len(group), BATCH_SIZE)]


def run_local(
    pending: list[PreparedItem],
    out_dir: Path,
    reporter: BatchReporter,
    make_engine: Callable[[], Engine],
    make_recipe: Callable[[Preset], str],
    jobs: int = 1,
    cancel: CancelToken | None = None,
) -> BatchStats:
    """One engine per job; a photo's items all go to one job, so its upstream work is
    computed once. Outputs are written as each item finishes."""
    cancel = cancel or CancelToken()
    stats = BatchStats()
    lock = threading.Lock()
    groups = sharing_groups(pending)
    queue = list(reversed(groups))

    def worker() -> None:
        renderer = Renderer(make_engine(), make_recipe, reporter.node, cancel)
        try:
            while not cancel.cancelled:
                with lock:
                    if not queue:
                        break
                    group = queue.pop()
                for chunk in chunks(group):
                    for rendered in renderer.render_chunk(chunk):
                        finish(rendered, out_dir, reporter)
        finally:
            renderer.close()
            with lock:
                stats.merge(renderer.stats)

    if jobs <= 1:
        worker()
        return stats
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(worker) for _ in range(min(jobs, len(groups)))]
        try:
            for future in futures:
                future.result()
        except KeyboardInterrupt:
            cancel.cancel()  # the jobs stop within one node step; written files are whole
            raise
    return stats


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
) -> int:
    """The ``stylegraph batch`` command: 0 when every item is done or skipped, 1 when any
    failed, 130 when interrupted (what was written is whole and is skipped next time)."""
    axes = merge_axes(over)
    check_axes(axes, make_preset([]))
    items = expand_items(axes, template)
    prepared, failed = prepare(items, make_preset, make_recipe)
    if dry_run:
        print("\n".join(dry_run_lines(prepared, failed, out_dir)))
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    reporter = BatchReporter(len(items), json_lines=json_lines, show_progress=not json_lines)
    stats = BatchStats()
    interrupted = False
    with reporter:
        for name, error in failed.items():
            reporter.finished(ItemResult(name, "failed", error=error))
        pending = split_done(prepared, out_dir, reporter)
        try:
            if cluster:
                from stylegraph.graph.cluster import run_cluster

                stats = run_cluster(pending, out_dir, reporter, make_recipe, cluster)
            else:
                stats = run_local(pending, out_dir, reporter, make_engine, make_recipe, jobs)
        except KeyboardInterrupt:
            interrupted = True
    if json_lines:
        print(json.dumps({"summary": summary_json(reporter, stats)}), flush=True)
    reporter.print_summary()
    if sheet and any(r.status != "failed" for r in reporter.results):
        print(f"contact sheet: {write_sheet(out_dir)}", file=sys.stderr)
    if interrupted:
        return 130
    return 1 if reporter.failed else 0


def summary_json(reporter: BatchReporter, stats: BatchStats) -> dict:
    counts = Counter(r.status for r in reporter.results)
    return {
        "done": counts["done"],
        "skipped": counts["skipped"],
        "failed": {r.name: r.error for r in reporter.failed},
        "node_runs": dict(stats.node_runs),
        "batched_calls": stats.batched_calls,
        "batched_items": stats.batched_items,
    }
