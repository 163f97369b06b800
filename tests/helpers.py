"""Helpers shared by the tests (and used by the benchmarks, which measure the same nodes on
the same data): run one node type directly, as the engine would."""

from __future__ import annotations

from pathlib import Path

from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import check_outputs
from stylegraph.graph.registry import Registry


def run_node(
    registry: Registry,
    type_id: str,
    inputs: dict,
    params: dict | None = None,
    output_dir: Path = Path("."),
) -> tuple[dict, list[str]]:
    """Run one node type with its defaults and ``params``, as the engine would, and check
    its outputs; returns the outputs and the warnings."""
    node_type = registry.get(type_id)
    values = node_type.default_params()
    values.update(params or {})
    ctx = NodeContext(type_id, output_dir)
    outputs = node_type.run(ctx, inputs, values)
    check_outputs(node_type, outputs)
    return outputs, ctx.warnings
