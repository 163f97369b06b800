"""Subject mask and quick selection against hand-drawn reference masks. Prints JSON.

Targets: the subject mask's IoU with each reference at least 0.85, and a quick selection
from two hint strokes (one keep, one remove) at least 0.9; the subject mask well under a
second at 500 px on the CPU. References: tests/data/masks (polygons placed by eye over
each photo, see draw.py there).
Run: python -m benchmarks.masks
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import IMAGES, machine, run_node
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import fit_longest_side, resize

REFERENCES = Path(__file__).resolve().parent.parent / "tests" / "data" / "masks"
PHOTOS = {"astronaut": "astronaut.png", "chelsea": "chelsea.png", "coffee": "coffee.png"}
SIZES = (500, 2048)
SUBJECT_TARGET = 0.85
QUICK_TARGET = 0.9


def _stroke(points: list[list[float]], mode: str) -> dict:
    return {"points": points, "size": 0.04, "hardness": 0.5, "opacity": 1.0, "mode": mode}


# Two rough strokes per photo, as a painter would place them after a look at the subject
# mask: one keep stroke through the subject, one remove stroke over what it took wrongly.
HINTS = {
    "astronaut": [
        _stroke([[0.44, 0.1], [0.43, 0.5], [0.3, 0.85], [0.7, 0.85]], "keep"),
        _stroke([[0.76, 0.1], [0.78, 0.45], [0.85, 0.6], [0.99, 0.6]], "remove"),
    ],
    "chelsea": [
        _stroke([[0.3, 0.02], [0.7, 0.02], [0.5, 0.5], [0.2, 0.9]], "keep"),
        _stroke([[0.9, 0.1], [0.88, 0.9]], "remove"),
    ],
    "coffee": [
        _stroke([[0.35, 0.1], [0.68, 0.18], [0.6, 0.7]], "keep"),
        _stroke([[0.1, 0.75], [0.3, 0.97], [0.7, 0.99]], "remove"),
    ],
}


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    found = mask >= 0.5
    return round(float((found & truth).sum() / (found | truth).sum()), 4)


def _timed(registry, type_id: str, inputs: dict, params: dict) -> tuple[np.ndarray, float]:
    """The mask and the best of two runs' seconds."""
    times = []
    for _ in range(2):
        start = time.perf_counter()
        outputs, _ = run_node(registry, type_id, inputs, params)
        times.append(time.perf_counter() - start)
    return outputs["mask"], round(min(times), 3)


def main() -> None:
    registry = default_registry()
    results = {}
    for name, file in PHOTOS.items():
        photo = read_image(IMAGES / "content" / file)
        truth = np.array(Image.open(REFERENCES / f"{name}.png")).astype(bool)
        mask, seconds = _timed(registry, "mask.subject", {"image": photo}, {})
        quick, quick_seconds = _timed(
            registry, "mask.paint", {"image": photo}, {"strokes": HINTS[name]}
        )
        times = {}
        for size in SIZES:
            height, width = fit_longest_side(*photo.shape[:2], size)
            scaled = resize(photo, height, width, "lanczos")
            times[f"{size}px_s"] = _timed(registry, "mask.subject", {"image": scaled}, {})[1]
        subject_iou, quick_iou = iou(mask, truth), iou(quick, truth)
        results[name] = {
            "size": f"{photo.shape[1]}x{photo.shape[0]}",
            "subject_iou": subject_iou,
            "subject_met": subject_iou >= SUBJECT_TARGET,
            "subject_s": seconds,
            **{f"subject_{k}": v for k, v in times.items()},
            "quick_selection_iou": quick_iou,
            "quick_selection_met": quick_iou >= QUICK_TARGET,
            "quick_selection_s": quick_seconds,
        }
    print(
        json.dumps(
            {
                "benchmark": "masks",
                "targets": {"subject_iou": SUBJECT_TARGET, "quick_selection_iou": QUICK_TARGET},
                "machine": machine(),
                "photos": results,
                "all_targets_met": all(
                    r["subject_met"] and r["quick_selection_met"] for r in results.values()
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
