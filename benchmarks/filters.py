"""Seconds per image node on a 2048x2048 photo on this machine's CPU. Prints JSON.

Target: every node under 1.5 s, except facet and dry brush, under 5 s.
Run: python -m benchmarks.filters
"""

from __future__ import annotations

import json
import time

import numpy as np

from benchmarks.common import IMAGES, machine, run_node
from stylegraph.graph.spec import PortType
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize

SIZE = 2048
SLOW_ALLOWED = {"filter.facet": 5.0, "filter.dry_brush": 5.0}
# File I/O is not filtering; Upscale has its own benchmark (benchmarks/upscale.py).
SKIP = {"image.load", "image.save", "mask.load", "image.upscale"}


def main() -> None:
    registry = default_registry()
    photo = resize(read_image(IMAGES / "content" / "tubingen.jpg"), SIZE, SIZE, "lanczos")
    style = resize(read_image(IMAGES / "styles" / "starry_night.jpg"), SIZE, SIZE, "lanczos")
    mask = np.ascontiguousarray(photo[..., 1])
    feeds = {PortType.IMAGE: [photo, style], PortType.MASK: [mask, 1.0 - mask]}
    results = {}
    for node_type in registry:
        if node_type.type_id in SKIP or node_type.category in ("neural",):
            continue
        inputs = {}
        counters = {PortType.IMAGE: 0, PortType.MASK: 0}
        for port in node_type.inputs:
            if port.type not in feeds or (port.optional and port.type == PortType.MASK):
                continue
            name = f"{port.name}1" if port.variadic else port.name
            inputs[name] = feeds[port.type][counters[port.type] % 2]
            counters[port.type] += 1
        params = (
            {"modes": ["soft-light"], "opacities": [0.7]}
            if "layer" in str(node_type.inputs)
            else {}
        )
        if node_type.type_id == "image.blend":
            params = {"mode": "soft-light"}
        times = []
        for _ in range(2):
            start = time.perf_counter()
            run_node(registry, node_type.type_id, inputs, params)
            times.append(time.perf_counter() - start)
        limit = SLOW_ALLOWED.get(node_type.type_id, 1.5)
        results[node_type.type_id] = {
            "seconds": round(min(times), 3),
            "target_s": limit,
            "met": min(times) < limit,
        }
    print(
        json.dumps(
            {
                "benchmark": "filters",
                "image": f"{SIZE}x{SIZE} RGB (tubingen.jpg resized)",
                "machine": machine(),
                "nodes": results,
                "all_targets_met": all(r["met"] for r in results.values()),
                "slowest": sorted(results, key=lambda k: -results[k]["seconds"])[:5],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
