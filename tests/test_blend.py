"""Blend modes against the W3C Compositing and Blending formulas, written out per scalar
here independently of the vectorised implementation, and at hand-computed pixels."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from stylegraph.graph.engine import Engine
from stylegraph.graph.model import Graph
from stylegraph.nodes.functional.blend import MODES, NON_SEPARABLE, SEPARABLE, composite
from tests.conftest import rgb
from tests.helpers import run_node


def _dodge(b, s):
    if b == 0:
        return 0.0
    if s == 1:
        return 1.0
    return min(1.0, b / (1 - s))


def _burn(b, s):
    if b == 1:
        return 1.0
    if s == 0:
        return 0.0
    return 1 - min(1.0, (1 - b) / s)


def _hard(b, s):
    return b * 2 * s if s <= 0.5 else b + (2 * s - 1) - b * (2 * s - 1)


def _soft(b, s):
    if s <= 0.5:
        return b - (1 - 2 * s) * b * (1 - b)
    d = ((16 * b - 12) * b + 4) * b if b <= 0.25 else math.sqrt(b)
    return b + (2 * s - 1) * (d - b)


REFERENCE = {
    "normal": lambda b, s: s,
    "multiply": lambda b, s: b * s,
    "screen": lambda b, s: b + s - b * s,
    "overlay": lambda b, s: _hard(s, b),
    "darken": min,
    "lighten": max,
    "color-dodge": _dodge,
    "color-burn": _burn,
    "hard-light": _hard,
    "soft-light": _soft,
    "difference": lambda b, s: abs(b - s),
    "exclusion": lambda b, s: b + s - 2 * b * s,
    "linear-dodge": lambda b, s: min(1.0, b + s),
    "linear-burn": lambda b, s: max(0.0, b + s - 1),
    "vivid-light": lambda b, s: _burn(b, 2 * s) if s <= 0.5 else _dodge(b, 2 * (s - 0.5)),
    "linear-light": lambda b, s: min(1.0, max(0.0, b + 2 * s - 1)),
    "pin-light": lambda b, s: min(b, 2 * s) if s <= 0.5 else max(b, 2 * s - 1),
    "hard-mix": lambda b, s: 1.0 if b + s >= 1 else 0.0,
    "subtract": lambda b, s: max(0.0, b - s),
    "divide": lambda b, s: (1.0 if b > 0 else 0.0) if s == 0 else min(1.0, b / s),
}
LEVELS = [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0]


def test_every_mode_is_tested():
    assert set(REFERENCE) == set(SEPARABLE)
    assert set(MODES) == set(SEPARABLE) | set(NON_SEPARABLE)
    assert len(MODES) == 26


@pytest.mark.parametrize("mode", sorted(REFERENCE))
def test_separable_modes_match_the_spec_formula_on_a_grid(mode):
    pairs = list(itertools.product(LEVELS, LEVELS))
    base = np.array([[b, b, b] for b, _ in pairs], np.float32).reshape(1, -1, 3)
    top = np.array([[s, s, s] for _, s in pairs], np.float32).reshape(1, -1, 3)
    out = composite(base, top, mode)
    expected = [REFERENCE[mode](b, s) for b, s in pairs]
    np.testing.assert_allclose(out[0, :, 0], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("mode", "base", "top", "expected"),
    [
        ("multiply", 0.5, 0.5, 0.25),
        ("screen", 0.5, 0.5, 0.75),
        ("overlay", 0.25, 0.8, 0.5 * 0.8),  # base <= .5: 2 * base * top
        ("overlay", 0.75, 0.2, 1 - 2 * 0.25 * 0.8),
        ("color-dodge", 0.4, 0.5, 0.8),
        ("color-burn", 0.6, 0.5, 0.2),
        ("soft-light", 0.25, 1.0, 0.5),  # D(0.25) = 0.25 * (4 - 3 * ...) = 0.5
        ("hard-light", 0.5, 0.25, 0.25),
        ("difference", 0.2, 0.7, 0.5),
        ("exclusion", 0.5, 0.5, 0.5),
        ("linear-burn", 0.7, 0.6, 0.3),
        ("vivid-light", 0.5, 0.75, 1.0),  # dodge(0.5, 0.5) = 1
        ("linear-light", 0.5, 0.6, 0.7),
        ("pin-light", 0.8, 0.3, 0.6),
        ("hard-mix", 0.5, 0.49, 0.0),
        ("subtract", 0.9, 0.4, 0.5),
        ("divide", 0.3, 0.6, 0.5),
    ],
)
def test_known_pixel_values(mode, base, top, expected):
    out = composite(rgb(base, base, base), rgb(top, top, top), mode)
    assert out[0, 0, 0] == pytest.approx(expected, abs=1e-6)


def _lum(c):
    return 0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2]


def test_non_separable_modes_keep_luminosity_and_hue_as_the_spec_says():
    red, grey = rgb(1.0, 0.0, 0.0), rgb(0.5, 0.5, 0.5)
    # color: hue and saturation of the top, luminosity of the base.
    out = composite(grey, red, "color")[0, 0]
    assert _lum(out) == pytest.approx(0.5, abs=1e-6)
    assert out[0] > out[1] == pytest.approx(out[2], abs=1e-6)
    # luminosity: the base's colour with the top's luminosity (0.3 for pure red).
    out = composite(grey, red, "luminosity")[0, 0]
    np.testing.assert_allclose(out, [0.3, 0.3, 0.3], atol=1e-6)
    # saturation of a grey top makes the base grey at the base's luminosity.
    out = composite(rgb(0.8, 0.2, 0.2), grey, "saturation")[0, 0]
    np.testing.assert_allclose(out, [_lum([0.8, 0.2, 0.2])] * 3, atol=1e-6)
    # hue: the top's hue with the base's saturation and luminosity.
    out = composite(rgb(0.2, 0.6, 0.2), rgb(0.0, 0.0, 1.0), "hue")[0, 0]
    assert _lum(out) == pytest.approx(_lum([0.2, 0.6, 0.2]), abs=1e-6)
    assert out.max() - out.min() == pytest.approx(0.4, abs=1e-6)
    assert out.argmax() == 2
    # darker/lighter colour pick a whole colour, never mix channels.
    np.testing.assert_allclose(
        composite(rgb(0.9, 0.1, 0.1), rgb(0.3, 0.3, 0.3), "darker-color")[0, 0], [0.3] * 3
    )
    np.testing.assert_allclose(
        composite(rgb(0.9, 0.1, 0.1), rgb(0.3, 0.3, 0.3), "lighter-color")[0, 0], [0.9, 0.1, 0.1]
    )


def test_alpha_is_composited_source_over():
    # Half-transparent white over opaque black: 0.5 grey, opaque.
    out = composite(rgb(0, 0, 0), rgb(1, 1, 1, 0.5))
    np.testing.assert_allclose(out[0, 0], [0.5, 0.5, 0.5], atol=1e-6)
    out = composite(rgb(0, 0, 0, 1), rgb(1, 1, 1, 0.5))
    np.testing.assert_allclose(out[0, 0], [0.5, 0.5, 0.5, 1.0], atol=1e-6)
    # Opaque top over a fully transparent base: the top as it is (the blend mode has no
    # backdrop to act on).
    out = composite(rgb(0.2, 0.2, 0.2, 0.0), rgb(0.6, 0.6, 0.6, 1.0), "multiply")
    np.testing.assert_allclose(out[0, 0], [0.6, 0.6, 0.6, 1.0], atol=1e-6)
    # Both half transparent, multiply: Cs' = .5*1 + .5*(0*1) = .5; co = .5*.5 + .5*.5*0;
    # ao = .75; Co = .25 / .75.
    out = composite(rgb(0, 0, 0, 0.5), rgb(1, 1, 1, 0.5), "multiply")
    np.testing.assert_allclose(out[0, 0], [1 / 3, 1 / 3, 1 / 3, 0.75], atol=1e-6)


def test_opacity_and_mask_scale_the_top_layer():
    base, top = np.zeros((1, 2, 3), np.float32), np.ones((1, 2, 3), np.float32)
    mask = np.array([[1.0, 0.5]], np.float32)
    out = composite(base, top, "normal", opacity=0.5, mask=mask)
    np.testing.assert_allclose(out[0, :, 0], [0.5, 0.25], atol=1e-6)


def test_mismatched_sizes_resize_or_offset_never_crash(registry):
    base = np.zeros((4, 4, 3), np.float32)
    top = np.ones((2, 2, 3), np.float32)
    out, warnings = run_node(registry, "image.blend", {"base": base, "top": top})
    np.testing.assert_allclose(out["image"], 1.0)
    assert warnings == ["the top layer is 2x2, resized to 4x4"]
    out, _ = run_node(
        registry,
        "image.blend",
        {"base": base, "top": top},
        {"fit": "offset", "offset_x": 3, "offset_y": -1},
    )
    image = out["image"]
    assert image.shape == (4, 4, 3)
    assert image[0, 3, 0] == 1.0 and image[1, 3, 0] == 0.0 and image[0, 2, 0] == 0.0
    mask = np.ones((8, 8), np.float32)
    out, warnings = run_node(registry, "image.blend", {"base": base, "top": top, "mask": mask})
    assert "the mask is 8x8, the image 4x4: the mask was resized to fit" in warnings


def test_layer_stack_equals_chained_blends_for_any_number_of_layers(registry):
    rng = np.random.default_rng(1)
    base = rng.random((5, 6, 3), dtype=np.float32)
    layers = [rng.random((5, 6, 3), dtype=np.float32) for _ in range(5)]
    masks = {2: rng.random((5, 6), dtype=np.float32), 4: rng.random((5, 6), dtype=np.float32)}
    modes = ["multiply", "screen", "soft-light", "color", "difference"]
    opacities = [1.0, 0.5, 0.8, 0.3, 1.0]
    inputs = {"base": base} | {f"layer{i + 1}": layer for i, layer in enumerate(layers)}
    inputs |= {f"mask{n}": m for n, m in masks.items()}
    out, _ = run_node(
        registry, "image.layer_stack", inputs, {"modes": modes, "opacities": opacities}
    )
    expected = base
    for i, layer in enumerate(layers):
        expected = composite(expected, layer, modes[i], opacities[i], masks.get(i + 1))
    np.testing.assert_allclose(out["image"], expected, atol=1e-6)


def test_layer_stack_takes_any_number_of_links_in_a_graph(registry, tmp_path):
    g = Graph(registry)
    g.add_node(
        "mask.shape",
        "shape",
        {"width": 8, "height": 8, "shape": "rectangle", "x": 0.0, "y": 0.0, "w": 0.5, "h": 1.0},
    )
    g.add_node("mask.to_image", "white")
    g.connect("shape", "mask", "white", "mask")
    g.add_node("image.layer_stack", "stack", {"modes": ["normal"] * 12})
    g.add_node("mask.invert", "inv")
    g.connect("shape", "mask", "inv", "mask")
    g.add_node("mask.to_image", "black")
    g.connect("inv", "mask", "black", "mask")
    g.connect("black", "image", "stack", "base")
    for n in range(1, 13):
        g.connect("white", "image", "stack", f"layer{n}")
    g.connect("inv", "mask", "stack", "mask12")
    image = Engine().run(g, targets=["stack"]).outputs["stack"]["image"]
    assert image[0, 0, 0] == 1.0 and image[0, 7, 0] == 0.0
