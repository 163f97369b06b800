"""Nothing lost: no action in the editor closes the window. A view never holds a node the
graph no longer has; every menu item and every button of the Layers panel and the viewer,
pressed right after the node it refers to was deleted or undone, leaves the window up and
the graph as it was; and a defect behind a click is caught, told in the status line with
the node named, logged in full beside the recovery file, and the graph autosaved at once."""

from __future__ import annotations

import json
import time

import pytest

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.graph.preset import preset_to_dict  # noqa: E402
from stylegraph.ui.commands import SetStars  # noqa: E402
from stylegraph.ui.editor import Editor  # noqa: E402
from stylegraph.ui.files import dialog_open  # noqa: E402
from stylegraph.ui.layers import rows  # noqa: E402
from stylegraph.ui.layers_panel import PICKER  # noqa: E402
from stylegraph.ui.safety import PROMPT  # noqa: E402
from tests.x11 import (  # noqa: E402
    fusion_on_real_pictures,
    live_window,
    needs_x,
    window_free_editor,
)

SMALL = 96  # px: the fusion preset's working size here


@pytest.fixture
def editor(registry, images, tmp_path, monkeypatch):
    """An editor on fusion with a real photo and painting, widgets built, no window."""
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    dpg.create_context()
    editor = window_free_editor(
        registry, fusion_on_real_pictures(registry, images, SMALL), tmp_path
    )
    editor.pump()
    yield editor
    editor.worker.cancel()
    if editor.worker.thread is not None:
        editor.worker.thread.join(60)
    dpg.destroy_context()


def _snapshot(editor: Editor) -> str:
    return json.dumps(preset_to_dict(editor.controller.preset), sort_keys=True)


def _views_hold_only_graph_nodes(editor: Editor) -> None:
    graph = editor.controller.graph
    held = [editor.viewer.node_id, editor.viewer.compare_id, editor.layers_panel.stack_id]
    held += [editor.painter.node_id, *editor.layers_panel.stars]
    gone = [n for n in held if n is not None and n not in graph]
    assert not gone, f"a view still holds {gone}"


def _add_sweep(editor: Editor, images) -> str:
    files = [str(images / "styles" / n) for n in ("starry_night.jpg", "gravel.png")]
    sweep = editor.add_node("style.sweep")
    editor.controller.set_param(sweep, "style_files", files)
    editor.viewer.show(sweep)
    editor.controller.apply(SetStars("star two", sweep, [], [0, 1]))
    editor.pump()
    return sweep


# --- the rule: a view never holds a gone node --------------------------------------------
def test_a_deleted_sweep_leaves_the_viewer_and_add_starred_does_nothing(editor, images):
    sweep = _add_sweep(editor, images)
    assert dpg.is_item_shown("sweep_controls")
    editor.controller.delete_nodes([sweep])
    _views_hold_only_graph_nodes(editor)
    assert not dpg.is_item_shown("sweep_controls"), "the sweep's buttons outlived it"
    before = _snapshot(editor)
    button = dpg.get_item_configuration("sweep_add_starred")["callback"]
    editor.crash.run_callbacks([(button, "sweep_add_starred", None, None)])
    assert editor.crash.caught == []
    assert _snapshot(editor) == before
    # the panel itself refuses a gone sweep, in words
    assert editor.layers_panel.add_starred(sweep) == []
    assert editor.messages[-1] == f"there is no Style Sweep {sweep!r} any more: nothing added"


def test_undoing_a_painting_layer_or_removing_it_empties_the_viewer(editor, images):
    panel = editor.layers_panel
    panel.follow("fuse")
    ((render, mask),) = panel.add_paintings([str(images / "styles" / "brick.png")])
    editor.worker.cancel()
    assert editor.viewer.node_id == mask and editor.painter.active
    editor.undo()
    _views_hold_only_graph_nodes(editor)
    assert editor.viewer.node_id is None and not editor.painter.active
    editor.redo()
    editor.viewer.show(mask)
    editor.viewer.compare(render)
    editor.pump()
    number = next(r.number for r in rows(editor.controller.graph, "fuse") if r.source == render)
    panel._remove(number)
    _views_hold_only_graph_nodes(editor)
    assert editor.viewer.node_id is None and editor.viewer.compare_id is None
    editor.pump()  # and the frame after draws "select a node", no picture
    assert dpg.get_value("viewer_info") == "select a node"


