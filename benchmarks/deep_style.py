"""Deep Style (the Gatys engine on the original VGG-19) against jcjohnson/neural-style's own
published renders of its Tübingen examples, at 512 px, same settings, same network.

For each pair, prints (JSON) the style loss (Gram matrices, relu1_1..relu5_1, weight 100) of
our render and of neural-style's against the painting, and the content loss (relu4_2,
weight 5) of both against the photo, all measured at the render's size (512 x 384) with the
same network; our render is quantised to 8 bits first, as neural-style's PNG is. Plus the
render's time, seconds per iteration and peak RSS (each pair runs in a fresh process).
Target: our style loss <= neural-style's at a content loss <= 1.25 x neural-style's, in
under 5 minutes per render on the CPU.

neural-style's inputs and renders are data, not part of this repository. They are read from
``$NEURAL_STYLE_DIR`` (a checkout of github.com/jcjohnson/neural-style) or, when that is
unset, extracted with ``git show`` from the bare repository at ``$NEURAL_STYLE_GIT`` into
``$STYLEGRAPH_CACHE_DIR``'s benchmarks folder (once; later runs read them there). Without
either, and nothing extracted yet, the benchmark stops and says so. The Composition VII
painting is not in neural-style's repository: give it with
``--painting composition_vii=PATH``, or that pair is reported as skipped.

Run: python -m benchmarks.deep_style                       (all pairs, the default schedule)
     python -m benchmarks.deep_style --pairs starry         (one pair)
     python -m benchmarks.deep_style --schedule 256:300,512:100   (size:iterations, coarse to fine)
     python -m benchmarks.deep_style --precision float32           (the network in float32;
         default 'auto': bfloat16 where the CPU runs it natively, as the node's default)
     python -m benchmarks.deep_style --baseline --pairs starry
         (neural-style's own recipe instead: 500 iterations at 512 px)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import machine, peak_rss_mb
from stylegraph.nodes.models.device import bfloat16_is_fast
from stylegraph.nodes.models.gatys import PRECISIONS

PAIRS = {
    "starry": ("starry_night.jpg", "tubingen_starry.png"),
    "scream": ("the_scream.jpg", "tubingen_scream.png"),
    "seated_nude": ("seated-nude.jpg", "tubingen_seated_nude.png"),
    "shipwreck": ("shipwreck.jpg", "tubingen_shipwreck.png"),
    "composition_vii": ("composition_vii.jpg", "tubingen_composition_vii.png"),
}
SIZE = 512
# Most iterations where they are cheap, then enough at 512 px to sharpen the strokes.
DEFAULT_SCHEDULE = "256:250,512:120"
BASELINE_SCHEDULE = "512:500"


def cache_dir() -> Path:
    from stylegraph.nodes.models.converted import converted_cache_dir

    return converted_cache_dir().parent / "benchmarks" / "neural-style"


def neural_style_file(relative: str) -> Path | None:
    """A file of neural-style's repository (``examples/...``), or None when it has none."""
    checkout = os.environ.get("NEURAL_STYLE_DIR")
    if checkout:
        path = Path(checkout) / relative
        return path if path.is_file() else None
    path = cache_dir() / relative
    if path.is_file():
        return path
    git = os.environ.get("NEURAL_STYLE_GIT")
    if not git:
        raise SystemExit(
            f"neural-style's {relative} is needed: set NEURAL_STYLE_DIR to a checkout of "
            "github.com/jcjohnson/neural-style, or NEURAL_STYLE_GIT to a (bare) clone of it"
        )
    done = subprocess.run(
        ["git", "--git-dir", git, "show", f"HEAD:{relative}"], capture_output=True, check=False
    )
    if done.returncode != 0:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(done.stdout)
    return path


def default_precision() -> str:
    """What the node's ``precision`` 'auto' picks on this CPU."""
    return "bfloat16" if bfloat16_is_fast(torch.device("cpu")) else "float32"


def renders_dir(schedule: str, precision: str) -> Path:
    """Where our renders are kept: one folder per schedule and precision, so that a
    ``--baseline`` or a trial schedule never replaces the default one's render that the
    README's picture shows."""
    return cache_dir() / "ours" / f"{schedule.replace(':', 'x').replace(',', '_')}-{precision}"


