"""Ctrl+C and SIGTERM for the command line: the work stops at its next safe point, what it
was half-way through writing is removed, and the process says ``cancelled`` and exits with
128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as shells expect.

Python's own KeyboardInterrupt is not used while work runs on another thread: raised inside
``Thread.join`` it left the join returning while the thread still ran (the command then
read a report that did not exist yet, KeyError 'report'), and the interpreter exited under
a running torch thread, which aborted the process (exit 134). A signal here only sets a
CancelToken; the worker sees it at its next node step.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from stylegraph.graph.atomic import forget_partial_files, run_when_listed
from stylegraph.graph.context import CancelToken

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# How long the work may take to reach a safe point after a signal before the process
# removes its partial files and exits without it (a long call into C checks nothing).
GRACE_SECONDS = 1.5
CANCELLED = "cancelled"

T = TypeVar("T")


class Interrupted(BaseException):
    """A signal stopped the command; like KeyboardInterrupt, no ``except Exception`` in the
    work catches it, while its ``finally`` and ``except BaseException`` cleanups run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def _handlers(handler: Callable[[int, Any], None]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; its own handlers apply
        return
    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """In the block, SIGINT or SIGTERM raises Interrupted in the main thread: for work that
    runs there and cleans up in its ``finally`` blocks (loading, packing, unpacking). Only
    the first signal raises, so a second one cannot cut that cleanup short."""

    def handler(signum: int, frame: Any) -> None:
        for other in SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        if not run_when_listed(lambda: _raise(Interrupted(signum))):
            raise Interrupted(signum)

    with _handlers(handler):
        yield


def _raise(exc: BaseException) -> None:
    raise exc


def run_cancellable(
    work: Callable[[CancelToken], T], grace: float = GRACE_SECONDS
) -> tuple[T, int | None]:
    """``work(cancel)`` on a worker thread; SIGINT or SIGTERM sets ``cancel``. Returns the
    work's result and the signal that came, if one did. Work that has not returned
    ``grace`` seconds after the signal (or at a second signal) is abandoned: the temp files
    and staging folders in use are removed, ``cancelled`` is printed, and the process exits
    at once with 128 + the signal. Files already renamed into place and cache entries are
    whole either way, since both are written through a temp file and a rename."""
    cancel = CancelToken()
    received: list[int] = []
    outcome: dict[str, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        if received:
            abandon(received[0])
        received.append(signum)
        cancel.cancel()

    def target() -> None:
        try:
            outcome["result"] = work(cancel)
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="stylegraph-work", daemon=True)
    with _handlers(handler):
        thread.start()
        deadline: float | None = None
        while thread.is_alive():
            thread.join(0.05)
            if received and deadline is None:
                deadline = time.monotonic() + grace
            if deadline is not None and time.monotonic() > deadline and thread.is_alive():
                abandon(received[0])
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], (received[0] if received else None)


def abandon(signum: int) -> None:
    """Exit now, leaving the worker where it is: its partial files removed first (no new
    one can start after that), ``cancelled`` said, nothing else run (``os._exit``: the
    interpreter's shutdown under a running torch thread is what aborts the process)."""
    forget_partial_files()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError):
        print(CANCELLED, file=sys.stderr, flush=True)
    os._exit(128 + signum)
