"""Colour: Lab statistics transfer, histogram matching, luminance transfer and adjustments.

Lab is CIE L*a*b* (D65) of sRGB, as OpenCV computes it for float input: L in 0..100.
"""

from __future__ import annotations

import cv2
import numpy as np


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb, np.float32), cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(np.ascontiguousarray(lab, np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(rgb, 0.0, 1.0)


def reinhard_transfer(rgb: np.ndarray, reference: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Reinhard et al. 2001: move each Lab channel's mean and std to the reference's."""
    lab = rgb_to_lab(rgb)
    ref = rgb_to_lab(reference)
    mean, std = lab.reshape(-1, 3).mean(0), lab.reshape(-1, 3).std(0)
    ref_mean, ref_std = ref.reshape(-1, 3).mean(0), ref.reshape(-1, 3).std(0)
    moved = (lab - mean) * (ref_std / np.maximum(std, 1e-6)) + ref_mean
    out = lab_to_rgb(moved)
    return (rgb + (out - rgb) * strength).astype(np.float32)


def match_histograms(rgb: np.ndarray, reference: np.ndarray, bins: int = 4096) -> np.ndarray:
    """Per-channel histogram matching: each channel's CDF is mapped onto the reference's."""
    out = np.empty_like(rgb, dtype=np.float32)
    edges = np.linspace(0.0, 1.0, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    for c in range(3):
        src_hist, _ = np.histogram(rgb[..., c], bins=edges)
        ref_hist, _ = np.histogram(reference[..., c], bins=edges)
        src_cdf = np.cumsum(src_hist) / max(src_hist.sum(), 1)
        ref_cdf = np.cumsum(ref_hist) / max(ref_hist.sum(), 1)
        mapping = np.interp(src_cdf, ref_cdf, centres)
        index = np.clip((rgb[..., c] * bins).astype(np.int64), 0, bins - 1)
        out[..., c] = mapping[index]
    return out


def luminance_transfer(colour_source: np.ndarray, luminance_source: np.ndarray) -> np.ndarray:
    """Lab L from ``luminance_source`` (the render) with a*b* from ``colour_source`` (the
    photo): the painting's strokes in the photo's colours."""
    lab = rgb_to_lab(colour_source)
    lab[..., 0] = rgb_to_lab(luminance_source)[..., 0]
    return lab_to_rgb(lab)


def brightness_contrast(
    rgb: np.ndarray, brightness: float = 0.0, contrast: float = 0.0
) -> np.ndarray:
    """Contrast scales around mid-grey by (1 + contrast); brightness adds. Both -1..1."""
    return np.clip((rgb - 0.5) * (1.0 + contrast) + 0.5 + brightness, 0.0, 1.0)


def hue_saturation(
    rgb: np.ndarray, hue: float = 0.0, saturation: float = 0.0, lightness: float = 0.0
) -> np.ndarray:
    """Rotate hue by ``hue`` degrees, scale saturation by (1 + saturation), then mix towards
    white (lightness > 0) or black (< 0) as Photoshop's Hue/Saturation does."""
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb, np.float32), cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0] + hue) % 360.0
    hsv[..., 1] = np.clip(hsv[..., 1] * (1.0 + saturation), 0.0, 1.0)
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    if lightness > 0:
        out = out + (1.0 - out) * lightness
    elif lightness < 0:
        out = out * (1.0 + lightness)
    return np.clip(out, 0.0, 1.0)


def levels(
    rgb: np.ndarray,
    in_black: float = 0.0,
    in_white: float = 1.0,
    gamma: float = 1.0,
    out_black: float = 0.0,
    out_white: float = 1.0,
) -> np.ndarray:
    """Photoshop Levels: ((x - in_black) / (in_white - in_black)) ^ (1 / gamma), then scaled
    into [out_black, out_white]."""
    span = max(in_white - in_black, 1e-6)
    normalised = np.clip((rgb - in_black) / span, 0.0, 1.0) ** (1.0 / gamma)
    return (out_black + normalised * (out_white - out_black)).astype(np.float32)


def gamma(rgb: np.ndarray, value: float = 1.0) -> np.ndarray:
    """x ^ (1 / value): values above 1 brighten the mid-tones."""
    return (np.clip(rgb, 0.0, 1.0) ** (1.0 / value)).astype(np.float32)


# YIQ, the luminance/chrominance space Gatys et al. 2017 use for luminance-only transfer.
RGB_TO_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32
)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ).astype(np.float32)


def rgb_to_yiq(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3] @ RGB_TO_YIQ.T


def yiq_to_rgb(yiq: np.ndarray) -> np.ndarray:
    return np.clip(yiq @ YIQ_TO_RGB.T, 0.0, 1.0).astype(np.float32)


def match_colour_linear(rgb: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Move ``rgb``'s colour mean and covariance to the reference's with one linear map
    (x - mu) L_ref L^-1 + mu_ref, L from Cholesky: the colour histogram matching of Gatys
    et al. 2017 that recolours a style image to the photo's palette."""
    pixels = rgb[..., :3].reshape(-1, 3).astype(np.float64)
    ref = reference[..., :3].reshape(-1, 3).astype(np.float64)
    eye = np.eye(3) * 1e-5
    chol = np.linalg.cholesky(np.cov(pixels, rowvar=False) + eye)
    chol_ref = np.linalg.cholesky(np.cov(ref, rowvar=False) + eye)
    mapped = (pixels - pixels.mean(0)) @ np.linalg.inv(chol).T @ chol_ref.T + ref.mean(0)
    return np.clip(mapped, 0.0, 1.0).reshape(rgb[..., :3].shape).astype(np.float32)
