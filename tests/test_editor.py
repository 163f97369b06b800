"""The editor views: every canvas action goes through the controller (so undo covers it),
runs feed thumbnails and per-node status, the viewer and mask painter show what the user
will get. Window tests run under Xvfb and look at saved frames; one drives the window with
real key presses and clicks (xdotool)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.graph.model import Graph  # noqa: E402
from stylegraph.graph.preset import load_preset  # noqa: E402
from stylegraph.nodes.functional.recipe_metadata import read_recipe  # noqa: E402
from stylegraph.presets import shipped_presets  # noqa: E402
from stylegraph.ui.controller import Controller  # noqa: E402
from stylegraph.ui.editor import NOTHING_TO_DO, Editor  # noqa: E402
from stylegraph.ui.files import extensions_for  # noqa: E402
from stylegraph.ui.shortcuts import EQUALS_KEY  # noqa: E402
from tests.x11 import (  # noqa: E402
    EDITOR_SCRIPT,
    LiveWindow,
    facet_base_editor,
    finish_run,
    live_window,
    wait_for,
    window_env,
    window_free_editor,
)

needs_xvfb = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is missing")


editor = facet_base_editor


def test_widgets_mirror_the_graph(editor):
    assert set(editor.canvas.nodes) == set(editor.controller.graph.nx.nodes)
    assert len(editor.canvas.links) == len(editor.controller.graph.links())


def test_a_file_field_tells_its_whole_path_on_hover(editor, images):
    path = str(images / "content" / "chelsea.png")
    tips = [
        dpg.get_value(text)
        for item in dpg.get_all_items()
        if dpg.get_item_type(item) == "mvAppItemType::mvTooltip"
        for text in dpg.get_item_children(item, 1)
    ]
    assert path in tips


def test_a_nodes_folded_params_open_in_a_window_that_edits_and_follows_undo(editor):
    render = editor.controller.add_node("style.transfer")
    editor.pump()
    (button,) = [
        item
        for item in dpg.get_all_items()
        if dpg.get_item_type(item) == "mvAppItemType::mvButton"
        and dpg.get_item_user_data(item) == render
        and dpg.get_item_label(item).endswith(" more...")
    ]
    editor.canvas.open_more(dpg.get_item_user_data(button))
    assert dpg.get_item_label("more_params") == f"Style Transfer  [{render}]"

    def stroke_scale_field() -> int:
        rows = dpg.get_item_children("more_params", 1)
        (field,) = [
            item
            for row in rows
            for item in dpg.get_item_children(row, 1)
            if dpg.get_item_label(item) == "stroke_scale"
        ]
        return field

    field = stroke_scale_field()
    editor.canvas.params._set(field, 2.5, dpg.get_item_user_data(field))
    editor.pump()
    assert editor.controller.graph.node(render).params["stroke_scale"] == 2.5
    editor.undo()
    editor.pump()  # the window is rebuilt from the graph: the value follows the undo
    assert dpg.get_value(stroke_scale_field()) == 1.0


def test_a_wrong_link_is_refused_in_the_status_line(editor):
    out_attr = editor.canvas._attr("photo", "width", True)
    in_attr = editor.canvas._attr("facet", "image", False)
    editor.canvas._on_link(None, (out_attr, in_attr))
    assert editor.messages[-1] == (
        "cannot link photo.width -> facet.image: photo.width gives number but facet.image "
        "takes image"
    )
    assert editor.controller.graph.input_link("facet", "image").src == "denoise"


def test_a_refused_param_keeps_the_value_and_an_accepted_one_undoes(editor):
    params = editor.controller.graph.node("facet").params
    editor._set_param("facet", "spatial_radius", 500)
    assert params["spatial_radius"] == 6
    assert "500 is above the maximum 64" in editor.messages[-1]
    editor._set_param("facet", "spatial_radius", 9)
    assert editor.controller.graph.node("facet").params["spatial_radius"] == 9
    editor.undo()
    assert editor.controller.graph.node("facet").params["spatial_radius"] == 6


def test_deleting_then_undo_brings_node_and_links_back_on_the_canvas(editor):
    links = len(editor.controller.graph.links())
    editor.controller.delete_nodes(["facet"])
    editor.pump()
    assert "facet" not in editor.canvas.nodes
    assert len(editor.canvas.links) == links - 2
    editor.undo()
    editor.pump()
    assert "facet" in editor.canvas.nodes
    assert len(editor.canvas.links) == links
    assert editor.controller.graph.input_link("dry_brush", "image").src == "facet"


def test_a_run_gives_status_and_a_thumbnail_to_every_picture_node(editor):
    finish_run(editor)
    graph = editor.controller.graph
    pictures = {n for n in editor.report.outputs if editor.picture(n) is not None}
    assert pictures and pictures == set(editor.canvas.thumbs)
    assert {max(w, h) for _, w, h in editor.canvas.thumbs.values()} == {128}
    assert dpg.get_value("status:facet").startswith("ran ")
    assert {n for n in graph.nx.nodes} == set(editor.canvas.status)
    saved = Path(editor.report.outputs["save"]["path"])
    finish_run(editor)  # nothing changed: the saved picture is on disk already
    assert editor.messages[-1] == NOTHING_TO_DO
    assert sorted(saved.parent.iterdir()) == [saved]
    saved.unlink()  # gone: the next run writes it again, from the cached result
    finish_run(editor)
    assert saved.is_file()
    assert dpg.get_value("status:fuse").startswith("cached")
    assert dpg.get_value("status:facet") == "up to date"
    assert editor.picture("facet") is not None


def test_auto_run_computes_and_shows_but_writes_no_file(editor, tmp_path):
    editor._on_auto_run(None, True)
    editor.controller.set_param("facet", "spatial_radius", 9)
    deadline = time.monotonic() + 30
    while not editor.worker.busy:
        assert time.monotonic() < deadline, "auto-run did not start"
        time.sleep(0.1)
        editor.pump()
    editor.worker.thread.join(120)
    editor.pump()
    assert editor.picture("fuse") is not None and "fuse" in editor.canvas.thumbs
    assert "save" not in editor.report.nodes  # the save was not even asked for
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert editor.messages[-1].endswith("; auto-run writes no files: Run (F5) saves")
    finish_run(editor)  # Run saves
    assert [f.name for f in (tmp_path / "out").iterdir()] == ["facet-base.png"]


def test_run_after_reopening_writes_nothing_again_and_renders_nothing(editor, tmp_path):
    from stylegraph.graph.cache import MemoryCache

    finish_run(editor)
    saved = tmp_path / "out" / "facet-base.png"
    written_at = saved.stat().st_mtime_ns
    path = tmp_path / "mine.json"
    editor.controller.save(path)
    assert editor.open(path)  # as in a new session: this one's memory of the run is gone
    editor.worker.engine.memory = MemoryCache()
    editor.worker.thread = None
    editor.run()
    assert editor.worker.thread is None, "a run started: something was rendered again"
    assert editor.messages[-1] == NOTHING_TO_DO
    assert saved.stat().st_mtime_ns == written_at
    assert sorted(saved.parent.iterdir()) == [saved]
    editor.controller.set_param("facet", "spatial_radius", 9)  # another picture: a new file
    finish_run(editor)
    assert sorted(f.name for f in saved.parent.iterdir()) == ["facet-base-0001.png", saved.name]


def test_a_fast_style_render_reports_progress_while_it_runs(editor, images):
    """The node said "running 0%" until it ended: the whole-image pass now reports after
    each of its layers, and the canvas and progress bar follow."""
    render = editor.controller.add_node(
        "style.transfer",
        params={"engine": "fast", "style_files": [str(images / "styles" / "starry_night.jpg")]},
    )
    editor.controller.connect("shrink", "image", render, "content")
    shown = []
    show_running = editor.canvas.show_running
    editor.canvas.show_running = lambda n, f: (shown.append((n, f)), show_running(n, f))
    editor.worker.start(editor.controller.preset, [render])
    editor.worker.thread.join(120)
    editor.pump()
    fractions = [f for n, f in shown if n == render]
    assert len([f for f in fractions if 0.0 < f < 1.0]) >= 10
    assert fractions == sorted(fractions)
    assert editor.picture(render) is not None


def test_a_picture_saved_from_the_editor_carries_its_recipe_and_the_status_says_where(
    editor, tmp_path, images
):
    editor.controller.set_param("facet", "spatial_radius", 9)
    finish_run(editor)
    saved = tmp_path / "out" / "facet-base.png"
    assert editor.messages[-1].startswith("done in ")
    assert editor.messages[-1].endswith(f" s; wrote {saved}")
    recipe = read_recipe(saved)
    assert recipe["preset"]["nodes"]["facet"]["params"]["spatial_radius"] == 9
    assert recipe["inputs"]["content"] == str(images / "content" / "chelsea.png")


def test_an_edit_marks_the_node_and_what_follows_it_changed_until_undone_or_run(editor):
    finish_run(editor)
    editor.controller.set_param("facet", "spatial_radius", 9)
    editor.pump()
    downstream = {"facet", "dry_brush", "fuse", "save"}
    assert downstream <= editor.results.changed
    assert not {"photo", "shrink", "denoise", "edges"} & editor.results.changed
    assert dpg.get_value("status:facet") == "changed: Run (F5) to update"
    assert dpg.get_value("status:denoise").startswith("ran ")
    editor.undo()
    editor.pump()
    assert editor.results.changed == set()
    assert dpg.get_value("status:facet").startswith("ran ")
    editor.redo()
    editor.pump()
    finish_run(editor)
    assert editor.results.changed == set()
    assert dpg.get_value("status:facet").startswith("ran ")
    assert dpg.get_value("status:denoise") == "cached (memory)"


def test_a_failed_node_and_those_it_skips_lose_the_picture_of_other_settings(editor, tmp_path):
    finish_run(editor)
    editor.controller.set_param("photo", "path", str(tmp_path / "gone.png"))
    finish_run(editor)
    assert editor.report.nodes["photo"].status.value == "failed"
    assert editor.report.nodes["shrink"].status.value == "skipped"
    assert editor.picture("photo") is None and editor.picture("shrink") is None
    assert not {"photo", "shrink", "fuse"} & set(editor.canvas.thumbs)
    assert dpg.get_value("status:photo").startswith("failed after")
    editor.undo()
    editor.pump()
    assert dpg.get_value("status:photo") == "changed: Run (F5) to update"
    finish_run(editor)  # fuse comes from the cache; the nodes above it from memory
    assert {"photo", "shrink", "fuse"} <= set(editor.canvas.thumbs)
    assert dpg.get_value("status:photo") == "up to date"
    assert editor.results.changed == set()


def test_ctrl_s_on_a_shipped_preset_asks_where_instead_of_writing_into_the_install(
    registry, tmp_path, monkeypatch
):
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    shipped = shipped_presets()["facet-base"]
    before = shipped.read_bytes()
    dpg.create_context()
    try:
        controller = Controller(
            registry, load_preset(shipped, registry), shipped, recovery_dir=tmp_path / "r"
        )
        editor = Editor(registry, controller, output_dir=tmp_path / "out")
        editor.build()
        controller.set_param("facet", "spatial_radius", 9)
        editor.commands["save"]()
        from stylegraph.ui.files import DIALOG, dialog_fields

        assert dpg.get_item_label(DIALOG) == "Save graph as"
        assert dialog_fields()["name"] == "facet-base.json"
    finally:
        dpg.destroy_context()
    assert shipped.read_bytes() == before


def test_run_computes_a_preview_branch_and_a_half_wired_node_does_not_block_it(editor):
    preview = editor.controller.add_node("sharpen.unsharp_mask")
    editor.controller.connect("shrink", "image", preview, "image")
    unwired = editor.controller.add_node("image.flip")
    finish_run(editor)
    assert editor.report.nodes[preview].status.value == "ran"
    assert preview in editor.canvas.thumbs
    assert unwired not in editor.report.nodes
    assert editor.report.nodes["save"].status.value == "ran"


def test_opening_another_graph_forgets_the_pictures_of_this_one(editor, tmp_path):
    finish_run(editor)
    assert editor.canvas.thumbs
    other = tmp_path / "other.json"
    editor.controller.save(other)
    assert editor.open(other)
    editor.pump()
    assert editor.canvas.thumbs == {} and editor.canvas.status == {}
    assert editor.picture("photo") is None


def test_an_invalid_graph_says_why_instead_of_running(editor):
    editor.controller.disconnect("facet", "image")
    finish_run(editor)
    assert editor.messages[-1] == (
        "node 'facet' (filter.facet), input 'image': required image input is not linked"
    )
    assert editor.report is None


def test_a_painted_stroke_is_one_undo_step_and_tints_the_viewer(editor):
    finish_run(editor)
    paint = editor.controller.add_node("mask.paint")
    editor.controller.connect("shrink", "image", paint, "image")
    finish_run(editor)
    editor.viewer.show(paint)
    before = editor.painter.image().copy()
    assert editor.painter.commit([(0.1, 0.5), (0.9, 0.5)])
    after = editor.painter.image()
    height, width = after.shape[:2]
    row = height // 2
    # on the stroke the mask is 1: the photo mixed 55 % towards the red tint
    tint = np.array([1.0, 0.25, 0.2], np.float32)
    expected = before[row, width // 2] * 0.45 + tint * 0.55
    np.testing.assert_allclose(after[row, width // 2], expected, atol=1e-5)
    assert np.array_equal(after[5, 5], before[5, 5])  # far from the stroke: untouched
    assert len(editor.controller.graph.node(paint).params["strokes"]) == 1
    editor.undo()
    assert editor.controller.graph.node(paint).params["strokes"] == []


def _answer(label: str) -> None:
    """Press a button of the open Save / Discard / Cancel prompt."""
    buttons = [
        b
        for b in dpg.get_all_items()
        if dpg.get_item_info(b)["type"] == "mvAppItemType::mvButton"
        and dpg.get_item_label(b) == label
        and "unsaved_prompt" in _ancestors(b)
    ]
    assert len(buttons) == 1, f"no {label} button on the prompt"
    dpg.get_item_callback(buttons[0])(buttons[0], None, dpg.get_item_user_data(buttons[0]))


def _ancestors(item) -> list:
    out = []
    while (item := dpg.get_item_parent(item)) is not None:
        out.append(dpg.get_item_alias(item) or item)
    return out


def test_new_with_unsaved_changes_asks_first_and_cancel_keeps_the_graph(editor, tmp_path):
    editor._set_param("facet", "spatial_radius", 9)
    assert editor.controller.dirty
    editor.commands["new"]()
    assert dpg.does_item_exist("unsaved_prompt")
    assert "facet" in editor.controller.graph
    _answer("Cancel")
    assert "facet" in editor.controller.graph and editor.controller.dirty
    editor.commands["new"]()
    _answer("Discard")
    assert list(editor.controller.graph.nodes()) == []
    editor.pump()
    assert editor.canvas.nodes == {}


def test_save_from_the_prompt_writes_the_file_before_going_on(editor, tmp_path):
    editor.controller.save(tmp_path / "mine.json")
    editor._set_param("facet", "spatial_radius", 9)
    editor.commands["new"]()
    _answer("Save")
    saved = load_preset(tmp_path / "mine.json", editor.registry)
    assert saved.graph.node("facet").params["spatial_radius"] == 9
    assert list(editor.controller.graph.nodes()) == []


def test_file_pickers_offer_images_or_model_files_never_everything():
    assert ".png" in extensions_for("path") and ".tiff" in extensions_for("style_files")
    assert extensions_for("vgg_weights") == (".pth", ".safetensors")
    assert ".*" not in extensions_for("path")


# --- the real window ------------------------------------------------------------------------
def _shoot(tmp_path: Path, preset: str, *args: str) -> np.ndarray:
    from PIL import Image

    shot = tmp_path / "shot.png"
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x900x24", sys.executable]
    command += [str(EDITOR_SCRIPT), preset, *args, "--screenshot", str(shot)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, env=window_env(tmp_path)
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return np.asarray(Image.open(shot).convert("RGB"), np.float32)


VIEWER = (slice(100, 800), slice(880, 1490))  # rows, columns of the viewer in a 1500 x 860 frame
CANVAS = (slice(60, 850), slice(0, 850))


def _fusion_inputs(images: Path) -> list[str]:
    content = images / "content" / "chelsea.png"
    style = images / "styles" / "shipwreck.jpg"
    return ["--set", f"content={content}", "--set", f"style={style}"]


@needs_xvfb
def test_the_window_shows_the_render_at_100_percent_split_against_the_photo(images, tmp_path):
    pixels = _shoot(
        tmp_path,
        "fusion",
        *_fusion_inputs(images),
        "--select",
        "render",
        "--viewer-zoom",
        "100",
        "--compare",
        "photo",
    )
    assert pixels.shape == (860, 1500, 3)
    viewer = pixels[VIEWER]
    assert viewer.std() > 20, "the viewer is blank"
    yellow = (viewer[..., 0] > 200) & (viewer[..., 1] > 200) & (viewer[..., 2] < 120)
    columns = np.nonzero(yellow.sum(axis=0) > 200)[0]
    assert columns.size, "no split line"
    middle = int(columns.mean())
    left, right = viewer[:, max(0, middle - 120) : middle - 5], viewer[:, middle + 5 : middle + 120]
    assert np.abs(left.mean(axis=(0, 1)) - right.mean(axis=(0, 1))).max() > 3, (
        "both sides of the split show the same picture"
    )
    canvas = pixels[CANVAS]
    thumbs = _thumbnail_like_blocks(canvas)
    assert thumbs >= 4, f"only {thumbs} node thumbnails found"


def _thumbnail_like_blocks(canvas: np.ndarray) -> int:
    """Count 64 px blocks of the canvas with photo-like variety (thumbnails), as the node
    widgets themselves are flat greys and text."""
    count = 0
    for top in range(0, canvas.shape[0] - 64, 64):
        for left in range(0, canvas.shape[1] - 64, 64):
            block = canvas[top : top + 64, left : left + 64]
            saturation = block.max(axis=2) - block.min(axis=2)
            if saturation.mean() > 25 and block.std() > 15:
                count += 1
    return count


@needs_xvfb
def test_a_painted_stroke_shows_over_the_photo_in_the_viewer(images, registry, tmp_path):
    from stylegraph.graph.preset import save_preset

    preset = load_preset(shipped_presets()["fusion"], registry)
    paint = preset.graph.add_node("mask.paint", "hand_mask", position=(0, 900))
    preset.graph.connect("shrink", "image", paint, "image")
    path = tmp_path / "painted.json"
    save_preset(preset, path)
    pixels = _shoot(
        tmp_path,
        str(path),
        *_fusion_inputs(images),
        "--select",
        "hand_mask",
        "--paint-stroke",
        "0.05,0.5;0.95,0.5",
    )
    viewer = pixels[VIEWER]
    redness = viewer[..., 0] - viewer[..., 1]
    rows = redness.mean(axis=1)
    painted = int(np.argmax(rows))
    assert rows[painted] > rows[max(0, painted - 120)] + 30, "the stroke is not visible"
    assert viewer.std() > 20


@needs_xvfb
@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is missing")
def test_real_keys_delete_a_node_and_ctrl_z_brings_it_back(images, registry, tmp_path):
    from stylegraph.graph.preset import save_preset

    preset = load_preset(shipped_presets()["facet-base"], registry)
    preset.set_input("content", str(images / "content" / "chelsea.png"))
    path = tmp_path / "mine.json"
    save_preset(preset, path)
    with live_window(tmp_path, str(path)) as window:
        layout = window.layout()
        x, y = layout["nodes"]["shrink"]
        xdo = window.xdo

        def saved() -> set[str]:
            before = path.stat().st_mtime_ns
            xdo("key", "ctrl+s")
            wait_for(lambda: path.stat().st_mtime_ns != before)
            return set(json.loads(path.read_text())["nodes"])

        # Delete typed into a text field edits the text, not the graph
        px, py = layout["nodes"]["photo"]
        xdo("mousemove", str(int(px)), str(int(py)), "click", "1")  # photo selected
        xdo("mousemove", str(int(px)), str(int(py) + 28), "click", "1")  # its path field
        xdo("key", "Delete")
        (vx, vy), _ = layout["viewer"]
        xdo("mousemove", str(int(vx) + 20), str(int(vy) + 20), "click", "1")
        assert "photo" in saved()
        xdo("mousemove", str(int(x)), str(int(y)), "click", "1")
        xdo("key", "Delete")
        assert "shrink" not in saved()
        xdo("key", "ctrl+z")
        assert "shrink" in saved()
        again = load_preset(path, registry)
        assert again.graph.input_link("shrink", "image").src == "photo"
        assert again.graph.input_link("denoise", "image").src == "shrink"
        old_x, old_y = again.graph.node("shrink").position
        xdo("mousemove", str(int(x)), str(int(y)), "mousedown", "1")
        for step in range(1, 6):
            xdo("mousemove", str(int(x) + 20 * step), str(int(y) + 10 * step))
        xdo("mouseup", "1")
        saved()
        new_x, new_y = load_preset(path, registry).graph.node("shrink").position
        assert (new_x - old_x, new_y - old_y) == pytest.approx((100, 50), abs=3)
        xdo("key", "ctrl+z")  # the whole drag is one step
        saved()
        assert load_preset(path, registry).graph.node("shrink").position == (old_x, old_y)


@needs_xvfb
@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is missing")
def test_a_mouse_drag_in_the_viewer_paints_one_undoable_stroke(images, registry, tmp_path):
    from stylegraph.graph.preset import Preset, save_preset

    preset = Preset(Graph(registry))
    photo = str(images / "content" / "chelsea.png")
    preset.graph.add_node("image.load", "photo", {"path": photo}, (40, 40))
    preset.graph.add_node("mask.paint", "hand_mask", position=(40, 330))
    preset.graph.connect("photo", "image", "hand_mask", "image")
    path = tmp_path / "paint.json"
    save_preset(preset, path)
    with live_window(tmp_path, str(path)) as window:
        layout = window.layout()
        xdo = window.xdo

        def strokes() -> list:
            before = path.stat().st_mtime_ns
            xdo("key", "ctrl+s")
            wait_for(lambda: path.stat().st_mtime_ns != before)
            return json.loads(path.read_text())["nodes"]["hand_mask"]["params"]["strokes"]

        x, y = layout["nodes"]["hand_mask"]
        xdo("mousemove", str(int(x)), str(int(y)), "click", "1")
        (left, top), (right, bottom) = layout["viewer"]
        row = int((top + bottom) / 2)
        xdo("mousemove", str(int(left + 0.3 * (right - left))), str(row), "mousedown", "1")
        for step in range(1, 6):
            xdo("mousemove", str(int(left + (0.3 + 0.08 * step) * (right - left))), str(row))
        xdo("mouseup", "1")
        painted = strokes()
        assert len(painted) == 1
        xs = [p[0] for p in painted[0]["points"]]
        assert xs == sorted(xs) and 0 < xs[0] < xs[-1] < 1
        assert painted[0]["mode"] == "paint"
        xdo("key", "ctrl+z")  # the whole drag was one step
        assert strokes() == []


# --- the window manager's close button and window size --------------------------------------
needs_xdotool = pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is missing")
needs_xlib = pytest.mark.skipif(
    importlib.util.find_spec("Xlib") is None, reason="python-xlib (the dev extra) is missing"
)


def _facet_base(images: Path, registry, tmp_path: Path) -> Path:
    from stylegraph.graph.preset import save_preset

    preset = load_preset(shipped_presets()["facet-base"], registry)
    preset.set_input("content", str(images / "content" / "chelsea.png"))
    path = tmp_path / "mine.json"
    save_preset(preset, path)
    return path


def _delete_node(window: LiveWindow, node_id: str) -> None:
    window.click(*window.layout()["nodes"][node_id])
    window.xdo("key", "Delete")


@needs_xlib
@needs_xvfb
@needs_xdotool
def test_closing_the_window_with_unsaved_edits_asks_and_cancel_keeps_them(
    images, registry, tmp_path
):
    path = _facet_base(images, registry, tmp_path)
    with live_window(tmp_path, str(path)) as window:
        _delete_node(window, "shrink")
        window.close()
        buttons = window.prompt()
        assert set(buttons) == {"Save", "Discard", "Cancel"}
        time.sleep(1.0)
        assert window.process.poll() is None, "the window closed without asking"
        window.click(*buttons["Cancel"])
        window.layout(lambda layout: not layout["prompt"])
        time.sleep(1.0)
        assert window.process.poll() is None, "Cancel closed the window"
        window.close()  # the edit is still unsaved, so it asks again
        window.click(*window.prompt()["Discard"])
        assert window.exit_code() == 0
    assert "shrink" in json.loads(path.read_text())["nodes"], "Discard saved the edit"


@needs_xlib
@needs_xvfb
@needs_xdotool
def test_save_in_the_close_prompt_writes_the_preset_then_closes(images, registry, tmp_path):
    path = _facet_base(images, registry, tmp_path)
    with live_window(tmp_path, str(path)) as window:
        _delete_node(window, "shrink")
        window.close()
        window.click(*window.prompt()["Save"])
        assert window.exit_code() == 0
    assert "shrink" not in json.loads(path.read_text())["nodes"]
    assert list((tmp_path / "recovery").glob("session-*.json")) == []


@needs_xlib
@needs_xvfb
def test_closing_an_unchanged_window_just_quits(images, registry, tmp_path):
    path = _facet_base(images, registry, tmp_path)
    before = path.read_bytes()
    with live_window(tmp_path, str(path)) as window:
        window.layout()
        window.close()
        assert window.exit_code() == 0
    assert path.read_bytes() == before


@needs_xlib
@needs_xvfb
def test_closing_before_answering_the_restore_offer_keeps_the_work_for_next_time(
    images, registry, tmp_path
):
    from stylegraph.ui.recovery import Recovery

    preset = load_preset(shipped_presets()["facet-base"], registry)
    left = Recovery(tmp_path / "recovery").write(preset, None)
    gone = subprocess.Popen(["true"])
    gone.wait()
    left = left.rename(left.with_name(f"session-{gone.pid}.json"))
    with live_window(tmp_path) as window:
        window.layout(lambda layout: "Restore" in layout["prompt"])
        window.close()
        assert window.exit_code() == 0
    assert left.exists(), "closing the window threw away the unsaved work it was offering"


def _picture_extent(viewer: np.ndarray) -> tuple[int, int]:
    """Width and height in px of the picture drawn on the viewer's plain background."""
    background = viewer[:4, :4].reshape(-1, 3).mean(axis=0)
    drawn = np.abs(viewer - background).sum(axis=2) > 24
    columns = np.nonzero(drawn.mean(axis=0) > 0.3)[0]
    rows = np.nonzero(drawn.mean(axis=1) > 0.3)[0]
    if not columns.size or not rows.size:
        return 0, 0
    return int(columns[-1] - columns[0] + 1), int(rows[-1] - rows[0] + 1)


