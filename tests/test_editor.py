"""The editor: edits go through the graph model; the window opens and shows a run."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.graph.preset import load_preset  # noqa: E402
from stylegraph.presets import shipped_presets  # noqa: E402
from stylegraph.ui.editor import Editor  # noqa: E402


@pytest.fixture
def editor(registry):
    """An editor with its widgets built, without a window (no display needed)."""
    dpg.create_context()
    ed = Editor(registry, load_preset(shipped_presets()["facet-base"], registry))
    ed.build()
    yield ed
    dpg.destroy_context()


def test_widgets_mirror_the_graph(editor):
    assert set(editor._node_items) == set(editor.graph.nx.nodes)
    assert len(editor._links) == len(editor.graph.links())


def test_a_wrong_link_is_refused_with_the_models_reason(editor):
    assert not editor.connect("photo", "width", "facet", "image")
    assert editor.messages[-1] == (
        "cannot link photo.width -> facet.image: photo.width gives number but facet.image "
        "takes image"
    )
    assert editor.graph.input_link("facet", "image").src == "denoise"


def test_links_to_variadic_inputs_offer_the_next_slot(editor):
    new = editor.add_node("image.flip")
    editor.connect("shrink", "image", new, "image")
    assert editor.connect(new, "image", "fuse", "layer2")
    ports = {p for n, p, out in editor._ports.values() if n == "fuse" and not out}
    assert {"layer1", "layer2", "layer3", "mask1", "mask2"} <= ports
    assert len(editor._links) == len(editor.graph.links())


def test_param_edits_are_checked_by_the_model(editor):
    facet = editor.graph.node("facet").params
    param = editor.graph.node_type("facet").param("spatial_radius")
    editor._on_param(None, 500, ("facet", param))
    assert facet["spatial_radius"] == 6
    assert "param 'spatial_radius': 500 is above the maximum 64" in editor.messages[-1]
    editor._on_param(None, 9, ("facet", param))
    assert facet["spatial_radius"] == 9


def test_saving_writes_a_preset_that_loads_again(editor, registry, tmp_path):
    editor.save(tmp_path / "mine.json")
    again = load_preset(tmp_path / "mine.json", registry)
    assert set(again.graph.nx.nodes) == set(editor.graph.nx.nodes)


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_the_window_runs_a_preset_and_previews_the_result(images, tmp_path):
    shot = tmp_path / "editor.png"
    command = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1600x900x24",
        sys.executable,
        "-m",
        "stylegraph",
        "edit",
        "facet-base",
        "--set",
        f"content={images / 'content' / 'chelsea.png'}",
        "--select",
        "fuse",
        "--screenshot",
        str(shot),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB"), np.float32)
    assert pixels.shape == (860, 1500, 3)
    preview = pixels[150:350, 1180:1480]  # the preview panel shows the fused photo
    assert preview.std() > 20, "the preview is blank"
    assert (np.abs(pixels[:, :, 1] - pixels[:, :, 0]) > 60).any(), "no green (ran) titles"


def test_an_invalid_graph_says_why_instead_of_running(editor):
    editor.graph.disconnect("facet", "image")
    editor.run()
    editor.worker.join(30)
    editor.pump()
    assert editor.messages[-1] == (
        "node 'facet' (filter.facet), input 'image': required image input is not linked"
    )
    assert editor.report is None


def test_deleting_a_node_removes_its_links_from_graph_and_canvas(editor):
    editor.delete_node("facet")
    assert "facet" not in editor.graph
    assert editor.graph.input_link("dry_brush", "image") is None
    assert "facet" not in editor._node_items
    assert len(editor._links) == len(editor.graph.links())


def test_opening_a_preset_replaces_the_canvas_and_a_bad_one_keeps_it(editor, tmp_path):
    assert editor.open(shipped_presets()["quick-stylize"])
    assert set(editor._node_items) == {"photo", "paint", "save"}
    assert len(editor._links) == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert not editor.open(broken)
    assert "not valid JSON" in editor.messages[-1]
    assert set(editor._node_items) == {"photo", "paint", "save"}
