"""Hostile input and faults: damaged result-cache entries, a folder in an entry's place,
packs that `unpack` must refuse as `run` does, runs writing into one folder at once, and
what the batch benchmark records. Each test asserts what a user sees: exit codes, messages,
files on disk. (`kill -9` of a batch is in test_batch.py, beside the resume test it
extends.)"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from stylegraph.cli import main
from stylegraph.graph.cache import DiskCache, default_cache_dir
from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph

# --- the result cache --------------------------------------------------------------------


@pytest.fixture
def cached(registry, tmp_path):
    """A cheap graph whose last node (an upscale, persistently cached) has one entry on
    disk: (graph, cache, entry, the picture as first rendered)."""
    graph = Graph(registry)
    graph.add_node("mask.shape", "shape", {"width": 8, "height": 8})
    graph.add_node("mask.to_image", "picture")
    graph.add_node("image.upscale", "up", {"model": "lanczos", "scale": 2.0})
    graph.connect("shape", "mask", "picture", "mask")
    graph.connect("picture", "image", "up", "image")
    disk = DiskCache(tmp_path / "cache")
    first = Engine(disk=disk).run(graph)
    assert first.ok
    [entry] = sorted((tmp_path / "cache").glob("*/*.npz"))
    return graph, disk, entry, first.outputs["up"]["image"]


def _rewrite(entry: Path, image: np.ndarray) -> None:
    """The entry with its manifest kept and its array replaced: it still decodes."""
    with np.load(entry) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["a_image"] = image
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    entry.write_bytes(buffer.getvalue())


def _rerun(graph, disk, entry, clean) -> list[str]:
    """Run again: the node must run (a miss), give the clean picture, and rewrite its entry
    so that a third run is a silent hit. Returns the second run's warnings."""
    again = Engine(disk=disk).run(graph)
    assert again.nodes["up"].status == Status.RAN
    np.testing.assert_array_equal(again.outputs["up"]["image"], clean)
    third = Engine(disk=disk).run(graph)
    assert third.nodes["up"].status == Status.CACHED and third.warnings == []
    return again.warnings


def test_an_entry_of_the_wrong_shape_is_a_miss_removed_with_a_warning(cached):
    graph, disk, entry, clean = cached
    _rewrite(entry, np.zeros((4, 4, 3), np.float32))  # decodes, fits the image contract
    assert _rerun(graph, disk, entry, clean) == [
        f"removed a damaged cache entry (output 'image' is (4, 4, 3), its manifest says "
        f"(16, 16, 3)): {entry}; its node runs again"
    ]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_an_entry_holding_nan_or_inf_is_a_miss_removed_with_a_warning(cached, bad):
    graph, disk, entry, clean = cached
    poisoned = clean.copy()
    poisoned[3, 5, 1] = bad
    _rewrite(entry, poisoned)
    assert _rerun(graph, disk, entry, clean) == [
        f"removed a damaged cache entry (output 'image' holds NaN or infinity): {entry}; "
        "its node runs again"
    ]


def test_a_folder_where_an_entry_should_be_is_named_and_removed(cached):
    graph, disk, entry, clean = cached
    entry.unlink()
    entry.mkdir()
    (entry / "something").write_text("x")
    assert _rerun(graph, disk, entry, clean) == [
        f"removed a damaged cache entry (a folder stands where the entry belongs): {entry}; "
        "its node runs again"
    ]
    assert entry.is_file()


