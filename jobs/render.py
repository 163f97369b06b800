"""Batch sweeps, rendering here: items rendered through one engine so shared upstream work
runs once, batchable nodes (fast style transfer) computed for many items in one call,
out-of-memory failures retried on smaller tiles, and outputs handed back as encoded bytes so
that the driver writes them atomically under ``--out``. ``render_here`` runs the planned
groups on this machine's threads; ``cluster.render_on_ray`` sends the same chunks to Ray."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stylegraph.graph.context import CancelToken, NodeContext, NodeError
from stylegraph.graph.engine import Engine, Event, Status, check_outputs
from stylegraph.graph.preset import Preset
from stylegraph.graph.recipe import files_of
from stylegraph.jobs.items import PreparedItem
from stylegraph.jobs.plan import BATCH_SIZE
from stylegraph.jobs.write import Staging

SMALLER_TILES = (512, 256, 128)  # tile sizes an out-of-memory item is retried with

NodeCallback = Callable[[str, str], None]  # item name, "node (type)"


@dataclass
class Rendered:
    """One item's result as a worker sends it back: files relative to ``--out``."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    recipe: str = ""
    nodes: dict[str, str] = field(default_factory=dict)  # node id -> ran / cached / failed
    out_of_memory: bool = False  # a node failed for want of memory


@dataclass
class BatchStats:
    """What ran, for the summary and the tests: node runs by node id, batched passes."""

    node_runs: Counter = field(default_factory=Counter)
    batched_calls: int = 0
    batched_items: int = 0

    def merge(self, other: BatchStats) -> None:
        self.node_runs.update(other.node_runs)
        self.batched_calls += other.batched_calls
        self.batched_items += other.batched_items


def shrink_tiles(preset: Preset) -> bool:
    """Render every tiled node on smaller tiles; False when none can shrink further."""
    changed = False
    for node in preset.graph.nodes():
        if preset.graph.node_type(node.id).param("tile_size") is None:
            continue
        current = node.params["tile_size"]
        smaller = [t for t in SMALLER_TILES if current == 0 or t < current]
        if smaller:
            preset.graph.set_param(node.id, "tile_size", smaller[0])
            changed = True
    return changed


