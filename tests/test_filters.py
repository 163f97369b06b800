"""Base-layer filters: facet flattens while keeping edges; the rest at known behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from stylegraph.nodes.functional import filters
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.masks import sobel_magnitude
from stylegraph.nodes.functional.resize import fit_longest_side, resize


def _noisy_two_regions(seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.zeros((64, 64, 3), np.float32)
    image[:, :32] = [0.8, 0.3, 0.2]
    image[:, 32:] = [0.2, 0.4, 0.8]
    return np.clip(image + rng.normal(0, 0.03, image.shape), 0, 1).astype(np.float32)


def _distinct_colours(image: np.ndarray) -> int:
    return len(np.unique((image * 255).round().astype(np.uint8).reshape(-1, 3), axis=0))


def test_facet_reduces_distinct_colours_and_keeps_the_edge():
    image = _noisy_two_regions()
    out = filters.facet(image, spatial_radius=5, colour_radius=0.15)
    assert _distinct_colours(out) < _distinct_colours(image) / 20
    np.testing.assert_allclose(out[:, 28, :], [[0.8, 0.3, 0.2]] * 64, atol=0.04)
    np.testing.assert_allclose(out[:, 35, :], [[0.2, 0.4, 0.8]] * 64, atol=0.04)
    edge = sobel_magnitude(out, blur=0)[:, 31:33].mean()
    assert edge > 0.9 * sobel_magnitude(image, blur=0)[:, 31:33].mean() - 0.05


def test_facet_on_a_real_photo(images):
    photo = read_image(images / "content" / "chelsea.png")
    photo = resize(photo, *fit_longest_side(*photo.shape[:2], 200))
    out = filters.facet(photo)

    def flat_fraction(image):
        """How often a pixel equals its right neighbour in 8 bits: patches are flat."""
        q = (image * 255).round()
        return np.all(q[:, 1:] == q[:, :-1], axis=2).mean()

    assert flat_fraction(out) > 10 * flat_fraction(photo)


def test_facet_in_parallel_strips_matches_a_single_pass_almost_everywhere(images):
    photo = read_image(images / "content" / "tubingen.jpg")[:600, :500]
    strips = filters.facet(photo, workers=2)
    single = filters.facet(photo, workers=1)
    differing = np.any(np.abs(strips - single) > 0, axis=2).mean()
    assert differing < 0.001
    assert np.abs(strips - single).max() <= 0.06


def test_dry_brush_flattens_noise_but_keeps_the_step():
    image = _noisy_two_regions()
    out = filters.kuwahara(image, radius=4, sharpness=8)
    assert out[:, 5:25].std(axis=(0, 1)).max() < 0.5 * image[:, 5:25].std(axis=(0, 1)).max()
    np.testing.assert_allclose(out[:, 30].mean(0), [0.8, 0.3, 0.2], atol=0.03)
    np.testing.assert_allclose(out[:, 33].mean(0), [0.2, 0.4, 0.8], atol=0.03)


def test_posterize_gives_exact_levels():
    values = np.linspace(0, 1, 11, dtype=np.float32)
    out = filters.posterize(np.repeat(values[None, :, None], 3, 2), levels=3)
    assert set(np.unique(out).tolist()) == {0.0, 0.5, 1.0}
    assert out[0, 2, 0] == 0.0 and out[0, 3, 0] == 0.5  # 0.2 -> 0, 0.3 -> 0.5


def test_palette_keeps_at_most_k_colours_near_the_originals(images):
    photo = read_image(images / "content" / "coffee.png")[::4, ::4]
    out = filters.palette_quantize(photo, colours=6, seed=3)
    assert _distinct_colours(out) <= 6
    assert np.abs(out - photo).mean() < 0.08
    np.testing.assert_array_equal(out, filters.palette_quantize(photo, colours=6, seed=3))


def test_denoise_removes_noise_from_a_flat_area():
    rng = np.random.default_rng(0)
    flat = np.full((64, 64, 3), 0.5, np.float32)
    noisy = np.clip(flat + rng.normal(0, 0.03, flat.shape), 0, 1).astype(np.float32)
    out = filters.denoise(noisy, strength=0.08, colour_strength=0.08)
    assert out.std() < 0.3 * noisy.std()


def test_blurs():
    image = _noisy_two_regions()
    blurred = filters.gaussian_blur(image, 2.0)
    np.testing.assert_allclose(blurred.mean(), image.mean(), atol=1e-3)
    surface = filters.surface_blur(image, radius=5, threshold=0.1)
    assert surface[:, 5:25].std(axis=(0, 1)).max() < 0.5 * image[:, 5:25].std(axis=(0, 1)).max()
    assert abs(surface[:, 31, 0] - surface[:, 32, 0]).mean() > 0.5, "the step survives"
    speckled = np.full((9, 9, 3), 0.5, np.float32)
    speckled[4, 4] = 1.0
    assert filters.median(speckled, 1)[4, 4, 0] == pytest.approx(128 / 255)


def test_dry_brush_at_full_detail_on_flat_areas_stays_finite():
    """1 / variance to the 16th power overflows float32 on flat paint (found by fuzzing)."""
    from stylegraph.nodes.functional.filters import kuwahara

    image = np.zeros((20, 20, 3), np.float32)
    image[:10] = 0.5
    out = kuwahara(image, 4, 32.0)
    assert np.isfinite(out).all()
    assert np.array_equal(out[:5], image[:5]) and np.array_equal(out[-5:], image[-5:])


@pytest.mark.parametrize(("height", "width"), [(1700, 2300), (150, 203)])
def test_resize_in_strips_matches_one_pass(images, monkeypatch, height, width):
    """Large resizes go through Pillow a band of rows at a time, so an 8192 px enlargement
    holds no full-size copies per channel; the sample positions are the same, so the
    result is the one-pass result to float rounding, enlarging and shrinking alike."""
    from PIL import Image

    from stylegraph.nodes.functional import resize as resize_module

    photo = read_image(images / "content" / "tubingen.jpg")
    one_pass = np.stack(
        [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(photo[..., c])).resize(
                    (width, height), Image.Resampling.LANCZOS
                )
            )
            for c in range(3)
        ],
        axis=2,
    ).clip(0, 1)
    monkeypatch.setattr(resize_module, "_STRIP_BYTES", 4 * width * 37)
    strips = resize(photo, height, width)
    assert np.abs(strips - one_pass).max() < 1e-4  # 0.03 of a level in 255