def test_cache_clear_removes_a_folder_where_an_entry_should_be(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STYLEGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    root = default_cache_dir()
    folder = root / "34" / f"34{'8' * 62}.npz"
    folder.mkdir(parents=True)
    (folder / "inside").write_bytes(b"x")
    entry = root / "ab" / f"ab{'0' * 62}.npz"
    DiskCache(root).put(entry.stem, {"value": 1.0})
    assert entry.is_file()
    assert main(["cache", "clear"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.startswith(f"removed 2 cached results and 0 unpacked files from {root}")
    assert not folder.exists() and not entry.exists()


def _pickled_array_entry(path: Path) -> None:
    """An entry whose array is pickled objects: loading it would run a stranger's code."""
    buffer = io.BytesIO()
    manifest = json.dumps({"ports": {"image": {"kind": "array"}}}).encode()
    np.savez(
        buffer,
        a_image=np.array([object()], dtype=object),
        __stylegraph_meta__=np.frombuffer(manifest, np.uint8),
    )
    path.write_bytes(buffer.getvalue())


DAMAGE = {
    "a pickled array": (
        _pickled_array_entry,
        "it holds pickled data, which the cache never writes and never loads",
    ),
    "a whole pickle": (
        lambda p: p.write_bytes(pickle.dumps({"image": [1, 2]})),
        "it holds pickled data, which the cache never writes and never loads",
    ),
    "a manifest that is not JSON": (
        lambda p: np.savez(p, __stylegraph_meta__=np.frombuffer(b"\xff{", np.uint8)),
        "its manifest cannot be read",
    ),
    "cut short": (lambda p: p.write_bytes(p.read_bytes()[:200]), "it is cut short or damaged"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_warnings_on_damaged_entries_are_our_own_sentence(cached, damage):
    graph, disk, entry, clean = cached
    spoil, why = DAMAGE[damage]
    spoil(entry)
    warnings = _rerun(graph, disk, entry, clean)
    assert warnings == [f"removed a damaged cache entry ({why}): {entry}; its node runs again"]
    assert "allow_pickle" not in warnings[0] and "unsafe" not in warnings[0]


# --- unpack refuses whatever run refuses ----------------------------------------------------


def _pack(path: Path, nodes: dict, links: list | None = None) -> Path:
    preset = {"format": "stylegraph.preset", "version": 1, "nodes": nodes, "links": links or []}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("preset.json", json.dumps(preset))
    return path


HOSTILE = {
    "a receiver's file": (
        {"load": {"type": "image.load", "params": {"path": "/etc/passwd"}}},
        [],
        "error: {pack}: 1 problem(s)\n"
        "  $.nodes.load.params.path: refused: '/etc/passwd' is not in the pack\n",
    ),
    "a path leaving the pack": (
        {"load": {"type": "image.load", "params": {"path": "../../x"}}},
        [],
        "error: {pack}: 1 problem(s)\n"
        "  $.nodes.load.params.path: the path '../../x' leaves the preset's folder\n",
    ),
    "a save path outside the output folder": (
        {
            "shape": {"type": "mask.shape", "params": {}},
            "picture": {"type": "mask.to_image", "params": {}},
            "save": {"type": "image.save", "params": {"directory": "../../outside"}},
        },
        [
            {"from": ["shape", "mask"], "to": ["picture", "mask"]},
            {"from": ["picture", "image"], "to": ["save", "image"]},
        ],
        "error: node 'save' (image.save), param 'directory': '../../outside' may not leave "
        "the output folder\n",
    ),
}


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_unpack_refuses_what_run_refuses_and_leaves_nothing(hostile, tmp_path, capsys):
    nodes, links, expected = HOSTILE[hostile]
    pack = _pack(tmp_path / "p.sgpack", nodes, links)
    dest = tmp_path / "new" / "folder"
    assert main(["run", str(pack), "--out", str(tmp_path / "out")]) == 2
    ran = capsys.readouterr().err
    assert main(["unpack", str(pack), str(dest)]) == 2
    said = capsys.readouterr().err
    assert said == expected.format(pack=pack)
    assert said.splitlines()[-1] in ran  # the same refusal run gives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.sgpack"]  # no new, no out


def test_unpack_of_a_pack_failing_its_checks_leaves_no_folder(tmp_path, capsys):
    data = b"pretend this is a painting"
    entry = f"files/{hashlib.sha256(b'something else').hexdigest()}.png"
    pack = tmp_path / "p.sgpack"
    with zipfile.ZipFile(pack, "w") as zf:
        nodes = {"load": {"type": "image.load", "params": {"path": entry}}}
        zf.writestr(
            "preset.json", json.dumps({"format": "stylegraph.preset", "version": 1, "nodes": nodes})
        )
        zf.writestr(entry, data)
    assert main(["unpack", str(pack), str(tmp_path / "a" / "b")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: {pack}: 1 problem(s)\n  {entry}: refused: its content's sha256 is "
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.sgpack"]
    empty = tmp_path / "empty"
    empty.mkdir()  # a folder the user made stays, empty
    assert main(["unpack", str(pack), str(empty)]) == 2
    assert empty.is_dir() and list(empty.iterdir()) == []


# --- runs writing into one folder at once --------------------------------------------------


def _fusion_args(images: Path, out: Path) -> list[str]:
    return [
        "run",
        "fusion",
        "--set",
        f"content={images / 'content' / 'chelsea.png'}",
        "--set",
        f"style={images / 'styles' / 'starry_night.jpg'}",
        "--set",
        "shrink.longest_side=48",
        "--out",
        str(out),
        "--quiet",
        "--no-disk-cache",
    ]


def _pairs(out: Path) -> dict[str, list[str]]:
    return {ext: sorted(p.stem for p in out.glob(f"*.{ext}")) for ext in ("png", "psd", "ora")}


def test_four_runs_into_one_folder_keep_each_picture_with_its_layers(images, tmp_path, capsys):
    out = tmp_path / "out"
    codes: list[int] = []
    start = threading.Barrier(4)

    def one_run() -> None:
        start.wait()
        codes.append(main(_fusion_args(images, out)))

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [0, 0, 0, 0]
    stems = ["fusion", "fusion-0001", "fusion-0002", "fusion-0003"]
    assert _pairs(out) == {"png": stems, "psd": stems, "ora": stems}


def test_layers_take_the_pictures_number_when_the_folder_already_holds_one(
    images, tmp_path, capsys
):
    """A fusion.png already there (from another preset): the picture becomes fusion-0001.png
    and its layers fusion-0001.psd and .ora, not the free fusion.psd."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "fusion.png").write_bytes(b"someone else's picture")
    assert main(_fusion_args(images, out)) == 0
    assert _pairs(out) == {
        "png": ["fusion", "fusion-0001"],
        "psd": ["fusion-0001"],
        "ora": ["fusion-0001"],
    }


# --- the batch benchmark records what it measured -------------------------------------------


def test_the_batch_benchmark_records_the_load_it_measured(monkeypatch, capsys, tmp_path):
    """Its heavy parts replaced by stand-ins: what is left is the record itself, which must
    carry the load average read before and after, not a sentence about the machine."""
    import subprocess

    from benchmarks import batch as bench
    from stylegraph.jobs import cluster

    loads = iter([(0.25, 0.5, 0.75), (3.5, 2.0, 1.0)])
    monkeypatch.setattr(bench.os, "getloadavg", lambda: next(loads))
    summary = {"batched_calls": 1, "node_runs": {}, "done": 20}
    line = json.dumps({"summary": summary})
    monkeypatch.setattr(
        bench, "_cli", lambda *a: subprocess.CompletedProcess(a, 0, stdout=line, stderr="")
    )
    monkeypatch.setattr(bench, "_in_process_batch", lambda args: (1.0, summary))
    monkeypatch.setattr(bench, "make_paintings", lambda folder: [folder / "p.png"] * 20)

    class Ray:
        def shutdown(self) -> None:
            pass

    monkeypatch.setattr(cluster, "connect", lambda address: Ray())
    monkeypatch.setattr("sys.argv", ["benchmarks.batch", "--runs", "1"])
    bench.main()
    result = json.loads(capsys.readouterr().out)
    assert result["load_average"] == {
        "before": {"1min": 0.25, "5min": 0.5, "15min": 0.75},
        "after": {"1min": 3.5, "5min": 2.0, "15min": 1.0},
    }
    assert "shared_machine" not in result


# --- a batch's staging folders --------------------------------------------------------------


def test_a_batch_clears_only_the_staging_folders_no_live_batch_holds(tmp_path):
    """Two batches may share an output folder: the one starting must not take the other's
    staging folder, only one whose batch died (its lock died with it), and the hidden temp
    file of an output a killed batch was writing."""
    import tempfile

    from stylegraph.jobs.items import BatchItem, PreparedItem
    from stylegraph.jobs.write import STAGING_PREFIX, Staging, clear_stale

    live = Staging(tmp_path)
    dead = Path(tempfile.mkdtemp(dir=tmp_path, prefix=STAGING_PREFIX))  # nobody holds it
    (dead / ".stylegraph-x.png").write_bytes(b"half")
    half_written = tmp_path / ".picture.png.abc123.tmp"
    half_written.write_bytes(b"half")
    someone_elses = tmp_path / ".notes.txt.abc123.tmp"
    someone_elses.write_bytes(b"kept")
    item = PreparedItem(BatchItem("picture", {}), None, "", [Path("picture.png")])  # type: ignore[arg-type]
    assert sorted(clear_stale(tmp_path, [item])) == sorted([dead, half_written])
    assert live.path.is_dir() and someone_elses.exists()
    live.close()
    assert not live.path.exists()
