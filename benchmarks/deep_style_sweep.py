"""The overnight sweep, one photo through a folder of paintings with the Gatys engine:
`stylegraph batch deep-style --over style=FOLDER` against one `stylegraph run` per painting
(each with its own process start, network load, photo features and Grams), on this machine.

Prints JSON: seconds per painting both ways and their ratio, the load average before and
after (the two ways run back to back; half the separate runs before the batch and half
after, so a change of load falls on both), whether the batch's renders equal the separate
runs' pixel for pixel, and, with ``--kill-after N``, the batch killed with SIGKILL once N
paintings are done and started again: what the second process skipped, rendered, and how
many Grams it computed or read from the disk cache.

``--fraction`` scales the preset's iterations at every scale (0.1: a tenth), for a quicker
measurement of the same pipeline; the default, 1, is the preset's own schedule.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.batch import load_average
from benchmarks.common import IMAGES, machine

PRESET = Path(__file__).resolve().parent.parent / "presets" / "deep-style.json"


def _settings(preset: Path, size: int, fraction: float) -> list[str]:
    sets = ["--set", f"paint.output_size={size}"]
    if fraction != 1:
        counts = json.loads(preset.read_text())["nodes"]["paint"]["params"]["scale_iterations"]
        scaled = [max(1, round(n * fraction)) for n in counts]
        sets += ["--set", f"paint.scale_iterations={json.dumps(scaled)}"]
    return sets


def _cache(root: Path, name: str) -> dict[str, str]:
    """An environment whose cache folder is new (no Grams, no results), sharing the
    converted network of the user's cache so that no process converts it."""
    from stylegraph.nodes.models.converted import converted_cache_dir

    folder = root / name
    folder.mkdir()
    models = converted_cache_dir()
    if models.is_dir():
        (folder / "models").symlink_to(models)
    return {**os.environ, "STYLEGRAPH_CACHE_DIR": str(folder)}


def _batch(args: list[str], env: dict, kill_after: int | None) -> tuple[float, list[dict], bool]:
    """One batch process: its seconds, its JSON lines, and whether it was killed."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stylegraph", "batch", *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    lines, killed = [], False
    for line in proc.stdout:
        lines.append(json.loads(line))
        print(line.strip(), file=sys.stderr, flush=True)  # kept in a log if a later part fails
        done = sum(entry.get("status") == "done" for entry in lines)
        if kill_after is not None and done >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
    proc.wait()
    if not killed and proc.returncode != 0:
        raise RuntimeError(f"the batch failed ({proc.returncode}): {lines[-3:]}")
    return time.perf_counter() - started, lines, killed


def _run(preset: Path, painting: Path, photo: Path, sets: list[str], out: Path, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "stylegraph", "run", str(preset), "--set", f"content={photo}",
         "--set", f"style={painting}", *sets, "--out", str(out), "--quiet", "--no-disk-cache"],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def _pixels(path: Path) -> np.ndarray:
    from stylegraph.nodes.functional.image_io import read_image

    return read_image(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paintings", type=Path, help="a folder of paintings")
    parser.add_argument("--photo", type=Path, default=IMAGES / "content" / "tubingen.jpg")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--fraction", type=float, default=1.0, help="of the preset's iterations")
    parser.add_argument("--runs", type=int, default=None, help="separate runs timed (all)")
    parser.add_argument("--kill-after", type=int, default=None, help="SIGKILL, then resume")
    options = parser.parse_args()
    from stylegraph.jobs.items import IMAGE_SUFFIXES

    paintings = sorted(p for p in options.paintings.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    runs = paintings[: options.runs or len(paintings)]
    result: dict = {
        "machine": machine(),
        "photo": options.photo.name,
        "paintings": len(paintings),
        "size": options.size,
        "iterations": "preset" if options.fraction == 1 else f"preset x {options.fraction}",
        "load_average": {"before": load_average()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # the preset as it is now, for both ways, whatever happens to the file meanwhile
        preset = root / "deep-style.json"
        preset.write_bytes(PRESET.read_bytes())
        sets = _settings(preset, options.size, options.fraction)
        paint = json.loads(preset.read_text())["nodes"]["paint"]["params"]
        result["preset"] = {k: paint[k] for k in ("scales", "scale_iterations", "init")}
        separate: dict[str, float] = {}

        def time_runs(part: list[Path]) -> None:
            for painting in part:
                out = root / "runs" / painting.stem
                separate[painting.stem] = _run(
                    preset, painting, options.photo, sets, out, _cache(root, f"c-{painting.stem}")
                )
                print(json.dumps({"run": painting.stem, "s": separate[painting.stem]}),
                      file=sys.stderr, flush=True)  # fmt: skip

        time_runs(runs[: len(runs) // 2])
        result["load_average"]["batch_start"] = load_average()
        args = [str(preset), "--over", f"style={options.paintings}"]
        args += ["--set", f"content={options.photo}", *sets]
        args += ["--out", str(root / "batch"), "--sheet", "--no-disk-cache"]
        env = _cache(root, "batch-cache")
        first_s, first, killed = _batch(args, env, options.kill_after)
        batch = {"first_process_s": round(first_s, 2), "killed": killed}
        total_s, lines = first_s, first
        if killed:
            second_s, lines, _ = _batch(args, env, None)
            total_s += second_s
            summary = lines[-1]["summary"]
            batch["second_process_s"] = round(second_s, 2)
            batch["resumed"] = {
                "skipped": summary["skipped"],
                "rendered": summary["done"],
                "grams": summary["grams"],
                "done_before_the_kill": sum(e.get("status") == "done" for e in first),
            }
        result["load_average"]["batch_end"] = load_average()
        time_runs(runs[len(runs) // 2 :])
        items = [e for e in first + lines if e.get("status") == "done"]
        batch.update(
            wall_s=round(total_s, 2),
            s_per_painting=round(total_s / len(paintings), 2),
            item_s={e["item"]: e["seconds"] for e in items},
            summary=lines[-1]["summary"],
        )
        result["batch"] = batch
        per_run = sum(separate.values()) / len(separate)
        same = [
            float(
                np.abs(
                    _pixels(root / "batch" / f"{name}.png")
                    - _pixels(root / "runs" / name / "deep-style.png")
                ).max()
            )
            for name in separate
        ]
        result["separate_runs"] = {
            "timed": len(separate),
            "s_per_painting": round(per_run, 2),
            "run_s": {k: round(v, 2) for k, v in separate.items()},
        }
        result["run_over_batch_per_painting"] = round(per_run / batch["s_per_painting"], 2)
        result["largest_pixel_difference_batch_vs_runs"] = max(same)
    result["load_average"]["after"] = load_average()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
