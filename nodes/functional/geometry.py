"""Crop, pad, flip and rotate: exact pixel moves, no resampling."""

from __future__ import annotations

import cv2
import numpy as np


def crop(image: np.ndarray, x: int, y: int, width: int, height: int) -> np.ndarray:
    """The part of the image inside the box, clamped to the image; the box must overlap it."""
    h, w = image.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + width), min(h, y + height)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(
            f"the crop box x={x} y={y} {width}x{height} lies outside the {w}x{h} image"
        )
    return np.ascontiguousarray(image[y0:y1, x0:x1])


PAD_MODES = ("transparent", "colour", "edge", "reflect")


def pad(
    image: np.ndarray,
    top: int,
    bottom: int,
    left: int,
    right: int,
    mode: str = "transparent",
    colour: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> np.ndarray:
    widths = ((top, bottom), (left, right), (0, 0))
    if mode == "edge":
        return np.pad(image, widths, mode="edge")
    if mode == "reflect":
        return np.pad(image, widths, mode="symmetric")
    if mode == "transparent":
        rgba = (
            image
            if image.shape[2] == 4
            else np.concatenate([image, np.ones((*image.shape[:2], 1), np.float32)], axis=2)
        )
        return np.pad(rgba, widths, mode="constant", constant_values=0.0)
    fill = list(colour) + ([1.0] if image.shape[2] == 4 else [])
    out = np.empty(
        (image.shape[0] + top + bottom, image.shape[1] + left + right, image.shape[2]), np.float32
    )
    out[...] = np.array(fill, np.float32)
    out[top : top + image.shape[0], left : left + image.shape[1]] = image
    return out


def flip(image: np.ndarray, horizontal: bool = True) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1] if horizontal else image[::-1])


def rotate90(image: np.ndarray, degrees_clockwise: int) -> np.ndarray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    if degrees_clockwise % 360 == 0:
        return image.copy()
    return cv2.rotate(np.ascontiguousarray(image), codes[degrees_clockwise % 360])
