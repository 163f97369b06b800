"""Painting a layer's mask on the picture being made: the painter shows the Layer Stack's
composite made from the results already computed, exactly what the stack node gives, and
follows each stroke without a graph run. The last test does it as an artist would, with
real clicks and a drag (xdotool) on a live window under Xvfb."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.graph.preset import load_preset  # noqa: E402
from stylegraph.nodes.functional.paint import render_strokes  # noqa: E402
from stylegraph.presets import shipped_presets  # noqa: E402
from stylegraph.ui.controller import Controller  # noqa: E402
from stylegraph.ui.editor import Editor  # noqa: E402
from tests.x11 import (  # noqa: E402
    fusion_on_real_pictures,
    live_window,
    needs_x,
    wait_for,
    window_free_editor,
)

SMALL = 128  # px: the fusion preset's working size in these tests (it ships with 500)


@pytest.fixture
def editor(registry, images, tmp_path, monkeypatch):
    """An editor on fusion with a real photo and painting, widgets built, no window."""
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    dpg.create_context()
    yield window_free_editor(registry, fusion_on_real_pictures(registry, images, SMALL), tmp_path)
    dpg.destroy_context()


def _finish(editor: Editor) -> None:
    editor.worker.thread.join(300)
    editor.pump()


def test_painting_a_new_layers_mask_shows_the_stacks_composite_as_the_node_makes_it(editor, images):
    editor.run()
    _finish(editor)
    written = sorted(editor.worker.output_dir.rglob("*"))
    editor.layers_panel.follow("fuse")
    ((render, mask),) = editor.layers_panel.add_paintings(
        [str(images / "styles" / "starry_night.jpg")]
    )
    _finish(editor)  # the panel computed the new layer (no Save ran: nothing written)
    assert sorted(editor.worker.output_dir.rglob("*")) == written
    painter = editor.painter
    assert editor.viewer.node_id == mask and painter.active
    # hidden to start: the composite is the stack as it was, to the last bit
    np.testing.assert_array_equal(painter.image(), editor.picture("fuse"))
    stroke = [(0.1, 0.5), (0.9, 0.5)]
    assert painter.commit(stroke)
    painted = painter.image()
    height, width = painted.shape[:2]
    middle, corner = painted[height // 2, width // 2], painted[3, 3]
    assert np.abs(middle - editor.picture("fuse")[height // 2, width // 2]).max() > 0.05
    np.testing.assert_array_equal(corner, editor.picture("fuse")[3, 3])
    # where the mask is 1, the new layer itself shows (Normal mode, opacity 1) under the
    # detail layer kept on top (the sharpened photo through its soft edges)
    from stylegraph.nodes.functional.blend import composite

    y, x = height // 2, width // 2
    detail = editor.controller.graph.input_links("fuse")
    top = [n for n in range(1, 9) if f"layer{n}" in detail][-1]
    assert detail[f"layer{top}"].src == "sharp_photo"
    from stylegraph.ui.layers import rows

    (above, *_) = rows(editor.controller.graph, "fuse")  # the top row
    expected = composite(
        editor.picture(render)[y : y + 1, x : x + 1],
        editor.picture("sharp_photo")[y : y + 1, x : x + 1],
        above.mode,
        above.opacity,
        editor.results.port_output(detail[f"mask{top}"].src, "mask")[y : y + 1, x : x + 1],
    )
    np.testing.assert_allclose(middle, expected[0, 0], atol=1e-5)
    # the graph, run, makes the same picture the painter showed
    editor.run()
    _finish(editor)
    np.testing.assert_allclose(editor.picture("fuse"), painted, atol=1e-6)

    painter.view = "mask"
    params = editor.controller.graph.node(mask).params
    expected = render_strokes(params["strokes"], height, width, params["base"])
    np.testing.assert_array_equal(painter.image(), expected)


def test_brush_keys_and_clear_strokes(editor, images):
    paint = editor.controller.add_node("mask.paint")
    editor.controller.connect("shrink", "image", paint, "image")
    editor.viewer.show(paint)
    painter = editor.painter
    size = dpg.get_value("brush_size")
    painter._pressed(None, dpg.mvKey_Close_Brace)
    painter._pressed(None, dpg.mvKey_Close_Brace)
    painter._pressed(None, dpg.mvKey_Open_Brace)
    painter._pressed(None, dpg.mvKey_X)
    painter._run_keys()
    assert dpg.get_value("brush_size") == pytest.approx(size * 1.25)
    assert dpg.get_value("brush_mode") == "erase"
    assert painter.commit([(0.2, 0.2), (0.4, 0.4)])
    assert painter.commit([(0.6, 0.2)])
    strokes = editor.controller.graph.node(paint).params["strokes"]
    assert [s["mode"] for s in strokes] == ["erase", "erase"]
    painter.clear()
    assert editor.controller.graph.node(paint).params["strokes"] == []
    editor.undo()  # Clear was one step
    assert editor.controller.graph.node(paint).params["strokes"] == strokes


def test_the_mask_view_is_the_nodes_mask_with_hints_and_a_subject_anchor(
    registry, images, tmp_path, monkeypatch
):
    from stylegraph.graph.model import Graph
    from stylegraph.graph.preset import Preset
    from stylegraph.nodes.functional.paint import photo_hash

    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    dpg.create_context()
    try:
        graph = Graph(registry)
        photo = str(images / "content" / "chelsea.png")
        graph.add_node("image.load", "photo", {"path": photo}, (40, 40))
        graph.add_node("image.resize", "small", {"longest_side": SMALL}, (400, 40))
        graph.add_node("mask.paint", "hand", {"anchor": "subject"}, (800, 40))
        graph.connect("photo", "image", "small", "image")
        graph.connect("small", "image", "hand", "image")
        controller = Controller(registry, Preset(graph), recovery_dir=tmp_path / "recovery")
        editor = Editor(registry, controller, output_dir=tmp_path / "out")
        editor.build()
        editor.run()
        _finish(editor)
        editor.viewer.show("hand")
        painter = editor.painter
        assert dpg.get_item_configuration("brush_mode")["items"] == [
            "paint",
            "erase",
            "keep",
            "remove",
        ]
        painter.view = "mask"
        for mode, points in (
            ("keep", [(0.4, 0.5), (0.6, 0.5)]),
            ("remove", [(0.02, 0.05), (0.98, 0.05)]),
            ("paint", [(0.1, 0.9)]),
        ):
            dpg.set_value("brush_mode", mode)
            assert painter.commit(points)
        shown = painter.image().copy()
        params = controller.graph.node("hand").params
        assert params["strokes"][0]["points"] != [[0.4, 0.5], [0.6, 0.5]]  # subject's box
        assert params["painted_on"] == photo_hash(editor.picture("small"))
        assert controller.history_size == 3, "one step per stroke"
        editor.run()
        _finish(editor)
        np.testing.assert_allclose(shown, editor.picture("hand"), atol=1e-6)
        assert 0.05 < shown.mean() < 0.95, "the cut selected all or nothing"
    finally:
        dpg.destroy_context()


def test_starred_renders_of_a_sweep_become_masked_layers_in_one_step(editor, images):
    from stylegraph.nodes.functional.contact_sheet import contact_sheet

    files = [str(images / "styles" / n) for n in ("starry_night.jpg", "gravel.png", "brick.png")]
    controller = editor.controller
    sweep = controller.add_node("style.sweep", params={"style_files": files, "columns": 2})
    controller.connect("shrink", "image", sweep, "content")
    sheet = contact_sheet([np.zeros((48, 64, 3), np.float32)] * 3, ["a", "b", "c"], 2)
    panel = editor.layers_panel
    cells = panel.sweep_cells(sweep, sheet.shape[:2])
    height, width = sheet.shape[:2]
    for (u0, v0, u1, v1), (x, y) in zip(cells, [(8, 8), (80, 8), (8, 86)], strict=True):
        assert (round(u0 * width), round(v0 * height)) == (x, y)  # where the sheet put them
        assert (round((u1 - u0) * width), round((v1 - v0) * height)) == (64, 70)
    for index in (2, 0, 2, 2):  # a second click unstars
        u0, v0, u1, v1 = cells[index]
        panel.click_sheet(sweep, (u0 + u1) / 2, (v0 + v1) / 2, sheet.shape[:2])
    assert panel.starred_paintings(sweep) == [files[0], files[2]]
    assert controller.preset.ui["stars"] == {sweep: [0, 2]}  # saved with the graph
    steps = controller.history_size
    panel.follow("fuse")
    added = panel.add_starred(sweep)
    assert [r for r, _ in added] == ["starry_night", "brick"]
    assert controller.history_size == steps + 1
    assert controller.graph.node("brick").params["style_files"] == [files[2]]
    assert controller.graph.input_link("fuse", "layer3").src == "brick"
    assert controller.graph.input_link("fuse", "layer4").src == "sharp_photo", "detail on top"
    assert panel.starred_paintings(sweep) == []
    editor.worker.cancel()  # the new layers' renders: not needed here
    editor.worker.thread.join(60)
    controller.undo()  # one step: the layers go and the stars come back together
    assert panel.starred_paintings(sweep) == [files[0], files[2]]


# --- the live window ---------------------------------------------------------------------
@needs_x
def test_an_artist_adds_a_painting_as_a_masked_layer_and_paints_it_in_over_the_composite(
    images, tmp_path
):
    content, style = images / "content" / "tubingen.jpg", images / "styles" / "shipwreck.jpg"
    args = ["fusion", "--set", f"content={content}", "--set", f"style={style}"]
    args += ["--set", f"shrink.longest_side={SMALL + 32}", "--run"]
    with live_window(tmp_path, *args, screen="1600x1000x24") as window:
        window.pause = 0.6
        layout = window.read
        actions = 0

        def xdo(*args: str) -> None:
            nonlocal actions
            actions += 1  # one synthetic click, key or drag
            window.xdo(*args)

        def click(label: str) -> None:
            wait_for(lambda: label in layout().get("layers", {}), 30)
            x, y = layout()["layers"][label]
            xdo("mousemove", str(int(x)), str(int(y)), "click", "1")

        def viewer() -> np.ndarray:
            (left, top), (right, bottom) = layout()["viewer"]
            return window.grab()[int(top) : int(bottom), int(left) : int(right)]

        wait_for(lambda: layout().get("running") is False and "layers" in layout(), 600)
        click("Add painting layer...")
        click("painting starry_night")
        click("Add")
        time.sleep(1.0)
        wait_for(lambda: layout()["running"] is False, 600)  # the new layer's render
        time.sleep(1.0)
        before = viewer()
        (left, top), (right, bottom) = layout()["viewer"]
        row = int((top + bottom) / 2)
        steps = [int(left + (0.25 + 0.05 * s) * (right - left)) for s in range(11)]
        drag = ["mousemove", str(steps[0]), str(row), "mousedown", "1"]
        for x in steps[1:]:
            drag += ["mousemove", str(x), str(row), "sleep", "0.05"]
        xdo(*drag, "mouseup", "1")  # one stroke: press, move, release
        time.sleep(1.0)
        after = viewer()
        assert actions <= 6, f"{actions} clicks, keys and drags"
        assert window.process.poll() is None
        assert layout()["running"] is False, "the stroke was shown without a graph run"

        middle = row - int(top)
        changed = np.abs(after - before).mean(axis=2)
        x0, x1 = steps[2] - int(left), steps[-3] - int(left)
        on_stroke = changed[middle - 3 : middle + 4, x0:x1]
        assert on_stroke.mean() > 12, (
            f"the stroke did not change the composite ({on_stroke.mean():.1f})"
        )
        redness = [
            (shot[middle - 3 : middle + 4, x0:x1, 0] - shot[middle - 3 : middle + 4, x0:x1, 1])
            for shot in (before, after)
        ]
        assert redness[1].mean() - redness[0].mean() < 20, "a red tint, not the new layer"
        far = changed[: middle - 120]
        assert far.mean() < 1.0, "the picture changed away from the stroke"
        assert before.std() > 20, "the viewer showed no picture"


class Counted:
    """The live window driven as an artist would, counting each click, key, typed text or
    drag as one action."""

    def __init__(self, window) -> None:
        self.window = window
        self.actions = 0

    def xdo(self, *args: str) -> None:
        self.actions += 1
        self.window.xdo(*args)

    def click_at(self, x: float, y: float) -> None:
        self.xdo("mousemove", str(int(x)), str(int(y)), "click", "1")

    def click(self, group: str, label: str, seconds: float = 60) -> None:
        found = self.window.layout(lambda g: label in (g.get(group) or {}), seconds)
        self.click_at(*found[group][label])


def _grip_order(layout: dict) -> list[str]:
    """The Layers panel's rows, top first, by the source each grip moves."""
    grips = [(y, label[5:]) for label, (_, y) in layout["layers"].items() if label[:5] == "grip "]
    return [source for _, source in sorted(grips)]


