"""Evaluates a graph: pulls only what the requested nodes need, in topological order,
reusing cached results, and keeps going past a failed branch."""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from stylegraph.graph.cache import DiskCache, MemoryCache
from stylegraph.graph.context import (
    Cancelled,
    CancelToken,
    NodeContext,
    NodeError,
    is_out_of_memory,
)
from stylegraph.graph.keys import FileDigests, node_key, not_a_regular_file, resolve_paths
from stylegraph.graph.layers import LayerStack
from stylegraph.graph.model import Graph
from stylegraph.graph.paths import paths_in
from stylegraph.graph.spec import NodeType, PortType
from stylegraph.graph.validate import Problem, ValidationError, check


class Status(str, Enum):
    RAN = "ran"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"  # an input's node failed
    CANCELLED = "cancelled"


@dataclass
class NodeReport:
    node_id: str
    type_id: str
    status: Status
    seconds: float = 0.0
    cache: str | None = None  # "memory" or "disk" when status is CACHED
    error: str | None = None
    traceback: str | None = None
    warnings: list[str] = field(default_factory=list)
    out_of_memory: bool = False  # failed for want of memory: a retry on smaller tiles may pass

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type_id,
            "status": self.status.value,
            "seconds": round(self.seconds, 6),
        }
        for name in ("cache", "error", "warnings"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


@dataclass
class RunReport:
    nodes: dict[str, NodeReport] = field(default_factory=dict)
    outputs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    cancelled: bool = False
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # about the run, not one node (cache)
    keys: dict[str, str] = field(default_factory=dict)  # each needed node's cache key

    def with_status(self, status: Status) -> list[str]:
        return [n for n, r in self.nodes.items() if r.status == status]

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(
            r.status in (Status.RAN, Status.CACHED) for r in self.nodes.values()
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 6),
            "warnings": list(self.warnings),
            "nodes": {n: r.to_json() for n, r in self.nodes.items()},
        }


@dataclass(frozen=True)
class Event:
    kind: str  # "start", "progress", "finish"
    node_id: str
    fraction: float = 0.0
    report: NodeReport | None = None


EventCallback = Callable[[Event], None]


