"""The Layers panel's edits, without a window: each changes the Layer Stack as a painter
expects and one undo gives back the identical preset, one redo the identical edit."""

from __future__ import annotations

import json

import pytest

from stylegraph.graph.model import GraphError
from stylegraph.graph.preset import load_preset, preset_to_dict
from stylegraph.presets import shipped_presets
from stylegraph.ui import layout
from stylegraph.ui.controller import Controller
from stylegraph.ui.layers import Layers, mask_source, mask_target, rows, stack_of


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STYLEGRAPH_RECOVERY_DIR", str(tmp_path / "recovery"))


@pytest.fixture
def fusion(registry) -> Controller:
    path = shipped_presets()["fusion"]
    return Controller(registry, load_preset(path, registry), path)


def snapshot(controller: Controller) -> str:
    return json.dumps(preset_to_dict(controller.preset), sort_keys=True)


def _one_step_undo_redo(controller: Controller, edit) -> tuple[str, str]:
    before = snapshot(controller)
    steps = controller.history_size
    edit()
    after = snapshot(controller)
    assert after != before
    assert controller.history_size == steps + 1, "one edit, one undo step"
    controller.undo()
    assert snapshot(controller) == before
    controller.redo()
    assert snapshot(controller) == after
    return before, after


def test_rows_list_the_fusion_stack_top_first(fusion):
    listed = rows(fusion.graph, "fuse")
    assert [(r.number, r.source, r.mask, r.opacity) for r in listed] == [
        (2, "sharp_photo", "soft_edges", 0.5),
        (1, "render", "render_mask", 0.8),
    ]
    assert stack_of(fusion.graph, "render_mask") == "fuse"
    assert stack_of(fusion.graph, "photo") is None
    assert mask_target(fusion.graph, "soft_edges") == ("fuse", 2)


def test_add_painting_layer_wires_render_and_mask_in_one_step(fusion, images):
    starry = str(images / "styles" / "starry_night.jpg")
    added = []
    _one_step_undo_redo(
        fusion, lambda: added.extend(Layers(fusion).add_paintings("fuse", [starry]))
    )
    ((render, mask),) = added
    graph = fusion.graph
    assert render == "starry_night" and mask == "starry_night_mask"
    # under the sharpened photo's detail layer, which stays on top
    assert graph.input_link("fuse", "layer2").src == render
    assert graph.input_link("fuse", "mask2").src == mask
    assert graph.input_link("fuse", "layer3").src == "sharp_photo"
    assert graph.input_link("fuse", "mask3").src == "soft_edges"
    assert graph.node("fuse").params["opacities"] == [0.8, 1.0, 0.5]
    assert graph.input_link(render, "content").src == "shrink"  # what the other render paints
    assert graph.input_link(mask, "image").src == "shrink"
    params = graph.node(render).params
    assert params["style_files"] == [starry]
    assert (params["engine"], params["stroke_scale"]) == ("fast", 1.5)  # as the other render
    assert graph.node(mask).params["base"] == 0.0  # hidden until painted in
    assert [r.name for r in rows(graph, "fuse")] == ["sharp_photo", "starry_night", "render"]
    assert layout.overlaps(graph) == []


def test_several_paintings_revealed_land_without_overlap_and_remove_takes_them_away(fusion, images):
    paintings = [str(images / "styles" / n) for n in ("starry_night.jpg", "the_scream.jpg")]
    layers = Layers(fusion)
    added = layers.add_paintings("fuse", paintings, revealed=True)
    assert [r.number for r in rows(fusion.graph, "fuse")] == [4, 3, 2, 1]
    assert fusion.graph.node(added[1][1]).params["base"] == 1.0
    assert layout.overlaps(fusion.graph) == []
    after_add = snapshot(fusion)
    removed: list[str] = []
    _one_step_undo_redo(fusion, lambda: removed.extend(layers.remove("fuse", 2)))
    assert removed == list(added[0])
    assert added[0][0] not in fusion.graph and added[0][1] not in fusion.graph
    # the scream's layer closed up to layer 2, with its mask, under the detail layer
    assert fusion.graph.input_link("fuse", "layer2").src == added[1][0]
    assert fusion.graph.input_link("fuse", "mask2").src == added[1][1]
    assert fusion.graph.input_link("fuse", "layer3").src == "sharp_photo"
    assert fusion.graph.input_link("fuse", "layer4") is None
    fusion.undo()
    assert snapshot(fusion) == after_add


def test_removing_the_shipped_render_takes_its_named_input_and_undo_restores_it(fusion):
    removed = []
    _one_step_undo_redo(fusion, lambda: removed.extend(Layers(fusion).remove("fuse", 1)))
    assert sorted(removed) == ["render", "render_mask"]
    assert "style" not in fusion.preset.inputs
    assert fusion.graph.input_link("fuse", "layer1").src == "sharp_photo"
    assert fusion.graph.input_link("fuse", "mask1").src == "soft_edges"
    assert fusion.graph.node("fuse").params["opacities"] == [0.5]


def test_reorder_moves_the_layer_with_its_mask_and_settings(fusion):
    _one_step_undo_redo(fusion, lambda: Layers(fusion).move("fuse", 2, 1))
    graph = fusion.graph
    assert graph.input_link("fuse", "layer1").src == "sharp_photo"
    assert graph.input_link("fuse", "mask1").src == "soft_edges"
    assert graph.input_link("fuse", "layer2").src == "render"
    assert graph.input_link("fuse", "mask2").src == "render_mask"
    assert graph.node("fuse").params["opacities"] == [0.5, 0.8]
    assert not Layers(fusion).move("fuse", 1, 1), "a move to where it is adds no step"


