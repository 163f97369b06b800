"""The guided filter (He, Sun and Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013)
with a colour guide: an edge-aware smoothing that makes a mask follow the photo's edges.

In every square window w_k of side 2r + 1 the output is modelled as an affine function of
the guide's colour, q = a_k . I + b_k, fitted to the input p by ridge regression:

    a_k = (Sigma_k + eps U)^-1 (mean_k(I p) - mean_k(I) mean_k(p))
    b_k = mean_k(p) - a_k . mean_k(I)

and each pixel's output averages the models of the windows that hold it:
q_i = mean_i(a) . I_i + mean_i(b). Windows are cut at the picture's border (their means
are over the pixels they hold), as in the paper's box-filter implementation.

Ranges: guide float32 H x W x 3 (or H x W) in 0..1; the filtered input H x W in any range
(masks: 0..1); radius a whole number of px >= 1; eps > 0 in units of the guide's variance
(0..1 scale): 1e-4 keeps edges of a contrast of about 0.01, 1e-1 smooths nearly as a box
blur. Because the model is linear in the guide, a mask snaps to the guide's edges wherever
the mask changes within ``radius`` of them.
"""

from __future__ import annotations

import cv2
import numpy as np


def _window_mean(values: np.ndarray, radius: int, count: np.ndarray) -> np.ndarray:
    """The mean over each pixel's (2r+1)^2 window, the window cut at the border."""
    size = (2 * radius + 1, 2 * radius + 1)
    total = cv2.boxFilter(values, cv2.CV_32F, size, normalize=False, borderType=cv2.BORDER_CONSTANT)
    if total.ndim == 3 and count.ndim == 2:
        return total / count[..., None]
    return total / count


def _window_count(height: int, width: int, radius: int) -> np.ndarray:
    ones = np.ones((height, width), np.float32)
    size = (2 * radius + 1, 2 * radius + 1)
    return cv2.boxFilter(ones, cv2.CV_32F, size, normalize=False, borderType=cv2.BORDER_CONSTANT)


def _guide(guide: np.ndarray) -> np.ndarray:
    guide = np.asarray(guide, np.float32)
    if guide.ndim == 3:
        guide = guide[..., :3]
    return np.ascontiguousarray(guide)