class Engine:
    """Holds the caches between runs; one engine per editor window or CLI process."""

    def __init__(self, memory: MemoryCache | None = None, disk: DiskCache | None = None) -> None:
        self.memory = memory if memory is not None else MemoryCache()
        self.disk = disk
        self.digests = FileDigests()

    def run(
        self,
        graph: Graph,
        targets: Iterable[str] | None = None,
        *,
        output_dir: Path | str = ".",
        base_dir: Path | str = ".",
        cancel: CancelToken | None = None,
        on_event: EventCallback | None = None,
        recipe: str | None = None,
    ) -> RunReport:
        """Run what ``targets`` (default: the graph's sinks) need. Relative input files are
        read from ``base_dir``; Save Image writes under ``output_dir`` and embeds ``recipe``."""
        started = time.perf_counter()
        cancel = cancel or CancelToken()
        targets = list(targets) if targets is not None else graph.sinks()
        needed = graph.upstream(targets)
        check(graph, needed)
        order = [n for n in graph.topological_order() or () if n in needed]

        params, keys = self._resolve(graph, order, Path(base_dir))
        irregular = _irregular_files(graph, params)
        if irregular:
            raise ValidationError(irregular)
        report = RunReport(keys={n: keys[n] for n in order})
        results: dict[str, Mapping[str, Any]] = {}
        to_run = self._plan(graph, order, targets, keys, results, report)
        if on_event is not None:
            for node_id, cached in report.nodes.items():
                on_event(Event("finish", node_id, 1.0, cached))

        for node_id in order:
            if node_id not in to_run:
                continue
            if cancel.cancelled:
                report.cancelled = True
                report.nodes[node_id] = NodeReport(
                    node_id, graph.node(node_id).type_id, Status.CANCELLED
                )
                continue
            node_report = self._run_node(
                graph,
                node_id,
                params[node_id],
                keys[node_id],
                results,
                report,
                Path(output_dir),
                cancel,
                on_event,
                recipe,
            )
            report.nodes[node_id] = node_report
            if node_report.status == Status.CANCELLED:
                report.cancelled = True
            if on_event is not None:
                on_event(Event("finish", node_id, 1.0, node_report))

        report.outputs = results
        report.nodes = {n: report.nodes[n] for n in order if n in report.nodes}
        if self.disk is not None:
            report.warnings = self.disk.take_warnings()
        report.seconds = time.perf_counter() - started
        return report

    def keys(
        self, graph: Graph, base_dir: Path | str = "."
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """Every node's resolved params and cache key, as ``run`` computes them: lets a
        caller (batch sweeps) put results it computed another way where ``run`` finds them."""
        return self._resolve(graph, graph.topological_order() or [], Path(base_dir))

    def peek(self, key: str) -> Mapping[str, Any] | None:
        """The outputs the memory cache holds under ``key``, if any; never reads the disk."""
        return self.memory.get(key)

    def seed(self, key: str, outputs: Mapping[str, Any]) -> None:
        """Store ``outputs`` under ``key`` in the memory cache, as if the node had run.
        Outputs holding NaN or infinity are not stored: the node then runs when asked, and
        fails with the sentence that says so."""
        try:
            check_finite(outputs)
        except NodeError:
            return
        self.memory.put(key, _freeze(outputs))

    def _resolve(
        self, graph: Graph, order: list[str], base_dir: Path
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        params: dict[str, dict[str, Any]] = {}
        keys: dict[str, str] = {}
        for node_id in order:
            node_type = graph.node_type(node_id)
            checked = node_type.normalised_params(graph.node(node_id).params)
            resolved = resolve_paths(node_type, checked, base_dir)
            links = graph.input_links(node_id).items()
            input_keys = {port: f"{keys[link.src]}:{link.src_port}" for port, link in links}
            if node_type.sees_sources:
                input_keys.update({f"{port}@source": link.src for port, link in links})
            params[node_id] = resolved
            keys[node_id] = node_key(node_type, resolved, input_keys, self.digests)
        return params, keys

    def _plan(
        self,
        graph: Graph,
        order: list[str],
        targets: list[str],
        keys: dict[str, str],
        results: dict[str, Mapping[str, Any]],
        report: RunReport,
    ) -> set[str]:
        """Walk back from the targets: a cached node ends the walk, the rest must run."""
        required = set(targets)
        to_run: set[str] = set()
        for node_id in reversed(order):
            if node_id not in required:
                continue
            node_type = graph.node_type(node_id)
            cached = None if node_type.side_effect else self._lookup(node_type, keys[node_id])
            if cached is not None:
                outputs, where = cached
                results[node_id] = outputs
                report.nodes[node_id] = NodeReport(
                    node_id, node_type.type_id, Status.CACHED, cache=where
                )
                continue
            to_run.add(node_id)
            required.update(link.src for link in graph.input_links(node_id).values())
        return to_run

    def _lookup(self, node_type: NodeType, key: str) -> tuple[Mapping[str, Any], str] | None:
        outputs = self.memory.get(key)
        if outputs is not None:
            return outputs, "memory"
        if self.disk is not None and node_type.persistent_cache:
            outputs = self.disk.get(key)
            if outputs is not None:
                try:
                    check_outputs(node_type, outputs)
                except Exception as exc:  # an entry that decodes but is not this node's
                    self.disk.discard(key, f"it does not fit {node_type.type_id}: {exc}")
                    return None
                outputs = _freeze(outputs)
                self.memory.put(key, outputs)
                return outputs, "disk"
        return None

    def _run_node(
        self,
        graph: Graph,
        node_id: str,
        params: dict[str, Any],
        key: str,
        results: dict[str, Mapping[str, Any]],
        report: RunReport,
        output_dir: Path,
        cancel: CancelToken,
        on_event: EventCallback | None,
        recipe: str | None,
    ) -> NodeReport:
        node_type = graph.node_type(node_id)
        type_id = node_type.type_id
        inputs: dict[str, Any] = {}
        for port, link in graph.input_links(node_id).items():
            if link.src not in results:
                upstream = report.nodes[link.src]
                return NodeReport(
                    node_id,
                    type_id,
                    Status.SKIPPED,
                    error=f"input {port!r} is missing: node {link.src!r} "
                    f"{_WHY_MISSING[upstream.status]}",
                )
            inputs[port] = results[link.src][link.src_port]

        def progress(nid: str, fraction: float) -> None:
            if on_event is not None:
                on_event(Event("progress", nid, fraction))

        ctx = NodeContext(node_id, output_dir, cancel, progress, recipe)
        if node_type.sees_sources:
            ctx.sources = {port: link.src for port, link in graph.input_links(node_id).items()}
        if on_event is not None:
            on_event(Event("start", node_id))
        started = time.perf_counter()
        try:
            outputs = node_type.run(ctx, inputs, params)
            check_outputs(node_type, outputs)
            check_finite(outputs)
        except Cancelled:
            return NodeReport(node_id, type_id, Status.CANCELLED, time.perf_counter() - started)
        except NodeError as exc:
            return NodeReport(
                node_id,
                type_id,
                Status.FAILED,
                time.perf_counter() - started,
                error=f"node {node_id!r} ({type_id}): {exc}",
                warnings=ctx.warnings,
            )
        except Exception as exc:
            return NodeReport(
                node_id,
                type_id,
                Status.FAILED,
                time.perf_counter() - started,
                error=f"node {node_id!r} ({type_id}) failed unexpectedly: {error_sentence(exc)}",
                traceback=traceback.format_exc(),
                out_of_memory=is_out_of_memory(exc),
                warnings=ctx.warnings,
            )
        seconds = time.perf_counter() - started
        outputs = _freeze(outputs)
        results[node_id] = outputs
        if not node_type.side_effect:
            self.memory.put(key, outputs)
            if self.disk is not None and node_type.persistent_cache:
                self.disk.put(key, outputs)
        return NodeReport(node_id, type_id, Status.RAN, seconds, warnings=ctx.warnings)


_WHY_MISSING = {
    Status.FAILED: "failed",
    Status.SKIPPED: "was skipped",
    Status.CANCELLED: "was cancelled",
}


def _freeze(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Cached arrays are shared between nodes and runs; make them read-only so that a node
    that writes into its input fails loudly instead of corrupting the cache."""
    frozen = dict(outputs)
    for value in frozen.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        elif isinstance(value, LayerStack):
            value.freeze()
    return frozen


def error_sentence(exc: BaseException) -> str:
    """What went wrong, for a user: the message, never the exception's class name (the
    traceback, kept in the report, has that for ``--debug``)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror.lower()}{where}"
    text = str(exc).strip()
    return text or "an internal error with no message (run with --debug for the details)"


def _irregular_files(graph: Graph, params: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """Input files that are folders, devices, pipes or sockets, refused before any node
    opens or hashes them."""
    problems = []
    for node_id, values in params.items():
        node_type = graph.node_type(node_id)
        for param in node_type.params:
            for _, path in paths_in(param.type, values.get(param.name)):
                why = not_a_regular_file(path)
                if why:
                    where = f"param {param.name!r}"
                    problems.append(Problem(node_id, node_type.type_id, where, why))
    return problems


def _not_finite(value: np.ndarray) -> int:
    """How many NaN or infinite values a float array holds. The array's sum is finite when
    every value is (one fast pass, no temporary array); only when it is not, which huge but
    finite values can also cause, are the values counted one by one."""
    if value.dtype.kind != "f" or math.isfinite(float(np.sum(value))):
        return 0
    return int(value.size - np.count_nonzero(np.isfinite(value)))


def check_finite(outputs: Mapping[str, Any]) -> None:
    """No NaN or infinity leaves a node: such a pixel saves as black (or garbage) with no
    error, so the node that made it fails instead, saying which output and how much."""
    for name, value in outputs.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise NodeError(f"output {name!r} is {value}, not a finite number")
        arrays = value.arrays() if isinstance(value, LayerStack) else [value]
        for array in arrays:
            if not isinstance(array, np.ndarray):
                continue
            bad = _not_finite(array)
            if bad:
                raise NodeError(
                    f"output {name!r} has {bad:,} of {array.size:,} values that are NaN or "
                    "infinite (its params or inputs took the computation out of range), "
                    "so nothing downstream uses it"
                )


def check_outputs(node_type: NodeType, outputs: Mapping[str, Any]) -> None:
    """The image contract at node boundaries, checked cheaply (dtype and shape)."""
    for port in node_type.outputs:
        if port.name not in outputs:
            raise RuntimeError(f"output {port.name!r} was not produced")
        value = outputs[port.name]
        if port.type == PortType.IMAGE:
            ok = (
                isinstance(value, np.ndarray)
                and value.dtype == np.float32
                and value.ndim == 3
                and value.shape[2] in (3, 4)
            )
        elif port.type == PortType.MASK:
            ok = isinstance(value, np.ndarray) and value.dtype == np.float32 and value.ndim == 2
        elif port.type == PortType.NUMBER:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif port.type == PortType.LAYERS:
            ok = isinstance(value, LayerStack)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise RuntimeError(f"output {port.name!r} breaks the {port.type.value} contract")
