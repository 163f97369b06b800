"""Draws the hand-placed reference subject masks: each JSON here holds polygons in px of
one shared photo, placed by eye over zoomed crops of it; this fills them with the
project's polygon renderer and writes a 1-bit PNG beside the JSON.

Run: python tests/data/masks/draw.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from stylegraph.nodes.functional.masks import shape

HERE = Path(__file__).resolve().parent


def draw(source: Path) -> np.ndarray:
    """The reference mask (bool H x W) that ``source``'s polygons fill: "add" polygons
    union, "cut" polygons then take away."""
    data = json.loads(source.read_text())
    width, height = data["size"]
    mask = np.zeros((height, width), bool)
    for polygon in data["polygons"]:
        points = [[x / width, y / height] for x, y in polygon["points"]]
        filled = shape(height, width, "polygon", points=points) >= 0.5
        mask = mask | filled if polygon["mode"] == "add" else mask & ~filled
    return mask


def main() -> None:
    for source in sorted(HERE.glob("*.json")):
        Image.fromarray(draw(source)).convert("1").save(source.with_suffix(".png"), optimize=True)


if __name__ == "__main__":
    main()
