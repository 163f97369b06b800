"""Strokes anchored to a region found on each photo: one recipe with a sky-anchored and a
subject-anchored painted mask, run on three different photos; each mask's paint lands
in that photo's traced sky or subject. Also: where the anchor's region is missing, the
strokes paint nothing and one warning says so; the foreign-photo warning names the
anchor that would keep the strokes' meaning (``meaning``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import Engine
from stylegraph.graph.model import Graph
from stylegraph.nodes.functional.anchors import meaning, region_box, region_mask
from stylegraph.nodes.functional.image_io import read_image
from tests.references import DATA, reference


def stroke(points, size, mode="paint"):
    return {"points": points, "size": size, "hardness": 0.5, "opacity": 1.0, "mode": mode}


# Painted once, on Tubingen: a broad band of paint across the middle of the sky's box and
# a patch in the upper middle of the subject's box.
SKY_STROKES = [stroke([[0.1, 0.5], [0.9, 0.5]], 0.15)]
SUBJECT_STROKES = [stroke([[0.5, 0.3]], 0.12)]


def recipe(registry, path) -> Graph:
    graph = Graph(registry)
    graph.add_node("image.load", "photo", {"path": str(path)})
    graph.add_node("mask.paint", "in_sky", {"anchor": "sky", "strokes": SKY_STROKES})
    graph.add_node("mask.paint", "on_subject", {"anchor": "subject", "strokes": SUBJECT_STROKES})
    for node in ("in_sky", "on_subject"):
        graph.connect("photo", "image", node, "image")
    return graph


def _share_inside(mask: np.ndarray, region: np.ndarray) -> float:
    return float((mask * region).sum() / max(mask.sum(), 1e-9))


@pytest.fixture(scope="module")
def runs(registry, images):
    photos = {
        "tubingen": images / "content" / "tubingen.jpg",
        "camera": DATA / "people" / "camera.png",
        "coffee": images / "content" / "coffee.png",
    }
    return {name: Engine().run(recipe(registry, path)) for name, path in photos.items()}


def test_sky_anchored_paint_lands_in_each_photos_sky(runs):
    for name, source in (("tubingen", "skies/tubingen.json"), ("camera", "skies/camera.json")):
        report = runs[name]
        mask = report.outputs["in_sky"]["mask"]
        sky, _ = reference(DATA / source, "sky")
        assert mask.sum() > 0.05 * mask.size, name
        assert _share_inside(mask, sky) > 0.95, name
        assert report.nodes["in_sky"].warnings == []
    tubingen = runs["tubingen"].outputs["in_sky"]["mask"]
    camera = runs["camera"].outputs["in_sky"]["mask"]
    assert tubingen[:300].sum() > 0.95 * tubingen.sum(), "Tubingen's sky: the top 40 %"
    assert camera[:190].sum() > 0.99 * camera.sum(), "the cameraman's sky: above the field"


def test_sky_anchored_paint_on_a_photo_without_sky_paints_nothing_and_says_so(runs):
    report = runs["coffee"]
    assert not report.outputs["in_sky"]["mask"].any()
    assert report.nodes["in_sky"].warnings == [
        "node 'in_sky' (mask.paint): no sky found in this photo; its sky-anchored strokes "
        "paint nothing"
    ]


def test_subject_anchored_paint_lands_on_each_photos_subject(runs):
    for name, source, key in (
        ("camera", "people/camera.json", "person"),
        ("coffee", "masks/coffee.json", "subject"),
    ):
        mask = runs[name].outputs["on_subject"]["mask"]
        subject, _ = reference(DATA / source, key)
        assert mask.sum() > 0.005 * mask.size, name
        assert _share_inside(mask, subject) > 0.95, name
    camera = runs["camera"].outputs["on_subject"]["mask"]
    rows, cols = np.nonzero(camera >= 0.5)
    assert rows.mean() < 256 and 100 < cols.mean() < 300, "the upper middle of the cameraman"


def test_the_meaning_of_image_anchored_strokes_is_the_region_they_lie_in(images):
    tubingen = read_image(images / "content" / "tubingen.jpg")
    assert meaning(tubingen, [stroke([[0.4, 0.1], [0.8, 0.15]], 0.05)]) == "sky"
    coffee = read_image(images / "content" / "coffee.png")
    assert meaning(coffee, [stroke([[0.45, 0.25], [0.55, 0.3]], 0.05)]) == "subject"
    assert meaning(coffee, [stroke([[0.9, 0.2], [0.95, 0.6]], 0.05)]) == "background"
    across = [stroke([[0.02, 0.05], [0.5, 0.5]], 0.05)]
    assert meaning(coffee, across) is None, "a stroke across cup and table means neither"


def test_regions_a_photo_lacks_are_none_and_their_box_is_the_frame(images):
    coffee = read_image(images / "content" / "coffee.png")
    assert region_mask(coffee, "sky") is None and region_mask(coffee, "face") is None
    assert region_box(None) == (0.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="region must be one of subject, person, face, sky"):
        region_mask(coffee, "clouds")


@pytest.mark.parametrize(
    "shape_fill",
    [((1, 1, 3), 0.5), ((1, 5000, 3), None), ((300, 400, 3), 1.0), ((40, 60, 1), 0.3)],
    ids=["1x1", "1x5000", "all white", "grey one channel"],
)
@pytest.mark.parametrize("anchor", ["image", "subject", "person", "face", "sky", "background"])
def test_odd_photos_give_every_anchor_a_mask_not_a_crash(registry, shape_fill, anchor):
    shape, fill = shape_fill
    if fill is None:
        photo = np.random.default_rng(0).random(shape).astype(np.float32)
    else:
        photo = np.full(shape, fill, np.float32)
    strokes = [stroke([[0.5, 0.5]], 0.2), stroke([[0.4, 0.5], [0.6, 0.5]], 0.1, mode="keep")]
    node = registry.get("mask.paint")
    ctx = NodeContext("odd", Path("."))
    params = {**node.default_params(), "strokes": strokes, "anchor": anchor}
    mask = node.run(ctx, {"image": photo}, params)["mask"]
    assert mask.shape == shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert len(ctx.warnings) <= 1
