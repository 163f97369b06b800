"""Resampling with correct alpha handling."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

METHODS = ("lanczos", "area", "bicubic", "bilinear", "nearest")
_PIL_FILTERS = {
    "lanczos": Image.Resampling.LANCZOS,
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
}


def fit_longest_side(height: int, width: int, longest: int) -> tuple[int, int]:
    """(height, width) scaled so the longer side is ``longest`` px, aspect ratio kept."""
    scale = longest / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize_channels(data: np.ndarray, height: int, width: int, method: str) -> np.ndarray:
    if method == "nearest":
        return cv2.resize(data, (width, height), interpolation=cv2.INTER_NEAREST)
    if method == "area":
        return cv2.resize(data, (width, height), interpolation=cv2.INTER_AREA)
    # Pillow's filters widen with the scale factor when shrinking (true antialiasing),
    # which OpenCV's fixed-size Lanczos kernel does not.
    out = np.empty((height, width, data.shape[2]), np.float32)
    for c in range(data.shape[2]):
        channel = Image.fromarray(np.ascontiguousarray(data[..., c]))
        _pil_resize_into(out[..., c], channel, _PIL_FILTERS[method])
    return out


# Rows of output resampled at a time: Pillow returns a new image that numpy then copies,
# so an 8192 px enlargement in one go held 400 MB of copies per channel.
_STRIP_BYTES = 64 << 20


def resized_rows(image: np.ndarray, height: int, width: int, top: int, bottom: int) -> np.ndarray:
    """Rows ``top:bottom`` of ``resize(image, height, width)`` (Lanczos, 3 channels),
    computed without the rest: for full-size work done a band of rows at a time."""
    out = np.empty((bottom - top, width, 3), np.float32)
    for c in range(3):
        channel = Image.fromarray(np.ascontiguousarray(image[..., c], np.float32))
        out[..., c] = _pil_rows(channel, height, width, top, bottom, Image.Resampling.LANCZOS)
    return np.clip(out, 0.0, 1.0, out=out)


def _pil_rows(
    channel: Image.Image, height: int, width: int, top: int, bottom: int, resample
) -> np.ndarray:
    """Rows ``top:bottom`` of ``channel`` resampled to ``height`` x ``width``: the same
    filter over the same source rows as a whole-image resize (Pillow's ``box`` keeps the
    sample positions), so the bands match it to float rounding."""
    step = channel.height / height
    box = (0, top * step, channel.width, bottom * step)
    return np.asarray(channel.resize((width, bottom - top), resample, box=box))


def _pil_resize_into(out: np.ndarray, channel: Image.Image, resample) -> None:
    """``channel`` resampled into ``out`` (H x W) in horizontal strips (``_pil_rows``)."""
    height, width = out.shape
    rows = max(64, _STRIP_BYTES // (4 * width))
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        out[top:bottom] = _pil_rows(channel, height, width, top, bottom, resample)


def resize(image: np.ndarray, height: int, width: int, method: str = "lanczos") -> np.ndarray:
    """Resize an image (float32, 0..1, RGB or RGBA) to ``height`` x ``width``.

    RGBA is resampled premultiplied so transparent pixels do not bleed their colour into
    the edge; Lanczos and bicubic overshoot is clipped back to 0..1.
    """
    if method not in METHODS:
        raise ValueError(f"unknown resize method {method!r}")
    if image.shape[:2] == (height, width):
        return image.copy()
    has_alpha = image.shape[2] == 4
    data = image
    if has_alpha:
        data = np.concatenate([image[..., :3] * image[..., 3:4], image[..., 3:4]], axis=2)
    out = _resize_channels(data.astype(np.float32, copy=False), height, width, method)
    if out.ndim == 2:
        out = out[..., None]
    out = np.clip(out, 0.0, 1.0, out=out)  # float32: a new array from the resampling
    if has_alpha:
        alpha = out[..., 3:4]
        safe = np.where(alpha > 1e-6, alpha, 1.0)
        out = np.concatenate([np.clip(out[..., :3] / safe, 0.0, 1.0), alpha], axis=2)
    return np.ascontiguousarray(out, dtype=np.float32)


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Masks are resized smoothly (bilinear up, area down): they are coverage, not detail."""
    shrinking = height * width < mask.shape[0] * mask.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    out = cv2.resize(mask.astype(np.float32), (width, height), interpolation=interpolation)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