@needs_xvfb
@needs_xdotool
def test_the_viewer_follows_the_window_size_and_fit_refits(images, registry, tmp_path):
    from stylegraph.graph.preset import Preset, save_preset

    preset = Preset(Graph(registry))
    photo = images / "content" / "chelsea.png"
    preset.graph.add_node("image.load", "photo", {"path": str(photo)}, (40, 40))
    path = tmp_path / "photo.json"
    save_preset(preset, path)
    photo_w, photo_h = 451, 300  # chelsea.png
    with live_window(tmp_path, str(path), "--run", screen="1920x1080x24") as window:
        window.click(*window.layout()["nodes"]["photo"])
        window_id = window.window_id()
        sizes: list[tuple[int, int]] = []
        for width, height in ((1500, 860), (900, 600), (1750, 950)):
            if sizes:
                window.xdo("windowsize", window_id, str(width), str(height))
            layout = window.layout(lambda g: _size(g["viewer"]) not in sizes)
            (left, top), (right, bottom) = layout["viewer"]
            drawing = _size(layout["viewer"])
            sizes.append(drawing)
            # the viewer keeps its share of the width, and the controls above it their height
            assert drawing[0] / width == pytest.approx(0.42, abs=0.03)
            assert height - drawing[1] == 860 - sizes[0][1]

            scale = min(drawing[0] / photo_w, drawing[1] / photo_h)
            fit = pytest.approx((photo_w * scale, photo_h * scale), abs=4)
            deadline = time.monotonic() + 30
            while True:
                shot = window.grab()[int(top) : int(bottom), int(left) : int(right)]
                extent = _picture_extent(shot)
                if extent == fit or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            assert extent == fit, f"a {extent} px picture in the {drawing} px viewer is not fitted"
        assert sizes[1][0] < sizes[0][0] < sizes[2][0]
        assert sizes[1][1] < sizes[0][1] < sizes[2][1]


