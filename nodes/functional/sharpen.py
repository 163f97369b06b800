"""Sharpening: unsharp mask as in Photoshop, high-pass, and sharpening limited to edges."""

from __future__ import annotations

import numpy as np

from stylegraph.nodes.functional.filters import gaussian_blur
from stylegraph.nodes.functional.masks import edges


def unsharp_mask(
    rgb: np.ndarray, amount: float = 1.0, radius: float = 1.0, threshold: float = 0.0
) -> np.ndarray:
    """out = x + amount (x - blur(x, radius)) where |x - blur| >= threshold, else x.

    ``amount`` 1.0 is Photoshop's 100 %; ``threshold`` is in 0..1 units (Photoshop's levels
    / 255). Clipped to 0..1.
    """
    detail = rgb - gaussian_blur(rgb, radius)
    if threshold > 0:
        detail = np.where(np.abs(detail) >= threshold, detail, 0.0)
    return np.clip(rgb + amount * detail, 0.0, 1.0).astype(np.float32)


def high_pass(rgb: np.ndarray, radius: float = 3.0) -> np.ndarray:
    """0.5 + (x - blur(x)): grey where flat, for overlay or soft-light sharpening."""
    return np.clip(0.5 + rgb - gaussian_blur(rgb, radius), 0.0, 1.0).astype(np.float32)


def sharpen_edges(
    rgb: np.ndarray,
    amount: float = 1.5,
    radius: float = 1.0,
    edge_low: float = 0.04,
    edge_high: float = 0.15,
    edge_blur: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Unsharp mask revealed only through a soft Sobel edge mask, so flat painted areas stay
    clean. Returns the image and the edge mask used."""
    mask = edges(rgb, "sobel", edge_low, edge_high, edge_blur, soft=True)
    sharp = unsharp_mask(rgb, amount, radius)
    out = rgb + (sharp - rgb) * mask[..., None]
    return out.astype(np.float32), mask
