"""The Layers panel as the artist uses it: a row dragged onto another moves that layer
there in one undo step, Esc with a blend-mode list open closes the list and leaves the
run alone, and the panel sits under the canvas, covering neither the graph nor the
picture. The live tests drive a real window under Xvfb with xdotool (tests/x11.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.graph.preset import load_preset, preset_to_dict, save_preset  # noqa: E402
from stylegraph.presets import shipped_presets  # noqa: E402
from stylegraph.ui.controller import Controller  # noqa: E402
from stylegraph.ui.editor import Editor  # noqa: E402
from stylegraph.ui.layers import rows  # noqa: E402
from stylegraph.ui.layers_panel import PAYLOAD  # noqa: E402
from stylegraph.ui.mask_view import TINT, TINT_STRENGTH  # noqa: E402
from tests.x11 import live_window, needs_x, wait_for  # noqa: E402


def _snapshot(controller: Controller) -> str:
    return json.dumps(preset_to_dict(controller.preset), sort_keys=True)


def _order(graph) -> list[tuple[str, str]]:
    """The stack's (layer, mask) sources from layer1 (just over the base) up."""
    links = graph.input_links("fuse")
    count = sum(1 for key in links if key.startswith("layer"))
    return [(links[f"layer{n}"].src, links[f"mask{n}"].src) for n in range(1, count + 1)]


@pytest.fixture
def editor(registry, images, tmp_path, monkeypatch):
    """An editor on fusion with a third (painting) layer, widgets built, no window."""
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    dpg.create_context()
    preset = load_preset(shipped_presets()["fusion"], registry)
    controller = Controller(registry, preset, recovery_dir=tmp_path / "recovery")
    editor = Editor(registry, controller, output_dir=tmp_path / "out")
    editor.build()
    editor.layers_panel.layers.add_paintings("fuse", [str(images / "styles" / "brick.png")])
    editor.pump()
    yield editor
    dpg.destroy_context()


def _drop_targets() -> list[int]:
    """The rows that take a dragged layer, top first, as the panel lists them."""
    return [
        item
        for item in dpg.get_all_items()
        if dpg.get_item_configuration(item).get("payload_type") == PAYLOAD
        and dpg.get_item_type(item) == "mvAppItemType::mvGroup"
    ]


def test_a_layer_dropped_on_another_row_takes_its_place_in_one_undo_step(editor):
    controller = editor.controller
    before = _snapshot(controller)
    assert _order(controller.graph) == [
        ("render", "render_mask"),
        ("brick", "brick_mask"),
        ("sharp_photo", "soft_edges"),
    ]
    settings = {r.source: (r.opacity, r.mode, r.visible) for r in rows(controller.graph, "fuse")}
    targets = _drop_targets()
    assert len(targets) == 3, "one drop target per row"
    top = targets[0]
    steps = controller.history_size
    # the bottom layer (1: render) dragged onto the top row: two places up at once
    dpg.get_item_configuration(top)["drop_callback"](top, 1)
    assert _order(controller.graph) == [
        ("brick", "brick_mask"),
        ("sharp_photo", "soft_edges"),
        ("render", "render_mask"),
    ]
    moved = {r.source: (r.opacity, r.mode, r.visible) for r in rows(controller.graph, "fuse")}
    assert moved == settings, "each layer keeps its opacity, mode and visibility"
    assert controller.history_size == steps + 1, "a drop is one undo step"
    controller.undo()
    assert _snapshot(controller) == before
    # a layer dropped on its own row changes nothing and adds no step
    editor.pump()
    middle = _drop_targets()[1]
    dpg.get_item_configuration(middle)["drop_callback"](middle, 2)
    assert _snapshot(controller) == before and controller.history_size == steps


@pytest.fixture
def fusion_file(registry, tmp_path):
    path = tmp_path / "mine.json"
    save_preset(load_preset(shipped_presets()["fusion"], registry), path)
    return path


@needs_x
def test_dragging_a_rows_grip_onto_another_row_reorders_the_stack(registry, tmp_path, fusion_file):
    original = preset_to_dict(load_preset(fusion_file, registry))

    with live_window(tmp_path, str(fusion_file), screen="1600x1000x24") as window:

        def saved() -> list[tuple[str, str]]:
            before = fusion_file.stat().st_mtime_ns
            window.xdo("key", "ctrl+s")
            wait_for(lambda: fusion_file.stat().st_mtime_ns != before)
            return _order(load_preset(fusion_file, registry).graph)

        grips = window.layout(lambda g: "grip render" in g.get("layers", {}))["layers"]
        assert grips["grip render"][1] > grips["grip sharp_photo"][1], "render is listed below"
        window.drag(grips["grip render"], grips["grip sharp_photo"])
        assert saved() == [("sharp_photo", "soft_edges"), ("render", "render_mask")]
        moved = window.layout(lambda g: g["layers"]["grip render"] != grips["grip render"])
        assert moved["layers"]["grip render"][1] < moved["layers"]["grip sharp_photo"][1]
        window.xdo("key", "ctrl+z")  # the drag was one step
        assert saved() == [("render", "render_mask"), ("sharp_photo", "soft_edges")]
        assert preset_to_dict(load_preset(fusion_file, registry)) == original