def _size(corners: list[list[float]]) -> tuple[int, int]:
    (left, top), (right, bottom) = corners
    return round(right - left), round(bottom - top)


@needs_xvfb
@needs_xdotool
def test_paste_after_panning_lands_in_the_visible_canvas_and_home_frames_the_graph(
    registry, tmp_path
):
    """The fusion graph is wider than the window: a node pasted (or added from the menu)
    must appear where the artist is looking, not right of the whole graph, off-screen; and
    Frame all must bring the graph's corner back however far the view was panned."""
    from stylegraph.graph.preset import save_preset

    path = tmp_path / "wide.json"
    save_preset(load_preset(shipped_presets()["fusion"], registry), path)
    with live_window(tmp_path, str(path)) as window:
        start = window.layout()
        window.click(*start["nodes"]["shrink"])
        window.xdo("key", "ctrl+c")
        (left, top), (right, bottom) = start["canvas"]
        assert right - left > 300 and bottom - top > 300
        # empty grid under the first nodes, above the Layers panel and left of the minimap
        grab = (int(left + 0.55 * (right - left)), int(top + 0.6 * (bottom - top)))
        window.xdo("mousemove", *map(str, grab))  # a frame here, or the jump counts as a drag
        window.xdo("mousedown", "2")
        for step in range(1, 9):
            window.xdo("mousemove", str(grab[0] - 40 * step), str(grab[1] - 25 * step))
        window.xdo("mouseup", "2")
        panned = window.layout(lambda layout: layout["nodes"] != start["nodes"])["nodes"]
        x, y = start["nodes"]["shrink"]
        assert panned["shrink"][0] < x - 150 and panned["shrink"][1] < y - 100, "no pan"
        window.xdo("key", "ctrl+v")
        px, py = window.layout(lambda layout: "resize1" in layout["nodes"])["nodes"]["resize1"]
        assert left < px < right and top < py < bottom
        window.xdo("key", "Home")  # Frame all, however far the view was panned
        framed = window.layout(lambda layout: layout["nodes"]["resize1"] != [px, py])
        fx, fy = framed["nodes"]["photo"]  # the graph's top-left node
        assert 0 < fx - left < 80 and 0 < fy - top < 80


