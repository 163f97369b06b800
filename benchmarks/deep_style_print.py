"""The ``deep-style`` preset at print size: seconds per iteration, system time, page faults
and peak memory of its 1024 and 2048 px scales, and of the whole preset.

Each scale runs in a fresh process (peak RSS is per process): the preset's settings (the
node's defaults under the preset's params, precision 'auto' as the node picks it), the
Tübingen photo and The Scream at that scale, a few L-BFGS iterations from the photo, on
a worker thread as the command line runs it, after the command line's
``share_main_heap`` (``--arena-per-thread`` leaves that out, as before it existed: the
worker's large blocks are then fresh pages every time) and ``huge_pages_for_tensors``
(``--small-pages`` leaves that out: 4 KB pages, as before it existed). The first iteration
touches every buffer for the first time, so it is reported on its own; ``seconds_per_iteration``,
``system_seconds_per_iteration`` and ``minor_faults_per_iteration`` cover the iterations
after it (``getrusage`` of the process). ``peak_rss_mb`` is the process's whole peak,
targets included. Seconds depend on what else runs on the machine; peak RSS and page
faults do not.

``--full`` runs ``stylegraph run deep-style`` itself (every scale, the preset's own
iterations) as a child process and reports its wall time, user and system time, page
faults and peak RSS, as ``/usr/bin/time -v`` would.

Run: python -m benchmarks.deep_style_print                        (1024 and 2048 px, 4 iterations)
     python -m benchmarks.deep_style_print --scales 2048 --iterations 6
     python -m benchmarks.deep_style_print --arena-per-thread      (the heap as it was)
     python -m benchmarks.deep_style_print --small-pages           (no transparent huge pages)
     python -m benchmarks.deep_style_print --band-pixels 100000000 (no bands: one pass)
     python -m benchmarks.deep_style_print --full                 (the whole preset; 10+ minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import IMAGES, machine, peak_rss_mb

PRESET = Path(__file__).resolve().parent.parent / "presets" / "deep-style.json"
PHOTO = IMAGES / "content" / "tubingen.jpg"
PAINTING = IMAGES / "styles" / "the_scream.jpg"


def preset_params(scale: int, iterations: int) -> dict:
    """The style.transfer node's params as the preset sets them, rendering one scale."""
    from stylegraph.nodes.neural.style_transfer import NODE

    params = {p.name: p.default for p in NODE.params}
    params.update(json.loads(PRESET.read_text())["nodes"]["paint"]["params"])
    params.update(output_size=scale, scales=[scale], scale_iterations=[iterations])
    # A finer scale starts from the previous one's render, not from the fast engine's
    # (the preset's first scale's start, which would run at this size here): the photo.
    params.update(init="content")
    return params


