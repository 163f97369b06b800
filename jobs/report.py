"""What a batch tells its user: a rich progress bar for the whole sweep (time left, done/failed,
the current item's node), one JSON line per finished item for scripts, and a summary."""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stylegraph.jobs.eta import TimeLeft

if TYPE_CHECKING:
    from stylegraph.jobs.render import BatchStats


@dataclass
class ItemResult:
    name: str
    status: str  # "done", "skipped" or "failed"
    seconds: float = 0.0
    error: str | None = None
    outputs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "item": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "outputs": self.outputs,
        }
        if self.error:
            out["error"] = self.error
        return out


class BatchReporter:
    """Thread-safe: local ``--jobs`` threads report through one instance."""

    def __init__(
        self,
        total: int,
        *,
        json_lines: bool = False,
        show_progress: bool = True,
        work: Mapping[str, float] | None = None,
    ):
        """``work``: each item's work (``eta.item_work``), for the time left; items not
        listed count one each. Where the bar cannot be shown live (``--json``, or stderr
        not a terminal, as in an overnight log), one line per finished item says how far
        the sweep is and the time left."""
        self.total = total
        self.json_lines = json_lines
        self.results: list[ItemResult] = []
        self.time_left = TimeLeft(work or {})
        self.grams_before = gram_counts()
        self._lock = threading.Lock()
        self._progress = None
        from rich.console import Console

        console = Console(stderr=True)
        self._lines = not (show_progress and console.is_terminal)
        if show_progress and console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.fields[counts]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[left]}"),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
            )
            self._task = self._progress.add_task(
                "", total=total, counts=self._counts(), left=self.time_left.text()
            )

    def __enter__(self) -> BatchReporter:
        if self._progress is not None:
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def _count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def _counts(self) -> str:
        done, skipped, failed = (self._count(s) for s in ("done", "skipped", "failed"))
        return f"done {done} skipped {skipped} failed {failed}"

    def node(self, item: str, what: str) -> None:
        """The node the current item is on."""
        if self._progress is not None:
            with self._lock:
                self._progress.update(self._task, description=f"{item}: {what}")

    def finished(self, result: ItemResult) -> None:
        with self._lock:
            self.results.append(result)
            self.time_left.finished(result.name, result.seconds, result.status != "skipped")
            if self.json_lines:
                print(json.dumps(result.to_json()), flush=True)
            if self._progress is not None:
                self._progress.update(
                    self._task, advance=1, counts=self._counts(), left=self.time_left.text()
                )
            elif self._lines and result.status != "skipped":
                print(self.progress_line(result), file=sys.stderr, flush=True)

    def progress_line(self, result: ItemResult) -> str:
        """``[3/20] starry_night: done in 41.2 s; about 12 min left (42 s a render so far)``"""
        return (
            f"[{len(self.results)}/{self.total}] {result.name}: {result.status} in "
            f"{result.seconds:.1f} s; {self.time_left.text()}"
        )

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.results if r.status == "failed"]

    def summary(self) -> str:
        lines = [
            f"{self._count('done')} done, {self._count('skipped')} skipped (already done), "
            f"{self._count('failed')} failed"
        ]
        lines += [f"  failed {r.name}: {r.error}" for r in self.failed]
        return "\n".join(lines)

    def print_summary(self) -> None:
        print(self.summary(), file=sys.stderr)


def summary_json(reporter: BatchReporter, stats: BatchStats) -> dict:
    """The last JSON line of ``--json``: counts, failures and what ran."""
    counts = Counter(r.status for r in reporter.results)
    return {
        "done": counts["done"],
        "skipped": counts["skipped"],
        "failed": {r.name: r.error for r in reporter.failed},
        "node_runs": dict(stats.node_runs),
        "batched_calls": stats.batched_calls,
        "batched_items": stats.batched_items,
        "grams": dict(Counter(gram_counts()) - Counter(reporter.grams_before)),
    }


def gram_counts() -> dict[str, int]:
    """The paintings' Grams this process has computed, read from the disk cache, or refused
    there as damaged; empty before any Gatys render (the cache's module not loaded)."""
    module = sys.modules.get("stylegraph.nodes.models.gram_cache")
    return dict(module.COUNTS) if module is not None else {}
