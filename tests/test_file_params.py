"""File params have one rule (graph/paths.py): ``~`` expanded, then relative to the preset's
folder. The recipe a picture carries names the file the run read, and a graph saved into
another folder still names the same files, ``~`` paths included."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylegraph.graph.engine import Engine
from stylegraph.graph.model import Graph
from stylegraph.graph.paths import file_path, paths_in, with_paths
from stylegraph.graph.preset import Preset
from stylegraph.graph.recipe import recipe_json
from stylegraph.graph.spec import ParamType
from stylegraph.ui.controller import Controller


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STYLEGRAPH_RECOVERY_DIR", str(tmp_path / "recovery"))
    return folder


def _picture(path: Path, level: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 12, 3), round(255 * level), np.uint8)).save(path)
    return path


def _preset(registry, folder: Path, paths: dict[str, str]) -> Preset:
    graph = Graph(registry)
    for node_id, value in paths.items():
        graph.add_node("image.load", node_id, {"path": value})
    return Preset(graph, base_dir=folder)


def test_the_recipe_names_the_file_that_was_read(registry, home, tmp_path):
    folder = tmp_path / "presets"
    from_home = _picture(home / "a.png", 0.2)
    beside = _picture(folder / "b.png", 0.6)
    preset = _preset(registry, folder, {"home": "~/a.png", "beside": "b.png"})

    report = Engine().run(preset.graph, base_dir=folder)
    recipe = json.loads(recipe_json(preset))["preset"]["nodes"]

    for node_id, expected in (("home", from_home), ("beside", beside)):
        read = Path(report.outputs[node_id]["path"]).resolve()
        assert read == expected.resolve()
        assert recipe[node_id]["params"]["path"] == str(read)


def test_saved_elsewhere_a_graph_names_the_same_files(registry, home, tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    _picture(home / "a.png", 0.2)
    _picture(old / "b.png", 0.6)
    new.mkdir()
    preset = _preset(registry, old, {"home": "~/a.png", "beside": "b.png"})
    controller = Controller(registry, preset, old / "graph.json")

    controller.save(new / "graph.json")

    params = {n.id: n.params["path"] for n in controller.graph.nodes()}
    assert params == {"home": "~/a.png", "beside": str((old / "b.png").resolve())}
    for value in params.values():
        assert file_path(value, controller.preset.base_dir).is_file()


def test_with_paths_changes_only_the_paths():
    def upper(path: str) -> str:
        return path.upper()

    assert with_paths(ParamType.FILE, "a.png", upper) == "A.PNG"
    assert with_paths(ParamType.FILE, "", upper) == ""
    assert with_paths(ParamType.FILE_LIST, ["a.png", "", "b.png"], upper) == ["A.PNG", "", "B.PNG"]
    assert with_paths(ParamType.TEXT, "a.png", upper) == "a.png"
    assert paths_in(ParamType.FILE_LIST, ["a", "", "b"]) == [(0, "a"), (2, "b")]
    assert file_path("/x/a.png", Path("/presets")) == Path("/x/a.png")


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("a.jpg,b.jpg", ["a.jpg", "b.jpg"]),
        ('["a.jpg", "b,c.jpg"]', ["a.jpg", "b,c.jpg"]),
        ("[old] a.jpg", ["[old] a.jpg"]),
    ],
)
def test_a_list_of_files_on_the_command_line_is_commas_or_a_json_list(text, paths):
    from stylegraph.graph.assign import parse_value

    assert parse_value(ParamType.FILE_LIST, text) == paths


def test_a_list_with_missing_files_is_one_problem_naming_each_once(registry, tmp_path):
    from stylegraph.graph.files import missing_files

    graph = Graph(registry)
    (tmp_path / "folder").mkdir()
    files = ["a.jpg", "b.jpg", "a.jpg", "folder", str(_picture(tmp_path / "ok.png", 0.5))]
    graph.add_node("style.transfer", "paint", {"style_files": files}, (0, 0))
    (problem,) = missing_files(graph, tmp_path)
    assert problem.node_id == "paint"
    assert problem.message == (
        f"files not found: {tmp_path / 'a.jpg'}, {tmp_path / 'b.jpg'}; "
        f"{tmp_path / 'folder'} is a folder, not a file"
    )
