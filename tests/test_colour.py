"""Colour transfer moves Lab statistics; adjustments follow their formulas."""

from __future__ import annotations

import numpy as np
import pytest

from stylegraph.nodes.functional import colour, geometry
from stylegraph.nodes.functional.image_io import read_image
from tests.conftest import rgb


def test_lab_of_pure_red_is_the_cie_value():
    np.testing.assert_allclose(
        colour.rgb_to_lab(rgb(1, 0, 0))[0, 0], [53.24, 80.09, 67.20], atol=0.05
    )


def _small(path):
    return np.ascontiguousarray(read_image(path)[::3, ::3])


def test_reinhard_moves_lab_means_and_stds_exactly_when_in_gamut():
    rng = np.random.default_rng(0)
    photo = rng.uniform(0.35, 0.6, (32, 32, 3)).astype(np.float32)
    reference = (rng.uniform(0.3, 0.7, (24, 24, 3)) * [1.0, 0.8, 0.6]).astype(np.float32)
    out = colour.rgb_to_lab(colour.reinhard_transfer(photo, reference)).reshape(-1, 3)
    ref = colour.rgb_to_lab(reference).reshape(-1, 3)
    # OpenCV's float Lab conversion is accurate to about 0.1 L* on a round trip.
    np.testing.assert_allclose(out.mean(0), ref.mean(0), atol=0.15)
    np.testing.assert_allclose(out.std(0), ref.std(0), rtol=0.02)


@pytest.mark.parametrize("painting", ["the_scream.jpg", "shipwreck.jpg", "starry_night.jpg"])
def test_reinhard_moves_a_photo_towards_a_painting(images, painting):
    """Real pairs push colours out of the sRGB gamut, where clipping bends the statistics."""
    photo = _small(images / "content" / "chelsea.png")
    reference = _small(images / "styles" / painting)
    out = colour.reinhard_transfer(photo, reference)
    lab_out, lab_ref, lab_in = (
        colour.rgb_to_lab(x).reshape(-1, 3) for x in (out, reference, photo)
    )
    before = np.linalg.norm(lab_in.mean(0) - lab_ref.mean(0))
    after = np.linalg.norm(lab_out.mean(0) - lab_ref.mean(0))
    assert after < 0.3 * before
    np.testing.assert_allclose(lab_out.std(0), lab_ref.std(0), rtol=0.2)
    half = colour.reinhard_transfer(photo, reference, strength=0.5)
    np.testing.assert_allclose(half, (photo + out) / 2, atol=1e-5)


def test_histogram_matching_matches_the_references_percentiles(images):
    photo = _small(images / "content" / "coffee.png")
    painting = _small(images / "styles" / "the_scream.jpg")
    out = colour.match_histograms(photo, painting)
    for q in (10, 50, 90):
        np.testing.assert_allclose(
            np.percentile(out, q, axis=(0, 1)), np.percentile(painting, q, axis=(0, 1)), atol=0.01
        )


def test_luminance_transfer_takes_l_from_the_render_and_ab_from_the_photo():
    rng = np.random.default_rng(0)
    photo = rng.uniform(0.3, 0.7, (8, 8, 3)).astype(np.float32)
    render = rng.uniform(0.3, 0.7, (8, 8, 3)).astype(np.float32)
    out = colour.rgb_to_lab(colour.luminance_transfer(photo, render))
    np.testing.assert_allclose(out[..., 0], colour.rgb_to_lab(render)[..., 0], atol=0.25)
    np.testing.assert_allclose(out[..., 1:], colour.rgb_to_lab(photo)[..., 1:], atol=0.4)


def test_adjustments_at_known_values():
    grey = rgb(0.25, 0.5, 0.75)
    np.testing.assert_allclose(
        colour.brightness_contrast(grey, 0.1, 1.0)[0, 0], [0.1, 0.6, 1.0], atol=1e-6
    )
    np.testing.assert_allclose(colour.levels(grey, 0.25, 0.75)[0, 0], [0, 0.5, 1], atol=1e-6)
    np.testing.assert_allclose(
        colour.levels(rgb(0.25, 0.25, 0.25), gamma=2.0)[0, 0], [0.5] * 3, atol=1e-6
    )
    np.testing.assert_allclose(
        colour.levels(grey, out_black=0.2, out_white=0.6)[0, 0], [0.3, 0.4, 0.5], atol=1e-6
    )
    np.testing.assert_allclose(colour.gamma(rgb(0.25, 0.25, 0.25), 2.0)[0, 0], [0.5] * 3)
    np.testing.assert_allclose(
        colour.hue_saturation(rgb(1, 0, 0), hue=120)[0, 0], [0, 1, 0], atol=1e-5
    )
    np.testing.assert_allclose(
        colour.hue_saturation(rgb(1, 0, 0), saturation=-1)[0, 0], [1, 1, 1], atol=1e-5
    )
    np.testing.assert_allclose(
        colour.hue_saturation(grey, lightness=0.5)[0, 0], [0.625, 0.75, 0.875], atol=1e-5
    )


def test_geometry():
    image = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3) / 20
    np.testing.assert_array_equal(geometry.crop(image, 1, 0, 5, 1), image[0:1, 1:3])
    with pytest.raises(ValueError, match="lies outside the 3x2 image"):
        geometry.crop(image, 5, 5, 2, 2)
    padded = geometry.pad(image, 1, 0, 0, 2)
    assert padded.shape == (3, 5, 4) and padded[0, 0, 3] == 0 and padded[1, 0, 3] == 1
    np.testing.assert_array_equal(geometry.pad(image, 0, 0, 1, 0, "edge")[:, 0], image[:, 0])
    coloured = geometry.pad(image, 0, 1, 0, 0, "colour", (1.0, 0.0, 0.0))
    np.testing.assert_array_equal(coloured[2, 0], [1, 0, 0])
    np.testing.assert_array_equal(geometry.flip(image)[:, 0], image[:, 2])
    np.testing.assert_array_equal(geometry.flip(image, horizontal=False)[0], image[1])
    rotated = geometry.rotate90(image, 90)
    assert rotated.shape == (3, 2, 3)
    np.testing.assert_array_equal(rotated[0, 0], image[1, 0])  # bottom-left goes top-left
    np.testing.assert_array_equal(geometry.rotate90(image, 180), image[::-1, ::-1])