# --- every menu item and button against a gone node ---------------------------------------
def _callbacks(editor: Editor) -> list[tuple[str, object, object]]:
    """(label, item, callback) of every menu item and of every button and checkbox in the
    Layers panel, its picker and the viewer, as they are on screen now."""
    roots = ["menu_bar", "layers_panel", PICKER, "viewer_panel"]
    kinds = {
        "mvAppItemType::mvMenuItem",
        "mvAppItemType::mvButton",
        "mvAppItemType::mvCheckbox",
        "mvAppItemType::mvCombo",
        "mvAppItemType::mvRadioButton",
    }
    found = []

    def walk(item) -> None:
        if dpg.get_item_type(item) in kinds:
            callback = dpg.get_item_configuration(item).get("callback")
            if callback is not None:
                found.append((dpg.get_item_label(item) or str(item), item, callback))
        for slot in (0, 1, 2, 3):
            for child in dpg.get_item_children(item, slot) or []:
                walk(child)

    for root in roots:
        walk(root)
    return found


def _tidy(editor: Editor) -> None:
    """Close what an action opened (a prompt, a dialog, the picker) and stop a run."""
    for item in (PROMPT, "more_params"):
        if dpg.does_item_exist(item):
            dpg.delete_item(item)
    if dialog_open():
        from stylegraph.ui import files

        files.close()
    dpg.hide_item(PICKER)
    editor.worker.cancel()
    if editor.worker.thread is not None:
        editor.worker.thread.join(60)


SKIPPED = {"Quit"}  # closing the window is what it is for (it asks first when unsaved)


def _press_everything_after(editor: Editor, make_gone) -> set[str]:
    """Collect every control as the artist sees it, make its node gone, then press each
    one: the window stays, nothing escapes, and the graph is as it was (an action that
    edits, as Paste, Add node or Undo do, is one step that undo or redo gives back)."""
    controls = [c for c in _callbacks(editor) if c[0] not in SKIPPED]
    make_gone()
    pressed = set()
    for label, item, callback in controls:
        before, steps = _snapshot(editor), editor.controller.history_size
        value, data = (
            (dpg.get_value(item), dpg.get_item_user_data(item))
            if dpg.does_item_exist(item)
            else (None, None)
        )
        editor.crash.run_callbacks([(callback, item, value, data)])
        assert editor.crash.caught == [], f"{label!r} raised {editor.crash.caught}"
        assert dpg.does_item_exist("main"), f"{label!r} closed the window"
        _views_hold_only_graph_nodes(editor)
        while editor.controller.history_size > steps:  # Paste, Add node: undone
            editor.controller.undo()
        while editor.controller.history_size < steps:  # Undo: redone
            editor.controller.redo()
        assert _snapshot(editor) == before, f"{label!r} changed the graph"
        _tidy(editor)
        pressed.add(label)
    return pressed


def test_every_control_pressed_after_its_sweep_was_deleted_keeps_window_and_graph(editor, images):
    sweep = _add_sweep(editor, images)
    pressed = _press_everything_after(editor, lambda: editor.controller.delete_nodes([sweep]))
    # the menus' items, the panel's rows and the viewer's buttons, the sweep's among them
    assert {"Add starred as layers", "Run", "Delete", "Style Sweep", "x", "S"} <= pressed
    assert any(label.startswith("Undo") for label in pressed)
    assert len(pressed) > 60