def _title(window: LiveWindow) -> str:
    """The window's title, as a window manager would show it."""

    def xdo(*args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=window.env, capture_output=True, text=True)
        return done.stdout.strip()

    found = xdo("search", "--pid", str(window.process.pid)).split()
    return xdo("getwindowname", found[0]) if found else ""


@needs_xvfb
@needs_xdotool
def test_save_as_under_real_input_writes_the_typed_absolute_path_and_clears_the_star(
    registry, tmp_path
):
    """Save as... -> OK once froze the window and saved nothing; the dialog joined a typed
    absolute path onto the folder it showed (or onto the name it offered); Ctrl+A did not
    select the name, Enter did not confirm; the title kept its "*" after a save. The next
    dialog opens in the folder the last one was answered in."""
    target = tmp_path / "art" / "mine"
    target.parent.mkdir()
    with live_window(tmp_path, "fusion") as window:
        window.xdo("mousemove", *map(str, map(int, window.layout()["nodes"]["photo"])))
        _delete_node(window, "shrink")
        wait_for(lambda: _title(window).startswith("fusion (shipped preset)*"))
        window.xdo("key", "ctrl+shift+s")  # Save as... (Ctrl+S asks the same here)
        offered = window.layout(lambda g: g["dialog_fields"])["dialog_fields"]
        assert offered["name"] == "fusion.json"
        time.sleep(0.5)  # the name field has the keys, its offered name selected
        window.xdo("key", "ctrl+a")
        window.xdo("type", "--delay", "20", str(target))  # the dialog shows another folder
        window.xdo("key", "Return")
        saved = target.with_suffix(".json")
        started = time.monotonic()
        wait_for(saved.is_file, 10.0)
        assert "shrink" not in json.loads(saved.read_text())["nodes"]
        window.layout(lambda g: g["dialog"] is None)  # the window answers again
        assert time.monotonic() - started < 10.0
        wait_for(lambda: _title(window) == "mine.json - stylegraph", 10.0)
        assert window.process.poll() is None
        window.xdo("key", "ctrl+shift+s")
        again = window.layout(lambda g: g["dialog_fields"])["dialog_fields"]
        assert again == {"folder": str(target.parent), "name": "mine.json"}
        window.xdo("key", "Escape")
        window.layout(lambda g: g["dialog"] is None)


