"""What a batch tells its user: a rich progress bar for the whole sweep (ETA, done/failed,
the current item's node), one JSON line per finished item for scripts, and a summary."""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

    def __init__(self, total: int, *, json_lines: bool = False, show_progress: bool = True):
        self.total = total
        self.json_lines = json_lines
        self.results: list[ItemResult] = []
        self._lock = threading.Lock()
        self._progress = None
        if show_progress:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.fields[counts]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._progress.add_task("", total=total, counts=self._counts())

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
            if self.json_lines:
                print(json.dumps(result.to_json()), flush=True)
            if self._progress is not None:
                self._progress.update(self._task, advance=1, counts=self._counts())

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
    }
