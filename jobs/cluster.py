"""Batch sweeps, rendering on Ray: the planned chunks as Ray tasks. Ray is imported only
here and only when ``--cluster`` is given. A task renders one chunk of one photo's items
through its own engine and sends back the encoded files; the driver writes them under
``--out``, so that folder need not be shared. Input files must be readable at the same
paths on every worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stylegraph.graph.preset import Preset, preset_to_dict
from stylegraph.jobs.items import BatchError, BatchItem, PreparedItem
from stylegraph.jobs.render import BatchStats, NodeCallback, Rendered

MAX_RETRIES = 3  # a lost worker's task runs again elsewhere
LOCAL_CPUS = 2
CPUS_PER_TASK = 2  # torch on a CPU worker uses this many threads (Ray sets OMP_NUM_THREADS)
GPU_TYPES = frozenset({"style.transfer", "style.sweep", "image.upscale"})


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BatchError(
            '--cluster needs Ray, which is not installed: pip install "stylegraph[cluster]"'
        ) from None
    return ray


def connect(address: str) -> Any:
    """``local``: a private Ray instance on this machine; ``auto``: the cluster this machine
    belongs to; otherwise an address such as ``ray://head:10001``."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    if address == "local":
        ray.init(num_cpus=LOCAL_CPUS, include_dashboard=False, log_to_driver=False)
    else:
        try:
            ray.init(address=address, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BatchError(f"--cluster {address}: cannot join the Ray cluster: {exc}") from None
    return ray


def _payload(entry: PreparedItem) -> dict[str, Any]:
    return {
        "name": entry.item.name,
        "values": {k: str(v) for k, v in entry.item.values.items()},
        "preset": preset_to_dict(entry.preset),
        "base_dir": str(entry.preset.base_dir),
        "recipe": entry.recipe,
        "outputs": [str(p) for p in entry.outputs],
    }


def render_task(
    payloads: list[dict[str, Any]], make_recipe: Callable[[Preset], str]
) -> tuple[list[Rendered], BatchStats]:
    """Runs on a worker: the chunk through a fresh engine (memory cache only)."""
    from stylegraph.graph.engine import Engine
    from stylegraph.graph.preset import preset_from_dict
    from stylegraph.jobs.render import Renderer
    from stylegraph.nodes import default_registry

    registry = default_registry()
    chunk = [
        PreparedItem(
            BatchItem(p["name"], {k: Path(v) for k, v in p["values"].items()}),
            preset_from_dict(p["preset"], registry, Path(p["base_dir"])),
            p["recipe"],
            [Path(o) for o in p["outputs"]],
        )
        for p in payloads
    ]
    renderer = Renderer(Engine(), make_recipe)
    try:
        return list(renderer.render_chunk(chunk)), renderer.stats
    finally:
        renderer.close()


def wants_gpu(prepared: list[PreparedItem]) -> bool:
    """Every item runs the same preset, so the first one says."""
    return bool(prepared) and any(
        node.type_id in GPU_TYPES for node in prepared[0].preset.graph.nodes()
    )


def render_on_ray(
    groups: list[list[list[PreparedItem]]],
    make_recipe: Callable[[Preset], str],
    address: str,
    stats: BatchStats,
    on_node: NodeCallback | None = None,
) -> Iterator[Rendered]:
    """The planned groups' chunks as Ray tasks, each item yielded as its task returns (a
    task that failed after its retries fails its items). ``stats`` gathers what ran."""
    pending = [entry for group in groups for chunk in group for entry in chunk]
    ray = connect(address)
    gpus = 1 if wants_gpu(pending) and ray.cluster_resources().get("GPU", 0) > 0 else 0
    cpus = 1 if gpus else CPUS_PER_TASK
    task = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=MAX_RETRIES)(render_task)
    recipe_ref = ray.put(make_recipe)
    waiting = {}
    for group in groups:
        for chunk in group:
            ref = task.remote([_payload(e) for e in chunk], recipe_ref)
            waiting[ref] = chunk
            for entry in chunk:
                if on_node is not None:
                    on_node(entry.item.name, "queued on the cluster")
    while waiting:
        ready, _ = ray.wait(list(waiting), num_returns=1)
        chunk = waiting.pop(ready[0])
        try:
            rendered, chunk_stats = ray.get(ready[0])
        except Exception as exc:  # the task failed after its retries: its items fail
            reason = f"the Ray task failed: {type(exc).__name__}: {exc}".splitlines()[0]
            rendered = [Rendered(e.item.name, error=reason) for e in chunk]
            chunk_stats = BatchStats()
        stats.merge(chunk_stats)
        yield from rendered
