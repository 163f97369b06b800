"""Faults real machines produce: a damaged or unwritable cache never costs a run or a
picture, odd input files are refused at once, outputs are readable by others."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stylegraph.cli import main
from stylegraph.graph.cache import DiskCache
from stylegraph.nodes.functional.image_io import read_image


@pytest.fixture
def render(images, tmp_path, monkeypatch):
    """Runs quick-stylize at 48 px (the style render is disk-cached) into a fresh folder
    and returns (exit code, the picture, stderr)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("STYLEGRAPH_CACHE_DIR", str(cache))
    runs = iter(range(100))

    def run(capsys, *extra: str) -> tuple[int, np.ndarray | None, str]:
        out = tmp_path / f"out{next(runs)}"
        code = main(
            [
                "run",
                "quick-stylize",
                "--set",
                f"content={images / 'content' / 'chelsea.png'}",
                "--set",
                f"style={images / 'styles' / 'starry_night.jpg'}",
                "--set",
                "paint.output_size=48",
                "--out",
                str(out),
                "--quiet",
                *extra,
            ]
        )
        pictures = sorted(out.glob("*.png"))
        picture = read_image(pictures[0]) if pictures else None
        return code, picture, capsys.readouterr().err

    run.cache = cache  # type: ignore[attr-defined]
    return run


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/*.npz"))


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE = {
    "cut short": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "zero length": lambda p: p.write_bytes(b""),
    "one flipped byte": flip_a_byte,
    "not a zip at all": lambda p: p.write_text("hello"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_cache_entry_is_a_miss_and_the_picture_is_the_same(render, capsys, damage):
    code, clean, _ = render(capsys)
    assert code == 0
    [entry] = entries(render.cache)
    DAMAGE[damage](entry)
    code, again, err = render(capsys)
    assert code == 0
    assert np.array_equal(again, clean)
    [line] = [x for x in err.splitlines() if x.startswith("warning:")]
    assert line.startswith("warning: removed a damaged cache entry (")
    assert line.endswith(f"{entry}; its node runs again")
    assert "Error" not in line  # a sentence, not an exception class
    code, third, err = render(capsys)  # the entry was written anew: a clean hit
    assert code == 0 and np.array_equal(third, clean) and "warning" not in err


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "read-only file system"),
        (errno.ENOSPC, "no space left on device"),
    ],
)
def test_a_cache_that_cannot_be_written_costs_nothing_but_a_warning(
    render, capsys, monkeypatch, code, said
):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("stylegraph.graph.cache.atomic_write_bytes", refuse)
    exit_code, picture, err = render(capsys)
    assert exit_code == 0 and picture is not None
    warnings = [x for x in err.splitlines() if x.startswith("warning:")]
    assert warnings == [f"warning: results were not cached: {said} ({render.cache})"]
    assert entries(render.cache) == []


def test_a_file_where_the_cache_folder_should_be(render, capsys):
    render.cache.write_text("not a folder")
    code, picture, err = render(capsys)
    assert code == 0 and picture is not None
    assert "warning: results were not cached: not a directory" in err


def test_the_disk_cache_reports_a_manifest_that_does_not_fit_its_node(tmp_path, registry):
    from stylegraph.graph.engine import Engine
    from stylegraph.graph.model import Graph

    graph = Graph(registry)
    graph.add_node("mask.shape", "shape", {"width": 8, "height": 8})
    graph.add_node("image.upscale", "up", {"model": "lanczos", "scale": 2.0})
    graph.add_node("mask.to_image", "picture")
    graph.connect("shape", "mask", "picture", "mask")
    graph.connect("picture", "image", "up", "image")
    disk = DiskCache(tmp_path / "cache")
    first = Engine(disk=disk).run(graph)
    [entry] = entries(tmp_path / "cache")
    key = entry.stem
    disk.put(key, {"image": np.zeros((4, 4), np.float32)})  # a mask where an image belongs
    again = Engine(disk=disk).run(graph)
    assert again.nodes["up"].status.value == "ran"
    assert np.array_equal(again.outputs["up"]["image"], first.outputs["up"]["image"])
    assert len(again.warnings) == 1
    assert "does not fit image.upscale" in again.warnings[0]


@pytest.mark.parametrize("kind", ["device", "named pipe", "folder"])
def test_odd_input_files_are_refused_at_once(kind, tmp_path):
    if kind == "device":
        path = Path("/dev/zero")
        said = "/dev/zero is a device, not a regular file"
    elif kind == "named pipe":
        path = tmp_path / "photo.png"
        os.mkfifo(path)
        said = f"{path} is a named pipe, not a regular file"
    else:
        path = tmp_path
        said = f"{path} is a folder, not a file"
    command = [sys.executable, "-m", "stylegraph", "run", "facet-base", "--set"]
    command += [f"content={path}", "--out", str(tmp_path / "out"), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr == f"error: node 'photo' (image.load), param 'path': {said}\n"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_outputs_and_saved_presets_follow_the_umask(render, capsys, tmp_path, registry):
    from stylegraph.graph.preset import load_preset, save_preset
    from stylegraph.presets import shipped_presets

    old = os.umask(0o022)
    try:
        code, _, _ = render(capsys)
        saved = tmp_path / "mine.json"
        save_preset(load_preset(shipped_presets()["fusion"], registry), saved)
    finally:
        os.umask(old)
    assert code == 0
    [output] = (tmp_path / "out0").glob("*.png")
    assert oct(output.stat().st_mode & 0o777) == "0o644"
    assert oct(saved.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in (tmp_path / "out0").iterdir()] == [output.name]  # no temp left


def test_a_file_name_no_file_system_can_hold_is_refused_by_the_param_check(images, capsys):
    code = main(
        [
            "run",
            "facet-base",
            "--set",
            f"content={images / 'content' / 'chelsea.png'}",
            "--set",
            "save.filename=a\ud83d.png",
            "--quiet",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err == (
        "error: --set save.filename: node 'save' (image.save), param 'filename': "
        "'a\\ud83d.png' holds characters no file name can have here\n"
    )


def test_an_unexpected_node_exception_is_a_sentence_with_the_traceback_kept():
    from stylegraph.graph.engine import Engine
    from stylegraph.graph.model import Graph
    from stylegraph.graph.registry import Registry
    from stylegraph.graph.spec import NodeType, Port, PortType

    def broken(ctx, inputs, params):
        raise ZeroDivisionError("division by zero")

    registry = Registry()
    registry.register(
        NodeType("test.broken", "Broken", "test", "", broken, outputs=(Port("x", PortType.NUMBER),))
    )
    graph = Graph(registry)
    graph.add_node("test.broken", "b")
    report = Engine().run(graph)
    assert report.nodes["b"].error == "node 'b' (test.broken) failed unexpectedly: division by zero"
    assert "ZeroDivisionError" in report.nodes["b"].traceback


def test_a_damaged_converted_model_is_converted_again(tmp_path, monkeypatch):
    from stylegraph.nodes.models.converted import ConvertedModelWarning, converted_cache_dir
    from stylegraph.nodes.models.upscale import embedded_state_dict

    monkeypatch.setenv("STYLEGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    first = embedded_state_dict("realesr-animevideov3")
    [converted] = converted_cache_dir().glob("*.safetensors")
    converted.write_bytes(converted.read_bytes()[:100])
    with pytest.warns(ConvertedModelWarning, match="converted again"):
        again = embedded_state_dict("realesr-animevideov3")
    assert again.keys() == first.keys()
    assert all((again[k] == first[k]).all() for k in first)
    assert converted.stat().st_size > 100_000  # written anew, whole
