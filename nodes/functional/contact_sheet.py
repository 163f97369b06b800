"""A labelled grid of images, for curating a sweep's renders."""

from __future__ import annotations

import math

import cv2
import numpy as np

from stylegraph.nodes.functional.channels import from_u8, to_u8
from stylegraph.nodes.functional.resize import fit_longest_side, resize


def contact_sheet(
    images: list[np.ndarray], labels: list[str], columns: int, gap: int = 8
) -> np.ndarray:
    """Renders side by side on white, each labelled with its style's name."""
    height = max(i.shape[0] for i in images)
    width = max(i.shape[1] for i in images)
    label_h = 22
    rows = math.ceil(len(images) / columns)
    sheet = np.full(
        (rows * (height + label_h + gap) + gap, columns * (width + gap) + gap, 3), 255, np.uint8
    )
    for n, (image, label) in enumerate(zip(images, labels, strict=True)):
        r, c = divmod(n, columns)
        y, x = gap + r * (height + label_h + gap), gap + c * (width + gap)
        sheet[y + label_h : y + label_h + image.shape[0], x : x + image.shape[1]] = to_u8(image)
        cv2.putText(
            sheet,
            label[:40],
            (x, y + 16),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5,
            (30, 30, 30),
            1,
            cv2.LINE_AA,
        )
    return from_u8(sheet)


def thumbnail(image: np.ndarray, longest_side: int) -> np.ndarray:
    """``image`` (float32 0..1, RGB or RGBA) as RGB at most ``longest_side`` px, any alpha
    flattened onto white as the sheet's background."""
    rgb = image[..., :3]
    if image.shape[2] == 4:
        alpha = image[..., 3:4]
        rgb = rgb * alpha + (1.0 - alpha)
    if max(rgb.shape[:2]) > longest_side:
        rgb = resize(rgb, *fit_longest_side(*rgb.shape[:2], longest_side))
    return np.ascontiguousarray(rgb, dtype=np.float32)


def grid_columns(count: int) -> int:
    """A roughly square grid."""
    return max(1, math.ceil(math.sqrt(count)))
