"""Packing and opening a pack that holds a model-sized file. Prints JSON.

What a receiver pays for the safety checks: opening decompresses, counts and hashes every
byte before it lands. Run: python -m benchmarks.pack
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from stylegraph.graph.preset import preset_from_dict
from stylegraph.jobs.pack import open_pack, unpack, write_pack
from stylegraph.nodes import default_registry

WEIGHTS_MB = 256
REPEATS = 3


def _preset(folder: Path):
    weights = folder / "big-model.safetensors"
    weights.write_bytes(os.urandom(WEIGHTS_MB << 20))
    data = {
        "format": "stylegraph.preset",
        "version": 1,
        "nodes": {
            "up": {
                "type": "image.upscale",
                "params": {"model": "model-file", "model_file": str(weights)},
            }
        },
    }
    return preset_from_dict(data, default_registry(), folder)


def main() -> None:
    registry = default_registry()
    times: dict[str, list[float]] = {"write_pack": [], "open_pack": [], "unpack": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        preset = _preset(folder)
        for i in range(REPEATS):
            pack = folder / f"p{i}.sgpack"
            start = time.perf_counter()
            write_pack(preset, pack)
            times["write_pack"].append(time.perf_counter() - start)
            start = time.perf_counter()
            open_pack(pack, registry, folder / "work")
            times["open_pack"].append(time.perf_counter() - start)
            start = time.perf_counter()
            unpack(pack, folder / f"unpacked{i}")
            times["unpack"].append(time.perf_counter() - start)
            pack.unlink()
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        json.dumps(
            {
                "machine": platform.machine(),
                "python": platform.python_version(),
                "file_mb": WEIGHTS_MB,
                "median_seconds": {k: round(v, 3) for k, v in medians.items()},
                "mb_per_second": {k: round(WEIGHTS_MB / v, 1) for k, v in medians.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
