"""Quick selection from keep and remove strokes alone: it obeys the strokes (no saliency
picks the object for them), grows to the photo's edges, more strokes refine it, erase
strokes take away, and two rough strokes select real objects against traced outlines
(the IoU floors sit a little under what ``benchmarks/masks.py`` measured: coffee 0.957,
rocket 0.808, the clock 0.846, the cameraman 0.947, held out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.masks_scenes import QUICK
from stylegraph.graph.context import NodeContext
from stylegraph.nodes.functional import quick_selection
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.paint import hint_masks
from stylegraph.nodes.functional.quick_selection import quick_select
from stylegraph.nodes.mask.paint import NODE as PAINT_NODE
from stylegraph.nodes.models import u2net
from tests.references import DATA, iou, reference


def stroke(points, size=0.05, mode="keep", hardness=1.0):
    return {"points": points, "size": size, "hardness": hardness, "opacity": 1.0, "mode": mode}


def run_paint(image: np.ndarray, strokes: list) -> np.ndarray:
    values = dict(PAINT_NODE.default_params(), strokes=strokes)
    return PAINT_NODE.run(NodeContext("painted", Path(".")), {"image": image}, values)["mask"]


def squares() -> np.ndarray:
    """A big vivid orange square (what a saliency guess would pick) and a small dull
    grey-blue one, apart, on a noisy light ground."""
    rng = np.random.default_rng(5)
    photo = np.full((120, 160, 3), 0.8, np.float32) + rng.normal(0, 0.02, (120, 160, 3))
    photo[20:100, 20:100] = (0.95, 0.45, 0.05)
    photo[50:80, 115:145] = (0.55, 0.6, 0.7)
    return np.clip(photo, 0, 1).astype(np.float32)


def test_the_strokes_choose_the_object_not_a_saliency_guess():
    """A keep stroke on the small dull square and a remove stroke on the ground select
    the small square, edge to edge; the vivid big one stays out."""
    photo = squares()
    mask = run_paint(
        photo,
        [stroke([[0.8, 0.6], [0.85, 0.58]]), stroke([[0.7, 0.1], [0.95, 0.1]], mode="remove")],
    )
    small = np.zeros((120, 160), bool)
    small[50:80, 115:145] = True
    assert ((mask >= 0.5) == small).mean() > 0.995
    assert mask[20:100, 20:100].max() < 0.5


def test_a_keep_stroke_alone_grows_to_the_edges_of_what_it_touches():
    photo = squares()
    mask = run_paint(photo, [stroke([[0.3, 0.5], [0.4, 0.5]])])
    big = np.zeros((120, 160), bool)
    big[20:100, 20:100] = True
    assert ((mask >= 0.5) == big).mean() > 0.99


def test_a_second_keep_stroke_adds_an_object_and_an_erase_stroke_takes_away():
    photo = squares()
    one = [stroke([[0.3, 0.5], [0.4, 0.5]]), stroke([[0.1, 0.05], [0.9, 0.05]], mode="remove")]
    first = run_paint(photo, one)
    assert first[50:80, 115:145].max() < 0.5
    second = run_paint(photo, [*one, stroke([[0.8, 0.6], [0.85, 0.58]])])
    both = np.zeros((120, 160), bool)
    both[20:100, 20:100] = both[50:80, 115:145] = True
    assert ((second >= 0.5) == both).mean() > 0.99
    erased = run_paint(photo, [*one, stroke([[0.8, 0.6], [0.85, 0.58]]), erase_middle()])
    assert erased[55:65, 55:65].max() == 0.0 and second[55:65, 55:65].min() > 0.99
    assert np.array_equal(erased[50:80, 115:145], second[50:80, 115:145])


def erase_middle() -> dict:
    return stroke([[0.375, 0.5]], size=0.1, mode="erase")


def test_two_rough_strokes_select_the_cup_and_saucer(images):
    source = DATA / "masks" / "coffee.json"
    photo = read_image(images / "content" / "coffee.png")
    truth, _ = reference(source, "subject")
    assert iou(run_paint(photo, QUICK["coffee"]), truth) >= 0.93


def test_two_rough_strokes_select_the_thin_rocket_not_the_sky_or_the_towers():
    source = DATA / "objects" / "rocket.json"
    photo = read_image(source.parent / "rocket.jpg")
    truth, _ = reference(source, "subject")
    mask = run_paint(photo, QUICK["rocket"])
    assert iou(mask, truth) >= 0.70  # 0.724: the erector's strips beside it are taken too
    assert mask[:, :250].max() < 0.5 and mask[:, 400:].max() < 0.5, "towers and sky left out"


def test_the_strokes_colour_does_not_draw_the_cut_to_a_glow_or_away_from_a_grey_rim():
    """The classifier reads the network's features without the photo's colour: with it,
    the clock's grey blurred rim was left with the grey wall (0.836). On the rocket the
    two score alike (0.728 with colour, 0.724 without) against its re-traced outline."""
    rocket_source = DATA / "objects" / "rocket.json"
    rocket = read_image(rocket_source.parent / "rocket.jpg")
    rocket_truth, _ = reference(rocket_source, "subject")
    assert iou(run_paint(rocket, QUICK["rocket"]), rocket_truth) >= 0.70
    clock_source = DATA / "objects" / "clock_motion.json"
    clock = read_image(clock_source.parent / "clock_motion.png")
    clock_truth, _ = reference(clock_source, "subject")
    assert iou(run_paint(clock, QUICK["clock"]), clock_truth) >= 0.842


def test_remove_strokes_beside_the_rockets_lit_base_refine_the_cut():
    """The glow round the rocket's base, unlike the sky the first remove stroke marks,
    is taken in; two short remove strokes on it, either side, take it out."""
    source = DATA / "objects" / "rocket.json"
    photo = read_image(source.parent / "rocket.jpg")
    truth, _ = reference(source, "subject")
    first = iou(run_paint(photo, QUICK["rocket"]), truth)
    beside = [
        stroke(points, 0.03, "remove", 0.5)
        for points in ([[0.6, 0.8], [0.6, 0.9]], [[0.4, 0.8], [0.4, 0.9]])
    ]
    refined = iou(run_paint(photo, [*QUICK["rocket"], *beside]), truth)
    assert refined >= 0.76 and refined > first + 0.03  # 0.724 -> 0.781


def test_a_second_keep_stroke_on_the_blurred_clocks_dark_rim_adds_it():
    source = DATA / "objects" / "clock_motion.json"
    photo = read_image(source.parent / "clock_motion.png")
    truth, _ = reference(source, "subject")
    first = iou(run_paint(photo, QUICK["clock"]), truth)
    rim = stroke([[0.4, 0.4], [0.4, 0.6]], 0.03, "keep", 0.5)
    refined = iou(run_paint(photo, [*QUICK["clock"], rim]), truth)
    assert first >= 0.8 and refined >= 0.86 and refined > first + 0.02


def test_two_rough_strokes_select_the_cameraman_and_his_camera_not_the_tripod():
    """A held-out photo (its strokes drawn before any selection of it was computed):
    the remove stroke crosses the tripod, which stays out; the man and the camera he
    holds are selected."""
    source = DATA / "people" / "camera.json"
    photo = read_image(source.parent / "camera.png")
    truth, _ = reference(source, "person")
    mask = run_paint(photo, QUICK["camera"])
    assert iou(mask, truth) >= 0.93
    assert mask[307:460, 287:297].max() < 0.5, "the tripod's column"


def test_strokes_on_the_sky_select_the_sky_and_not_the_salient_man():
    """What a saliency seed would pick (the cameraman) stays out when the keep stroke
    is on the sky and the remove stroke on him."""
    source = DATA / "people" / "camera.json"
    photo = read_image(source.parent / "camera.png")
    person, _ = reference(source, "person")
    mask = run_paint(
        photo,
        [
            stroke([[0.1, 0.1], [0.9, 0.08]], 0.03, "keep", 0.5),
            stroke([[0.4, 0.25], [0.25, 0.6]], 0.03, "remove", 0.5),
        ],
    )
    assert (mask[:40] >= 0.5).all(), "the sky along the top"
    assert ((mask >= 0.5) & person).sum() < 0.01 * person.sum()


def test_the_network_is_read_once_per_photo_while_strokes_change(monkeypatch):
    """The painter asks for a cut at each stroke: the decoder's features are worked out
    once per photo, again only for another photo."""
    calls = []
    network = u2net.decoder_features

    def counted(rgb):
        calls.append(rgb.shape)
        return network(rgb)

    monkeypatch.setattr(quick_selection.u2net, "decoder_features", counted)
    monkeypatch.setattr(quick_selection, "_last", [None])
    photo = squares()
    keep = [stroke([[0.3, 0.5], [0.4, 0.5]])]
    run_paint(photo, keep)
    run_paint(photo, [*keep, stroke([[0.1, 0.05], [0.9, 0.05]], mode="remove")])
    assert len(calls) == 1
    run_paint(photo[:, ::-1].copy(), keep)
    assert len(calls) == 2


def test_the_decoder_features_come_from_the_unchanged_network():
    """The features session is the shipped graph with three more outputs: its saliency
    output equals the plain session's, and the features have the decoder's shapes."""
    rgb = read_image(DATA / "people" / "camera.png")[..., :3]
    features = u2net.decoder_features(rgb)
    assert [f.shape for f in features] == [(64, 320, 320), (64, 160, 160), (64, 80, 80)]
    run = u2net._features_session()
    fused = run.run(None, {run.get_inputs()[0].name: u2net.network_input(rgb)})[0][0, 0]
    assert np.array_equal(fused, u2net.salient_probability(rgb))


def test_no_keep_stroke_selects_nothing_and_odd_sizes_do_not_break_it():
    keep = np.ones((1, 1), np.float32)
    assert quick_select(np.full((1, 1, 3), 0.5, np.float32), None, keep).max() == 0.0
    assert quick_select(np.full((1, 1, 3), 0.5, np.float32), keep, None).shape == (1, 1)
    strip = np.random.default_rng(0).random((1, 5000, 3)).astype(np.float32)
    hints = hint_masks([stroke([[0.5, 0.5]], size=0.01)], 1, 5000)
    mask = quick_select(strip, *hints)
    assert mask.shape == (1, 5000) and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    white = np.ones((100, 100, 3), np.float32)
    hints = hint_masks([stroke([[0.5, 0.5]]), stroke([[0.1, 0.1]], mode="remove")], 100, 100)
    mask = quick_select(white, *hints)
    assert mask.min() >= 0.0 and mask.max() <= 1.0 and mask[50, 50] > 0.5