class Renderer:
    """Renders prepared items through one engine; a worker process or thread has one."""

    def __init__(
        self,
        engine: Engine,
        make_recipe: Callable[[Preset], str],
        on_node: NodeCallback | None = None,
        cancel: CancelToken | None = None,
        staging: Path | None = None,
    ) -> None:
        """``staging``: the folder to stage files in (the output folder; None: the system
        temp folder, as on a Ray worker)."""
        self.engine = engine
        self.make_recipe = make_recipe
        self.on_node = on_node
        self.cancel = cancel or CancelToken()
        self.stats = BatchStats()
        self._staging = Staging(staging)
        self._tmp = self._staging.path

    def close(self) -> None:
        self._staging.close()

    def render_chunk(self, chunk: list[PreparedItem]) -> Iterator[Rendered]:
        """Items that share a batchable node's inputs: that node for all of them in one
        call, then each item through the engine, which finds it in the memory cache."""
        self._seed_batched(chunk)
        for entry in chunk:
            if self.cancel.cancelled:
                return
            yield self.render_one(entry)

    def render_one(self, entry: PreparedItem) -> Rendered:
        started = time.perf_counter()
        rendered = self._attempt(entry)
        while rendered.out_of_memory and shrink_tiles(entry.preset):
            entry.recipe = self.make_recipe(entry.preset)
            rendered = self._attempt(entry)
        rendered.seconds = time.perf_counter() - started
        return rendered

    def _attempt(self, entry: PreparedItem) -> Rendered:
        preset = entry.preset
        graph = preset.graph

        def on_event(event: Event) -> None:
            if event.kind == "start" and self.on_node is not None:
                type_id = graph.node(event.node_id).type_id
                self.on_node(entry.item.name, f"{event.node_id} ({type_id})")

        report = self.engine.run(
            graph,
            output_dir=self._tmp,
            base_dir=preset.base_dir,
            cancel=self.cancel,
            on_event=on_event,
            recipe=entry.recipe,
        )
        nodes = {n: r.status.value for n, r in report.nodes.items()}
        self.stats.node_runs.update(n for n, r in report.nodes.items() if r.status == Status.RAN)
        written = [
            Path(path)
            for node_id, outputs in report.outputs.items()
            for path in files_of(graph, node_id, outputs)
        ]
        files = {}
        for path in written:
            files[str(path.relative_to(self._tmp))] = path.read_bytes()
            path.unlink()
        errors = [r.error for r in report.nodes.values() if r.status == Status.FAILED]
        error = "; ".join(e for e in errors if e) or None
        if error is None and report.cancelled:
            error = "cancelled"
        out_of_memory = any(r.out_of_memory for r in report.nodes.values())
        return Rendered(
            entry.item.name,
            files,
            error,
            recipe=entry.recipe,
            nodes=nodes,
            out_of_memory=out_of_memory,
        )

    def _seed_batched(self, chunk: list[PreparedItem]) -> None:
        """For each batchable node, the items it has not been computed for yet, grouped by
        identical inputs and batch group, computed in one call per group and stored in the
        memory cache under the key the engine would compute for each item."""
        if len(chunk) < 2:
            return
        graph = chunk[0].preset.graph
        for node in list(graph.nodes()):
            batching = graph.node_type(node.id).batching
            if batching is None:
                continue
            groups: dict[tuple, list[tuple[PreparedItem, dict[str, Any], str]]] = {}
            for entry in chunk:
                if node.id not in entry.preset.graph:
                    continue
                params, keys = self.engine.keys(entry.preset.graph, entry.preset.base_dir)
                if self.engine.memory.get(keys[node.id]) is not None:
                    continue
                group = batching.group(params[node.id])
                if group is None:
                    continue
                links = entry.preset.graph.input_links(node.id)
                inputs_key = tuple(
                    sorted((p, keys[lk.src], lk.src_port) for p, lk in links.items())
                )
                groups.setdefault((inputs_key, group), []).append(
                    (entry, params[node.id], keys[node.id])
                )
            for members in groups.values():
                if len(members) > 1:
                    self._run_batched(node.id, members)

    def _run_batched(self, node_id: str, members: list[tuple[PreparedItem, dict, str]]) -> None:
        first = members[0][0].preset
        graph = first.graph
        links = graph.input_links(node_id)
        sources = sorted({link.src for link in links.values()})
        upstream = self.engine.run(
            graph, sources, output_dir=self._tmp, base_dir=first.base_dir, cancel=self.cancel
        )
        self.stats.node_runs.update(n for n, r in upstream.nodes.items() if r.status == Status.RAN)
        if not upstream.ok:
            return  # each item runs on its own and reports the failure
        inputs = {port: upstream.outputs[lk.src][lk.src_port] for port, lk in links.items()}
        node_type = graph.node_type(node_id)
        for start in range(0, len(members), BATCH_SIZE):
            part = members[start : start + BATCH_SIZE]
            ctx = NodeContext(node_id, self._tmp, self.cancel)
            try:
                results = node_type.batching.run(ctx, inputs, [params for _, params, _ in part])
            except (NodeError, MemoryError, RuntimeError):
                continue  # out of memory or a shared failure: items render one by one
            self.stats.batched_calls += 1
            for (_, _, key), outputs in zip(part, results, strict=True):
                if isinstance(outputs, dict):
                    check_outputs(node_type, outputs)
                    self.engine.seed(key, outputs)
                    self.stats.node_runs[node_id] += 1
                    self.stats.batched_items += 1


_DONE = object()  # a worker's last message


def render_here(
    groups: list[list[list[PreparedItem]]],
    make_engine: Callable[[], Engine],
    make_recipe: Callable[[Preset], str],
    stats: BatchStats,
    *,
    staging: Path,
    on_node: NodeCallback | None = None,
    jobs: int = 1,
    cancel: CancelToken | None = None,
) -> Iterator[Rendered]:
    """The planned groups (of chunks) rendered on this machine, each item yielded as it
    finishes. One engine per job; a group's items all go to one job, so its upstream work
    is computed once. ``stats`` gathers what ran."""
    cancel = cancel or CancelToken()
    todo = list(reversed(groups))
    lock = threading.Lock()

    def one_job() -> Iterator[Rendered]:
        renderer = Renderer(make_engine(), make_recipe, on_node, cancel, staging)
        try:
            while not cancel.cancelled:
                with lock:
                    if not todo:
                        break
                    group = todo.pop()
                for chunk in group:
                    yield from renderer.render_chunk(chunk)
        finally:
            renderer.close()
            with lock:
                stats.merge(renderer.stats)

    if jobs <= 1:
        yield from one_job()
        return
    results: queue.Queue = queue.Queue()

    def worker() -> None:
        try:
            for rendered in one_job():
                results.put(rendered)
        finally:
            results.put(_DONE)

    workers = min(jobs, len(groups))
    with ThreadPoolExecutor(max_workers=workers or 1) as pool:
        futures = [pool.submit(worker) for _ in range(workers)]
        try:
            finished = 0
            while finished < workers:
                try:
                    message = results.get(timeout=0.1)
                except queue.Empty:
                    continue
                if message is _DONE:
                    finished += 1
                else:
                    yield message
            for future in futures:
                future.result()  # a worker's exception, raised here
        except (KeyboardInterrupt, GeneratorExit):
            cancel.cancel()  # the jobs stop within one node step; written files are whole
            raise
