"""Ctrl+C (SIGINT) and SIGTERM: `run`, `batch`, `pack` and `unpack` stop within a second or
two at the next safe point, leave no partial file, temp file or staging folder, keep the
cache readable, say ``cancelled`` and exit 130 (SIGINT) or 143 (SIGTERM).

`run` and `batch` are real processes sent a real signal mid-render (Deep Style on a real
photo and painting, which would take minutes); `pack` and `unpack` run in this process,
which sends itself the signal as the copy into their temp file or staging folder begins."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from stylegraph.cli import main
from stylegraph.graph.cache import DiskCache
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.recipe_metadata import read_recipe

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
ONE_SCALE = ["--set", "paint.scales=[]", "--set", "paint.scale_iterations=[]"]
# minutes of Deep Style: always cut short
SLOW = [*ONE_SCALE, "--set", "paint.output_size=256", "--set", "paint.iterations=5000"]


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "stylegraph", *args]


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "STYLEGRAPH_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}


def _wait_for(proc: subprocess.Popen, ready, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the render never started"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen, signum: int) -> tuple[int, str, float]:
    """Send ``signum``; the exit code, stderr and seconds until the process ended."""
    sent = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err, time.monotonic() - sent


def _leftovers(folder: Path) -> list[str]:
    """Temp files and staging folders under ``folder``: what a cancelled write leaves."""
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.startswith(".") or p.suffix == ".tmp"
    )


def _cache_readable(cache: Path) -> None:
    disk = DiskCache(cache)
    for entry in cache.glob("*/*.npz"):
        assert disk.get(entry.stem) is not None, entry
    assert not disk.take_warnings()
    assert _leftovers(cache) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_run_stops_mid_render_cleanly(images: Path, tmp_path: Path, signum: int):
    cache, out = tmp_path / "cache", tmp_path / "out"
    argv = _command(
        "run",
        "deep-style",
        "--set",
        f"content={images / 'content' / 'tubingen.jpg'}",
        "--set",
        f"style={images / 'styles' / 'starry_night.jpg'}",
        *SLOW,
        "--out",
        str(out),
    )
    proc = subprocess.Popen(argv, env=_env(cache), stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")))
    reader.start()
    _wait_for(proc, lambda: any(line.startswith("photo (image.load): ran") for line in lines))
    time.sleep(2.0)  # into the optimisation
    sent = time.monotonic()
    proc.send_signal(signum)
    code = proc.wait(timeout=30)
    seconds = time.monotonic() - sent
    reader.join()
    err = "".join(lines)
    assert code == EXIT[signum], err
    assert seconds < 3.0, seconds
    assert err.rstrip().splitlines()[-1] == "cancelled", err
    # the node stopped at its next step and says so, or (a machine too busy to reach one
    # within the grace) the process left it after removing what it was writing
    assert "paint (style.transfer): cancelled" in err or err.count("\n") <= 2, err
    assert "Traceback" not in err and "error" not in err and "terminate" not in err
    assert not out.exists()  # nothing written: not even the folder the run would have made
    _cache_readable(cache)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_batch_stops_after_the_items_it_finished(images: Path, tmp_path: Path, signum: int):
    """The small photo's item finishes, the large one's is cut short: the first stays whole
    with its recipe, nothing of the second remains, nor the staging folder."""
    cache, out, photos = tmp_path / "cache", tmp_path / "out", tmp_path / "photos"
    photos.mkdir()
    for name in ("chelsea.png", "tubingen.jpg"):  # 451 x 300 px, then 1024 x 768 px
        shutil.copy(images / "content" / name, photos / name)
    argv = _command(
        "batch",
        "deep-style",
        "--over",
        f"content={photos}",
        "--set",
        f"style={images / 'styles' / 'starry_night.jpg'}",
        "--set",
        "paint.output_size=0",
        *ONE_SCALE,
        "--set",
        "paint.iterations=4",
        "--out",
        str(out),
        "--json",
    )
    proc = subprocess.Popen(
        argv, env=_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_for(proc, lambda: (out / "chelsea.png").exists())
    code, err, seconds = _stop(proc, signum)
    assert code == EXIT[signum], err
    assert seconds < 4.0, seconds
    assert err.rstrip().splitlines()[-1] == "cancelled", err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["chelsea.png"]
    assert read_image(out / "chelsea.png").shape == (300, 451, 3)
    assert read_recipe(out / "chelsea.png")["inputs"]["content"] == str(photos / "chelsea.png")
    _cache_readable(cache)


class _Signals:
    """This process's SIGINT and SIGTERM handlers replaced, for a test, by ones that only
    count: a signal that lands after the command returned must not stop pytest."""

    def __enter__(self) -> _Signals:
        self.late = 0
        self.saved = {s: signal.signal(s, self._count) for s in EXIT}
        return self

    def _count(self, signum: int, frame: object) -> None:
        self.late += 1

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)


@pytest.fixture
def painting_preset(images: Path, tmp_path: Path) -> Path:
    """quick-stylize with a real painting as its style, saved as a preset file."""
    from stylegraph.graph.preset import load_preset, save_preset
    from stylegraph.nodes import default_registry
    from stylegraph.presets import shipped_presets

    preset = load_preset(shipped_presets()["quick-stylize"], default_registry())
    preset.set_input("style", [str(images / "styles" / "the_scream.jpg")])
    path = tmp_path / "mine.json"
    save_preset(preset, path)
    return path


def _signal_inside(monkeypatch, name: str, signum: int) -> None:
    """Send ``signum`` to this process as ``stylegraph.jobs.pack.<name>`` is first called:
    the signal lands while the pack's temp file or the unpack's staging folder is there."""
    from stylegraph.jobs import pack

    real = getattr(pack, name)
    sent = []

    def wrapped(*args, **kwargs):
        if not sent:
            sent.append(signum)
            os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(pack, name, wrapped)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_pack_stops_half_way_and_leaves_no_temp_file(
    painting_preset: Path, tmp_path: Path, capsys, monkeypatch, signum: int
):
    folder = tmp_path / "packs"
    folder.mkdir()
    _signal_inside(monkeypatch, "_copy_into", signum)  # the painting, into the temp file
    with _Signals() as signals:
        code = main(
            ["pack", str(painting_preset), "-o", str(folder / "p.sgpack"), "--with-input=style"]
        )
    captured = capsys.readouterr()
    assert (code, captured.err, signals.late) == (EXIT[signum], "cancelled\n", 0)
    assert "wrote" not in captured.out
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_unpack_stops_half_way_and_leaves_no_folder(
    painting_preset: Path, tmp_path: Path, capsys, monkeypatch, signum: int
):
    pack = str(tmp_path / "p.sgpack")
    assert main(["pack", str(painting_preset), "-o", pack, "--with-input=style"]) == 0
    capsys.readouterr()
    dest = tmp_path / "new" / "unpacked"
    _signal_inside(monkeypatch, "_base", signum)  # an entry, into the staging folder
    with _Signals() as signals:
        code = main(["unpack", pack, str(dest)])
    captured = capsys.readouterr()
    assert (code, captured.err, signals.late) == (EXIT[signum], "cancelled\n", 0)
    assert not (tmp_path / "new").exists()


def test_a_signal_as_the_temp_file_is_made_leaves_none(
    painting_preset, tmp_path, capsys, monkeypatch
):
    """The narrowest window: the signal lands just as mkstemp returns, before the file is
    listed or its ``try`` entered. The handler raises only once the file is listed, and
    the command removes what is listed as it stops."""
    import tempfile

    real = tempfile.mkstemp
    sent = []

    def mkstemp(*args, **kwargs):
        made = real(*args, **kwargs)
        if not sent and ".p.sgpack." in made[1]:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return made

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    folder = tmp_path / "packs"
    folder.mkdir()
    with _Signals() as signals:
        code = main(["pack", str(painting_preset), "-o", str(folder / "p.sgpack")])
    assert (code, capsys.readouterr().err, signals.late, sent) == (130, "cancelled\n", 0, [True])
    assert list(folder.iterdir()) == []


def test_work_stuck_in_a_long_call_is_abandoned_after_the_grace(tmp_path: Path):
    """Work that reaches no safe point (one long call into C) is left: its temp file
    removed, ``cancelled`` said, exit 130, within the grace period."""
    script = f"""
import time
from pathlib import Path
from stylegraph.graph.atomic import temp_file_beside
from stylegraph.jobs.interrupt import run_cancellable

def work(cancel):
    with temp_file_beside(Path({str(tmp_path / "picture.png")!r})) as (fh, tmp):
        fh.write(b"half")
        print("writing", flush=True)
        time.sleep(60)  # deaf to cancel

run_cancellable(work, grace=1.0)
"""
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "writing\n"
    code, err, seconds = _stop(proc, signal.SIGINT)
    assert (code, err) == (130, "cancelled\n")
    assert 1.0 <= seconds < 2.5
    assert list(tmp_path.iterdir()) == []
