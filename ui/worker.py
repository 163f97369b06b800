"""Background runs: the engine works on a snapshot of the graph on its own thread and
reports through a queue that the render thread drains, because every Dear PyGui call must
happen on the render thread and edits must not change a graph that is being evaluated."""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine, Event, RunReport
from stylegraph.graph.preset import Preset, preset_from_dict, preset_to_dict
from stylegraph.graph.recipe import recipe_json
from stylegraph.graph.registry import Registry
from stylegraph.graph.validate import ValidationError

AUTO_RUN_DELAY = 0.5  # s after the last edit
WORKER_NICENESS = 10  # the window's frames come before the run's arithmetic


@dataclass
class Finished:
    """The end of a run: a report, or the reason it could not start."""

    report: RunReport | None
    problem: str | None = None


class RunWorker:
    def __init__(self, engine: Engine, registry: Registry, output_dir: Path) -> None:
        self.engine = engine
        self.registry = registry
        # absolute, so the status line and each Save node say where a picture went
        self.output_dir = output_dir.resolve()
        self.cancel_token = CancelToken()
        self.thread: threading.Thread | None = None
        self.events: queue.Queue[Event | Finished] = queue.Queue()
        self.auto_run = False
        self._auto_at: float | None = None

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, preset: Preset, targets: list[str] | None = None) -> bool:
        """Start a run of a snapshot of ``preset`` for ``targets`` (default: its sinks);
        False when one is already running."""
        if self.busy:
            return False
        snapshot = preset_from_dict(preset_to_dict(preset), self.registry, preset.base_dir)
        self.cancel_token = CancelToken()
        self.thread = threading.Thread(target=self._work, args=(snapshot, targets), daemon=True)
        self.thread.start()
        return True

    def cancel(self) -> bool:
        if not self.busy:
            return False
        self.cancel_token.cancel()
        return True

    def edited(self) -> None:
        """An edit happened: with auto-run on, run again once edits pause."""
        if self.auto_run:
            self._auto_at = time.monotonic() + AUTO_RUN_DELAY
            self.cancel()

    def auto_run_due(self) -> bool:
        """True once per edit burst, when auto-run should start a run now."""
        if self._auto_at is None or time.monotonic() < self._auto_at or self.busy:
            return False
        self._auto_at = None
        return True

    def drain(self) -> list[Event | Finished]:
        out: list[Event | Finished] = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def _work(self, snapshot: Preset, targets: list[str] | None) -> None:
        _lower_priority()
        try:
            report = self.engine.run(
                snapshot.graph,
                targets,
                output_dir=self.output_dir,
                base_dir=snapshot.base_dir,
                cancel=self.cancel_token,
                on_event=self.events.put,
                recipe=recipe_json(snapshot),
            )
        except ValidationError as exc:
            self.events.put(Finished(None, str(exc).splitlines()[0]))
            return
        self.events.put(Finished(report))


def _lower_priority() -> None:
    """On Linux, nice this thread (and the compute threads it starts): a run then takes
    only the CPU time the window does not need, so frames stay smooth during a render.
    Where threads cannot be niced this way the run keeps normal priority."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
