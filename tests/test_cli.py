"""The `stylegraph` command end to end on real photos."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stylegraph.cli import main
from stylegraph.nodes.functional.image_io import read_image


def _preset(tmp_path) -> str:
    data = {
        "format": "stylegraph.preset",
        "version": 1,
        "meta": {"title": "shrink", "description": "a photo to 200 px", "author": "tests"},
        "nodes": {
            "load": {"type": "image.load"},
            "small": {"type": "image.resize", "params": {"longest_side": 200}},
            "save": {"type": "image.save", "params": {"filename": "small"}},
        },
        "links": [
            {"from": ["load", "image"], "to": ["small", "image"]},
            {"from": ["small", "image"], "to": ["save", "image"]},
        ],
        "inputs": {"content": {"node": "load", "param": "path"}},
    }
    path = tmp_path / "shrink.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("kind", ["folder", "named pipe", "missing"])
def test_validate_names_an_input_that_is_no_regular_file(tmp_path, capsys, kind):
    """What a run would refuse, validate reports first, saying what the path is."""
    import os

    target = tmp_path / "photo.png"
    if kind == "folder":
        target.mkdir()
    elif kind == "named pipe":
        os.mkfifo(target)
    data = json.loads(Path(_preset(tmp_path)).read_text())
    data["nodes"]["load"]["params"] = {"path": "photo.png"}
    (tmp_path / "shrink.json").write_text(json.dumps(data))
    assert main(["validate", str(tmp_path / "shrink.json")]) == 1
    expected = {
        "folder": f"{target} is a folder, not a file",
        "named pipe": f"{target} is a named pipe, not a regular file",
        "missing": f"file not found: {target}",
    }[kind]
    assert f"node 'load' (image.load), param 'path': {expected}" in capsys.readouterr().err


def test_run_writes_the_output_and_its_recipe_reruns_identically(images, tmp_path, capsys):
    photo = images / "content" / "chelsea.png"
    out = tmp_path / "out"
    code = main(
        ["run", _preset(tmp_path), "--set", f"content={photo}", "--out", str(out), "--quiet"]
    )
    assert code == 0
    written = out / "small.png"
    image = read_image(written)
    assert image.shape == (133, 200, 3)

    assert main(["recipe", str(written)]) == 0
    recipe = json.loads(capsys.readouterr().out)
    assert recipe["nodes"]["load"]["params"]["path"] == str(photo.resolve())
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))
    assert (
        main(["run", str(tmp_path / "recipe.json"), "--out", str(tmp_path / "again"), "--quiet"])
        == 0
    )
    np.testing.assert_array_equal(read_image(tmp_path / "again" / "small.png"), image)


def test_run_json_reports_each_node_and_the_disk_cache_is_not_used_for_cheap_nodes(
    images, tmp_path, capsys
):
    args = [
        "run",
        _preset(tmp_path),
        "--set",
        f"content={images / 'content' / 'coffee.png'}",
        "--set",
        "small.longest_side=64",
        "--out",
        str(tmp_path),
        "--json",
    ]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert {n: r["status"] for n, r in report["nodes"].items()} == {
        "load": "ran",
        "small": "ran",
        "save": "ran",
    }
    assert report["written"] == [str(tmp_path / "small.png")]
    assert read_image(tmp_path / "small.png").shape == (43, 64, 3)


def test_bad_input_exits_non_zero_with_a_clear_message_and_no_traceback(tmp_path, capsys):
    preset = _preset(tmp_path)
    assert (
        main(
            ["run", preset, "--set", f"content={tmp_path / 'missing.jpg'}", "--out", str(tmp_path)]
        )
        == 2
    )
    err = capsys.readouterr().err
    missing = tmp_path / "missing.jpg"
    assert err == f"error: node 'load' (image.load), param 'path': file not found: {missing}\n"
    assert not (tmp_path / "small.png").exists()
    assert main(["run", preset, "--set", "style=x.jpg"]) == 2
    assert "the preset has no input 'style' (inputs: content)" in capsys.readouterr().err
    assert main(["run", preset, "--set", "small.longest_side=-5"]) == 2
    assert "param 'longest_side': -5 is below the minimum 1" in capsys.readouterr().err


def test_validate_reports_problems(tmp_path, capsys):
    preset = _preset(tmp_path)
    assert main(["validate", preset]) == 0
    assert "valid (3 nodes; inputs: content)" in capsys.readouterr().out
    data = json.loads((tmp_path / "shrink.json").read_text())
    data["links"].pop()
    (tmp_path / "shrink.json").write_text(json.dumps(data))
    assert main(["validate", preset]) == 1
    assert "node 'save' (image.save), input 'image': required image input is not linked" in (
        capsys.readouterr().err
    )


def test_nodes_lists_and_describes(capsys):
    assert main(["nodes"]) == 0
    assert "image.resize" in capsys.readouterr().out
    assert main(["nodes", "image.resize", "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["params"]["method"]["choices"][0] == "lanczos"
    assert main(["nodes", "image.nope"]) == 2
    assert "unknown node type 'image.nope'" in capsys.readouterr().err


def test_cache_info_and_clear(capsys):
    assert main(["cache", "info"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 0
    assert main(["cache", "clear"]) == 0
    assert "removed 0 cached results" in capsys.readouterr().out


def test_cache_info_counts_and_clear_removes_the_paintings_grams(tmp_path, capsys, monkeypatch):
    from stylegraph.nodes.models.gram_cache import gram_cache_dir

    monkeypatch.setenv("STYLEGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    gram_cache_dir().mkdir(parents=True)
    for name in ("a", "b"):
        (gram_cache_dir() / f"{name}.safetensors").write_bytes(b"x" * 10)
    assert main(["cache", "info"]) == 0
    grams = json.loads(capsys.readouterr().out)["grams"]
    assert grams["path"] == str(tmp_path / "cache" / "grams")
    assert (grams["entries"], grams["bytes"]) == (2, 20)
    assert main(["cache", "clear"]) == 0
    assert capsys.readouterr().out.endswith(
        f"and 2 paintings' Grams from {tmp_path / 'cache' / 'grams'}\n"
    )
    assert list(gram_cache_dir().iterdir()) == []


@pytest.mark.skipif(
    shutil.which("stylegraph") is None and sys.prefix == sys.base_prefix,
    reason="stylegraph is not installed",
)
def test_the_installed_command_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "stylegraph", "validate", _preset(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _run_shipped(name: str, tmp_path, *sets: str) -> int:
    args = ["run", name, "--out", str(tmp_path), "--quiet"]
    for assignment in sets:
        args += ["--set", assignment]
    return main(args)


def test_shipped_fusion_presets_run_on_real_photos(images, tmp_path):
    photo = images / "content" / "chelsea.png"
    style = images / "styles" / "the_scream.jpg"
    assert _run_shipped("facet-base", tmp_path, f"content={photo}") == 0
    assert read_image(tmp_path / "facet-base.png").shape == (333, 500, 3)
    assert _run_shipped("fusion", tmp_path, f"content={photo}", f"style={style}") == 0
    assert read_image(tmp_path / "fusion.png").shape == (333, 500, 3)
    assert (
        _run_shipped(
            "quick-stylize", tmp_path, f"content={photo}", f"style={style}", "paint.output_size=256"
        )
        == 0
    )
    assert read_image(tmp_path / "quick-stylize.png").shape == (170, 256, 3)


def test_restyle_and_upscale_runs(images, tmp_path):
    code = _run_shipped(
        "restyle-and-upscale",
        tmp_path,
        f"content={images / 'content' / 'coffee.png'}",
        f"style={images / 'styles' / 'shipwreck.jpg'}",
        "paint.output_size=96",
    )
    assert code == 0
    assert read_image(tmp_path / "restyle-and-upscale.png").shape == (256, 384, 3)


def test_deep_style_runs_with_a_weights_file(images, tmp_path):
    import torch
    from torchvision.models import vgg19

    weights = tmp_path / "vgg19-random.pth"
    torch.save(vgg19(weights=None).state_dict(), weights)
    code = _run_shipped(
        "deep-style",
        tmp_path,
        f"content={images / 'content' / 'coffee.png'}",
        f"style={images / 'styles' / 'brick.png'}",
        f"vgg_weights={weights}",
        "paint.scales=[32, 64]",
        "paint.scale_iterations=[3, 2]",
        "paint.output_size=64",
    )
    assert code == 0
    assert read_image(tmp_path / "deep-style.png").shape == (43, 64, 3)


@pytest.mark.parametrize(
    ("argv", "debug"),
    [
        (["--debug", "cache", "info"], True),
        (["cache", "info", "--debug"], True),
        (["cache", "info"], False),
    ],
)
def test_debug_works_before_or_after_the_command(argv, debug):
    from stylegraph.cli.parser import build_parser

    assert build_parser().parse_args(argv).debug is debug


def test_a_reader_that_goes_away_is_no_error():
    """`stylegraph nodes | head -1`: when the reader closes the pipe, the command stops
    without printing an error, as other command-line tools do."""
    child = subprocess.Popen(
        [sys.executable, "-m", "stylegraph", "nodes", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.close()  # gone before anything is written
    _, err = child.communicate(timeout=120)
    assert err.decode() == ""
    assert child.returncode == 1