def _usage() -> tuple[float, float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_stime, usage.ru_minflt


def one_scale(scale: int, iterations: int, shared_heap: bool, band_pixels: int) -> dict:
    """A few iterations at one scale; runs in its own process."""
    from stylegraph.nodes.models.heap import huge_pages_for_tensors, share_main_heap

    if shared_heap:
        share_main_heap()
    huge_pages = huge_pages_for_tensors()  # as the command line; --small-pages set it to 0
    import torch

    from stylegraph.nodes.functional.image_io import read_image
    from stylegraph.nodes.functional.resize import fit_longest_side, resize
    from stylegraph.nodes.models import banded_pass
    from stylegraph.nodes.models.device import denormals_flushed, enable_fast_math
    from stylegraph.nodes.models.gatys import StyleSet, gatys
    from stylegraph.nodes.neural._shared import gatys_settings, load_vgg

    params = preset_params(scale, iterations)
    if band_pixels:
        banded_pass.BAND_PIXELS = band_pixels
    enable_fast_math()
    device = torch.device("cpu")
    settings = gatys_settings(params, device)
    vgg = load_vgg(params, device)
    photo = read_image(PHOTO)[..., :3]
    photo = resize(photo, *fit_longest_side(*photo.shape[:2], scale))
    painting = read_image(PAINTING)[..., :3]
    marks: list[tuple[float, float, int]] = []

    def progress(fraction: float) -> None:
        if fraction > 0:  # an iteration ended (targets report 0.0)
            marks.append(_usage())

    failed: list[BaseException] = []

    def work() -> None:
        try:
            with denormals_flushed():
                gatys(photo, [StyleSet([painting])], vgg, settings, scale, device, progress)
        except BaseException as exc:  # raised again on the main thread
            failed.append(exc)

    start = _usage()
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    first, last = marks[0], marks[-1]
    steady = max(1, len(marks) - 1)
    return {
        "scale": scale,
        "heap": "shared" if shared_heap else "arena per thread",
        "huge_pages": huge_pages,
        "bands": len(
            banded_pass.bands(
                *photo.shape[:2],
                banded_pass.gradient_band_pixels(*photo.shape[:2], settings.precision),
            )
        ),
        "size": list(photo.shape[:2]),
        "precision": settings.precision,
        "iterations": len(marks),
        "setup_seconds": round(first[0] - start[0], 2),
        "seconds_per_iteration": round((last[0] - first[0]) / steady, 3),
        "system_seconds_per_iteration": round((last[1] - first[1]) / steady, 3),
        "minor_faults_per_iteration": round((last[2] - first[2]) / steady),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "torch_threads": torch.get_num_threads(),
    }


def child_environment(small_pages: bool) -> dict[str, str]:
    """This process's environment, with torch's huge pages turned off for ``--small-pages``."""
    return {**os.environ, **({"THP_MEM_ALLOC_ENABLE": "0"} if small_pages else {})}


def full_preset(small_pages: bool) -> dict:
    """``stylegraph run deep-style`` as a child process, measured as ``time -v`` would."""
    with tempfile.TemporaryDirectory() as out:
        command = ["stylegraph", "run", "deep-style", "--set", f"content={PHOTO}"]
        command += ["--set", f"style={PAINTING}", "--no-disk-cache", "--out", out]
        start = time.perf_counter()
        subprocess.run(
            command, check=True, stdout=subprocess.DEVNULL, env=child_environment(small_pages)
        )
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "command": " ".join(command[:-2]),
        "wall_seconds": round(wall, 1),
        "user_seconds": round(usage.ru_utime, 1),
        "system_seconds": round(usage.ru_stime, 1),
        "minor_faults": usage.ru_minflt,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1024,2048", help="comma separated longest sides")
    parser.add_argument("--iterations", type=int, default=4, help="per scale (at least 2)")
    parser.add_argument("--full", action="store_true", help="the whole preset instead")
    parser.add_argument(
        "--arena-per-thread", action="store_true", help="without share_main_heap, as before"
    )
    parser.add_argument(
        "--small-pages", action="store_true", help="without huge_pages_for_tensors, as before"
    )
    parser.add_argument(
        "--band-pixels",
        type=int,
        default=0,
        help="the banded gradient's band size (default: banded_pass.BAND_PIXELS)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.iterations < 2:
        raise SystemExit("--iterations: at least 2 (the first is reported apart)")
    if args.one:
        shared = not args.arena_per_thread
        print(json.dumps(one_scale(args.one, args.iterations, shared, args.band_pixels)))
        return
    report: dict = {"benchmark": "deep_style_print", "machine": machine()}
    if args.full:
        report["full_preset"] = full_preset(args.small_pages)
    else:
        report["scales"] = []
        for scale in (int(s) for s in args.scales.split(",")):
            command = [sys.executable, "-m", "benchmarks.deep_style_print", "--one", str(scale)]
            command += ["--iterations", str(args.iterations)]
            command += ["--arena-per-thread"] if args.arena_per_thread else []
            command += ["--band-pixels", str(args.band_pixels)]
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=True,
                env=child_environment(args.small_pages),
            )
            report["scales"].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(report["scales"][-1]), file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
