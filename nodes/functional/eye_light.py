"""An eye-light: the small soft highlight a portrait painter adds on each iris.

A catchlight is the reflection of the light source in the eye's wet surface: a small,
bright, soft spot on the iris, up and to one side of the pupil, the same side in both
eyes. Painters add or strengthen it last, because a face reads as alive by it. Here it
is a Gaussian spot of white, screened over the photo (so it brightens and never darkens)
and kept inside the iris the lids leave open.

Ranges: image float32 H x W x 3 in 0..1; ``size`` 0..1 (the spot's radius as a share of
the iris radius); ``strength`` 0..1 (the spot's opacity at its centre); ``side``
"left" or "right" (where the light comes from, as seen in the picture).
"""

from __future__ import annotations

import numpy as np

from stylegraph.nodes.functional.faces import Face, face_part_mask

SIDES = ("left", "right")
SPOT_PLACE = 0.4  # the spot's centre from the iris centre, as a share of its radius


def eye_light(
    image: np.ndarray, faces: list[Face], size: float, strength: float, side: str = "left"
) -> np.ndarray:
    """``image`` with a soft white spot screened onto each iris of ``faces``."""
    if not 0.0 <= size <= 1.0:
        raise ValueError(f"size must be between 0 and 1, got {size}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, got {strength}")
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}, got {side!r}")
    height, width = image.shape[:2]
    light = np.zeros((height, width), np.float32)
    across = -1.0 if side == "left" else 1.0
    for face in faces:
        irises = face_part_mask(face, "irises", height, width)
        spots = np.zeros_like(light)
        for eye in face.eyes:
            radius = eye.iris_radius
            cx = eye.iris_centre[0] + across * SPOT_PLACE * radius * 0.7
            cy = eye.iris_centre[1] - SPOT_PLACE * radius * 0.7
            sigma = max(0.3, size * radius / 2)
            x0, x1 = int(max(0, cx - 4 * sigma)), int(min(width, cx + 4 * sigma + 1))
            y0, y1 = int(max(0, cy - 4 * sigma)), int(min(height, cy + 4 * sigma + 1))
            if x1 <= x0 or y1 <= y0:
                continue
            ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
            spot = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
            np.maximum(spots[y0:y1, x0:x1], spot, out=spots[y0:y1, x0:x1])
        np.maximum(light, spots * irises, out=light)
    alpha = (strength * light)[..., None]
    rgb = image[..., :3]
    return (rgb + alpha * (1.0 - rgb)).astype(np.float32)
