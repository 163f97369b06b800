"""Small helpers shared by the image functions: alpha handling, luminance, 8-bit round trips."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Rec. 709 / sRGB luma weights, used for "luminance" throughout.
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


def luminance(image: np.ndarray) -> np.ndarray:
    """H x W luma of an RGB(A) image, 0..1 (alpha ignored)."""
    return np.ascontiguousarray(image[..., :3] @ LUMA, dtype=np.float32)


def on_rgb(fn: Callable[[np.ndarray], np.ndarray], image: np.ndarray) -> np.ndarray:
    """Apply ``fn`` to the colour channels and carry the alpha channel through unchanged."""
    rgb = np.ascontiguousarray(image[..., :3])
    out = np.clip(fn(rgb), 0.0, 1.0).astype(np.float32)
    if image.shape[2] == 4:
        out = np.concatenate([out, image[..., 3:4]], axis=2)
    return out


def to_u8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def from_u8(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / 255.0


def with_alpha_of(rgb: np.ndarray, like: np.ndarray) -> np.ndarray:
    if like.shape[2] == 4:
        return np.concatenate([rgb, like[..., 3:4]], axis=2).astype(np.float32)
    return rgb.astype(np.float32)
