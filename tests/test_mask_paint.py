"""Painted masks: the brush against its formulas, size independence, the param checks,
quick selection from keep and remove hints, subject anchoring and the foreign-photo warning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import Engine
from stylegraph.graph.model import Graph
from stylegraph.graph.spec import ParamError, ParamType
from stylegraph.nodes.functional.anchors import region_box, region_mask
from stylegraph.nodes.functional.paint import (
    brush_profile,
    hint_masks,
    photo_hash,
    render_strokes,
    to_image_point,
    to_subject_point,
)
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
        (
            [stroke([[0, 0]], mode="smudge")],
            "stroke 1: mode must be paint, erase, keep or remove, got 'smudge'",
        ),
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


def test_keep_and_remove_strokes_are_accepted_and_paint_nothing_themselves():
    hints = [stroke([[0.5, 0.5]], mode="keep"), stroke([[0.2, 0.2]], mode="remove")]
    assert [s["mode"] for s in STROKES_PARAM.check(hints)] == ["keep", "remove"]
    assert (render_strokes(hints, 40, 40, base=0.3) == np.float32(0.3)).all()
    keep, remove = hint_masks(hints, 100, 100)
    assert keep[50, 50] == 1.0 and keep[20, 20] == 0.0
    assert remove[20, 20] == 1.0 and remove[50, 50] == 0.0
    assert hint_masks([stroke([[0.5, 0.5]])], 10, 10) is None


def two_squares(size: int = 120) -> np.ndarray:
    """A blue square and an orange one, apart, on a noisy light ground."""
    rng = np.random.default_rng(3)
    photo = np.full((size, size, 3), 0.85, np.float32)
    photo += rng.normal(0.0, 0.03, photo.shape).astype(np.float32)
    photo[20:60, 15:55] = (0.1, 0.2, 0.7)
    photo[60:100, 70:110] = (0.9, 0.5, 0.1)
    return np.clip(photo, 0.0, 1.0)


def run_paint(image: np.ndarray, **params) -> tuple[np.ndarray, list[str]]:
    ctx = NodeContext("painted", Path("."))
    values = dict(PAINT_NODE.default_params(), **params)
    return PAINT_NODE.run(ctx, {"image": image}, values)["mask"], ctx.warnings


def test_two_rough_hint_strokes_select_one_object_up_to_its_edges():
    """A keep stroke across the orange square and a remove stroke across the ground and
    the blue square: the mask is the orange square, edge to edge, though neither stroke
    comes near its edges; a paint stroke still adds on top of the cut."""
    photo = two_squares()
    hints = [
        stroke([[0.65, 0.65], [0.8, 0.75]], size=0.05, mode="keep"),
        stroke([[0.1, 0.9], [0.3, 0.3], [0.9, 0.1]], size=0.05, mode="remove"),
    ]
    mask, _ = run_paint(photo, strokes=hints)
    orange = np.zeros((120, 120), bool)
    orange[60:100, 70:110] = True
    assert ((mask >= 0.5) == orange).mean() > 0.99
    assert mask[20:60, 15:55].max() < 0.5, "the blue square, salient too, is left out"
    touched, _ = run_paint(photo, strokes=[*hints, stroke([[0.1, 0.1]], size=0.1)])
    assert touched[12, 12] == pytest.approx(1.0) and touched[80, 90] == mask[80, 90]


def test_strokes_on_another_photo_are_said_in_one_line_naming_the_node():
    photo = two_squares()
    painted = [stroke([[0.5, 0.5]])]
    _, warnings = run_paint(photo, strokes=painted, painted_on=photo_hash(photo))
    assert warnings == []
    other = photo_hash(photo[::-1].copy())
    _, warnings = run_paint(photo, strokes=painted, painted_on=other)
    assert warnings == [
        "node 'painted' (mask.paint): its strokes were painted on another photo and keep "
        "their place in the frame, whatever this photo shows there; anchor them to the "
        "region they were meant for (subject, person, face, sky, background) to keep their "
        "meaning"
    ]
    _, warnings = run_paint(photo, strokes=painted, painted_on=other, painted_in="sky")
    assert warnings == [
        "node 'painted' (mask.paint): its strokes were painted on another photo and keep "
        "their place in the frame, whatever this photo shows there; they were painted in "
        "the sky: anchor them to sky to have them paint this photo's sky"
    ]
    assert run_paint(photo, strokes=painted, painted_on="")[1] == [], "no hash kept: no word"
    assert run_paint(photo, strokes=[], painted_on=other)[1] == [], "nothing painted"
    anchored = run_paint(photo, strokes=painted, painted_on=other, anchor="subject")
    assert anchored[1] == [], "subject-anchored strokes are meant for other photos"


def test_the_photo_hash_names_the_pixels_not_the_float_noise():
    photo = np.round(two_squares() * 255) / 255  # a photo read from an 8-bit file
    assert photo_hash(photo) == photo_hash(photo + np.float32(1e-3))
    assert photo_hash(photo) != photo_hash(np.ascontiguousarray(photo[:, ::-1]))
    assert photo_hash(photo) != photo_hash(photo[:60])
    assert photo_hash(photo).startswith("sha256:") and len(photo_hash(photo)) == 39
    with_alpha = np.dstack([photo, np.zeros((120, 120), np.float32)])
    assert photo_hash(with_alpha) == photo_hash(photo)


def test_points_convert_between_the_image_and_the_subjects_box():
    box = (0.2, 0.1, 0.5, 0.4)
    assert to_image_point([0.0, 0.0], box) == [0.2, 0.1]
    assert to_image_point([1.0, 0.5], box) == pytest.approx([0.7, 0.3])
    assert to_subject_point([0.7, 0.3], box) == pytest.approx([1.0, 0.5])
    for point in ([0.3, 0.8], [-0.2, 1.4]):
        assert to_subject_point(to_image_point(point, box), box) == pytest.approx(point)


def test_subject_anchored_strokes_paint_where_the_subjects_box_puts_them():
    photo = two_squares()
    photo[20:60, 15:55] = photo[60:100, 15:55]  # the blue square painted over with ground
    photo[60:100, 70:110] = photo[60:100, 15:55]
    photo[30:90, 40:100] = (0.9, 0.5, 0.1)  # one orange square: the subject
    box = region_box(region_mask(photo, "subject"))
    assert box == pytest.approx((40 / 120, 30 / 120, 60 / 120, 60 / 120), abs=0.02)
    painted = [stroke([[0.25, 0.25]], size=0.1)]
    mask, _ = run_paint(photo, strokes=painted, anchor="subject")
    point = to_image_point([0.25, 0.25], box)
    expected = render_strokes([stroke([point], size=0.1)], 120, 120)
    np.testing.assert_array_equal(mask, expected)
    assert mask[45, 55] == 1.0 and mask[30, 30] == 0.0, "a quarter into the square"