def test_every_control_pressed_after_a_layer_was_undone_keeps_window_and_graph(editor, images):
    editor.controller.set_param("facet", "spatial_radius", 9)  # unsaved: New, Open ask
    panel = editor.layers_panel
    panel.follow("fuse")
    panel.add_paintings([str(images / "styles" / "brick.png")])
    editor.worker.cancel()
    editor.pump()
    pressed = _press_everything_after(editor, editor.undo)
    assert {"Fill", "Empty", "Clear strokes", "mask", "x", "Add painting layer..."} <= pressed


# --- crash safety -------------------------------------------------------------------------
def test_a_defect_behind_a_click_is_told_logged_and_the_graph_autosaved(editor, tmp_path):
    editor.controller.set_param("facet", "spatial_radius", 9)  # unsaved work
    editor.viewer.show("facet")

    def broken() -> None:
        raise KeyError("boom")

    editor.crash.run_callbacks([(broken, "broken_button", None, None)])
    message = editor.messages[-1]
    assert message.startswith("broken failed on node facet: 'boom'")
    log = tmp_path / "recovery" / editor.crash.log_file.name
    assert str(log) in message
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "KeyError: 'boom'" in text
    assert "node: facet" in text
    (saved,) = (tmp_path / "recovery").glob("session-*.json")
    assert str(saved) in message
    record = json.loads(saved.read_text())
    assert record["preset"]["nodes"]["facet"]["params"]["spatial_radius"] == 9
    assert dpg.does_item_exist("main")


# --- recovery: this editor's own crashed work, never a running editor's ------------------
HOLDER = """
import os, sys, time
from pathlib import Path
from stylegraph.graph.preset import load_preset
from stylegraph.nodes import default_registry
from stylegraph.presets import shipped_presets
from stylegraph.ui.recovery import Recovery

recovery = Recovery(Path(sys.argv[1]))
written = recovery.write(load_preset(shipped_presets()["fusion"], default_registry()), None)
# as seen from another process namespace: its pid names no process here
dead = written.with_name("session-999999999-1.json")
written.rename(dead)
written.with_suffix(".lock").rename(dead.with_suffix(".lock"))
print(dead, flush=True)
time.sleep(120)
"""


def test_a_running_editors_file_is_never_offered_even_when_its_pid_means_nothing(tmp_path):
    import subprocess
    import sys

    from stylegraph.ui.recovery import Recovery

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        held = tmp_path / holder.stdout.readline().strip()
        assert held.is_file()
        assert Recovery(tmp_path).pending() is None, "another running editor's work offered"
    finally:
        holder.kill()
        holder.wait(10)
    assert Recovery(tmp_path).pending() == held, "its work, once it crashed, was not offered"


def test_an_edit_is_in_the_recovery_file_by_the_next_frame(editor, tmp_path):
    editor.controller.set_param("facet", "spatial_radius", 11)
    editor.pump()  # one frame: a crash now loses nothing
    (saved,) = (tmp_path / "recovery").glob("session-*.json")
    record = json.loads(saved.read_text())
    assert record["preset"]["nodes"]["facet"]["params"]["spatial_radius"] == 11


