"""Engine overhead on a 500-node synthetic graph of cheap nodes. Prints JSON.

Targets: a fully cached re-run under 50 ms; under 2 ms of engine overhead per node when
everything runs. Also reports how many nodes re-run after one param change.
Run: python -m benchmarks.engine
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import time

from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType

NODES = 500


def _add(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    return {"value": inputs.get("a", 0.0) + inputs.get("b", 0.0) + params["bias"]}


def bench_registry() -> Registry:
    number = PortType.NUMBER
    return Registry(
        [
            NodeType(
                "bench.add",
                "Add",
                "bench",
                "",
                _add,
                inputs=(Port("a", number, optional=True), Port("b", number, optional=True)),
                outputs=(Port("value", number),),
                params=(Param("bias", ParamType.FLOAT, 1.0),),
            ),
        ]
    )


def build_graph(nodes: int = NODES, seed: int = 0) -> Graph:
    """Each node takes up to two links from earlier nodes: a wide, deep DAG."""
    rng = random.Random(seed)
    graph = Graph(bench_registry())
    for i in range(nodes):
        graph.add_node("bench.add", f"n{i}", {"bias": float(i % 7)})
        for port in ("a", "b"):
            if i > 0 and rng.random() < 0.8:
                graph.connect(f"n{rng.randrange(max(0, i - 20), i)}", "value", f"n{i}", port)
    return graph


def _timed(engine: Engine, graph: Graph):
    start = time.perf_counter()
    report = engine.run(graph)
    return time.perf_counter() - start, report


def main() -> None:
    graph = build_graph()
    cold, cached, changed_runs, changed_times = [], [], [], []
    for _ in range(5):
        engine = Engine()
        seconds, report = _timed(engine, graph)
        node_seconds = sum(r.seconds for r in report.nodes.values())
        cold.append((seconds, seconds - node_seconds, len(report.with_status(Status.RAN))))
        cached.append(_timed(engine, graph)[0])
        middle = f"n{NODES // 2}"
        graph.set_param(middle, "bias", graph.node(middle).params["bias"] + 100.0)
        seconds, report = _timed(engine, graph)
        changed_times.append(seconds)
        changed_runs.append(len(report.with_status(Status.RAN)))
    cold_total = statistics.median(c[0] for c in cold)
    overhead = statistics.median(c[1] for c in cold)
    result = {
        "benchmark": "engine",
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "nodes": NODES,
        "links": len(graph.links()),
        "cold_run_s": round(cold_total, 4),
        "cold_nodes_ran": cold[0][2],
        "engine_overhead_per_node_ms": round(overhead / NODES * 1000, 4),
        "fully_cached_rerun_ms": round(statistics.median(cached) * 1000, 3),
        "one_param_change_nodes_rerun": changed_runs[0],
        "one_param_change_rerun_ms": round(statistics.median(changed_times) * 1000, 3),
        "targets": {"fully_cached_rerun_ms": 50, "engine_overhead_per_node_ms": 2},
    }
    result["targets_met"] = (
        result["fully_cached_rerun_ms"] < 50 and result["engine_overhead_per_node_ms"] < 2
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
