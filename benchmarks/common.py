"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import platform
import resource
import sys
from pathlib import Path
from typing import Any

from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import check_outputs
from stylegraph.graph.registry import Registry

IMAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "images"


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu_count": os.cpu_count(),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_node(
    registry: Registry,
    type_id: str,
    inputs: dict,
    params: dict | None = None,
    output_dir: Path = Path("."),
) -> tuple[dict, list[str]]:
    """Run one node type directly, as the engine would, and check its outputs."""
    node_type = registry.get(type_id)
    values = node_type.default_params()
    values.update(params or {})
    ctx = NodeContext(type_id, output_dir)
    outputs = node_type.run(ctx, inputs, values)
    check_outputs(node_type, outputs)
    return outputs, ctx.warnings