def test_delete_after_a_box_selection_removes_the_nodes_not_the_links_crossing_it(
    editor, monkeypatch
):
    """A box around two nodes also selects, barely visibly, the links crossing it:
    Delete removes only the nodes (with their own links), in one step, and says so."""
    canvas = editor.canvas
    crossing = [item for item, (dst, _) in canvas.links.items() if dst in ("save", "fuse")]
    assert crossing
    boxed = [canvas.nodes["facet"], canvas.nodes["dry_brush"]]
    monkeypatch.setattr(dpg, "get_selected_nodes", lambda tag: boxed)
    monkeypatch.setattr(dpg, "get_selected_links", lambda tag: crossing)
    links = len(editor.controller.graph.links())
    editor.commands["delete"]()
    graph = editor.controller.graph
    assert "facet" not in graph and "dry_brush" not in graph
    assert len(graph.links()) == links - 3  # denoise->facet->dry_brush->fuse, nothing else
    assert editor.messages[-1] == "deleted nodes facet, dry_brush with their 3 links"
    editor.undo()
    assert len(editor.controller.graph.links()) == links
    monkeypatch.setattr(dpg, "get_selected_nodes", lambda tag: [])  # a link clicked alone
    editor.pump()
    (into_save,) = [item for item, (dst, _) in editor.canvas.links.items() if dst == "save"]
    monkeypatch.setattr(dpg, "get_selected_links", lambda tag: [into_save])
    editor.commands["delete"]()
    assert editor.messages[-1] == "deleted the link into save.image"
    assert editor.controller.graph.input_link("save", "image") is None