# --- the live window, as a user met it ------------------------------------------------------
@needs_x
def test_a_sweep_added_from_the_menu_lands_in_view_and_deleting_it_closes_nothing(tmp_path):
    """Add node > neural > Style Sweep, click its title, Delete, then click where "Add
    starred as layers" was: the window used to close there and lose the work."""
    with live_window(tmp_path, "fusion", screen="1600x1000x24") as window:

        def menu(path: str) -> None:
            found = window.layout(lambda g: path in g.get("menus", {}), 20)
            x, y = found["menus"][path]
            window.xdo("mousemove", str(int(x)), str(int(y)))  # a menu opens under a hover
            window.xdo("click", "1")

        window.layout(lambda g: "Add node" in g.get("menus", {}))
        time.sleep(2.0)  # the first frames: the window takes input once it listens for it
        menu("Add node")
        menu("Add node > neural")
        menu("Add node > neural > Style Sweep")
        placed = window.layout(lambda g: "sweep1" in g["nodes"], 20)
        (left, top), (right, bottom) = placed["canvas"]
        x, y = placed["nodes"]["sweep1"]
        assert left < x < right and top < y < bottom, "the new node is out of view"
        window.click(x, y)  # its title: the viewer shows it, with the sweep's buttons
        shown = window.layout(lambda g: "Add starred as layers" in g["viewer_buttons"], 20)
        button = shown["viewer_buttons"]["Add starred as layers"]
        window.xdo("key", "Delete")
        gone = window.layout(lambda g: "sweep1" not in g["nodes"], 20)
        assert "Add starred as layers" not in gone["viewer_buttons"], "the button outlived it"
        window.click(*button)
        time.sleep(1.0)
        assert window.process.poll() is None, "the window closed"
        window.xdo("key", "ctrl+z")
        window.layout(lambda g: "sweep1" in g["nodes"], 20)
        assert window.process.poll() is None


@needs_x
def test_work_killed_half_a_second_after_its_edit_is_offered_and_restored(tmp_path):
    """The crashed session's own work was not offered when it crashed within 2 s of its
    edit, while a running editor's file was (item 9)."""
    import os
    import signal

    first = tmp_path / "first"
    first.mkdir()
    with live_window(first, "fusion", screen="1600x1000x24") as window:
        found = window.layout(lambda g: "shrink" in g.get("nodes", {}))
        time.sleep(2.0)
        window.click(*found["nodes"]["shrink"])
        window.xdo("key", "Delete")
        time.sleep(0.5)
        os.kill(window.process.pid, signal.SIGKILL)  # a crash: no clean close
        window.process.wait(10)
    # the second window uses the same recovery folder
    second = tmp_path / "second"
    second.mkdir()
    (second / "recovery").symlink_to(first / "recovery")
    (second / "config").symlink_to(first / "config")
    with live_window(second, "fusion", screen="1600x1000x24") as other:
        buttons = other.layout(lambda g: "Restore" in g["prompt"], 30)["prompt"]
        other.click(*buttons["Restore"])
        restored = other.layout(lambda g: not g["prompt"] and "photo" in g["nodes"], 30)
        assert "shrink" not in restored["nodes"], "the deleted node came back: work lost"
        assert other.process.poll() is None
    # a running editor's work is never offered to another
    running_dir, third = tmp_path / "running", tmp_path / "third"
    running_dir.mkdir()
    third.mkdir()
    (running_dir / "recovery").mkdir()
    (third / "recovery").symlink_to(running_dir / "recovery")
    with live_window(running_dir, "fusion", screen="1600x1000x24") as running:
        found = running.layout(lambda g: "shrink" in g.get("nodes", {}))
        time.sleep(2.0)
        running.click(*found["nodes"]["shrink"])
        running.xdo("key", "Delete")  # unsaved work, autosaved: its file is in the folder
        running.layout(lambda g: "shrink" not in g["nodes"], 20)
        time.sleep(0.5)
        assert list((running_dir / "recovery").glob("session-*.json"))
        with live_window(third, "fusion", screen="1600x1000x24") as newcomer:
            newcomer.layout(lambda g: "photo" in g.get("nodes", {}), 30)
            time.sleep(2.0)
            assert newcomer.read()["prompt"] == {}, "offered a running editor's work"


def test_a_defect_in_every_frame_is_told_and_logged_once(editor):
    def broken_frame() -> bool:
        raise RuntimeError("drawing failed")

    for _ in range(50):
        editor.crash.call(broken_frame, what="updating the window")
    assert len(editor.crash.caught) == 50 and dpg.does_item_exist("main")
    told = [m for m in editor.messages if m.startswith("updating the window failed")]
    assert len(told) == 1
    assert editor.crash.log_file.read_text().count("RuntimeError: drawing failed") == 1
