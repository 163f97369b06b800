"""Regions found on each photo, for painted strokes that mean the same thing on the next.

A painted mask's strokes may be anchored to the image (points are fractions of its width
and height: a place in the frame) or to a region found on the photo the recipe runs on:
``subject``, ``person``, ``face``, ``sky`` or ``background``. Anchored strokes are
stored in fractions of the region's bounding box and what they paint is clipped to
the region (times its soft mask), so "paint this into the sky" paints the sky of the
next photo, wherever its sky is, and never the sitter's hair below it.

``meaning`` names the region a set of image-anchored strokes lies in on the photo they
were painted on (most of their paint inside it), so the warning a run gives on another
photo can say which anchor would keep what they meant.

Ranges: image float32 H x W x 3/4 in 0..1; masks float32 H x W in 0..1; boxes
(x, y, w, h) in fractions of the image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from stylegraph.nodes.functional.faces import as_rgb, find_faces, parts_mask
from stylegraph.nodes.functional.paint import Box, render_strokes
from stylegraph.nodes.functional.sky import sky_mask
from stylegraph.nodes.functional.subject import person_mask, select_subject, subject_box

REGIONS = ("subject", "person", "face", "sky", "background")
MEANING_SHARE = 0.7  # share of the strokes' paint that must lie in a region to mean it


def region_mask(image: np.ndarray, region: str) -> np.ndarray | None:
    """The soft mask (float32 H x W, 0..1) of ``region`` on ``image``, or None where the
    photo has none (no face, no sky). subject: Subject Mask's answer (the person model
    on people); person: the person model; face: every face found, brow to chin;
    background: the subject's inverse."""
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}, got {region!r}")
    rgb = as_rgb(image)
    height, width = rgb.shape[:2]
    if region == "sky":
        return sky_mask(rgb)
    if region == "person":
        return person_mask(rgb)
    if region == "face":
        faces = find_faces(rgb)
        return parts_mask(faces, ["face"], height, width, 0.1) if faces else None
    subject, _ = select_subject(rgb)
    return subject if region == "subject" else (1.0 - subject).astype(np.float32)


def region_box(mask: np.ndarray | None) -> Box:
    """The box (x, y, w, h fractions) of a region's mask; the whole frame for None."""
    return (0.0, 0.0, 1.0, 1.0) if mask is None else subject_box(mask)


def meaning(
    image: np.ndarray,
    strokes: Sequence[dict[str, Any]],
    find: Callable[[np.ndarray, str], np.ndarray | None] = region_mask,
) -> str | None:
    """The region holding at least ``MEANING_SHARE`` of what the image-anchored paint
    (and keep) ``strokes`` paint on ``image``, tried in the order sky, face, subject,
    background (the person model is left out: on people the subject is the person);
    None when the paint lies across regions. ``find`` gives a region's mask (the
    editor passes its own, which keeps them per photo)."""
    height, width = image.shape[:2]
    paint = [dict(s, mode="paint") for s in strokes if s["mode"] in ("paint", "keep")]
    painted = render_strokes(paint, height, width)
    total = float(painted.sum())
    if total <= 0:
        return None
    for region in ("sky", "face", "subject", "background"):
        mask = find(image, region)
        if mask is not None and float((painted * mask).sum()) >= MEANING_SHARE * total:
            return region
    return None
