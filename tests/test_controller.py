"""The editor's window-free core: every edit undoes and redoes exactly; work is never lost."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stylegraph.graph.model import GraphError
from stylegraph.graph.preset import PresetError, load_preset, preset_to_dict
from stylegraph.presets import shipped_presets
from stylegraph.ui import layout
from stylegraph.ui.controller import Controller


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STYLEGRAPH_RECOVERY_DIR", str(tmp_path / "recovery"))


@pytest.fixture
def fusion(registry):
    path = shipped_presets()["fusion"]
    return Controller(registry, load_preset(path, registry), path)


def snapshot(controller: Controller) -> str:
    return json.dumps(preset_to_dict(controller.preset), sort_keys=True)


EDITS = {
    "add": lambda c: c.add_node("image.flip"),
    "delete": lambda c: c.delete_nodes(["render"]),
    "delete two": lambda c: c.delete_nodes(["photo", "shrink"]),
    "link": lambda c: c.connect("shrink", "image", c.add_node("image.flip"), "image"),
    "unlink": lambda c: c.disconnect("facet", "image"),
    "param": lambda c: c.set_param("facet", "spatial_radius", 11),
    "move": lambda c: c.move_nodes({"facet": (900.0, 700.0), "shrink": (5.0, 6.0)}),
    "paste": lambda c: (c.copy(["denoise", "facet", "dry_brush"]), c.paste()),
    "duplicate": lambda c: c.duplicate(["facet"]),
    "arrange": lambda c: c.arrange(),
    "stroke": lambda c: c.add_stroke(
        c.add_node("mask.paint"),
        {"points": [[0.2, 0.2]], "size": 0.1, "hardness": 1.0, "opacity": 1.0, "mode": "paint"},
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_every_edit_undoes_and_redoes_to_an_identical_preset(fusion, edit):
    fusion.graph.set_position("facet", (3.0, 4.0))  # something for Arrange to tidy
    before = snapshot(fusion)
    EDITS[edit](fusion)
    after = snapshot(fusion)
    assert after != before
    while fusion.can_undo:
        fusion.undo()
    assert snapshot(fusion) == before
    while fusion.can_redo:
        fusion.redo()
    assert snapshot(fusion) == after


def test_deleting_the_render_brings_back_all_its_links_and_its_named_input(fusion):
    links = {str(lk) for lk in fusion.graph.links() if "render" in (lk.src, lk.dst)}
    assert len(links) >= 2
    fusion.delete_nodes(["render"])
    assert "render" not in fusion.graph
    assert "style" not in fusion.preset.inputs
    assert fusion.undo_label == "Undo delete render"
    fusion.undo()
    assert {str(lk) for lk in fusion.graph.links() if "render" in (lk.src, lk.dst)} == links
    assert list(fusion.preset.inputs) == ["content", "style"]


def test_a_refused_edit_changes_nothing_and_adds_no_step(fusion):
    before = snapshot(fusion)
    with pytest.raises(GraphError, match="gives number but"):
        fusion.connect("photo", "width", "facet", "image")
    with pytest.raises(GraphError, match="above the maximum"):
        fusion.set_param("facet", "spatial_radius", 500)
    assert snapshot(fusion) == before
    assert not fusion.can_undo
    assert not fusion.dirty


def test_a_drag_that_ends_where_it_began_adds_no_step(fusion):
    where = fusion.graph.node("facet").position
    fusion.move_nodes({"facet": where})
    assert not fusion.can_undo


def test_history_keeps_at_least_a_hundred_steps(fusion):
    for value in range(150):
        fusion.set_param("facet", "spatial_radius", 1 + value % 60)
    undone = 0
    while fusion.undo():
        undone += 1
    assert undone == 150  # the default limit is 200
    small = Controller(fusion.registry, None, history_limit=100)
    for _ in range(120):
        small.add_node("image.flip")
    assert small.history_size == 100
    while small.undo():
        pass
    assert len(small.graph) == 20
    assert small.dirty  # the opened state is out of reach: it cannot count as saved


def test_paste_keeps_internal_links_with_fresh_ids_in_free_space(fusion):
    fusion.copy(["denoise", "facet", "dry_brush"])
    new = fusion.paste()
    assert len(new) == 3
    assert not set(new) & {"denoise", "facet", "dry_brush"}
    types = {fusion.graph.node(n).type_id for n in new}
    assert types == {"filter.denoise", "filter.facet", "filter.dry_brush"}
    pasted = [lk for lk in fusion.graph.links() if lk.dst in new or lk.src in new]
    assert len(pasted) == 2  # denoise -> facet -> dry_brush; the link from shrink stays behind
    assert all(lk.src in new and lk.dst in new for lk in pasted)
    assert layout.overlaps(fusion.graph) == []
    assert fusion.graph.node(new[1]).params == fusion.graph.node("facet").params
    assert fusion.undo_label == "Undo paste 3 nodes"


def test_a_node_asked_for_near_a_spot_lands_on_it_or_beside_what_is_there(fusion):
    empty = (5000.0, 5000.0)
    assert fusion.graph.node(fusion.add_node("image.flip", near=empty)).position == empty
    facet = fusion.graph.node("facet").position
    crowded = fusion.graph.node(fusion.add_node("image.flip", near=facet)).position
    assert layout.overlaps(fusion.graph) == []
    assert math.dist(crowded, facet) < 700  # next to it, not at the far end of the graph


def test_paste_near_a_spot_keeps_the_arrangement_there(fusion):
    fusion.copy(["denoise", "facet"])
    new = fusion.paste(near=(5000.0, 5000.0))
    old = [fusion.graph.node(n).position for n in ("denoise", "facet")]
    placed = [fusion.graph.node(n).position for n in new]
    assert min(x for x, _ in placed) == 5000.0 and min(y for _, y in placed) == 5000.0
    assert placed[1][0] - placed[0][0] == old[1][0] - old[0][0]
    assert placed[1][1] - placed[0][1] == old[1][1] - old[0][1]


def test_duplicates_sit_beside_their_originals(fusion):
    width = max(n.position[0] for n in fusion.graph.nodes())
    for node_id in ("shrink", "facet", "fuse"):
        (copy,) = fusion.duplicate([node_id])
        x, y = fusion.graph.node(copy).position
        ox, oy = fusion.graph.node(node_id).position
        assert abs(x - ox) < 700 and abs(y - oy) < 700, (node_id, (x, y), (ox, oy), width)
    assert layout.overlaps(fusion.graph) == []


def _into(controller: Controller, node_id: str) -> set[str]:
    return {
        f"{lk.src}.{lk.src_port}->{lk.dst_port}"
        for lk in controller.graph.links()
        if lk.dst == node_id
    }


def test_duplicate_keeps_the_links_coming_into_the_copy_in_one_undo_step(fusion):
    before = snapshot(fusion)
    (render2,) = fusion.duplicate(["render"])
    assert _into(fusion, render2) == {"shrink.image->content"}
    (fuse2,) = fusion.duplicate(["fuse"])
    assert _into(fusion, fuse2) == _into(fusion, "fuse")
    assert len(_into(fusion, fuse2)) == 5  # base, two layers, two masks
    assert not [lk for lk in fusion.graph.links() if lk.src == fuse2]  # outputs stay free
    two = fusion.duplicate(["render_mask", "render"])
    assert _into(fusion, two[0]) == {"shrink.image->image"}
    fusion.undo()
    fusion.undo()
    assert fusion.undo_label == f"Undo paste {render2}"
    fusion.undo()
    assert snapshot(fusion) == before


def test_ctrl_v_pastes_without_outside_links_and_ctrl_shift_v_with_them(fusion):
    fusion.copy(["facet", "dry_brush"])
    plain = fusion.paste()
    assert _into(fusion, plain[0]) == set()  # denoise -> facet stays behind
    assert _into(fusion, plain[1]) == {f"{plain[0]}.image->image"}
    linked = fusion.paste(with_links=True)
    assert _into(fusion, linked[0]) == {"denoise.image->image"}
    assert _into(fusion, linked[1]) == {f"{linked[0]}.image->image"}
    fusion.delete_nodes(["denoise"])  # a source gone since the copy: its link is left out
    again = fusion.paste(with_links=True)
    assert _into(fusion, again[0]) == set()


def test_a_link_dropped_on_a_linked_input_replaces_it_in_one_undo_step(fusion):
    before = snapshot(fusion)
    old = fusion.connect("sharp_photo", "image", "fuse", "layer1")
    assert (old.src, old.src_port) == ("render", "image")
    assert fusion.graph.input_link("fuse", "layer1").src == "sharp_photo"
    assert fusion.undo_label == "Undo relink fuse.layer1"
    fusion.undo()
    assert snapshot(fusion) == before
    fusion.redo()
    assert fusion.graph.input_link("fuse", "layer1").src == "sharp_photo"
    fusion.undo()
    steps = fusion.history_size
    with pytest.raises(GraphError, match="cycle"):  # refused: the old link stays
        fusion.connect("fuse", "image", "render", "content")
    assert fusion.graph.input_link("render", "content").src == "shrink"
    assert fusion.history_size == steps
    assert fusion.connect("render", "image", "fuse", "layer1") is None  # the same link: no step
    assert fusion.history_size == steps


FUSE_PINS = ["base", "layer1", "layer2", "layer3", "mask1", "mask2", "mask3"]


def _pins(controller: Controller, node_id: str) -> list[str]:
    return [name for name, _ in layout.input_slots(controller.graph, node_id)]


def test_variadic_pins_keep_their_numbers_after_any_unlink(fusion):
    assert _pins(fusion, "fuse") == FUSE_PINS
    fusion.disconnect("fuse", "mask1")  # was: "mask2, mask3, mask3", mask1 out of reach
    assert _pins(fusion, "fuse") == FUSE_PINS
    fusion.connect("render_mask", "mask", "fuse", "mask1")  # the empty slot takes a link again
    assert fusion.graph.input_link("fuse", "mask1").src == "render_mask"
    fusion.disconnect("fuse", "mask2")
    assert _pins(fusion, "fuse")[-3:] == ["layer3", "mask1", "mask2"]  # mask2 is the free one
    fusion.disconnect("fuse", "mask1")
    assert _pins(fusion, "fuse")[-1:] == ["mask1"]  # nothing linked: one free slot
    for number in (1, 2, 3, 9, 10):  # numbers, not text: mask10 comes after mask9
        fusion.connect("soft_edges", "mask", "fuse", f"mask{number}")
    pins = _pins(fusion, "fuse")
    assert pins[pins.index("mask1") :] == [f"mask{n}" for n in range(1, 12)]


def test_delete_removes_the_selection_in_one_step_and_says_what_went(fusion):
    before = snapshot(fusion)
    said = fusion.delete(["facet"])
    assert said == "deleted node facet with its 2 links"
    fusion.undo()
    said = fusion.delete(["facet", "dry_brush"], [("fuse", "mask1")])
    assert said == "deleted nodes facet, dry_brush with their 3 links; the link into fuse.mask1"
    assert fusion.undo_label == f"Undo {said}"
    fusion.undo()
    assert snapshot(fusion) == before
    assert fusion.delete([], [("fuse", "mask2")]) == "deleted the link into fuse.mask2"
    assert fusion.delete([]) == ""


def test_a_shipped_preset_opens_as_a_template_and_is_never_saved_over(registry, tmp_path):
    shipped = shipped_presets()["fusion"]
    before = shipped.read_bytes()
    controller = Controller(registry, load_preset(shipped, registry), shipped)
    assert controller.path is None and controller.template == shipped
    assert controller.title == "fusion (shipped preset) - stylegraph"
    controller.set_param("shrink", "longest_side", 640)
    with pytest.raises(ValueError, match="fusion.json is a shipped preset and stays as it is"):
        controller.save(shipped)
    mine = controller.save(tmp_path / "mine.json")
    assert controller.path == mine and controller.template is None
    assert controller.title == "mine.json - stylegraph"
    controller.open(shipped)
    assert controller.path is None and controller.template == shipped
    assert shipped.read_bytes() == before


def test_unsaved_state_follows_edits_undo_and_save(fusion, tmp_path):
    assert fusion.title == "fusion (shipped preset) - stylegraph"
    fusion.set_param("facet", "spatial_radius", 9)
    assert fusion.dirty and fusion.title == "fusion (shipped preset)* - stylegraph"
    fusion.undo()
    assert not fusion.dirty
    fusion.redo()
    saved = fusion.save(tmp_path / "mine.json")
    assert not fusion.dirty and fusion.title == "mine.json - stylegraph"
    fusion.undo()
    assert fusion.dirty
    fusion.redo()
    assert not fusion.dirty
    again = load_preset(saved, fusion.registry)
    assert again.graph.node("facet").params["spatial_radius"] == 9


def test_saving_elsewhere_keeps_file_params_pointing_at_the_same_files(registry, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "photo.png").write_bytes(b"x")
    preset_path = home / "p.json"
    data = json.loads(shipped_presets()["facet-base"].read_text())
    data["nodes"]["photo"]["params"]["path"] = "photo.png"
    preset_path.write_text(json.dumps(data))
    controller = Controller(registry, load_preset(preset_path, registry), preset_path)
    (tmp_path / "elsewhere").mkdir()
    moved = controller.save(tmp_path / "elsewhere" / "p.json")
    again = load_preset(moved, registry)
    path = again.graph.node("photo").params["path"]
    assert (again.base_dir / path).resolve() == (home / "photo.png").resolve()


def test_open_replaces_the_graph_and_a_bad_file_keeps_it(fusion, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    before = snapshot(fusion)
    with pytest.raises(PresetError, match="not valid JSON"):
        fusion.open(broken)
    assert snapshot(fusion) == before
    fusion.open(shipped_presets()["quick-stylize"])
    assert set(fusion.graph.nx.nodes) == {"photo", "paint", "save"}
    assert not fusion.can_undo and not fusion.dirty
    assert fusion.recent_files[0] == shipped_presets()["quick-stylize"].resolve()


def test_a_graph_without_positions_is_laid_out_on_open(registry, tmp_path):
    data = json.loads(shipped_presets()["fusion"].read_text())
    data.pop("ui", None)
    path = tmp_path / "nopos.json"
    path.write_text(json.dumps(data))
    controller = Controller(registry)
    controller.open(path)
    assert layout.overlaps(controller.graph) == []
    depth = layout.depths(controller.graph)
    for link in controller.graph.links():
        assert depth[link.src] < depth[link.dst]
        src_x = controller.graph.node(link.src).position[0]
        assert src_x < controller.graph.node(link.dst).position[0]


def test_new_nodes_land_in_free_space(fusion):
    for type_id in ("image.flip", "style.transfer", "mask.paint", "image.layer_stack"):
        fusion.add_node(type_id)
    assert layout.overlaps(fusion.graph) == []


@pytest.mark.parametrize("name", sorted(shipped_presets()))
def test_shipped_presets_open_without_overlapping_nodes(registry, name):
    preset = load_preset(shipped_presets()[name], registry)
    assert layout.overlaps(preset.graph) == [], "stored positions overlap"
    assert layout.overlaps(preset.graph, layout.arrange(preset.graph)) == []


def test_recent_files_persist_between_sessions(registry, tmp_path):
    first = Controller(registry)
    for name in ("a", "b", "c"):
        first.save(tmp_path / f"{name}.json")
    second = Controller(registry)
    assert [p.name for p in second.recent_files] == ["c.json", "b.json", "a.json"]


CRASHER = """
import os, sys
from stylegraph.nodes import default_registry
from stylegraph.graph.preset import load_preset
from stylegraph.presets import shipped_presets
from stylegraph.ui.controller import Controller
registry = default_registry()
path = shipped_presets()["fusion"]
c = Controller(registry, load_preset(path, registry), path)
c.set_param("facet", "spatial_radius", 13)
c.delete_nodes(["render"])
print(c.autosave())
os._exit(1)  # a crash: no clean close
"""


def test_a_crashed_session_is_offered_for_recovery_and_restored(registry, tmp_path):
    env = {**os.environ, "STYLEGRAPH_RECOVERY_DIR": str(tmp_path / "recovery")}
    done = subprocess.run(
        [sys.executable, "-c", CRASHER], env=env, capture_output=True, text=True, timeout=120
    )
    written = Path(done.stdout.strip())
    assert written.is_file(), done.stderr[-2000:]
    assert oct(written.stat().st_mode & 0o777) == "0o600"

    controller = Controller(registry)
    assert controller.pending_recovery() == written
    controller.restore_recovery()
    assert controller.graph.node("facet").params["spatial_radius"] == 13
    assert "render" not in controller.graph
    assert controller.path is None  # still a template: Save asks where
    assert controller.template == shipped_presets()["fusion"].resolve()
    assert controller.dirty
    assert controller.pending_recovery() is None
    assert not written.exists()


def test_autosave_writes_only_unsaved_work_and_a_clean_close_removes_it(fusion, tmp_path):
    assert fusion.autosave() is None
    fusion.set_param("facet", "spatial_radius", 12)
    written = fusion.autosave()
    assert written is not None and written.is_file()
    assert fusion.pending_recovery() is None  # this session's own file is not "left behind"
    fusion.discard_recovery()
    assert not written.exists()


def test_recipe_embedded_in_an_output_opens_as_an_unsaved_graph(registry, images, tmp_path):
    from stylegraph.cli import main

    content = images / "content" / "chelsea.png"
    out = tmp_path / "out"
    assert (
        main(
            [
                "run",
                "facet-base",
                "--set",
                f"content={content}",
                "--set",
                "shrink.longest_side=64",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    [output] = out.glob("*.png")
    controller = Controller(registry)
    controller.open_recipe_from_image(output)
    assert controller.graph.node("shrink").params["longest_side"] == 64
    assert controller.dirty and controller.path is None


def test_a_graph_saved_as_a_pack_opens_again_with_its_painting(registry, images, tmp_path):
    painting = images / "styles" / "starry_night.jpg"
    controller = Controller(registry)
    controller.open(shipped_presets()["quick-stylize"])
    controller.set_param("paint", "style_files", [str(painting)])
    pack = tmp_path / "share.sgpack"
    packed = controller.save_pack(pack)
    assert packed == []  # the painting is the named input `style`: it stays home by default
    controller.save_pack(pack, with_inputs=True)
    other = Controller(registry)
    other.open(pack)
    assert other.path is None and not other.dirty  # nothing to save over in the cache folder
    [style] = other.graph.node("paint").params["style_files"]
    assert (other.preset.base_dir / style).read_bytes() == painting.read_bytes()
