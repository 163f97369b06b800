"""Painted masks: the brush against its formulas, size independence, the param checks."""

from __future__ import annotations

import numpy as np
import pytest

from stylegraph.graph.engine import Engine
from stylegraph.graph.model import Graph
from stylegraph.graph.spec import ParamError, ParamType
from stylegraph.nodes.functional.paint import brush_profile, render_strokes
from stylegraph.nodes.functional.resize import resize_mask
from stylegraph.nodes.mask.paint import NODE as PAINT_NODE


def stroke(points, size=0.2, hardness=1.0, opacity=1.0, mode="paint"):
    return {"points": points, "size": size, "hardness": hardness, "opacity": opacity, "mode": mode}


def test_a_hard_stamp_is_its_opacity_inside_and_the_base_outside():
    mask = render_strokes([stroke([[0.5, 0.5]], size=0.2, opacity=0.6)], 100, 100, base=0.25)
    # radius 10 px around the centre (50, 50)
    assert mask[50, 50] == pytest.approx(0.25 + 0.75 * 0.6)
    assert mask[50, 58] == pytest.approx(0.25 + 0.75 * 0.6)
    assert mask[50, 62] == pytest.approx(0.25)
    assert mask[5, 5] == pytest.approx(0.25)
    assert mask.dtype == np.float32 and mask.shape == (100, 100)


def test_a_soft_brush_falls_off_by_its_profile():
    mask = render_strokes([stroke([[0.5, 0.5]], size=0.4, hardness=0.0)], 100, 100)
    # radius 20 px, no hard core: coverage = (1 + cos(pi d / 20)) / 2 at distance d
    for column in (50, 55, 60, 65):
        distance = np.hypot(column + 0.5 - 50.0, 0.5)  # from the pixel's centre
        expected = 0.5 * (1 + np.cos(np.pi * distance / 20.0))
        assert mask[50, column] == pytest.approx(expected, abs=1e-5)
    assert brush_profile(np.array([0.0, 20.0]), 20.0, 0.0).tolist() == [1.0, 0.0]


def test_one_stroke_does_not_build_up_where_it_crosses_itself_but_two_strokes_do():
    there_and_back = stroke([[0.2, 0.5], [0.8, 0.5], [0.2, 0.5]], opacity=0.5)
    once = render_strokes([there_and_back], 100, 100)
    assert once[50, 50] == pytest.approx(0.5)
    twice = render_strokes([there_and_back, there_and_back], 100, 100)
    assert twice[50, 50] == pytest.approx(0.5 + 0.5 * 0.5)


def test_erase_takes_away_by_its_opacity():
    filled = render_strokes([stroke([[0.5, 0.5]], mode="erase", opacity=0.75)], 100, 100, 1.0)
    assert filled[50, 50] == pytest.approx(0.25)
    assert filled[5, 5] == pytest.approx(1.0)


def test_the_same_strokes_scale_with_the_picture():
    strokes = [
        stroke([[0.1, 0.2], [0.5, 0.7], [0.9, 0.3]], size=0.1, hardness=0.5, opacity=0.8),
        stroke([[0.4, 0.4]], size=0.15, mode="erase", opacity=0.5),
    ]
    small = render_strokes(strokes, 100, 200)
    large = render_strokes(strokes, 200, 400)
    assert np.abs(resize_mask(large, 100, 200) - small).mean() < 0.01
    assert small.mean() == pytest.approx(large.mean(), abs=0.005)


def test_a_stroke_outside_the_picture_leaves_it_alone():
    mask = render_strokes([stroke([[1.9, 1.9]], size=0.1)], 50, 50, base=0.5)
    assert (mask == 0.5).all()


STROKES_PARAM = next(p for p in PAINT_NODE.params if p.type == ParamType.STROKES)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "expected a list of strokes, got 'x'"),
        ([[1, 2]], "stroke 1: expected an object with hardness, mode, opacity, points, size"),
        ([{"points": [[0, 0]]}], "stroke 1: missing hardness, mode, opacity, size"),
        ([{**stroke([[0, 0]]), "colour": 1}], "stroke 1: unknown colour"),
        ([stroke([])], "stroke 1: points must be a list of 1 to 20000 [x, y]"),
        ([stroke([[0, float("nan")]])], "stroke 1: a point must be between -1 and 2, got nan"),
        ([stroke([[0, 0]], size=0)], "stroke 1: size must be above 0"),
        ([stroke([[0, 0]], opacity=2)], "stroke 1: opacity must be between 0 and 1, got 2"),
        ([stroke([[0, 0]], mode="smudge")], "stroke 1: mode must be paint or erase, got 'smudge'"),
        ([stroke([[0, 0]], hardness=True)], "stroke 1: hardness must be a number, got True"),
    ],
)
def test_bad_strokes_are_refused_with_what_is_wrong(value, message):
    with pytest.raises(ParamError) as caught:
        STROKES_PARAM.check(value)
    assert str(caught.value) == message


def test_the_node_paints_at_the_size_of_its_image(registry):
    graph = Graph(registry)
    graph.add_node("mask.shape", "size", {"width": 80, "height": 40})
    graph.add_node("mask.to_image", "picture")
    graph.connect("size", "mask", "picture", "mask")
    graph.add_node("mask.paint", "painted", {"base": 0.0, "strokes": [stroke([[0.5, 0.5]])]})
    graph.connect("picture", "image", "painted", "image")
    report = Engine().run(graph, targets=["painted"])
    mask = report.outputs["painted"]["mask"]
    assert mask.shape == (40, 80)
    assert np.array_equal(mask, render_strokes([stroke([[0.5, 0.5]])], 40, 80))
