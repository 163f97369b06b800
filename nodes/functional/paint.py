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

Two more modes are hints for a quick selection rather than paint: *keep* strokes mark
what belongs to the selection and *remove* strokes what does not; they alone seed a cut
of the photo (``quick_selection.quick_select``), which then replaces ``base`` under the
paint and erase strokes, so two rough strokes give a mask that follows the photo's edges.

Strokes are anchored to the image (points are fractions of its width and height) or to
a region found on each photo (``ANCHORS``: subject, person, face, sky, background; points
are fractions of the region's bounding box, and ``anchors`` clips their paint to the
region), so a face patch painted on one portrait lands on the face of the next and paint
meant for the sky on the next sky; ``to_image_point`` and ``to_subject_point`` convert
between the image and a box. ``photo_hash`` names the photo strokes were painted on, so
a run can tell when image-anchored strokes meet another photo.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

PAINT_MODES = ("paint", "erase")
HINT_MODES = ("keep", "remove")
MODES = PAINT_MODES + HINT_MODES
ANCHORS = ("image", "subject", "person", "face", "sky", "background")

Box = tuple[float, float, float, float]  # x, y, w, h as fractions of the image


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
    strokes: Sequence[dict[str, Any]],
    height: int,
    width: int,
    base: float = 0.0,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """The mask (float32 H x W, 0..1) that the paint and erase ``strokes`` paint over a
    mask filled with ``base``, or over ``start`` (H x W) when given. Keep and remove
    strokes are hints (``hint_masks``) and paint nothing here."""
    if start is None:
        mask = np.full((height, width), float(base), np.float32)
    else:
        mask = np.array(start, np.float32)
    for stroke in strokes:
        if stroke["mode"] in HINT_MODES:
            continue
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


def hint_masks(
    strokes: Sequence[dict[str, Any]], height: int, width: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The keep and remove hints (float32 H x W, 0..1: the strokes' coverage times their
    opacity, each mode painted as paint strokes are), or None when there are none."""
    keep = [dict(s, mode="paint") for s in strokes if s["mode"] == "keep"]
    remove = [dict(s, mode="paint") for s in strokes if s["mode"] == "remove"]
    if not keep and not remove:
        return None
    return render_strokes(keep, height, width), render_strokes(remove, height, width)


def to_image_point(point: Sequence[float], box: Box) -> list[float]:
    """A point in fractions of a region's box ``(x, y, w, h)`` (the subject's, the
    sky's...) as fractions of the image."""
    return [box[0] + point[0] * box[2], box[1] + point[1] * box[3]]


def to_subject_point(point: Sequence[float], box: Box) -> list[float]:
    """A point in fractions of the image as fractions of the subject's box ``(x, y, w,
    h)``; the inverse of ``to_image_point``."""
    return [
        (point[0] - box[0]) / max(box[2], 1e-9),
        (point[1] - box[1]) / max(box[3], 1e-9),
    ]


def strokes_to_image(strokes: Sequence[dict[str, Any]], box: Box) -> list[dict[str, Any]]:
    """Region-anchored strokes with their points in image fractions. Sizes stay
    fractions of the image's longest side in both anchors."""
    return [dict(s, points=[to_image_point(p, box) for p in s["points"]]) for s in strokes]


def photo_hash(image: np.ndarray) -> str:
    """A short content hash of a photo (float32 H x W x C, 0..1): its size and its
    colours rounded to 8 bits, so a photo read from an 8-bit file keeps its hash through
    float rounding on the way. Alpha is left out. The editor keeps it with strokes
    (``painted_on``) to tell, later, whether a run paints on the same photo."""
    rgb = np.clip(np.asarray(image, np.float32)[..., :3] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    digest = hashlib.sha256(f"{rgb.shape[0]}x{rgb.shape[1]}:".encode())
    digest.update(np.ascontiguousarray(rgb).tobytes())
    return f"sha256:{digest.hexdigest()[:32]}"
