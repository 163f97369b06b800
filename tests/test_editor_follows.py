"""The viewer follows the work, and the graph stays where the artist put it: after Run an
empty viewer shows the picture just made, a Run with nothing to do says so plainly, a new
node lands in the view, and a saved layout is opened as saved."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PIL import Image

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.graph.preset import load_preset, save_preset  # noqa: E402
from stylegraph.presets import shipped_presets  # noqa: E402
from stylegraph.ui import layout  # noqa: E402
from stylegraph.ui.controller import Controller  # noqa: E402
from stylegraph.ui.editor import NOTHING_TO_DO, Editor, viewer_size_for  # noqa: E402
from tests.x11 import (  # noqa: E402
    facet_base_editor,
    finish_run,
    live_window,
    needs_x,
)

editor = facet_base_editor


def test_after_run_an_empty_viewer_shows_what_the_final_save_was_given(editor):
    assert editor.viewer.node_id is None
    finish_run(editor)
    save_input = editor.controller.graph.input_link("save", "image").src
    assert editor.viewer.node_id == save_input
    assert editor.picture(save_input) is not None
    editor.pump()
    assert dpg.get_value("viewer_info").startswith(f"{save_input}: ")


def test_after_run_a_viewer_showing_a_picture_keeps_it(editor):
    editor.viewer.show("facet")
    finish_run(editor)
    assert editor.viewer.node_id == "facet"


def test_a_run_with_its_pictures_on_disk_says_nothing_needed_doing(editor):
    finish_run(editor)
    editor.viewer.show(None)
    finish_run(editor)
    assert editor.nothing_to_do
    assert editor.messages[-1] == NOTHING_TO_DO
    assert editor.viewer.node_id is not None, "the picture made before is shown again"


def test_the_viewers_drawing_leaves_its_controls_the_room_they_take_at_the_ui_scale():
    width, height = viewer_size_for(1500, 860)
    larger = viewer_size_for(1500, 860, 1.25)
    assert larger[0] == width and height - larger[1] >= 0.24 * (860 - height)


def test_a_saved_layout_with_overlapping_nodes_opens_as_saved(registry, tmp_path):
    preset = load_preset(shipped_presets()["fusion"], registry)
    stack = preset.graph.node("fuse").position
    preset.graph.set_position("render", (stack[0] + 20, stack[1] + 20))  # over the stack
    path = tmp_path / "mine.json"
    save_preset(preset, path)
    assert layout.overlaps(load_preset(path, registry).graph)
    controller = Controller(registry)
    controller.open(path)
    saved = json.loads(path.read_text())["ui"]["positions"]
    assert {n.id: list(n.position) for n in controller.graph.nodes()} == saved


# --- the live window ------------------------------------------------------------------------
@needs_x
def test_the_viewers_controls_fit_at_125_percent_and_in_a_1100_by_700_window(images, tmp_path):
    """At 125 % the viewer got a scrollbar and layer names were cut; at 1100 x 700 the
    painter's mode buttons ran off the viewer's right edge. Nothing of the viewer or the
    Layers panel's rows may reach past their panel's edges."""
    content, style = images / "content" / "tubingen.jpg", images / "styles" / "shipwreck.jpg"
    args = ["fusion", "--set", f"content={content}", "--set", f"style={style}"]
    args += ["--set", "shrink.longest_side=96", "--run"]
    with live_window(tmp_path, *args, screen="1600x1000x24") as window:

        def click(label: str) -> None:
            found = window.layout(lambda g: label in g.get("layers", {}), 60)
            window.click(*found["layers"][label])

        window.layout(lambda g: g.get("running") is False and "layers" in g, 300)
        time.sleep(1.0)
        click("Add painting layer...")
        click("painting woman-with-hat-matisse")
        click("Add")  # its mask goes to the viewer, with the painter's controls
        window.layout(lambda g: "paint woman_with_hat_matisse_mask" in g["layers"], 60)
        window.xdo("key", "ctrl+equal")
        window.xdo("key", "ctrl+equal")
        time.sleep(2.0)
        large = window.read()
        assert large["viewer_cut"] == [], f"cut at 125 %: {large['viewer_cut']}"
        assert large["layers_cut"] == [], f"layer rows cut at 125 %: {large['layers_cut']}"
        window.xdo("key", "ctrl+0")
        window.xdo("windowsize", window.window_id(), "1100", "700")
        small = window.layout(lambda g: g["canvas"] != large["canvas"], 20)
        time.sleep(1.0)
        small = window.read()
        assert small["viewer_cut"] == [], f"cut at 1100 x 700: {small['viewer_cut']}"
        assert small["layers_cut"] == [], f"layer rows cut at 1100 x 700: {small['layers_cut']}"
        Image.fromarray(window.grab().astype(np.uint8)).save(tmp_path / "small.png")
        assert window.process.poll() is None


SMALL_SIZE = ("--set", "shrink.longest_side=96")


def _small_fusion(images) -> list[str]:
    content, style = images / "content" / "tubingen.jpg", images / "styles" / "shipwreck.jpg"
    return ["fusion", "--set", f"content={content}", "--set", f"style={style}", *SMALL_SIZE]


@needs_x
def test_after_run_the_viewer_shows_the_picture_made_and_a_removed_layer_leaves_it(
    images, tmp_path
):
    """Run left the viewer on "select a node" (item 3); x on a layer whose mask the
    viewer showed left its name, a black picture and live paint buttons (item 2)."""
    with live_window(tmp_path, *_small_fusion(images), "--run", screen="1600x1000x24") as window:
        done = window.layout(lambda g: g.get("running") is False and g.get("viewer_node"), 300)
        assert done["viewer_node"] == "fuse", "not the picture the final save was given"
        time.sleep(1.0)
        found = window.layout(lambda g: "paint render_mask" in g["layers"], 30)
        window.click(*found["layers"]["paint render_mask"])
        window.layout(lambda g: g["viewer_node"] == "render_mask", 20)
        window.click(*window.read()["layers"]["remove render"])
        gone = window.layout(lambda g: "grip render" not in g["layers"], 20)
        assert gone["viewer_node"] is None
        assert "Fill" not in gone["viewer_buttons"]
        window.xdo("key", "ctrl+z")
        window.layout(lambda g: "grip render" in g["layers"], 20)
        assert window.process.poll() is None


@needs_x
def test_a_scripted_screenshot_finishes_when_its_pictures_are_already_on_disk(images, tmp_path):
    """The second scripted run from the same folder waited forever (item 10)."""
    import subprocess
    import sys

    from tests.x11 import EDITOR_SCRIPT, window_env

    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x900x24", sys.executable]
    command += [str(EDITOR_SCRIPT), *_small_fusion(images), "--select", "fuse"]
    for attempt in ("first", "second"):
        shot = tmp_path / f"{attempt}.png"
        started = time.monotonic()
        done = subprocess.run(
            [*command, "--screenshot", str(shot)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env=window_env(tmp_path),
        )
        assert done.returncode == 0, done.stderr[-2000:]
        took = time.monotonic() - started
        picture = np.asarray(Image.open(shot).convert("RGB"), np.float32)
        assert picture[100:800, 880:1490].std() > 20, f"the {attempt} shot shows no picture"
    assert took < 60, f"the second run took {took:.0f} s"
    assert len(list((tmp_path / "stylegraph-out").rglob("*.png"))) == 1, "written twice"


def test_before_after_shows_the_stack_without_one_layer_exactly_as_hiding_it_makes_it(
    registry, images, tmp_path, monkeypatch
):
    """B on a layer's row: the viewer shows the picture without that layer, the same
    pixels the stack gives with the layer hidden, and B again shows it with it; no edit."""
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    dpg.create_context()
    try:
        preset = load_preset(shipped_presets()["fusion"], registry)
        preset.set_input("content", str(images / "content" / "tubingen.jpg"))
        preset.set_input("style", [str(images / "styles" / "shipwreck.jpg")])
        preset.graph.set_param("shrink", "longest_side", 96)
        controller = Controller(registry, preset, recovery_dir=tmp_path / "recovery")
        editor = Editor(registry, controller, output_dir=tmp_path / "out")
        editor.build()
        finish_run(editor)
        panel = editor.layers_panel
        panel.follow("fuse")
        steps = controller.history_size
        with_it = editor.picture("fuse")
        panel.before_after(1)  # layer 1: the render
        assert editor.viewer.node_id == "fuse"
        before = editor.viewer.compare_id
        assert before == "fuse without render" and editor.viewer.split == 1.0
        without = editor.picture(before)
        assert controller.history_size == steps, "before / after is no edit"
        panel.before_after(1)
        assert editor.viewer.compare_id is None
        assert editor.picture("fuse") is with_it
        panel.before_after(1)
        panel.layers.set_visible("fuse", 1, False)  # an edit ends the before / after
        assert editor.viewer.compare_id is None and before not in editor.outputs
        finish_run(editor)
        hidden = editor.picture("fuse")
        assert np.abs(hidden - without).max() < 1e-6
        assert np.abs(with_it - without).mean() > 0.01, "the layer changed nothing"
    finally:
        dpg.destroy_context()
