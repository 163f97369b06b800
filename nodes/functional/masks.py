"""Masks: H x W float32 in 0..1 (1 = reveal), built from images, shapes and edges, and
combined. Softness and feather values are in the same units as the quantity they soften."""

from __future__ import annotations

import cv2
import numpy as np

from stylegraph.nodes.functional.channels import luminance, to_u8
from stylegraph.nodes.functional.filters import gaussian_blur


def ramp(values: np.ndarray, low: float, high: float, softness: float) -> np.ndarray:
    """1 inside [low, high], falling linearly to 0 over ``softness`` outside it. A softness
    under 1e-6 is a hard edge: float32 values divided by it would overflow to infinity, and
    0 / 0 at the edge would be NaN."""
    if softness < 1e-6:
        return ((values >= low) & (values <= high)).astype(np.float32)
    below = np.clip((values - (low - softness)) / softness, 0.0, 1.0)
    above = np.clip(((high + softness) - values) / softness, 0.0, 1.0)
    return np.minimum(below, above).astype(np.float32)


def luminance_range(image: np.ndarray, low: float, high: float, softness: float) -> np.ndarray:
    return ramp(luminance(image), low, high, softness)


def colour_range(
    image: np.ndarray,
    hue: float,
    hue_width: float,
    saturation: tuple[float, float] = (0.0, 1.0),
    value: tuple[float, float] = (0.0, 1.0),
    softness: float = 0.05,
) -> np.ndarray:
    """Select colours near ``hue`` (degrees; +-hue_width/2 around it, wrapping at 360) within
    saturation and value ranges (0..1). Hue softness is ``softness`` x 360 degrees."""
    hsv = cv2.cvtColor(np.ascontiguousarray(image[..., :3], np.float32), cv2.COLOR_RGB2HSV)
    distance = np.abs((hsv[..., 0] - hue + 180.0) % 360.0 - 180.0)
    hue_mask = ramp(distance, 0.0, hue_width / 2.0, softness * 360.0)
    sat_mask = ramp(hsv[..., 1], saturation[0], saturation[1], softness)
    val_mask = ramp(hsv[..., 2], value[0], value[1], softness)
    return (hue_mask * sat_mask * val_mask).astype(np.float32)


CHANNELS = ("alpha", "red", "green", "blue", "luminance")


def from_channel(image: np.ndarray, channel: str) -> np.ndarray:
    if channel == "alpha":
        if image.shape[2] == 4:
            return np.ascontiguousarray(image[..., 3])
        return np.ones(image.shape[:2], np.float32)
    if channel == "luminance":
        return luminance(image)
    return np.ascontiguousarray(image[..., ("red", "green", "blue").index(channel)])


SHAPES = ("rectangle", "ellipse", "polygon")


def _interval_coverage(length: int, start: float, stop: float) -> np.ndarray:
    """How much of each pixel [i, i + 1) lies inside [start, stop]."""
    cells = np.arange(length, dtype=np.float64)
    return np.clip(np.minimum(cells + 1, stop) - np.maximum(cells, start), 0.0, 1.0)


