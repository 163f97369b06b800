"""Masks at known pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from stylegraph.nodes.functional import masks
from tests.conftest import rgb
from tests.helpers import run_node


def test_luminance_range_with_linear_softness():
    values = np.array([0.0, 0.35, 0.4, 0.45, 0.5, 0.8, 0.9, 0.95, 1.0], np.float32)
    image = np.repeat(values[None, :, None], 3, axis=2)
    out = masks.luminance_range(image, 0.5, 0.8, 0.1)
    np.testing.assert_allclose(out[0], [0, 0, 0, 0.5, 1, 1, 0, 0, 0], atol=1e-5)


def test_colour_range_selects_hues_and_wraps_around_red():
    pixels = np.array([[[1, 0, 0], [0, 0, 1], [1, 0, 0.1], [0.5, 0.5, 0.5]]], np.float32)
    blue = masks.colour_range(pixels, hue=240, hue_width=40, softness=0.0)
    np.testing.assert_array_equal(blue[0], [0, 1, 0, 0])
    # hue 354 degrees (red with a little blue) is 6 degrees from 0: inside a 20 wide band.
    red = masks.colour_range(pixels, hue=0, hue_width=20, saturation=(0.1, 1.0), softness=0.0)
    np.testing.assert_array_equal(red[0], [1, 0, 1, 0])
    grey_excluded = masks.colour_range(
        pixels, hue=0, hue_width=360, saturation=(0.2, 1.0), softness=0.0
    )
    assert grey_excluded[0, 3] == 0.0


def test_channel_and_alpha_masks():
    image = rgb(0.1, 0.2, 0.3, 0.4)
    assert masks.from_channel(image, "alpha")[0, 0] == pytest.approx(0.4)
    assert masks.from_channel(image, "green")[0, 0] == pytest.approx(0.2)
    assert masks.from_channel(image, "luminance")[0, 0] == pytest.approx(
        0.2126 * 0.1 + 0.7152 * 0.2 + 0.0722 * 0.3
    )
    assert masks.from_channel(rgb(0.1, 0.2, 0.3), "alpha")[0, 0] == 1.0


def test_shapes_cover_the_right_pixels():
    rect = masks.shape(100, 200, "rectangle", (0.25, 0.5, 0.5, 0.25))
    assert rect[60, 100] == 1.0 and rect[40, 100] == 0.0 and rect[60, 10] == 0.0
    assert rect.sum() == pytest.approx(100 * 25, rel=1e-6)
    half_pixel = masks.shape(4, 4, "rectangle", (0.125, 0.0, 0.5, 1.0))
    np.testing.assert_allclose(half_pixel[0], [0.5, 1.0, 0.5, 0.0])
    ellipse = masks.shape(200, 200, "ellipse", (0.0, 0.0, 1.0, 1.0))
    assert ellipse.sum() == pytest.approx(np.pi * 100 * 100, rel=0.002)
    assert ellipse[100, 100] == 1.0 and ellipse[2, 2] == 0.0
    triangle = masks.shape(100, 100, "polygon", points=[[0, 0], [1, 0], [0, 1]])
    assert triangle.sum() == pytest.approx(5000, rel=0.005)
    assert triangle[10, 10] == 1.0 and triangle[90, 90] == 0.0
    feathered = masks.shape(100, 100, "rectangle", (0.0, 0.0, 0.5, 1.0), feather=5)
    assert 0.3 < feathered[50, 50] < 0.7, "the edge is soft"
    assert feathered[50, 10] == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValueError, match="at least 3 points"):
        masks.shape(10, 10, "polygon", points=[[0, 0], [1, 1]])


def test_shape_node_takes_its_size_from_an_image(registry):
    out, _ = run_node(registry, "mask.shape", {"size_of": np.zeros((30, 40, 3), np.float32)})
    assert out["mask"].shape == (30, 40)


def _step(width=40, low=0.2, high=0.8) -> np.ndarray:
    image = np.full((20, width, 3), low, np.float32)
    image[:, width // 2 :] = high
    return image


def test_sobel_edge_mask_is_full_at_a_step_and_empty_on_flat_areas():
    out = masks.edges(_step(), "sobel", low=0.05, high=0.2, blur=0.0)
    assert out[10, 19] == 1.0 and out[10, 20] == 1.0
    assert out[10, 5] == 0.0 and out[10, 35] == 0.0
    # A 0.6 step: the 3x3 Sobel normalised by 4 gives the full 0.6 beside the step.
    magnitude = masks.sobel_magnitude(_step(), blur=0.0)
    assert magnitude[10, 19] == pytest.approx(0.6, abs=1e-6)


def test_canny_finds_a_one_pixel_line_at_the_step():
    out = masks.edges(_step(), "canny", low=0.05, high=0.2, blur=0.0)
    columns = np.nonzero(out[10])[0]
    assert len(columns) == 1 and columns[0] in (19, 20)


def test_mask_operations_at_known_values():
    a = np.array([[0.2, 0.6, 1.0]], np.float32)
    b = np.array([[0.5, 0.5, 0.5]], np.float32)
    np.testing.assert_allclose(masks.invert(a), [[0.8, 0.4, 0.0]], atol=1e-6)
    np.testing.assert_allclose(masks.combine(a, b, "add"), [[0.7, 1.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(masks.combine(a, b, "subtract"), [[0.0, 0.1, 0.5]], atol=1e-6)
    np.testing.assert_allclose(masks.combine(a, b, "multiply"), [[0.1, 0.3, 0.5]], atol=1e-6)
    np.testing.assert_allclose(masks.combine(a, b, "min"), [[0.2, 0.5, 0.5]], atol=1e-6)
    np.testing.assert_allclose(masks.combine(a, b, "max"), [[0.5, 0.6, 1.0]], atol=1e-6)
    np.testing.assert_allclose(masks.combine(a, b, "difference"), [[0.3, 0.1, 0.5]], atol=1e-6)
    np.testing.assert_allclose(masks.levels(a, 0.2, 0.6), [[0.0, 1.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(
        masks.levels(np.array([[0.25]], np.float32), gamma=2.0), [[0.5]], atol=1e-6
    )
    np.testing.assert_array_equal(masks.threshold(a, 0.6), [[0, 1, 1]])


def test_grow_and_shrink_move_the_edge_by_the_pixel_count():
    square = np.zeros((41, 41), np.float32)
    square[10:31, 10:31] = 1.0
    grown = masks.grow(square, 3)
    assert grown[20, 7] == 1.0 and grown[20, 6] == 0.0
    shrunk = masks.grow(square, -3)
    assert shrunk[20, 13] == 1.0 and shrunk[20, 12] == 0.0


def test_feather_keeps_the_total_and_softens(registry):
    mask = np.zeros((50, 50), np.float32)
    mask[:, 25:] = 1.0
    out, _ = run_node(registry, "mask.feather", {"mask": mask}, {"radius": 3.0})
    assert out["mask"].sum() == pytest.approx(mask.sum(), rel=1e-4)
    assert 0.4 < out["mask"][25, 24] < 0.5 < out["mask"][25, 25] < 0.6


def test_a_mask_of_another_size_is_resized_with_a_warning(registry):
    image = np.zeros((10, 20, 3), np.float32)
    out, warnings = run_node(
        registry, "mask.apply_alpha", {"image": image, "mask": np.ones((5, 10), np.float32)}
    )
    assert out["image"].shape == (10, 20, 4)
    np.testing.assert_allclose(out["image"][..., 3], 1.0)
    assert warnings == ["the mask is 10x5, the image 20x10: the mask was resized to fit"]
    out, warnings = run_node(
        registry,
        "mask.combine",
        {"a": np.ones((4, 4), np.float32), "b": np.ones((2, 2), np.float32)},
    )
    assert out["mask"].shape == (4, 4) and warnings


def test_mask_to_image_and_load_mask_from_a_16_bit_file(registry, tmp_path):
    values = np.array([[0, 32768, 65535]], np.uint16)
    Image.fromarray(values).save(tmp_path / "m.png")
    out, _ = run_node(registry, "mask.load", {}, {"path": str(tmp_path / "m.png")})
    np.testing.assert_allclose(out["mask"], values / 65535, atol=1e-6)
    image, _ = run_node(registry, "mask.to_image", {"mask": out["mask"]})
    np.testing.assert_allclose(image["image"][0, 1], [32768 / 65535] * 3, atol=1e-6)
