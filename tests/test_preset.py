"""The preset format: round trip, schema errors with JSON paths, versions, path escapes."""

from __future__ import annotations

import json

import pytest

from stylegraph.graph.model import Graph
from stylegraph.graph.preset import (
    Preset,
    PresetError,
    load_preset,
    preset_from_dict,
    preset_to_dict,
    save_preset,
)
from stylegraph.graph.validate import validate
from stylegraph.presets import shipped_presets


def _write(tmp_path, data) -> str:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    return str(path)


def _minimal() -> dict:
    return {
        "format": "stylegraph.preset",
        "version": 1,
        "meta": {"title": "shrink", "description": "to 300 px", "author": "test"},
        "nodes": {
            "load": {"type": "image.load", "params": {"path": "photo.jpg"}},
            "small": {"type": "image.resize", "params": {"longest_side": 300}},
        },
        "links": [{"from": ["load", "image"], "to": ["small", "image"]}],
        "inputs": {"content": {"node": "load", "param": "path", "description": "the photo"}},
        "ui": {"positions": {"load": [10, 20]}, "zoom": 1.5},
    }


def test_round_trip_load_save_load_is_exact(registry, tmp_path):
    preset = load_preset(_write(tmp_path, _minimal()), registry)
    assert preset.graph.node("load").position == (10.0, 20.0)
    assert preset.inputs["content"].description == "the photo"
    first = preset_to_dict(preset)
    save_preset(preset, tmp_path / "again.json")
    again = load_preset(tmp_path / "again.json", registry)
    assert preset_to_dict(again) == first
    assert first["ui"]["zoom"] == 1.5
    assert first["nodes"]["small"]["params"]["method"] == "lanczos", "defaults are written out"


@pytest.mark.parametrize("name", sorted(shipped_presets()))
def test_shipped_presets_round_trip(registry, tmp_path, name):
    preset = load_preset(shipped_presets()[name], registry)
    save_preset(preset, tmp_path / "copy.json")
    assert preset_to_dict(load_preset(tmp_path / "copy.json", registry)) == preset_to_dict(preset)
    assert "content" in preset.inputs


def test_schema_problems_are_all_reported_with_json_paths(registry):
    data = _minimal()
    data["nodes"]["load"]["params"] = []
    data["links"][0]["from"] = ["load"]
    data["inputs"]["content"].pop("param")
    data["extra"] = 1
    with pytest.raises(PresetError) as err:
        preset_from_dict(data, registry, source="p.json")
    assert err.value.problems == [
        ("$", "Additional properties are not allowed ('extra' was unexpected)"),
        ("$.inputs.content", "'param' is a required property"),
        ("$.links[0].from", "['load'] is too short"),
        ("$.nodes.load.params", "[] is not of type 'object'"),
    ]
    assert str(err.value).startswith("p.json: 4 problem(s)\n  $: Additional")


def test_unknown_node_types_are_listed_by_name(registry):
    data = _minimal()
    data["nodes"]["x"] = {"type": "magic.wand"}
    data["nodes"]["y"] = {"type": "magic.hat"}
    with pytest.raises(PresetError) as err:
        preset_from_dict(data, registry)
    assert err.value.problems[0] == ("$.nodes", "unknown node types: magic.hat, magic.wand")
    assert ("$.nodes.x.type", "unknown node type 'magic.wand'") in err.value.problems


def test_a_newer_format_version_says_to_upgrade(registry):
    data = _minimal()
    data["version"] = 7
    with pytest.raises(PresetError) as err:
        preset_from_dict(data, registry)
    assert err.value.problems == [
        (
            "$.version",
            "this preset is format version 7, made by a newer stylegraph; this one reads versions "
            "up to 1. Upgrade stylegraph to open it",
        )
    ]


def test_a_node_type_version_newer_than_ours_is_refused(registry):
    data = _minimal()
    data["nodes"]["small"]["version"] = 99
    with pytest.raises(PresetError, match=r"\$\.nodes\.small\.version: image.resize version 99"):
        preset_from_dict(data, registry)


