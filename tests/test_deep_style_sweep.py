"""The overnight sweep: `stylegraph batch deep-style --over style=FOLDER`, resumed after
kill -9 without redoing anything; the paintings' Grams kept on disk (and refused when
damaged); the photo's features computed once; the time left; the contact sheet."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from stylegraph.cli import main
from stylegraph.jobs.eta import TimeLeft, duration, item_work
from stylegraph.jobs.report import BatchReporter, ItemResult
from stylegraph.nodes.functional.contact_sheet import grid_columns
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.models import gram_cache
from stylegraph.nodes.models.gatys import GatysSettings, GramCache, StyleSet, gatys
from stylegraph.nodes.models.vgg import ORIGINAL, load_vgg19
from stylegraph.nodes.neural._shared import _gram_cache
from stylegraph.presets import shipped_presets
from tests.helpers import batch_killed_after_first_item

# Two scales of a few iterations: the whole pipeline, seconds per painting.
TINY = ["--set", "paint.output_size=40", "--set", "paint.scales=[24, 40]"]
TINY += ["--set", "paint.scale_iterations=[2, 1]"]
PAINTINGS = ("shipwreck.jpg", "starry_night.jpg", "the_scream.jpg", "woman-with-hat-matisse.jpg")
CPU = torch.device("cpu")


@pytest.fixture
def paintings(images: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "paintings"
    folder.mkdir()
    for name in PAINTINGS:
        shutil.copy(images / "styles" / name, folder / name)
    return folder


@pytest.fixture
def fresh_memory():
    """The Grams kept in this process's memory forgotten, so that only the disk can answer."""
    _gram_cache.cache_clear()
    yield
    _gram_cache.cache_clear()


def _batch(args: list[str], capsys) -> tuple[int, dict, list[dict], str]:
    code = main(["batch", *args, "--json", "--no-disk-cache"])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")]
    summary = next(line["summary"] for line in lines if "summary" in line)
    return code, summary, [line for line in lines if "item" in line], captured.err


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


