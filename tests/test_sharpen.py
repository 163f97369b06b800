"""Sharpening on a step edge against the unsharp-mask formula with an independent blur."""

from __future__ import annotations

import numpy as np
import pytest

from stylegraph.nodes.functional.sharpen import high_pass, sharpen_edges, unsharp_mask


def _step_row(width=40, low=0.3, high=0.7) -> np.ndarray:
    row = np.full(width, low, np.float64)
    row[width // 2 :] = high
    return row


def _gaussian_1d(row: np.ndarray, sigma: float) -> np.ndarray:
    """Reference blur: a sampled Gaussian with reflected borders (as OpenCV's REFLECT)."""
    radius = int(np.ceil(4 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(row, radius, mode="symmetric")
    return np.convolve(padded, taps, mode="valid")


def _step_image(row: np.ndarray) -> np.ndarray:
    return np.repeat(np.tile(row, (9, 1))[..., None], 3, axis=2).astype(np.float32)


def test_unsharp_mask_on_a_step_edge_matches_the_formula():
    row = _step_row()
    out = unsharp_mask(_step_image(row), amount=1.5, radius=2.0)
    expected = np.clip(row + 1.5 * (row - _gaussian_1d(row, 2.0)), 0, 1)
    np.testing.assert_allclose(out[4, :, 0], expected, atol=2e-3)
    assert out[4, 20, 0] > 0.7 and out[4, 19, 0] < 0.3, "overshoot on both sides of the edge"
    assert out[4, 0, 0] == pytest.approx(0.3, abs=1e-6), "flat areas are unchanged"


def test_threshold_leaves_small_differences_alone():
    row = _step_row(low=0.5, high=0.52)
    out = unsharp_mask(_step_image(row), amount=2.0, radius=1.0, threshold=0.05)
    np.testing.assert_allclose(out[4, :, 0], row, atol=1e-6)


def test_high_pass_is_mid_grey_where_flat():
    out = high_pass(_step_image(_step_row()), radius=2.0)
    assert out[4, 0, 0] == pytest.approx(0.5, abs=1e-6)
    assert out[4, 20, 0] > 0.5 > out[4, 19, 0]


def test_sharpen_edges_leaves_flat_painted_areas_untouched():
    rng = np.random.default_rng(0)
    image = _step_image(_step_row(width=60))
    image[:, :25] += rng.normal(0, 0.005, image[:, :25].shape).astype(np.float32)  # faint
    out, mask = sharpen_edges(image, amount=2.0, radius=1.0, edge_low=0.05, edge_high=0.2)
    assert mask[4, 29] == 1.0 and mask[4, 5] == 0.0
    np.testing.assert_array_equal(out[:, :20], image[:, :20])
    assert out[4, 30, 0] > image[4, 30, 0], "the edge got sharper"