def test_bad_links_and_inputs_name_their_json_path(registry):
    data = _minimal()
    data["links"].append({"from": ["ghost", "image"], "to": ["small", "image"]})
    data["inputs"]["style"] = {"node": "load", "param": "colour"}
    with pytest.raises(PresetError) as err:
        preset_from_dict(data, registry)
    assert err.value.problems == [
        ("$.links[1].from", "there is no node 'ghost'"),
        ("$.inputs.style.param", "node 'load' (image.load) has no param 'colour'"),
    ]


@pytest.mark.parametrize("path", ["../../etc/passwd", "a/../../b.png", "~/secret.png"])
def test_relative_paths_may_not_leave_the_presets_folder(registry, path):
    data = _minimal()
    data["nodes"]["load"]["params"]["path"] = path
    with pytest.raises(PresetError) as err:
        preset_from_dict(data, registry)
    assert err.value.problems == [
        ("$.nodes.load.params.path", f"the path {path!r} leaves the preset's folder")
    ]


def test_invalid_json_and_non_presets_are_reported(registry, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": ')
    with pytest.raises(PresetError, match=r"bad.json: 1 problem\(s\)\n  \$: not valid JSON"):
        load_preset(bad, registry)
    with pytest.raises(PresetError, match="not a stylegraph preset"):
        preset_from_dict({"nodes": {}}, registry)


def test_a_preset_holds_data_only(registry, tmp_path):
    """Values that look like code stay strings: nothing in a preset is ever evaluated."""
    data = _minimal()
    data["meta"]["title"] = "__import__('os').system('touch pwned')"
    data["nodes"]["load"]["params"]["path"] = "!!python/object:os.system"
    preset = preset_from_dict(data, registry, base_dir=tmp_path)
    assert preset.graph.node("load").params["path"] == "!!python/object:os.system"
    assert not (tmp_path / "pwned").exists()


def test_saving_is_atomic_and_keeps_the_old_file_on_failure(registry, tmp_path, monkeypatch):
    target = tmp_path / "mine.json"
    target.write_text("precious")
    preset = Preset(Graph(registry))
    preset.graph.add_node("image.load", "load")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("stylegraph.graph.atomic.os.replace", explode)
    with pytest.raises(OSError, match="disk full"):
        save_preset(preset, target)
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.json"], "no temp file is left"


@pytest.mark.parametrize("name", sorted(shipped_presets()))
def test_shipped_presets_validate(registry, name):
    from stylegraph.graph.validate import validate

    assert validate(load_preset(shipped_presets()[name], registry).graph) == []


def test_every_package_is_listed_for_installation():
    """A folder of modules missing from pyproject would be left out of `pip install .`."""
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )

    def is_subpackage(init: Path) -> bool:
        # a package only when every folder above it is one too: the copies `pip install .`
        # leaves in build/lib/, a venv's site-packages and the like are not part of this one
        folders = init.parent.relative_to(root).parents
        return all((root / folder / "__init__.py").is_file() for folder in folders)

    found = {"stylegraph"} | {
        "stylegraph." + ".".join(p.parent.relative_to(root).parts)
        for p in root.glob("*/**/__init__.py")
        if is_subpackage(p) and p.parent.relative_to(root).parts[0] not in ("tests", "benchmarks")
    }
    assert found == listed


@pytest.mark.parametrize("type_id", ["style.transfer", "style.sweep"])
def test_a_preset_saved_with_a_retired_param_still_runs_without_it(registry, type_id):
    """Style nodes lost ``tile_overlap`` when tiles began to share whole-image statistics;
    recipes saved before that load without it and pass the checks before a run, while a
    param the node never had is still reported."""
    data = _minimal()
    data["nodes"]["paint"] = {"type": type_id, "params": {"tile_overlap": 32, "tile_size": 512}}
    data["links"].append({"from": ["load", "image"], "to": ["paint", "content"]})
    preset = preset_from_dict(data, registry)
    params = preset.graph.node("paint").params
    assert "tile_overlap" not in params and params["tile_size"] == 512
    assert [p for p in validate(preset.graph) if p.node_id == "paint"] == []
    data["nodes"]["paint"]["params"]["tile_overlapp"] = 32
    problems = validate(preset_from_dict(data, registry).graph)
    assert [(p.node_id, p.where, p.message) for p in problems] == [
        ("paint", "param 'tile_overlapp'", "no such param")
    ]