@needs_x
def test_three_paintings_become_layers_in_at_most_8_actions_under_the_detail_layer(
    images, tmp_path
):
    """One dialog takes several paintings (the issue counted 12 actions, one dialog per
    painting); the new layers go under the sharpened photo's detail layer; the same
    painting again is named brick_2."""
    content, style = images / "content" / "tubingen.jpg", images / "styles" / "shipwreck.jpg"
    args = ["fusion", "--set", f"content={content}", "--set", f"style={style}"]
    args += ["--set", "shrink.longest_side=96", "--run"]
    with live_window(tmp_path, *args, screen="1600x1000x24") as window:
        window.pause = 0.6
        artist = Counted(window)
        window.layout(lambda g: g.get("running") is False and "layers" in g, 600)
        time.sleep(1.0)
        artist.click("layers", "Add painting layer...")
        artist.click("layers", "Browse...")
        opened = window.layout(lambda g: g.get("dialog_fields"), 20)["dialog_fields"]
        assert opened["folder"] == str(images / "styles"), "not where the graph's paintings are"
        for name in ("brick.png", "gravel.png", "the_scream.jpg"):
            artist.click("dialog_items", f"entry {name}", 20)
        artist.xdo("key", "Return")
        added = window.layout(lambda g: "grip the_scream" in g.get("layers", {}), 60)
        count = artist.actions
        assert count <= 8, f"{count} actions for three paintings"
        order = _grip_order(added)
        assert order[0] == "sharp_photo", f"the detail layer is not on top: {order}"
        assert set(order[1:4]) == {"brick", "gravel", "the_scream"} and order[-1] == "render"
        # the same painting again: a readable name, not brick2 or a cut one
        artist.click("layers", "Add painting layer...")
        artist.click("layers", "painting brick")
        artist.click("layers", "Add")
        window.layout(lambda g: "grip brick_2" in g.get("layers", {}), 60)
        assert window.process.poll() is None
    (tmp_path / "actions.txt").write_text(f"three paintings as layers: {count} actions\n")
    print(f"three paintings as layers: {count} actions")