def guided_coefficients(
    guide: np.ndarray, source: np.ndarray, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """The window-averaged model (mean a, mean b): a is H x W x C (C the guide's colour
    channels, 1 for a grey guide), b is H x W; the output is sum(a * I) + b."""
    if radius < 1:
        raise ValueError(f"the guided filter's radius must be at least 1 px, got {radius}")
    if eps <= 0:
        raise ValueError(f"the guided filter's eps must be above 0, got {eps}")
    guide = _guide(guide)
    source = np.ascontiguousarray(source, np.float32)
    height, width = source.shape
    count = _window_count(height, width, radius)
    if guide.ndim == 2:
        mean_i = _window_mean(guide, radius, count)
        mean_p = _window_mean(source, radius, count)
        cov_ip = _window_mean(guide * source, radius, count) - mean_i * mean_p
        var_i = _window_mean(guide * guide, radius, count) - mean_i * mean_i
        a = cov_ip / (var_i + np.float32(eps))
        b = mean_p - a * mean_i
        return _window_mean(a, radius, count)[..., None], _window_mean(b, radius, count)

    mean_i = _window_mean(guide, radius, count)  # H x W x 3
    mean_p = _window_mean(source, radius, count)
    cov_ip = _window_mean(guide * source[..., None], radius, count) - mean_i * mean_p[..., None]
    # The guide's 3 x 3 covariance per window, from its six distinct entries.
    pairs = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    stacked = np.stack([guide[..., i] * guide[..., j] for i, j in pairs], axis=-1)
    second = _window_mean(stacked, radius, count)
    sigma = {
        (i, j): second[..., n] - mean_i[..., i] * mean_i[..., j] for n, (i, j) in enumerate(pairs)
    }
    e = np.float32(eps)
    rr, rg, rb = sigma[0, 0] + e, sigma[0, 1], sigma[0, 2]
    gg, gb, bb = sigma[1, 1] + e, sigma[1, 2], sigma[2, 2] + e
    # The inverse of the symmetric matrix by its cofactors (Cramer's rule), per pixel.
    inv_rr = gg * bb - gb * gb
    inv_rg = gb * rb - rg * bb
    inv_rb = rg * gb - gg * rb
    inv_gg = rr * bb - rb * rb
    inv_gb = rb * rg - rr * gb
    inv_bb = rr * gg - rg * rg
    det = rr * inv_rr + rg * inv_rg + rb * inv_rb
    c_r, c_g, c_b = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    a = (
        np.stack(
            [
                inv_rr * c_r + inv_rg * c_g + inv_rb * c_b,
                inv_rg * c_r + inv_gg * c_g + inv_gb * c_b,
                inv_rb * c_r + inv_gb * c_g + inv_bb * c_b,
            ],
            axis=-1,
        )
        / det[..., None]
    )
    b = mean_p - np.einsum("hwc,hwc->hw", a, mean_i)
    return _window_mean(a, radius, count), _window_mean(b, radius, count)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """``source`` (H x W) filtered with ``guide`` (H x W x 3 or H x W, 0..1) as guide;
    float32 H x W, not clipped (the affine model can overshoot a mask's 0..1 a little)."""
    a, b = guided_coefficients(guide, source, radius, eps)
    guide = _guide(guide)
    colours = guide[..., None] if guide.ndim == 2 else guide
    return (np.einsum("hwc,hwc->hw", a, colours) + b).astype(np.float32)


def guided_upsample(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """The fast guided filter (He and Sun, 2015): fit the model on ``source`` (a small mask)
    against the guide shrunk to its size, then apply the smoothly upsampled model to the
    full-size ``guide``. ``radius`` is in the small picture's px. A mask worked out at a
    few hundred px thus gains the full photo's edges at the cost of a few array passes."""
    guide = _guide(guide)
    height, width = guide.shape[:2]
    small_h, small_w = source.shape
    small_guide = cv2.resize(guide, (small_w, small_h), interpolation=cv2.INTER_AREA)
    a, b = guided_coefficients(small_guide, source, radius, eps)
    # The coefficients are not 0..1 values: resampled as they are, never clipped.
    a_full = cv2.resize(a, (width, height), interpolation=cv2.INTER_LINEAR)
    b_full = cv2.resize(b, (width, height), interpolation=cv2.INTER_LINEAR)
    a_full = a_full.reshape(height, width, -1)
    colours = guide[..., None] if guide.ndim == 2 else guide
    return (np.einsum("hwc,hwc->hw", a_full, colours) + b_full).astype(np.float32)


REFINE_EPS = 1e-3  # keeps edges of a contrast above about 0.03 of the guide's range
REFINE_CONTRAST = 4.0  # how steeply the filtered mask is stretched about 0.5
REFINE_WORK_PX = 1_000_000  # above this, the model is fitted on a smaller copy


def refine_mask(guide: np.ndarray, mask: np.ndarray, radius: int, strength: float) -> np.ndarray:
    """``mask`` (H x W, 0..1) snapped to ``guide``'s edges (H x W x C, 0..1).

    The guided filter (``radius`` px, eps ``REFINE_EPS``) makes the mask's level follow
    the guide within ``radius`` of its edge: in a window across one of the photo's
    edges the mask becomes a step there, from the mask's mean on one side to its mean
    on the other. Stretching the result about 0.5 (x ``REFINE_CONTRAST``) turns such a
    step into a clean edge, so a blob drawn a few px off, or softly, ends where the photo's
    edge is. ``strength`` (0..1) mixes the mask (0) with the snapped one (1). Pictures
    above a megapixel fit the model at a reduced size (the fast guided filter), which
    keeps a 2048 px photo well under a second and a half on the CPU."""
    height, width = mask.shape
    scale = min(1.0, (REFINE_WORK_PX / (height * width)) ** 0.5)
    if scale < 1.0:
        small_h, small_w = max(1, round(height * scale)), max(1, round(width * scale))
        small = cv2.resize(
            np.asarray(mask, np.float32), (small_w, small_h), interpolation=cv2.INTER_AREA
        )
        filtered = guided_upsample(guide, small, max(1, round(radius * scale)), REFINE_EPS)
    else:
        filtered = guided_filter(guide, mask, radius, REFINE_EPS)
    snapped = np.clip((filtered - 0.5) * REFINE_CONTRAST + 0.5, 0.0, 1.0)
    out = (1.0 - strength) * mask + strength * snapped
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def refine_to(guide: np.ndarray, small_mask: np.ndarray, feather: float) -> np.ndarray:
    """``small_mask`` (a working-size cut) brought to ``guide``'s size along its edges:
    the fast guided filter, its radius and eps growing with ``feather`` (0..1)."""
    radius = 2 + round(6 * feather)
    eps = 10.0 ** (-4.0 + 3.0 * feather)
    out = guided_upsample(guide, small_mask, radius, eps)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