def test_esc_closing_a_menu_does_not_cancel_the_run(editor, monkeypatch):
    from stylegraph.ui import shortcuts

    cancelled = []
    editor.shortcuts.commands = {**editor.commands, "cancel": lambda: cancelled.append(1)}
    open_now = [True]
    monkeypatch.setattr(shortcuts, "menu_open", lambda: open_now[0])
    editor.pump()  # a frame with the File menu open
    open_now[0] = False  # Esc closed it in the next frame; its key event comes after
    editor.shortcuts._pressed(None, dpg.mvKey_Escape)
    editor.pump()
    assert cancelled == []
    editor.shortcuts._pressed(None, dpg.mvKey_Escape)  # no menu open now: Esc cancels
    editor.pump()
    assert cancelled == [1]


def test_keys_typed_into_a_file_dialog_do_not_edit_the_graph(editor):
    from stylegraph.ui.files import ask_path, dialog_open

    ask_path("Save graph as", (".json",), lambda paths: None, save=True)
    assert dialog_open()
    before = set(editor.controller.graph.nx.nodes)
    editor.canvas.selected = lambda: ["facet"]
    editor.shortcuts._pressed(None, dpg.mvKey_Delete)  # erasing a character of the name
    editor.pump()
    assert set(editor.controller.graph.nx.nodes) == before
    ask_path("Save graph as", (".json",), lambda paths: None, save=True)  # no second one
    dialogs = [
        item
        for item in dpg.get_all_items()
        if dpg.get_item_type(item) == "mvAppItemType::mvWindowAppItem"
        and dpg.get_item_label(item) == "Save graph as"
    ]
    assert len(dialogs) == 1


