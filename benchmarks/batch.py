"""`stylegraph batch` against a shell loop of `stylegraph run`, on this machine.

There are only six paintings in the shared images, so twenty distinct ones are made from
them reproducibly (flips, rotations, centre crops) in a temp folder. Prints JSON:
- quick-stylize, 1 photo x 20 paintings at 500 px: one `stylegraph batch` process against
  ``--runs`` separate `stylegraph run` processes (each with its own start-up, as a loop does);
- fusion, 1 photo x 20: which nodes ran how often (the shared base once);
- the same 20 quick-stylize items through ``--cluster local``: Ray's start-up, and the time
  per item over the same batch run in-process without Ray;
- the load average before and after, so a reader can tell an idle machine from a busy one.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import IMAGES, machine

VARIANTS = (
    lambda a: a,
    lambda a: a[:, ::-1],
    lambda a: a[::-1],
    lambda a: np.rot90(a),
    lambda a: a[a.shape[0] // 6 : -a.shape[0] // 6, a.shape[1] // 6 : -a.shape[1] // 6],
)


def make_paintings(folder: Path, count: int = 20) -> list[Path]:
    """``count`` distinct paintings: each shared painting under each variant, in order."""
    styles = sorted((IMAGES / "styles").iterdir())
    paths = []
    for n in range(count):
        style, variant = styles[n % len(styles)], VARIANTS[n // len(styles)]
        pixels = variant(np.asarray(Image.open(style).convert("RGB")))
        path = folder / f"{style.stem}-v{n // len(styles)}.png"
        Image.fromarray(np.ascontiguousarray(pixels)).save(path)
        paths.append(path)
    return paths


def load_average() -> dict[str, float]:
    """The system's 1, 5 and 15 minute load averages: processes running or waiting for a
    core, so a value above ``cpu_count`` means the timings shared the machine."""
    one, five, fifteen = os.getloadavg()
    return {"1min": round(one, 2), "5min": round(five, 2), "15min": round(fifteen, 2)}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stylegraph", *args], capture_output=True, text=True, check=True
    )


def _summary(stdout: str) -> dict:
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith('{"summary"')]
    return lines[-1]["summary"]


def _in_process_batch(args: list[str]) -> tuple[float, dict]:
    from stylegraph.cli import main

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["batch", *args, "--json", "--no-disk-cache"])
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"the batch failed: {out.getvalue()[-2000:]}")
    return seconds, _summary(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="separate `run` processes timed")
    options = parser.parse_args()
    photo = IMAGES / "content" / "chelsea.png"
    # what else the machine was doing, measured: the load average as the run starts and ends
    result: dict = {"machine": machine(), "load_average": {"before": load_average()}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "paintings").mkdir()
        paintings = make_paintings(root / "paintings")
        size = ["--set", "paint.output_size=500"]
        over = ["--over", f"content={photo}", "--over", f"style={root / 'paintings'}"]

        started = time.perf_counter()
        proc = _cli("batch", "quick-stylize", *over, *size, "--out", str(root / "b"), "--json")
        batch_s = time.perf_counter() - started
        batch_summary = _summary(proc.stdout)

        started = time.perf_counter()
        for n, painting in enumerate(paintings[: options.runs]):
            _cli(
                "run", "quick-stylize", "--set", f"content={photo}", "--set", f"style={painting}",
                *size, "--out", str(root / f"r{n}"), "--quiet", "--no-disk-cache",
            )  # fmt: skip
        per_run = (time.perf_counter() - started) / options.runs
        result["quick_stylize_1x20_500px"] = {
            "batch_process_s": round(batch_s, 2),
            "batch_s_per_item": round(batch_s / len(paintings), 3),
            "separate_run_s_per_item": round(per_run, 3),
            "separate_runs_timed": options.runs,
            "speedup": round(per_run * len(paintings) / batch_s, 1),
            "batched_forward_passes": batch_summary["batched_calls"],
        }

        os.environ["STYLEGRAPH_CACHE_DIR"] = str(root / "cache")
        fusion_s, fusion = _in_process_batch(["fusion", *over, "--out", str(root / "f")])
        result["fusion_1x20"] = {
            "seconds": round(fusion_s, 2),
            "s_per_item": round(fusion_s / len(paintings), 3),
            "node_runs": fusion["node_runs"],
            "batched_forward_passes": fusion["batched_calls"],
        }

        local_s, _ = _in_process_batch(["quick-stylize", *over, *size, "--out", str(root / "l")])
        from stylegraph.jobs.cluster import connect

        started = time.perf_counter()
        ray = connect("local")
        ray_start_s = time.perf_counter() - started
        cluster_s, cluster = _in_process_batch(
            ["quick-stylize", *over, *size, "--out", str(root / "c"), "--cluster", "local"]
        )
        ray.shutdown()
        result["cluster_local_1x20_500px"] = {
            "ray_start_s": round(ray_start_s, 2),
            "cluster_s": round(cluster_s, 2),
            "same_batch_in_process_s": round(local_s, 2),
            "overhead_s_per_item": round((cluster_s - local_s) / len(paintings), 3),
            "done": cluster["done"],
        }
    result["load_average"]["after"] = load_average()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
