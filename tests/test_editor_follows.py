"""The viewer follows the work, and the graph stays where the artist put it: after Run an
empty viewer shows the picture just made, a Run with nothing to do says so plainly, a new
node lands in the view, and a saved layout is opened as saved."""

from __future__ import annotations

import json

import pytest

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.graph.preset import load_preset, save_preset  # noqa: E402
from stylegraph.presets import shipped_presets  # noqa: E402
from stylegraph.ui import layout  # noqa: E402
from stylegraph.ui.controller import Controller  # noqa: E402
from stylegraph.ui.editor import NOTHING_TO_DO, Editor  # noqa: E402


@pytest.fixture
def editor(registry, images, tmp_path, monkeypatch):
    """An editor on facet-base with a real photo, widgets built, no window."""
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    dpg.create_context()
    preset = load_preset(shipped_presets()["facet-base"], registry)
    preset.set_input("content", str(images / "content" / "chelsea.png"))
    controller = Controller(registry, preset, recovery_dir=tmp_path / "recovery")
    editor = Editor(registry, controller, output_dir=tmp_path / "out")
    editor.build()
    yield editor
    dpg.destroy_context()


def _finish_run(editor: Editor) -> None:
    editor.run()
    if editor.worker.thread is not None:
        editor.worker.thread.join(120)
    editor.pump()


def test_after_run_an_empty_viewer_shows_what_the_final_save_was_given(editor):
    assert editor.viewer.node_id is None
    _finish_run(editor)
    save_input = editor.controller.graph.input_link("save", "image").src
    assert editor.viewer.node_id == save_input
    assert editor.picture(save_input) is not None
    editor.pump()
    assert dpg.get_value("viewer_info").startswith(f"{save_input}: ")


def test_after_run_a_viewer_showing_a_picture_keeps_it(editor):
    editor.viewer.show("facet")
    _finish_run(editor)
    assert editor.viewer.node_id == "facet"


def test_a_run_with_its_pictures_on_disk_says_nothing_needed_doing(editor):
    _finish_run(editor)
    editor.viewer.show(None)
    _finish_run(editor)
    assert editor.nothing_to_do
    assert editor.messages[-1] == NOTHING_TO_DO
    assert editor.viewer.node_id is not None, "the picture made before is shown again"


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