@needs_x
def test_two_renders_of_a_sweep_curated_into_layers_in_at_most_10_actions(
    registry, images, tmp_path
):
    from stylegraph.graph.preset import save_preset

    preset = load_preset(shipped_presets()["fusion"], registry)
    preset.set_input("content", str(images / "content" / "tubingen.jpg"))
    preset.set_input("style", [str(images / "styles" / "shipwreck.jpg")])
    graph = preset.graph
    graph.set_param("shrink", "longest_side", 96)
    files = [str(images / "styles" / n) for n in ("starry_night.jpg", "gravel.png", "brick.png")]
    # under the photo, in view as the graph opens (the painter set the sweep up earlier)
    graph.add_node("style.sweep", "sweep", {"style_files": files, "columns": 3}, (40.0, 380.0))
    graph.connect("shrink", "image", "sweep", "content")
    path = tmp_path / "curate.json"
    save_preset(preset, path)
    with live_window(tmp_path, str(path), "--run", screen="1600x1000x24") as window:
        window.pause = 0.6
        artist = Counted(window)
        window.layout(lambda g: g.get("running") is False and "sweep" in g["nodes"], 600)
        time.sleep(1.0)
        start = window.read()
        (left, top), (right, bottom) = start["canvas"]
        sx, sy = start["nodes"]["sweep"]
        assert left < sx < right and top < sy < bottom
        artist.click("nodes", "sweep")
        sheet = window.layout(lambda g: len(g.get("sheet") or []) == 3, 30)["sheet"]
        artist.click_at(*sheet[0])  # starry night
        artist.click_at(*sheet[2])  # brick
        time.sleep(1.0)
        Image.fromarray(window.grab().astype(np.uint8)).save(tmp_path / "starred.png")
        artist.click("viewer_buttons", "Add starred as layers")
        added = window.layout(
            lambda g: {"grip starry_night", "grip brick"} <= set(g.get("layers", {})), 60
        )
        count = artist.actions
        assert count <= 10, f"{count} actions to curate two renders"
        assert _grip_order(added)[0] == "sharp_photo"
        assert window.process.poll() is None
    print(f"two sweep renders curated into layers: {count} actions")