def parse_schedule(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """'256:300,512:100' -> scales (256, 512) and their iterations (300, 100)."""
    stages = [tuple(int(v) for v in part.split(":")) for part in text.split(",")]
    return tuple(s for s, _ in stages), tuple(n for _, n in stages)


def _quantised(image: np.ndarray) -> np.ndarray:
    return (np.round(np.clip(image, 0, 1) * 255) / 255).astype(np.float32)


def one_pair(name: str, schedule: str, painting_path: str | None, precision: str) -> dict:
    """Render one pair and score both renders; runs in its own process."""
    import cv2

    from stylegraph.nodes.functional.channels import to_u8
    from stylegraph.nodes.functional.image_io import read_image
    from stylegraph.nodes.functional.resize import fit_longest_side, resize
    from stylegraph.nodes.models.device import denormals_flushed, enable_fast_math
    from stylegraph.nodes.models.gatys import GatysSettings, StyleSet, gatys, style_losses
    from stylegraph.nodes.models.vgg import ORIGINAL, load_vgg19

    style_file, render_file = PAIRS[name]
    photo_path = neural_style_file("examples/inputs/tubingen.jpg")
    theirs_path = neural_style_file(f"examples/outputs/{render_file}")
    painting = (
        Path(painting_path) if painting_path else neural_style_file(f"examples/inputs/{style_file}")
    )
    if not (photo_path and theirs_path and painting and painting.is_file()):
        return {"pair": name, "skipped": f"{style_file} or {render_file} not found"}
    enable_fast_math()
    device = torch.device("cpu")
    photo = read_image(photo_path)[..., :3]
    photo = resize(photo, *fit_longest_side(*photo.shape[:2], SIZE))
    style = read_image(painting)[..., :3]
    theirs = read_image(theirs_path)[..., :3]
    scales, counts = parse_schedule(schedule)
    settings = GatysSettings(scales=scales, scale_iterations=counts, precision=precision)
    net = load_vgg19(ORIGINAL, "cpu")
    style_set = StyleSet([style])
    with denormals_flushed():
        start = time.perf_counter()
        ours = gatys(photo, [style_set], net, settings, SIZE, device)[0]
        seconds = time.perf_counter() - start
        ours = _quantised(ours)
        out = renders_dir(schedule, precision) / render_file
        out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out), cv2.cvtColor(to_u8(ours), cv2.COLOR_RGB2BGR))
        scoring = GatysSettings()
        mine = style_losses(net, ours, photo, style, scoring, device)
        reference = style_losses(net, theirs, photo, style, scoring, device)
    iterations = sum(counts)
    return {
        "pair": name,
        "schedule": schedule,
        "precision": precision,
        "size": list(ours.shape[:2]),
        "ours": {k: round(v, 2) for k, v in mine.items()},
        "neural_style": {k: round(v, 2) for k, v in reference.items()},
        "style_ratio": round(mine["style"] / reference["style"], 3),
        "content_ratio": round(mine["content"] / reference["content"], 3),
        "target_met": mine["style"] <= reference["style"]
        and mine["content"] <= 1.25 * reference["content"]
        and seconds < 300,
        "seconds": round(seconds, 1),
        "iterations": iterations,
        "seconds_per_iteration": round(seconds / iterations, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "render": str(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", default=",".join(PAIRS), help="comma separated")
    parser.add_argument("--schedule", default=DEFAULT_SCHEDULE, help="size:iterations,...")
    parser.add_argument("--baseline", action="store_true", help=f"schedule {BASELINE_SCHEDULE}")
    parser.add_argument("--painting", action="append", default=[], help="pair=PATH")
    parser.add_argument(
        "--precision",
        default="auto",
        choices=("auto", *PRECISIONS),
        help="the network's arithmetic; auto: as the node's 'auto' picks it",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    paintings = dict(item.split("=", 1) for item in args.painting)
    schedule = BASELINE_SCHEDULE if args.baseline else args.schedule
    if args.precision == "auto":
        args.precision = default_precision()
    if args.one:
        print(json.dumps(one_pair(args.one, schedule, paintings.get(args.one), args.precision)))
        return
    results = []
    for name in args.pairs.split(","):
        if name not in PAIRS:
            raise SystemExit(f"--pairs: unknown pair {name!r} (one of {', '.join(PAIRS)})")
        command = [sys.executable, "-m", "benchmarks.deep_style", "--one", name]
        command += ["--schedule", schedule, "--precision", args.precision]
        if name in paintings:
            command += ["--painting", f"{name}={paintings[name]}"]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr)
    print(
        json.dumps(
            {
                "benchmark": "deep_style",
                "device": "cpu",
                "machine": machine(),
                "torch": torch.__version__,
                "torch_threads": torch.get_num_threads(),
                "pairs": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
