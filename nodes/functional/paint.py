"""Masks painted by hand: strokes of a soft round brush, rendered at any size.

A stroke is a polyline in normalised coordinates (x a fraction of the width, y of the
height) with a brush ``size`` given as a fraction of the image's longest side, so the
recipe paints the same shapes on a photo of any size. Within one stroke the brush does not
build up where it passes twice (as Photoshop's brush at full flow): its coverage is the
brush profile at the distance to the stroke's path, which is what stamps spaced
infinitely close would give. Strokes then composite one over the other with their opacity:

- paint: ``m = m + (1 - m) * a * opacity``
- erase: ``m = m * (1 - a * opacity)``

where ``a`` is the stroke's coverage. All values 0..1, float32.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

MODES = ("paint", "erase")


def brush_profile(distance: np.ndarray, radius: float, hardness: float) -> np.ndarray:
    """Coverage 0..1 at ``distance`` px from the brush centre: 1 out to the hard core,
    then a cosine fall to 0 at ``radius``. Hardness 1 keeps a 1 px anti-aliased rim."""
    rim = max((1.0 - hardness) * radius, 1.0)
    core = radius - rim
    t = np.clip((distance - core) / rim, 0.0, 1.0)
    return (0.5 * (1.0 + np.cos(np.pi * t))).astype(np.float32)


def distance_to_path(points: np.ndarray, reach: float, height: int, width: int) -> np.ndarray:
    """Distance (px) from each pixel centre to the polyline through ``points`` (N x 2, px),
    worked out only within ``reach`` of each segment (inf beyond), so a stroke costs the
    area it covers, not the area of the picture. Squared distances are kept while the
    segments are visited, in two scratch arrays per segment, and rooted once at the end:
    a long stroke with a big brush visits every pixel of its area hundreds of times."""
    best = np.full((height, width), np.inf, np.float32)
    if len(points) == 1:
        points = np.vstack([points, points])
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        left = max(int(np.floor(min(x0, x1) - reach)), 0)
        right = min(int(np.ceil(max(x0, x1) + reach)) + 1, width)
        top = max(int(np.floor(min(y0, y1) - reach)), 0)
        bottom = min(int(np.ceil(max(y0, y1) + reach)) + 1, height)
        if left >= right or top >= bottom:
            continue
        px = np.arange(left, right, dtype=np.float32) + np.float32(0.5 - x0)  # x - x0
        py = np.arange(top, bottom, dtype=np.float32)[:, None] + np.float32(0.5 - y0)
        dx, dy = np.float32(x1 - x0), np.float32(y1 - y0)
        length2 = dx * dx + dy * dy
        if length2 > 0:  # t: where the nearest point of the segment lies, 0..1 along it
            t = np.add(py * (dy / length2), px * (dx / length2))
            np.clip(t, 0, 1, out=t)
        else:
            t = np.zeros((bottom - top, right - left), np.float32)
        gap_y = np.subtract(py, np.multiply(t, dy))
        np.multiply(gap_y, gap_y, out=gap_y)
        np.multiply(t, dx, out=t)
        np.subtract(px, t, out=t)  # now the gap in x
        np.multiply(t, t, out=t)
        np.add(t, gap_y, out=t)
        box = best[top:bottom, left:right]
        np.minimum(box, t, out=box)
    return np.sqrt(best, out=best)


def stroke_coverage(
    stroke: dict[str, Any], height: int, width: int
) -> tuple[np.ndarray, tuple[slice, slice]] | None:
    """The stroke's coverage inside its bounding box, and that box; None if it misses
    the image."""
    radius = float(stroke["size"]) * max(height, width) / 2.0
    points = np.asarray(stroke["points"], np.float64) * (width, height)
    x0 = max(int(np.floor(points[:, 0].min() - radius)) - 1, 0)
    x1 = min(int(np.ceil(points[:, 0].max() + radius)) + 1, width)
    y0 = max(int(np.floor(points[:, 1].min() - radius)) - 1, 0)
    y1 = min(int(np.ceil(points[:, 1].max() + radius)) + 1, height)
    if x0 >= x1 or y0 >= y1:
        return None
    local = (points - (x0, y0)).astype(np.float32)
    distance = distance_to_path(local, radius + 1.0, y1 - y0, x1 - x0)
    coverage = brush_profile(distance, radius, float(stroke["hardness"]))
    return coverage, (slice(y0, y1), slice(x0, x1))


def render_strokes(
    strokes: Sequence[dict[str, Any]], height: int, width: int, base: float = 0.0
) -> np.ndarray:
    """The mask (float32 H x W, 0..1) that ``strokes`` paint over a mask filled with
    ``base``."""
    mask = np.full((height, width), float(base), np.float32)
    for stroke in strokes:
        found = stroke_coverage(stroke, height, width)
        if found is None:
            continue
        coverage, box = found
        amount = coverage * np.float32(stroke["opacity"])
        region = mask[box]
        if stroke["mode"] == "erase":
            mask[box] = region * (1.0 - amount)
        else:
            mask[box] = region + (1.0 - region) * amount
    return np.clip(mask, 0.0, 1.0)