# A run that lasts until it is cancelled: the window's Esc handling is what is tested, so
# the run does no work (and takes no CPU) while the test clicks and presses keys.
ENDLESS_RUN = """
import sys, time
from stylegraph.graph.engine import Engine, RunReport

def endless(self, graph, targets=None, *, cancel=None, **kwargs):
    deadline = time.monotonic() + 300
    while not cancel.cancelled and time.monotonic() < deadline:
        time.sleep(0.05)
    return RunReport(cancelled=cancel.cancelled)

Engine.run = endless
import runpy
runpy.run_path(sys.argv.pop(1), run_name="__main__")
"""


@needs_x
def test_esc_with_a_blend_mode_list_open_closes_the_list_and_not_the_run(tmp_path, fusion_file):
    with live_window(
        tmp_path, str(fusion_file), "--run", screen="1600x1000x24", python=["-c", ENDLESS_RUN]
    ) as window:
        layout = window.layout(lambda g: g.get("running") and "mode render" in g["layers"])
        x, y = layout["layers"]["mode render"]
        # the list drops down, or up where the window has no room under the combo
        around = (slice(int(y) - 300, int(y) + 300), slice(int(x) - 40, int(x) + 40))
        window.xdo("mousemove", "5", "5")
        closed = window.grab()[around]
        window.click(x, y)
        window.xdo("mousemove", "5", "5")  # (the pointer's hover left out of the picture)
        opened = window.grab()[around]
        assert np.abs(opened - closed).mean() > 5, "the click did not open the list"
        window.xdo("key", "Escape")
        wait_for(lambda: np.abs(window.grab()[around] - closed).mean() < 1, 10)
        layout = window.layout(lambda g: "mode render" in g["layers"], 10)
        assert layout["running"] is True, "Esc that closed a list cancelled the run"
        assert window.process.poll() is None
        window.xdo("key", "Escape")  # nothing open now: Esc cancels the run
        window.layout(lambda g: g["running"] is False, 10)


@needs_x
def test_the_layers_panel_sits_under_the_canvas_and_follows_the_window_size(tmp_path, fusion_file):
    from PIL import Image

    with live_window(tmp_path, str(fusion_file), screen="1600x1000x24") as window:
        window_id = window.window_id()
        seen = []
        for width, height in ((1500, 860), (1100, 700), (1580, 980)):
            if seen:
                window.xdo("windowsize", window_id, str(width), str(height))
            layout = window.layout(
                lambda g: "grip render" in g.get("layers", {}) and g["canvas"] not in seen
            )
            seen.append(layout["canvas"])
            (cl, ct), (_, cb) = layout["canvas"]
            vl = layout["viewer"][0][0]
            assert cb - ct > 0.4 * height, "the canvas kept too little of the window"
            for label, (x, y) in layout["layers"].items():
                assert y > cb, f"{label} covers the canvas"
                assert cl <= x < vl, f"{label} is not in the canvas's column"
        Image.fromarray(window.grab().astype(np.uint8)).save(tmp_path / "layers.png")


def test_masking_a_layer_to_eyes_is_one_choice_shown_over_the_photo(editor):
    """The row's mask choice makes the layer's mask a face part in one undo step and puts
    it in the viewer, where a face-part mask shows tinted over its photo."""
    graph = editor.controller.graph
    before = _snapshot(editor.controller)
    combo = editor.layers_panel.buttons["mask of render"]
    assert dpg.get_value(combo) == "painting"  # a painting anchored to the background
    dpg.get_item_callback(combo)(combo, "eyes")
    eyes = graph.input_link("fuse", "mask1").src
    assert graph.node(eyes).type_id == "mask.face"
    assert graph.node(eyes).params["parts"] == ["eyes"]
    assert editor.viewer.node_id == eyes
    editor.pump()
    assert dpg.get_value(editor.layers_panel.buttons["mask of render"]) == "eyes"
    photo = np.random.default_rng(0).random((40, 60, 3), dtype=np.float32)
    mask = np.zeros((40, 60), np.float32)
    mask[10:20, 15:30] = 1.0
    editor.outputs["shrink"] = {"image": photo}
    editor.outputs[eyes] = {"mask": mask}
    shown = editor.picture(eyes)
    assert shown is editor.picture(eyes)  # the same array each frame: no redraw
    np.testing.assert_array_equal(shown[0, 0], photo[0, 0])  # outside: the photo
    tint = TINT_STRENGTH * TINT + (1 - TINT_STRENGTH) * photo[15, 20]
    np.testing.assert_allclose(shown[15, 20], tint, atol=1e-6)
    editor.controller.undo()
    assert _snapshot(editor.controller) == before
