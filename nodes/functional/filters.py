"""Base-layer filters: facet, dry brush (Kuwahara), posterize, palette, denoise, blurs.

Every function takes and returns RGB float32 0..1 (H x W x 3); node wrappers carry alpha.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from stylegraph.nodes.functional.channels import from_u8, to_u8


def _mean_shift(
    u8: np.ndarray, spatial_radius: float, colour_radius: float, levels: int
) -> np.ndarray:
    return cv2.pyrMeanShiftFiltering(u8, sp=spatial_radius, sr=colour_radius, maxLevel=levels - 1)


def facet(
    rgb: np.ndarray,
    spatial_radius: int = 6,
    colour_radius: float = 0.12,
    levels: int = 1,
    workers: int | None = None,
) -> np.ndarray:
    """Photoshop-like Facet: mean-shift filtering flattens neighbouring pixels of similar
    colour into solid patches while keeping the edges between them.

    ``spatial_radius`` in px; ``colour_radius`` in 0..1 colour units; ``levels`` of the
    Gaussian pyramid used to speed it up (1 = none).

    At full resolution a pixel's mean-shift path only reads pixels within about
    ``6 * spatial_radius`` of it (OpenCV stops after 5 iterations), so large images are cut
    into overlapping strips that run on all cores. OpenCV's arithmetic is not exactly
    translation-invariant, so a handful of pixels (well under 0.1 %) can differ from a
    single pass by a few levels; tests hold it to that.
    """
    u8 = np.ascontiguousarray(to_u8(rgb))
    sp, sr = float(spatial_radius), float(colour_radius * 255.0)
    workers = workers or os.cpu_count() or 1
    height = u8.shape[0]
    reach = 6 * spatial_radius + 2
    if levels > 1 or workers == 1 or height < 4 * reach:
        return from_u8(_mean_shift(u8, sp, sr, levels))
    bounds = np.linspace(0, height, workers + 1).round().astype(int)
    strips = [
        (max(0, a - reach), a, b, min(height, b + reach)) for a, b in itertools.pairwise(bounds)
    ]
    with ThreadPoolExecutor(workers) as pool:  # OpenCV releases the GIL
        parts = list(pool.map(lambda s: _mean_shift(u8[s[0] : s[3]], sp, sr, 1), strips))
    out = np.concatenate(
        [part[a - lo : b - lo] for part, (lo, a, b, _) in zip(parts, strips, strict=True)]
    )
    return from_u8(out)


def kuwahara(rgb: np.ndarray, radius: int = 4, sharpness: float = 8.0) -> np.ndarray:
    """Generalised Kuwahara filter (Papari et al. 2007, with the 4 classic quadrants):
    each pixel becomes a mix of the means of the 4 (radius+1)^2 squares around it, weighted
    by their colour variance (summed over R, G, B) to the power ``-sharpness / 2``. Large
    sharpness picks the flattest quadrant (the classic filter); small sharpness gives softer,
    wetter strokes.
    """
    size = radius + 1
    data = np.concatenate([rgb, rgb * rgb], axis=2)
    anchors = [(radius, radius), (0, radius), (radius, 0), (0, 0)]
    weighted = np.zeros_like(rgb)
    total = np.zeros((*rgb.shape[:2], 1), np.float32)
    # The weights are kept relative to the largest so far (a running log-sum-exp): raised
    # to a high sharpness, 1 / variance overflows float32 on flat areas.
    top = np.full((*rgb.shape[:2], 1), -np.inf, np.float32)
    for anchor in anchors:
        means = cv2.boxFilter(data, -1, (size, size), anchor=anchor, borderType=cv2.BORDER_REFLECT)
        variance = np.maximum(means[..., 3:] - means[..., :3] ** 2, 0.0).sum(axis=2)
        log_weight = (-sharpness / 2.0 * np.log(1e-4 + variance * 255.0))[..., None]
        new_top = np.maximum(top, log_weight.astype(np.float32))
        rescale = np.exp(top - new_top)
        weight = np.exp(log_weight - new_top).astype(np.float32)
        weighted = weighted * rescale + means[..., :3] * weight
        total = total * rescale + weight
        top = new_top
    return weighted / total


def posterize(rgb: np.ndarray, levels: int = 4) -> np.ndarray:
    """Round each channel to ``levels`` evenly spaced values (levels >= 2)."""
    steps = levels - 1
    return np.round(rgb * steps) / steps


def palette_quantize(
    rgb: np.ndarray, colours: int = 8, seed: int = 0, sample: int = 100_000
) -> np.ndarray:
    """Reduce to ``colours`` colours found by k-means in Lab (fitted on a random sample of
    pixels, then every pixel takes its nearest centre)."""
    lab = cv2.cvtColor(rgb.astype(np.float32), cv2.COLOR_RGB2Lab).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    picked = lab if len(lab) <= sample else lab[rng.choice(len(lab), sample, replace=False)]
    distinct = np.unique(picked, axis=0)
    if len(distinct) <= colours:
        centres = distinct.astype(np.float32)  # already within the palette size
    else:
        cv2.setRNGSeed(seed)
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.05)
        _, _, centres = cv2.kmeans(picked, colours, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    # Nearest centre by |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is the same for every c.
    scores = lab @ (-2.0 * centres.T) + (centres * centres).sum(axis=1)
    labels = scores.argmin(axis=1)
    centres_rgb = cv2.cvtColor(centres[None].astype(np.float32), cv2.COLOR_Lab2RGB)[0]
    return np.clip(centres_rgb[labels], 0, 1).reshape(rgb.shape).astype(np.float32)


def denoise(
    rgb: np.ndarray, strength: float = 0.04, colour_strength: float = 0.04, search_radius: int = 5
) -> np.ndarray:
    """Non-local means (Buades et al.) on 8-bit data: strengths are in 0..1 units."""
    out = cv2.fastNlMeansDenoisingColored(
        to_u8(rgb),
        None,
        h=strength * 255,
        hColor=colour_strength * 255,
        templateWindowSize=7,
        searchWindowSize=2 * search_radius + 1,
    )
    return from_u8(out)


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` px (works on masks too)."""
    if sigma <= 0:
        return image.copy()
    return cv2.GaussianBlur(
        image, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT
    )


def surface_blur(rgb: np.ndarray, radius: int = 5, threshold: float = 0.1) -> np.ndarray:
    """Bilateral ("surface") blur: smooths within ``radius`` px but not across colour steps
    larger than about ``threshold`` (0..1)."""
    return cv2.bilateralFilter(
        rgb.astype(np.float32), d=2 * radius + 1, sigmaColor=threshold, sigmaSpace=radius / 2 + 0.5
    )


def median(rgb: np.ndarray, radius: int = 2) -> np.ndarray:
    """Median filter over a (2 radius + 1) square; computed on 8-bit data."""
    return from_u8(cv2.medianBlur(to_u8(rgb), 2 * radius + 1))