def test_visibility_opacity_and_blend_mode_are_one_step_each(fusion):
    layers = Layers(fusion)
    _one_step_undo_redo(fusion, lambda: layers.set_visible("fuse", 2, False))
    assert fusion.graph.node("fuse").params["visibility"] == ["visible", "hidden"]
    _one_step_undo_redo(fusion, lambda: layers.set_entry("fuse", 1, "opacities", 0.3))
    assert fusion.graph.node("fuse").params["opacities"] == [0.3, 0.5]
    _one_step_undo_redo(fusion, lambda: layers.set_entry("fuse", 1, "modes", "multiply"))
    assert rows(fusion.graph, "fuse")[1].mode == "multiply"
    with pytest.raises(ValueError, match="'sparkle' is not one of normal"):
        layers.set_entry("fuse", 1, "modes", "sparkle")
    with pytest.raises(GraphError, match="fuse has no layer7"):
        layers.set_visible("fuse", 7, False)


def test_solo_shows_one_layer_and_solo_again_shows_all(fusion):
    layers = Layers(fusion)
    _one_step_undo_redo(fusion, lambda: layers.solo("fuse", 1))
    assert [r.visible for r in rows(fusion.graph, "fuse")] == [False, True]
    _one_step_undo_redo(fusion, lambda: layers.solo("fuse", 1))
    assert fusion.graph.node("fuse").params["visibility"] == ["visible", "visible"]


def test_rename_names_the_layer_for_export(fusion):
    _one_step_undo_redo(fusion, lambda: Layers(fusion).rename("fuse", 2, "edges"))
    assert fusion.graph.node("fuse").params["names"] == ["", "", "edges"]
    assert rows(fusion.graph, "fuse")[0].name == "edges"


def test_the_same_painting_twice_gets_a_readable_unique_name(fusion, images):
    picasso = images / "styles" / "woman-with-hat-matisse.jpg"
    layers = Layers(fusion)
    layers.add_paintings("fuse", [str(picasso)])
    ((again, mask),) = layers.add_paintings("fuse", [str(picasso)])
    assert (again, mask) == ("woman_with_hat_matisse_2", "woman_with_hat_matisse_2_mask")


def test_a_stack_without_a_photo_upstream_says_so(registry):
    controller = Controller(registry)
    stack = controller.add_node("image.layer_stack")
    with pytest.raises(GraphError, match=f"{stack} has no photo upstream"):
        Layers(controller).add_paintings(stack, ["a.jpg"])
    assert controller.history_size == 1


def test_a_layer_masked_to_eyes_in_one_step(fusion):
    layers = Layers(fusion)
    made: list[str] = []
    _one_step_undo_redo(fusion, lambda: made.append(layers.set_mask("fuse", 1, "eyes")))
    (eyes,) = made
    graph = fusion.graph
    assert eyes == "render_eyes"
    assert graph.input_link("fuse", "mask1").src == eyes
    assert graph.input_link(eyes, "image").src == "shrink"  # the photo the layer paints
    assert graph.node(eyes).type_id == "mask.face"
    assert graph.node(eyes).params["parts"] == ["eyes"]
    assert mask_source(graph, eyes) == "eyes"
    assert "render_mask" not in graph  # the old mask fed this layer alone
    assert layout.overlaps(graph) == []
    assert rows(graph, "fuse")[1].mask == eyes


def test_subject_person_and_painting_masks_and_a_refusal(fusion):
    layers = Layers(fusion)
    person = layers.set_mask("fuse", 2, "person")
    graph = fusion.graph
    assert graph.node(person).params["method"] == "person"
    assert mask_source(graph, person) == "person"
    assert "soft_edges" not in graph and "edges" in graph  # only the mask node itself goes
    subject = layers.set_mask("fuse", 2, "subject")
    assert mask_source(graph, subject) == "subject" and person not in graph
    assert layers.set_mask("fuse", 2, "subject") == subject  # already so: nothing to do
    painted = layers.set_mask("fuse", 2, "painting")
    assert graph.node(painted).type_id == "mask.paint"
    assert graph.node(painted).params["base"] == 0.0
    with pytest.raises(GraphError, match="a layer's mask can be painting, subject, person, face"):
        layers.set_mask("fuse", 2, "ears")
    fusion.undo()
    assert graph.input_link("fuse", "mask2").src == subject


def test_a_sweeps_stars_are_saved_with_the_graph_and_undone_as_an_edit(fusion, tmp_path):
    from stylegraph.ui.commands import SetStars, stars_of

    sweep = fusion.add_node("style.sweep")
    fusion.apply(SetStars("star", sweep, [], [2, 0]))
    assert stars_of(fusion.preset, sweep) == [0, 2] and fusion.dirty
    path = fusion.save(tmp_path / "curated.json")
    reopened = json.loads(path.read_text(encoding="utf-8"))
    assert reopened["ui"]["stars"] == {sweep: [0, 2]}
    fusion.open(path)
    assert stars_of(fusion.preset, sweep) == [0, 2]
    fusion.apply(SetStars("unstar", sweep, [0, 2], []))
    assert "stars" not in fusion.preset.ui
    fusion.undo()
    assert stars_of(fusion.preset, sweep) == [0, 2]
