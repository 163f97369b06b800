"""Fuzz the preset loader and the nodes with mutated shipped presets and random JSON.

    python -m benchmarks.fuzz [--examples 10000] [--runs 300]

Prints JSON: how many examples of each kind were tried and how each ended. Every outcome
counted is an allowed one (refused with a PresetError, validation problems, loaded; a node
failing with a NodeError); anything else stops the script with the failing example, which
hypothesis prints.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from PIL import Image

from stylegraph.nodes import default_registry
from tests.preset_fuzz import RANDOM_JSON, load_outcome, mutated_preset, run_outcome

# Presets whose graphs stay small on a tiny photo; fusion-print and the upscaling ones
# enlarge 8x and more, which makes each example take minutes.
RUNNABLE = ("facet-base", "quick-stylize", "fusion")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    registry = default_registry()
    folder = Path(tempfile.mkdtemp(prefix="stylegraph-fuzz-"))
    rng = np.random.default_rng(0)
    files = {"content": str(folder / "photo.png"), "style": str(folder / "painting.png")}
    Image.fromarray(rng.integers(0, 256, (12, 20, 3), dtype=np.uint8)).save(files["content"])
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(files["style"])
    loads: Counter = Counter()
    randoms: Counter = Counter()
    runs: Counter = Counter()
    quiet = {"deadline": None, "suppress_health_check": list(HealthCheck), "database": None}

    @settings(max_examples=args.examples, **quiet)
    @given(data=mutated_preset())
    def mutated(data):
        loads[load_outcome(data, registry, folder)[0]] += 1

    @settings(max_examples=args.examples // 4, **quiet)
    @given(data=RANDOM_JSON)
    def random_json(data):
        randoms[load_outcome(data, registry, folder)[0]] += 1

    @settings(max_examples=args.runs, **quiet)
    @given(data=mutated_preset(numbers=False, kinds=("in range",), names=RUNNABLE))
    def run(data):
        _, preset = load_outcome(data, registry, folder)
        if preset is None:
            runs["refused"] += 1
            return
        gatys = any(
            n.type_id == "style.transfer" and n.params.get("engine") == "gatys"
            for n in preset.graph.nodes()
        )
        if gatys:
            runs["skipped (gatys)"] += 1
            return
        runs["graphs run"] += 1
        runs.update(run_outcome(preset, files, folder / "out"))

    started = time.perf_counter()
    mutated()
    random_json()
    run()
    print(
        json.dumps(
            {
                "mutated presets": dict(loads),
                "random JSON": dict(randoms),
                "runs on small images": dict(runs),
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