def _ellipse(height: int, width: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    """Coverage from the approximate signed distance to the ellipse (1 px ramp)."""
    y = (np.arange(height, dtype=np.float64) + 0.5 - cy)[:, None]
    x = (np.arange(width, dtype=np.float64) + 0.5 - cx)[None, :]
    rx, ry = max(rx, 1e-9), max(ry, 1e-9)
    f = np.sqrt((x / rx) ** 2 + (y / ry) ** 2)
    gradient = np.sqrt((x / rx**2) ** 2 + (y / ry**2) ** 2) / np.maximum(f, 1e-12)
    distance = (f - 1.0) / np.maximum(gradient, 1e-12)
    return np.clip(0.5 - distance, 0.0, 1.0)


def _polygon(height: int, width: int, points: np.ndarray, factor: int = 4) -> np.ndarray:
    """Supersampled fill at ``factor`` x, then averaged down to coverage.

    OpenCV fills both end pixels of every span (and both end rows), one more than the
    covered count; dropping each span's last pixel and each column's last row makes the
    filled area match the polygon's.
    """
    canvas = np.zeros((height * factor + 1, width * factor + 1), np.uint8)
    shift = 8
    corners = np.round(points * factor * (1 << shift)).astype(np.int32)
    cv2.fillPoly(canvas, [corners], 1, cv2.LINE_8, shift)
    inside = canvas[:-1, :-1] & canvas[:-1, 1:] & canvas[1:, :-1]
    return cv2.resize(inside.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)


def shape(
    height: int,
    width: int,
    kind: str,
    box: tuple[float, float, float, float] = (0.25, 0.25, 0.5, 0.5),
    points: list[list[float]] | None = None,
    feather: float = 0.0,
) -> np.ndarray:
    """A filled, anti-aliased shape whose pixel values are the covered fraction of each pixel.

    ``box`` is (x, y, w, h) and ``points`` are [x, y], all as fractions of the width and
    height, so one preset fits photos of any size. ``feather`` is a Gaussian blur in px.
    """
    x, y, w, h = (box[0] * width, box[1] * height, box[2] * width, box[3] * height)
    if kind == "rectangle":
        mask = np.outer(_interval_coverage(height, y, y + h), _interval_coverage(width, x, x + w))
    elif kind == "ellipse":
        mask = _ellipse(height, width, x + w / 2, y + h / 2, w / 2, h / 2)
    elif kind == "polygon":
        if not points or len(points) < 3:
            raise ValueError("a polygon needs at least 3 points")
        corners = np.array(points, np.float64) * np.array([width, height])
        mask = _polygon(height, width, corners)
    else:
        raise ValueError(f"unknown shape {kind!r}")
    mask = mask.astype(np.float32)
    return np.clip(gaussian_blur(mask, feather), 0.0, 1.0)


EDGE_METHODS = ("sobel", "canny")


def sobel_magnitude(image: np.ndarray, blur: float = 1.0) -> np.ndarray:
    """Gradient magnitude of luminance; 1.0 is a full black-to-white step over 1 px."""
    grey = gaussian_blur(luminance(image), blur)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT) / 4.0
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT) / 4.0
    return np.sqrt(gx * gx + gy * gy)


def edges(
    image: np.ndarray,
    method: str = "sobel",
    low: float = 0.05,
    high: float = 0.2,
    blur: float = 1.0,
    soft: bool = True,
) -> np.ndarray:
    """Edge mask. Sobel: magnitude mapped from [low, high] to [0, 1] (soft) or thresholded at
    ``low`` (hard). Canny: hysteresis thresholds ``low``/``high`` on the same scale."""
    if method == "sobel":
        magnitude = sobel_magnitude(image, blur)
        if soft:
            span = max(high - low, 1e-6)
            return np.clip((magnitude - low) / span, 0.0, 1.0).astype(np.float32)
        return (magnitude >= low).astype(np.float32)
    if method == "canny":
        grey = to_u8(gaussian_blur(luminance(image), blur))
        # OpenCV's Canny thresholds are on the 3x3 Sobel of 8-bit data: x 255 x 4.
        found = cv2.Canny(grey, low * 1020.0, high * 1020.0, L2gradient=True)
        return found.astype(np.float32) / 255.0
    raise ValueError(f"unknown edge method {method!r}")


def invert(mask: np.ndarray) -> np.ndarray:
    return (1.0 - mask).astype(np.float32)


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Grow (pixels > 0) or shrink (pixels < 0) by grey-level morphology with a disc."""
    if pixels == 0:
        return mask.copy()
    size = 2 * abs(pixels) + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    op = cv2.dilate if pixels > 0 else cv2.erode
    return op(mask, disc, borderType=cv2.BORDER_REPLICATE)


def levels(mask: np.ndarray, low: float = 0.0, high: float = 1.0, gamma: float = 1.0) -> np.ndarray:
    """Map [low, high] to [0, 1], then apply gamma (>1 brightens mid-tones)."""
    span = max(high - low, 1e-6)
    return (np.clip((mask - low) / span, 0.0, 1.0) ** (1.0 / gamma)).astype(np.float32)


def threshold(mask: np.ndarray, level: float = 0.5) -> np.ndarray:
    return (mask >= level).astype(np.float32)


COMBINE_OPS = ("add", "subtract", "multiply", "min", "max", "difference")


def combine(a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    if op == "add":
        out = np.minimum(1.0, a + b)
    elif op == "subtract":
        out = np.maximum(0.0, a - b)
    elif op == "multiply":
        out = a * b
    elif op == "min":
        out = np.minimum(a, b)
    elif op == "max":
        out = np.maximum(a, b)
    elif op == "difference":
        out = np.abs(a - b)
    else:
        raise ValueError(f"unknown mask operation {op!r}")
    return out.astype(np.float32)