def test_a_typed_absolute_path_wins_over_the_dialogs_folder(tmp_path):
    from stylegraph.ui.files import chosen_path

    art = Path("/home/me/art")
    assert chosen_path(art, "/home/me/photos/a.jpg") == Path("/home/me/photos/a.jpg")
    assert chosen_path(art, "~/b.json") == Path.home() / "b.json"
    assert chosen_path(art, "c.json") == art / "c.json"
    assert chosen_path(art, "  ") is None


def test_a_long_status_line_is_cut_and_shows_whole_on_hover(editor):
    editor.say("short")
    assert dpg.get_value("status") == "short"
    assert not dpg.get_item_configuration("status_tip")["show"]
    long = "done in 1.00 s; wrote " + "/very/long/folder" * 40 + "/fusion.png and 2 more"
    editor.say(long)
    shown = dpg.get_value("status")
    assert shown.endswith("...") and len(shown) < 200
    assert dpg.get_value("status_full") == long
    assert dpg.get_item_configuration("status_tip")["show"]


def test_the_ui_scale_steps_with_ctrl_plus_minus_and_is_remembered(editor):
    from stylegraph.ui.settings import Settings

    assert editor.scale == 1.0
    editor.shortcuts.held.add(dpg.mvKey_LControl)
    editor.shortcuts._pressed(None, EQUALS_KEY)
    editor.shortcuts._pressed(None, EQUALS_KEY)
    editor.pump()
    assert editor.scale == 1.25
    assert editor.canvas.params.px(150) == 188  # fields widen with their text
    assert Settings().ui_scale == 1.25  # the next session opens at this scale
    editor.shortcuts._pressed(None, dpg.mvKey_Minus)
    editor.pump()
    assert editor.scale == 1.125 and Settings().ui_scale == 1.125


def test_the_brush_is_remembered_for_the_next_session(editor, registry, images, tmp_path):
    from stylegraph.ui.settings import Settings

    dpg.set_value("brush_hardness", 0.8)
    dpg.get_item_callback("brush_hardness")("brush_hardness", 0.8, "hardness")
    editor.painter.resize_brush(2.0)  # ] twice over
    editor.painter.swap_mode()  # X: paint -> erase
    brush = Settings().brush
    assert brush["size"] == pytest.approx(0.1) and brush["hardness"] == pytest.approx(0.8)
    assert (brush["opacity"], brush["mode"]) == (1.0, "erase")
    dpg.destroy_context()
    dpg.create_context()
    preset = load_preset(shipped_presets()["facet-base"], registry)
    window_free_editor(registry, preset, tmp_path)  # the next session's window
    assert dpg.get_value("brush_size") == pytest.approx(0.1)
    assert dpg.get_value("brush_hardness") == pytest.approx(0.8)
    assert dpg.get_value("brush_mode") == "erase"


