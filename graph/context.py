"""What a running node may talk to: progress, cancellation, warnings and its output folder."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


class Cancelled(Exception):
    """Raised inside a node when the user cancelled the run."""


class NodeError(Exception):
    """A failure a user can act on (bad file, bad value). Nodes raise it with a message that
    says what is wrong; the engine adds the node id and type."""


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: a MemoryError, torch's OutOfMemoryError
    (recognised by name: graph/ does not import torch), or an error whose message says
    "out of memory" (what older torch and the ncnn bindings raise). The engine reports
    such a failure with a hint; tiled models halve their tile and try again."""
    return (
        isinstance(exc, MemoryError)
        or any(cls.__name__ == "OutOfMemoryError" for cls in type(exc).__mro__)
        or "out of memory" in str(exc)
    )


class CancelToken:
    """Shared between the thread that runs a graph and the one that may cancel it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


ProgressCallback = Callable[[str, float], None]


@dataclass
class NodeContext:
    """Handed to every node's run function. Nodes call ``progress`` at each step; that is
    also where a cancellation is noticed, so a run stops within one node step."""

    node_id: str
    output_dir: Path
    cancel_token: CancelToken = field(default_factory=CancelToken)
    on_progress: ProgressCallback | None = None
    recipe: str | None = None  # JSON of the graph and its inputs, for Save Image's metadata
    warnings: list[str] = field(default_factory=list)
    # input port -> id of the node that feeds it; filled only for node types that declare
    # ``sees_sources`` (their cache key then includes those ids)
    sources: Mapping[str, str] = field(default_factory=dict)

    def check_cancelled(self) -> None:
        if self.cancel_token.cancelled:
            raise Cancelled(f"node {self.node_id!r} was cancelled")

    def progress(self, fraction: float) -> None:
        """Report progress (0..1) and stop here if the run was cancelled."""
        self.check_cancelled()
        if self.on_progress is not None:
            self.on_progress(self.node_id, min(1.0, max(0.0, fraction)))

    def warn(self, message: str) -> None:
        self.warnings.append(message)
