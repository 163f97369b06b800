"""Hand-traced references (tests/data: masks, objects, skies, people) read as masks, and
how a found mask is scored against one: shared by the mask tests and the mask benchmarks
(benchmarks/masks.py, benchmarks/masks_scenes.py), which measure the same nodes on the
same traces."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from stylegraph.nodes.functional.masks import shape

DATA = Path(__file__).resolve().parent / "data"


def polygons(data: dict, key: str) -> np.ndarray:
    """The union of the reference's ``key`` polygons (bool H x W), less ``key_cut``."""
    width, height = data["size"]
    found = data.get("polygons", {})
    if isinstance(found, list):  # tests/data/masks format: one subject
        adds = [p["points"] for p in found if p["mode"] == "add"]
        cuts = [p["points"] for p in found if p["mode"] != "add"]
    else:
        adds, cuts = found.get(key, []), found.get(f"{key}_cut", [])
    mask = np.zeros((height, width), bool)
    for points, add in [(p, True) for p in adds] + [(p, False) for p in cuts]:
        scaled = [[x / width, y / height] for x, y in points]
        filled = shape(height, width, "polygon", points=scaled) >= 0.5
        mask = mask | filled if add else mask & ~filled
    return mask


def reference(source: Path, key: str) -> tuple[np.ndarray, np.ndarray]:
    """The traced mask (bool H x W) and the pixels it leaves out of the measure."""
    data = json.loads(source.read_text())
    png = source.with_suffix(".png")
    if isinstance(data.get("polygons"), list) and png.is_file():
        truth = np.array(Image.open(png)).astype(bool)
    else:
        truth = polygons(data, key)
    if "person_reference" in data:
        truth &= ~polygons(json.loads((DATA / data["person_reference"]).read_text()), "person")
    width, height = data["size"]
    ignore = np.zeros((height, width), bool)
    if isinstance(data.get("polygons"), dict) and f"{key}_ignore" in data["polygons"]:
        ignore = polygons({**data, "polygons": {key: data["polygons"][f"{key}_ignore"]}}, key)
    return truth, ignore


def irises(data: dict) -> np.ndarray:
    """The traced iris circles, cut by the traced lids (bool H x W)."""
    width, height = data["size"]
    circles = np.zeros((height, width), bool)
    for circle in data["polygons"]["irises"]:
        (x, y), r = circle["centre"], circle["radius"]
        box = ((x - r) / width, (y - r) / height, 2 * r / width, 2 * r / height)
        circles |= shape(height, width, "ellipse", box=box) >= 0.5
    return circles & polygons(data, "eyes")


def iou(mask: np.ndarray, truth: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """Intersection over union of ``mask`` (0.5 and above) and ``truth``, outside
    ``ignore``; 1.0 when both are empty there."""
    found = mask >= 0.5
    if ignore is not None:
        found, truth = found[~ignore], truth[~ignore]
    union = (found | truth).sum()
    return 1.0 if union == 0 else float((found & truth).sum() / union)


def outline_distance(mask: np.ndarray, truth: np.ndarray) -> float:
    """The mean distance (px) between the two masks' outlines, both ways."""

    def outline(region: np.ndarray) -> np.ndarray:
        region = region.astype(np.uint8)
        return region - cv2.erode(region, np.ones((3, 3), np.uint8)) > 0

    a, b = outline(mask), outline(truth)
    if not a.any() or not b.any():
        return float("inf")
    to_a = cv2.distanceTransform((~a).astype(np.uint8), cv2.DIST_L2, 5)
    to_b = cv2.distanceTransform((~b).astype(np.uint8), cv2.DIST_L2, 5)
    return round(float((to_b[a].mean() + to_a[b].mean()) / 2), 2)
