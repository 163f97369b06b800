"""The guided filter against its definition, computed window by window."""

from __future__ import annotations

import numpy as np
import pytest

from stylegraph.nodes.functional.guided import guided_filter, guided_upsample


def _window(y: int, x: int, radius: int) -> tuple[slice, slice]:
    """The (2 radius + 1)-square box around (y, x), cut at the image's top and left edges
    (numpy cuts the bottom and right ones)."""
    return slice(max(y - radius, 0), y + radius + 1), slice(max(x - radius, 0), x + radius + 1)


def definition(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s equations, one window at a time in float64: the ridge regression of the
    input on the guide's colour in each window (cut at the border), then each pixel's
    output from the mean of the models of the windows that hold it."""
    height, width = source.shape
    colours = guide.reshape(height, width, -1).astype(np.float64)
    channels = colours.shape[2]
    a = np.zeros((height, width, channels))
    b = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            window = _window(y, x, radius)
            i = colours[window].reshape(-1, channels)
            p = source[window].reshape(-1).astype(np.float64)
            mean_i, mean_p = i.mean(axis=0), p.mean()
            sigma = (i - mean_i).T @ (i - mean_i) / len(p)
            cov = (i - mean_i).T @ (p - mean_p) / len(p)
            a[y, x] = np.linalg.solve(sigma + eps * np.eye(channels), cov)
            b[y, x] = mean_p - a[y, x] @ mean_i
    out = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            window = _window(y, x, radius)
            mean_a = a[window].reshape(-1, channels).mean(axis=0)
            out[y, x] = mean_a @ colours[y, x] + b[window].mean()
    return out


@pytest.mark.parametrize(("radius", "eps"), [(1, 1e-3), (2, 1e-2), (3, 1e-4)])
def test_the_colour_guided_filter_matches_its_definition(radius, eps):
    rng = np.random.default_rng(radius)
    guide = rng.random((13, 17, 3)).astype(np.float32)
    source = rng.random((13, 17)).astype(np.float32)
    out = guided_filter(guide, source, radius, eps)
    assert out.dtype == np.float32 and out.shape == (13, 17)
    np.testing.assert_allclose(out, definition(guide, source, radius, eps), atol=2e-4)


def test_a_grey_guide_matches_its_definition():
    rng = np.random.default_rng(7)
    guide = rng.random((11, 9)).astype(np.float32)
    source = rng.random((11, 9)).astype(np.float32)
    out = guided_filter(guide, source, 2, 1e-3)
    np.testing.assert_allclose(out, definition(guide, source, 2, 1e-3), atol=2e-4)


def test_a_blurred_mask_snaps_to_the_guides_edge():
    """A step in the guide and a soft ramp in the mask across it (1/16 a px): the
    filtered mask jumps where the guide steps, by the ramp's change over the window."""
    guide = np.zeros((20, 40, 3), np.float32)
    guide[:, 20:] = 1.0
    ramp = np.clip((np.arange(40, dtype=np.float32) - 12.0) / 16.0, 0.0, 1.0)
    source = np.tile(ramp, (20, 1))
    out = guided_filter(guide, source, 4, 1e-4)
    jumps = np.diff(out[10])
    assert jumps[19] > 0.3, "the step lands between columns 19 and 20, where the guide's is"
    assert np.all(np.delete(jumps, 19) < 0.07), "elsewhere it rises no faster than the ramp"
    assert out[10, 19] < source[10, 19] and out[10, 20] > source[10, 20]


def test_upsampling_keeps_the_full_size_guides_edges():
    guide = np.zeros((80, 80, 3), np.float32)
    guide[:, 37:] = 1.0  # an edge that falls inside one px of a 20 px mask
    small = np.zeros((20, 20), np.float32)
    small[:, 9:] = 1.0
    out = guided_upsample(guide, small, 2, 1e-4)
    assert out.shape == (80, 80)
    assert np.all(out[:, :35] < 0.1) and np.all(out[:, 39:] > 0.9)


def test_bad_radius_and_eps_are_refused():
    guide = np.zeros((5, 5, 3), np.float32)
    with pytest.raises(ValueError, match="radius must be at least 1 px, got 0"):
        guided_filter(guide, np.zeros((5, 5), np.float32), 0, 1e-3)
    with pytest.raises(ValueError, match="eps must be above 0, got 0"):
        guided_filter(guide, np.zeros((5, 5), np.float32), 1, 0.0)