@pytest.mark.slow
def test_a_killed_sweep_resumes_redoing_nothing_and_ends_with_the_sheet(
    images, paintings, tmp_path, capsys, fresh_memory
):
    out = tmp_path / "out"
    args = ["deep-style", f"--over=style={paintings}"]
    args += ["--set", f"content={images / 'content' / 'tubingen.jpg'}", *TINY, "--out", str(out)]
    first = batch_killed_after_first_item(args)
    assert first["status"] == "done"
    finished = sorted(p for p in out.glob("*.png"))
    assert 1 <= len(finished) < len(PAINTINGS), "the kill should land mid-sweep"
    # A render cut short under its final name (a disk that filled up, a copy interrupted)
    # is not taken as done: it renders again; the others are left as they are.
    cut, kept = finished[0], finished[1:]
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    stamps = {p: _stamp(p) for p in kept}

    code, summary, items, err = _batch([*args, "--sheet"], capsys)

    assert code == 0
    rendered = [i["item"] for i in items if i["status"] == "done"]
    assert sorted(i["item"] for i in items if i["status"] == "skipped") == [p.stem for p in kept]
    assert cut.stem in rendered
    assert len(rendered) == len(PAINTINGS) - len(kept)
    assert summary["node_runs"]["paint"] == len(rendered)  # nothing done is rendered again
    assert {p: _stamp(p) for p in kept} == stamps  # nor rewritten
    # Two scales, two Grams a painting: the cut render's were kept on disk by the killed
    # process and are read, not computed.
    grams = summary["grams"]
    assert grams.get("computed", 0) + grams.get("read", 0) == 2 * len(rendered)
    assert grams.get("read", 0) >= 2 and "refused" not in grams
    # the time left, on one line per rendered painting (stderr is not a terminal here)
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert len(progress) == len(rendered)
    assert progress[0].startswith(f"[{len(kept) + 1}/{len(PAINTINGS)}] ")
    assert " left (" in progress[0] and progress[-1].endswith("; nothing left")
    # the contact sheet: one cell per painting, each holding a render
    sheet = read_image(out / "contact-sheet.jpg")
    render = read_image(out / f"{rendered[0]}.png")
    columns = grid_columns(len(PAINTINGS))
    rows = -(-len(PAINTINGS) // columns)
    height, width = render.shape[:2]
    assert sheet.shape[:2] == (rows * (height + 30) + 8, columns * (width + 8) + 8)
    for n in range(rows * columns):
        r, c = divmod(n, columns)
        y, x = 8 + r * (height + 30) + 22, 8 + c * (width + 8)
        cell = sheet[y : y + height, x : x + width]
        assert (cell.min() < 0.9) == (n < len(PAINTINGS)), f"cell {n}"


@pytest.mark.slow
def test_a_second_sweep_reads_every_painting_s_grams_from_disk(
    images, paintings, tmp_path, capsys, fresh_memory
):
    args = ["deep-style", f"--over=style={paintings}"]
    args += ["--set", f"content={images / 'content' / 'chelsea.png'}", *TINY]
    code, summary, _, _ = _batch([*args, "--out", str(tmp_path / "a")], capsys)
    assert code == 0 and summary["grams"] == {"computed": 2 * len(PAINTINGS)}
    _gram_cache.cache_clear()  # as a new process would start
    code, summary, _, _ = _batch([*args, "--out", str(tmp_path / "b")], capsys)
    assert code == 0 and summary["grams"] == {"read": 2 * len(PAINTINGS)}
    # The same renders from read Grams as from computed ones, to within one 8-bit step: in
    # float32 on two threads the network's backward pass is not bit for bit the same from
    # one run to the next (conv5_1's on a small grid: one VGG-19 gradient in 4-7 of 30
    # repeats moved by up to 2.4e-4 of 255; never on one thread), and a value on a rounding
    # edge can then save one step apart.
    for name in PAINTINGS:
        stem = Path(name).stem
        a = read_image(tmp_path / "a" / f"{stem}.png")
        b = read_image(tmp_path / "b" / f"{stem}.png")
        assert np.abs(a - b).max() <= 1.01 / 255 and np.mean(a != b) < 0.01


@pytest.fixture(scope="module")
def vgg():
    return load_vgg19(ORIGINAL, "cpu")


def _painting(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((40, 36, 3), dtype=np.float32)


def test_the_disk_cache_refuses_a_damaged_entry_and_computes_it_again(vgg, tmp_path):
    layers = {"relu1_1", "relu2_1"}
    painting = _painting(1)
    before = dict(gram_cache.COUNTS)
    computed = gram_cache.DiskGramCache("original|max", tmp_path).grams(vgg, painting, layers, CPU)
    [path] = tmp_path.glob("*.safetensors")
    read = gram_cache.DiskGramCache("original|max", tmp_path).grams(vgg, painting, layers, CPU)
    assert all(torch.equal(computed[n], read[n]) for n in layers)
    assert gram_cache.COUNTS["computed"] - before.get("computed", 0) == 1
    assert gram_cache.COUNTS["read"] - before.get("read", 0) == 1

    data = bytearray(path.read_bytes())
    data[-5] ^= 0x40  # one bit of one Gram flipped: still a valid safetensors file
    path.write_bytes(bytes(data))
    with pytest.warns(gram_cache.GramCacheWarning) as caught:
        again = gram_cache.DiskGramCache("original|max", tmp_path).grams(vgg, painting, layers, CPU)
    assert str(caught[0].message) == (
        f"Gram cache entry {path} was refused: its bytes differ from the sha256 written "
        "with it (damaged on disk); computed again"
    )
    assert all(torch.equal(computed[n], again[n]) for n in layers)

    path.write_bytes(path.read_bytes()[:100])  # cut short
    messages: list[str] = []
    with gram_cache.warnings_to(messages.append):
        gram_cache.DiskGramCache("original|max", tmp_path).grams(vgg, painting, layers, CPU)
    assert len(messages) == 1
    assert messages[0].startswith(f"Gram cache entry {path} was refused: it cannot be read (")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rewritten whole: read back without a word
        gram_cache.DiskGramCache("original|max", tmp_path).grams(vgg, painting, layers, CPU)
    assert gram_cache.COUNTS["refused"] - before.get("refused", 0) == 2

    other = gram_cache.DiskGramCache("vgg19.pth|max", tmp_path)  # another network's Grams
    assert other.path_for(("grams", b"x", (1,), (), "cpu")) != gram_cache.DiskGramCache(
        "original|max", tmp_path
    ).path_for(("grams", b"x", (1,), (), "cpu"))


@pytest.mark.slow
def test_a_sweep_computes_the_photo_s_features_once_per_size(vgg, monkeypatch):
    photo = np.random.default_rng(0).random((32, 40, 3), dtype=np.float32)
    settings = GatysSettings(scales=(24, 32), scale_iterations=(1, 1))
    cache = GramCache()
    calls: list[int] = []
    real = GramCache.features

    def counted(self, *args):
        before = len(self._entries)
        found = real(self, *args)
        calls.append(len(self._entries) - before)  # 1: computed, 0: kept from before
        return found

    monkeypatch.setattr(GramCache, "features", counted)
    renders = [
        gatys(photo, [StyleSet([_painting(seed)])], vgg, settings, 32, CPU, grams=cache)[0]
        for seed in (1, 2)
    ]
    assert calls == [1, 1, 0, 0]  # two sizes, the first painting; then kept
    alone = gatys(photo, [StyleSet([_painting(2)])], vgg, settings, 32, CPU)[0]
    np.testing.assert_allclose(renders[1], alone, rtol=0, atol=1e-4)  # float32's noise


def test_the_time_left_counts_rendered_items_by_their_pixel_iterations(capsys):
    preset = shipped_presets()["deep-style"]
    from stylegraph.cli.presets import load_preset
    from stylegraph.graph.assign import apply_assignments
    from stylegraph.nodes import default_registry

    loaded, _ = load_preset(str(preset), default_registry())
    apply_assignments(
        loaded,
        ["paint.output_size=512", "paint.scales=[256, 512]", "paint.scale_iterations=[4, 2]"],
    )
    assert item_work(loaded) == 256 * 256 * 4 + 512 * 512 * 2  # no photo: square
    left = TimeLeft({"a": 100.0, "b": 100.0, "c": 300.0, "d": 100.0})
    assert left.text() == "time left: known after the first render"
    left.finished("a", 0.0, rendered=False)  # skipped: done before, says nothing of speed
    assert left.seconds_left() is None
    left.finished("b", 20.0, rendered=True)
    assert left.seconds_left() == pytest.approx(0.2 * 400)
    assert left.text() == "about 80 s left (20 s a render so far)"
    reporter = BatchReporter(4, show_progress=False, work=left.work)
    reporter.finished(ItemResult("a", "skipped"))
    reporter.finished(ItemResult("b", "done", 20.0))
    reporter.finished(ItemResult("c", "done", 100.0))
    assert capsys.readouterr().err.splitlines() == [
        "[2/4] b: done in 20.0 s; about 80 s left (20 s a render so far)",
        "[3/4] c: done in 100.0 s; about 30 s left (60 s a render so far)",
    ]
    assert [duration(s) for s in (44.2, 600, 7500)] == ["45 s", "10 min", "2 h 05 min"]