def test_the_ui_scale_spreads_the_nodes_as_it_enlarges_them_and_drags_still_move_them(editor):
    """The node editor cannot zoom: at a larger scale the nodes grow with their text, so
    their distances grow with them; the model's positions do not change, and a drag moves
    a node in the model by the distance on screen divided by the scale."""
    canvas, controller = editor.canvas, editor.controller
    before = {node_id: controller.graph.node(node_id).position for node_id in canvas.nodes}
    editor.set_scale(1.5)
    editor.pump()
    for node_id, item in canvas.nodes.items():
        x, y = before[node_id]
        grid = (x * 1.5 + canvas.offset[0], y * 1.5 + canvas.offset[1])
        assert dpg.get_item_pos(item) == pytest.approx(grid, abs=1.0)
    history = controller.history_size
    canvas.commit_moves()  # a click with nothing dragged is no edit
    assert controller.history_size == history
    item = canvas.nodes["facet"]
    x, y = dpg.get_item_pos(item)
    dpg.set_item_pos(item, [x + 30, y + 15])
    canvas.commit_moves()
    moved = controller.graph.node("facet").position
    assert moved == pytest.approx((before["facet"][0] + 20, before["facet"][1] + 10), abs=1.0)
    assert controller.history_size == history + 1
    editor.set_scale(1.0)
    editor.pump()
    assert dpg.get_item_pos(canvas.nodes["facet"]) == pytest.approx(
        (moved[0] + canvas.offset[0], moved[1] + canvas.offset[1]), abs=1.0
    )


class _FakeWake:
    """Input that arrives after ``quiet`` looks at the display."""

    def __init__(self, quiet: int) -> None:
        self.quiet = quiet
        self.looks = 0

    def wait(self, seconds: float) -> bool:
        self.looks += 1
        return self.looks > self.quiet

    def close(self) -> None:
        pass


def test_an_idle_window_waits_for_input_or_a_change_before_drawing():
    from stylegraph.ui.pacing import HOLD_S, FramePacer

    wake = _FakeWake(quiet=5)
    pacer = FramePacer(wake)
    pacer.active_until = 0.0  # the start-up frames are over: idle
    pacer.last_frame = time.monotonic()  # and one was just drawn
    ticks = []
    pacer.wait_for_frame(lambda: ticks.append(1) and False, lambda: False)
    assert wake.looks == 6 and len(ticks) == 5  # no frame until the input came
    assert pacer.active_until > time.monotonic() + HOLD_S / 2  # then full speed a while
    pacer.active_until = 0.0
    pacer.last_frame = time.monotonic()
    wake.quiet = 10**6  # no input, but the run's queue (a tick) changed something
    changes = iter([False, False, True])
    pacer.wait_for_frame(lambda: next(changes), lambda: False)
    assert pacer.frames == 2
    started = time.monotonic()
    pacer.active_until = 0.0
    pacer.wait_for_frame(lambda: False, lambda: True)  # a run goes on: frames keep coming
    assert time.monotonic() - started < 0.5


class _SilentWake(_FakeWake):
    """A display that never reports input, as with the window manager's close request."""

    def wait(self, seconds: float) -> bool:
        time.sleep(seconds)
        return False


def test_an_idle_window_still_draws_once_a_second_for_what_it_cannot_hear():
    from stylegraph.ui.pacing import IDLE_FPS_HEARING, FramePacer

    pacer = FramePacer(_SilentWake(quiet=0))
    pacer.active_until = 0.0
    pacer.last_frame = time.monotonic()
    started = time.monotonic()
    pacer.wait_for_frame(lambda: False, lambda: False)
    waited = time.monotonic() - started
    assert 1.0 / IDLE_FPS_HEARING - 0.05 <= waited < 1.0 / IDLE_FPS_HEARING + 0.2


@needs_xvfb
@needs_xdotool
def test_a_node_dragged_at_a_larger_ui_scale_moves_by_the_screen_distance_over_the_scale(
    images, registry, tmp_path
):
    """Real input: Ctrl+= twice (125 %), then a node dragged by its title bar. Scaling the
    distances between nodes once broke node drags; here the drag lands where it was let go."""
    path = _facet_base(images, registry, tmp_path)
    before = json.loads(path.read_text())["ui"]["positions"]["photo"]
    with live_window(tmp_path, str(path)) as window:
        start = window.layout()["nodes"]["photo"]
        window.xdo("mousemove", str(int(start[0])), str(int(start[1])))
        window.xdo("key", "ctrl+equal")
        window.xdo("key", "ctrl+equal")
        settings = tmp_path / "config" / "settings.json"
        wait_for(
            lambda: settings.is_file() and json.loads(settings.read_text())["ui_scale"] == 1.25
        )
        time.sleep(0.5)  # the frame that redraws the nodes at their new distances
        grown = window.layout(lambda g: g["nodes"]["photo"] != start)["nodes"]["photo"]
        window.drag(grown, (grown[0] + 100, grown[1] + 50))
        saved = path.stat().st_mtime_ns
        time.sleep(0.5)
        window.xdo("key", "ctrl+s")
        wait_for(lambda: path.stat().st_mtime_ns != saved)
    after = json.loads(path.read_text())["ui"]["positions"]["photo"]
    assert after == pytest.approx([before[0] + 80, before[1] + 40], abs=2.0)
