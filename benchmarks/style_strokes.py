"""Does stroke_scale make the fast engine's output read more like the painting?

For every content x style pair of the shared images, the output at 768 px is embedded with
the style predictor, as is the painting, and the distance between the two style vectors is
printed per stroke_scale: it should fall as the strokes grow. Prints JSON.
Run: python -m benchmarks.style_strokes
"""

from __future__ import annotations

import json
import statistics

import numpy as np
import torch

from benchmarks.common import IMAGES, machine
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.models import fast_style
from stylegraph.nodes.models.device import denormals_flushed

SCALES = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
OUTPUT = 768


def main() -> None:
    cpu = torch.device("cpu")
    contents = sorted(p for p in (IMAGES / "content").iterdir() if p.suffix in (".png", ".jpg"))
    styles = sorted(p for p in (IMAGES / "styles").iterdir() if p.suffix in (".png", ".jpg"))
    table: dict = {}
    for style_path in styles:
        style = read_image(style_path)[..., :3]
        target = fast_style.style_vectors([style], 256, cpu)[0]
        for content_path in contents:
            photo = read_image(content_path)[..., :3]
            row = {}
            for scale in SCALES:
                out = fast_style.stylize(
                    photo, [style], cpu, output_size=OUTPUT, stroke_scale=scale
                )
                vector = fast_style.style_vectors([out], 256, cpu)[0]
                row[f"x{scale:g}"] = round(float((vector - target).norm()), 2)
            table[f"{content_path.stem} / {style_path.stem}"] = row
    falling = sum(row["x1"] > row[f"x{SCALES[-1]:g}"] for row in table.values())
    print(
        json.dumps(
            {
                "benchmark": "style vector distance to the painting by stroke_scale",
                "output_px": OUTPUT,
                "pairs": table,
                "median": {
                    f"x{s:g}": statistics.median(r[f"x{s:g}"] for r in table.values())
                    for s in SCALES
                },
                "pairs_closer_at_largest_scale": f"{falling}/{len(table)}",
                "machine": machine(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    np.seterr(all="ignore")
    with denormals_flushed():  # as the Style Transfer node runs
        main()
