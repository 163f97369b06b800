"""Deep Style (the Gatys engine on the original VGG-19) against jcjohnson/neural-style's own
published renders at 512 px: the ``deep-style`` preset's default, and neural-style's recipe.

Pairs: neural-style's single-painting examples on Tübingen and on the Golden Gate
(**tuned**: the default was chosen looking at them; the Golden Gate pairs were held out
until their first measure showed three of six over the content cap, and the default was
changed on them after that), and five renders of its README's other sections (**held out**,
chosen before that change and measured once after it): two blends of paintings on Tübingen,
a 3:7 blend and the style scales 0.5 and 2 on the Golden Gate, each scored against the
blend and style scale it was rendered with. For each pair, in a fresh process, back to back
under the same load:

1. the default: the ``deep-style`` preset at ``output_size`` 512, with the schedule the node
   derives from it (scales above 512 px left out with their iterations) and its ``init``,
   everything included (the fast engine's render for ``init`` 'fast', each scale's set-up,
   the process's first-pass costs);
2. neural-style's recipe (noise init, one scale at 512 px) for ``--recipe-iterations``
   iterations (50 by default: the issue's time budget is what its 500 iterations need for
   50), set-up included; its seconds per iteration is the unit of cost, and the default's
   cost is given in it (``iteration_equivalents``: the default's seconds over the recipe's
   seconds per iteration, so that the load cancels out).

The default's render is scored against the photo and the painting with neural-style's
objective: style loss (Gram matrices, relu1_1..relu5_1, weight 100) and content loss
(relu4_2, weight 5), at the published render's size, in float32, both renders as 8-bit
images, beside neural-style's render scored the same way. Target, per pair: style loss <=
neural-style's, content loss <= 1.25 x, in no more than the recipe's 50 iterations.

neural-style's inputs and renders are data, not part of this repository. They are read from
``$NEURAL_STYLE_DIR`` (a checkout of github.com/jcjohnson/neural-style) or, when that is
unset, extracted with ``git show`` from the bare repository at ``$NEURAL_STYLE_GIT`` into
``$STYLEGRAPH_CACHE_DIR``'s benchmarks folder (once; later runs read them there). Without
either, and nothing extracted yet, the benchmark stops and says so. The Composition VII
painting is not in neural-style's repository: give it with
``--painting composition_vii=PATH``, or that pair is reported as skipped.

Run: python -m benchmarks.deep_style                       (all pairs)
     python -m benchmarks.deep_style --pairs scream,gg_seated
     python -m benchmarks.deep_style --schedule 256:300,512:100 --init noise
         (a trial schedule, size:iterations coarse to fine, instead of the preset's)
     python -m benchmarks.deep_style --recipe --pairs scream
         (neural-style's whole recipe, 500 iterations at 512 px from noise, rendered and
         scored in the default's place)
     python -m benchmarks.deep_style --precision float32   (default 'auto', as the node's)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import machine, peak_rss_mb
from stylegraph.nodes.models.device import bfloat16_is_fast
from stylegraph.nodes.models.gatys import INITS, PRECISIONS, GatysSettings

TUBINGEN, GOLDEN_GATE = "tubingen.jpg", "golden_gate.jpg"


@dataclass(frozen=True)
class Pair:
    """One of neural-style's published renders and what it was made from: its photo, its
    paintings blended by ``weights`` (``-style_blend_weights``) at ``style_scale``
    (``-style_scale``), all else neural-style's defaults."""

    photo: str
    paintings: tuple[str, ...]
    render: str
    tuned: bool
    weights: tuple[float, ...] = ()
    style_scale: float = 1.0


PAIRS = {
    "starry": Pair(TUBINGEN, ("starry_night.jpg",), "tubingen_starry.png", True),
    "scream": Pair(TUBINGEN, ("the_scream.jpg",), "tubingen_scream.png", True),
    "seated_nude": Pair(TUBINGEN, ("seated-nude.jpg",), "tubingen_seated_nude.png", True),
    "shipwreck": Pair(TUBINGEN, ("shipwreck.jpg",), "tubingen_shipwreck.png", True),
    "composition_vii": Pair(
        TUBINGEN, ("composition_vii.jpg",), "tubingen_composition_vii.png", True
    ),
    "gg_escher": Pair(GOLDEN_GATE, ("escher_sphere.jpg",), "golden_gate_escher.png", True),
    "gg_kahlo": Pair(GOLDEN_GATE, ("frida_kahlo.jpg",), "golden_gate_kahlo.png", True),
    "gg_matisse": Pair(
        GOLDEN_GATE, ("woman-with-hat-matisse.jpg",), "golden_gate_matisse.png", True
    ),
    "gg_scream": Pair(GOLDEN_GATE, ("the_scream.jpg",), "golden_gate_scream.png", True),
    "gg_seated": Pair(GOLDEN_GATE, ("seated-nude.jpg",), "golden_gate_seated.png", True),
    "gg_starry": Pair(GOLDEN_GATE, ("starry_night.jpg",), "golden_gate_starry.png", True),
    "starry_scream": Pair(
        TUBINGEN, ("starry_night.jpg", "the_scream.jpg"), "tubingen_starry_scream.png", False
    ),
    "starry_seated": Pair(
        TUBINGEN, ("starry_night.jpg", "seated-nude.jpg"), "tubingen_starry_seated.png", False
    ),
    "gg_starry_scream_3_7": Pair(
        GOLDEN_GATE,
        ("starry_night.jpg", "the_scream.jpg"),
        "golden_gate_starry_scream_3_7.png",
        False,
        weights=(3.0, 7.0),
    ),
    "gg_starry_scale05": Pair(
        GOLDEN_GATE,
        ("starry_night.jpg",),
        "golden_gate_starry_scale05.png",
        False,
        style_scale=0.5,
    ),
    "gg_starry_scale2": Pair(
        GOLDEN_GATE,
        ("starry_night.jpg",),
        "golden_gate_starry_scale2.png",
        False,
        style_scale=2.0,
    ),
}
SIZE = 512
RECIPE = "512:500"
RECIPE_ITERATIONS = 50
PRESET = Path(__file__).resolve().parent.parent / "presets" / "deep-style.json"


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


def preset_plan(size: int = SIZE) -> tuple[str, str, float]:
    """The schedule ('256:300,512:100'), init and content weight the ``deep-style`` preset
    renders with at ``output_size`` ``size``, as the node derives them."""
    from stylegraph.nodes.neural._shared import fitted_scales

    params = json.loads(PRESET.read_text())["nodes"]["paint"]["params"]
    scales, counts, _ = fitted_scales({**params, "output_size": size})
    schedule = ",".join(f"{s}:{n}" for s, n in zip(scales, counts, strict=True))
    return schedule, params["init"], float(params["content_weight"])


def renders_dir(schedule: str, init: str, content_weight: float, precision: str) -> Path:
    """Where our renders are kept: one folder per schedule, init, content weight and
    precision, so that a ``--recipe`` or a trial schedule never replaces the default one's
    render that the README's picture shows."""
    name = schedule.replace(":", "x").replace(",", "_")
    return cache_dir() / "ours" / f"{name}-{init}-cw{content_weight:g}-{precision}"


def parse_schedule(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """'256:300,512:100' -> scales (256, 512) and their iterations (300, 100)."""
    stages = [tuple(int(v) for v in part.split(":")) for part in text.split(",")]
    return tuple(s for s, _ in stages), tuple(n for _, n in stages)


def _quantised(image: np.ndarray) -> np.ndarray:
    return (np.round(np.clip(image, 0, 1) * 255) / 255).astype(np.float32)


def one_pair(
    name: str,
    schedule: str,
    init: str,
    content_weight: float,
    painting_path: str | None,
    precision: str,
    recipe_iterations: int,
) -> dict:
    """Time the recipe's first iterations, render and score the pair; in its own process."""
    import cv2

    from stylegraph.nodes.functional.channels import to_u8
    from stylegraph.nodes.functional.image_io import read_image
    from stylegraph.nodes.functional.resize import resize
    from stylegraph.nodes.models.device import denormals_flushed, enable_fast_math
    from stylegraph.nodes.models.gatys import GatysSettings, StyleSet, gatys, style_losses
    from stylegraph.nodes.models.vgg import ORIGINAL, load_vgg19

    pair = PAIRS[name]
    photo_path = neural_style_file(f"examples/inputs/{pair.photo}")
    theirs_path = neural_style_file(f"examples/outputs/{pair.render}")
    # --painting replaces the pair's painting (the one neural-style's repository lacks)
    painting_paths = (
        [Path(painting_path)]
        if painting_path
        else [neural_style_file(f"examples/inputs/{file}") for file in pair.paintings]
    )
    held = {"pair": name, "held_out": not pair.tuned}
    if not (photo_path and theirs_path and all(p and p.is_file() for p in painting_paths)):
        return {**held, "skipped": f"{', '.join(pair.paintings)} or {pair.render} not found"}
    enable_fast_math()
    device = torch.device("cpu")
    theirs = read_image(theirs_path)[..., :3]
    # the photo at the published render's size (512 x 384, or 512 x 383 for the bridge)
    photo = resize(read_image(photo_path)[..., :3], *theirs.shape[:2])
    paintings = StyleSet([read_image(p)[..., :3] for p in painting_paths], list(pair.weights))
    net = load_vgg19(ORIGINAL, "cpu")
    scales, counts = parse_schedule(schedule)
    settings = GatysSettings(
        scales=scales,
        scale_iterations=counts,
        init=init,
        content_weight=content_weight,
        precision=precision,
        style_scale=pair.style_scale,
    )
    recipe = GatysSettings(
        scale_iterations=(recipe_iterations,), precision=precision, style_scale=pair.style_scale
    )
    with denormals_flushed():
        # the default first: it bears the process's first-pass costs (kernel set-up)
        start = time.perf_counter()
        ours = gatys(photo, [paintings], net, settings, SIZE, device)[0]
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        gatys(photo, [paintings], net, recipe, SIZE, device)
        recipe_seconds = time.perf_counter() - start
        ours = _quantised(ours)
        out = renders_dir(schedule, init, content_weight, precision) / pair.render
        out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out), cv2.cvtColor(to_u8(ours), cv2.COLOR_RGB2BGR))
        # neural-style's objective with the pair's own style scale
        scoring = GatysSettings(style_scale=pair.style_scale)
        mine = style_losses(net, ours, photo, paintings, scoring, device)
        reference = style_losses(net, theirs, photo, paintings, scoring, device)
    per_iteration = recipe_seconds / recipe_iterations
    equivalents = seconds / per_iteration
    losses_met = (
        mine["style"] <= reference["style"] and mine["content"] <= 1.25 * reference["content"]
    )
    return {
        **held,
        "schedule": schedule,
        "init": init,
        "content_weight": content_weight,
        "precision": precision,
        "size": list(ours.shape[:2]),
        "ours": {k: round(v, 2) for k, v in mine.items()},
        "neural_style": {k: round(v, 2) for k, v in reference.items()},
        "style_ratio": round(mine["style"] / reference["style"], 3),
        "content_ratio": round(mine["content"] / reference["content"], 3),
        "seconds": round(seconds, 1),
        "iteration_equivalents": round(equivalents, 1),
        "recipe": {
            "iterations": recipe_iterations,
            "seconds": round(recipe_seconds, 1),
            "seconds_per_iteration": round(per_iteration, 3),
        },
        "losses_met": losses_met,
        "target_met": losses_met and equivalents <= RECIPE_ITERATIONS,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_at_end": round(os.getloadavg()[0], 2),
        "render": str(out),
    }


def summary(results: list[dict]) -> dict:
    """Per group (tuned, held out): the pairs run and how many met the target."""
    groups = {}
    for label, held_out in (("tuned", False), ("held_out", True)):
        run = [r for r in results if r["held_out"] == held_out and "skipped" not in r]
        if run:
            groups[label] = {
                "pairs": len(run),
                "target_met": sum(r["target_met"] for r in run),
                "worst_style_ratio": max(r["style_ratio"] for r in run),
                "worst_content_ratio": max(r["content_ratio"] for r in run),
                "most_iteration_equivalents": max(r["iteration_equivalents"] for r in run),
            }
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", default=",".join(PAIRS), help="comma separated")
    parser.add_argument("--schedule", help="size:iterations,... (default: the preset's)")
    parser.add_argument("--init", choices=INITS, help="default: the preset's")
    parser.add_argument("--content-weight", type=float, help="default: the preset's")
    parser.add_argument(
        "--recipe", action="store_true", help=f"schedule {RECIPE}, init noise, content weight 5"
    )
    parser.add_argument("--recipe-iterations", type=int, default=RECIPE_ITERATIONS)
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
    schedule, init, content_weight = preset_plan()
    if args.recipe:
        schedule, init, content_weight = RECIPE, "noise", GatysSettings().content_weight
    schedule, init = args.schedule or schedule, args.init or init
    if args.content_weight is not None:
        content_weight = args.content_weight
    if args.precision == "auto":
        args.precision = default_precision()
    if args.one:
        result = one_pair(
            args.one,
            schedule,
            init,
            content_weight,
            paintings.get(args.one),
            args.precision,
            args.recipe_iterations,
        )
        print(json.dumps(result))
        return
    results = []
    for name in args.pairs.split(","):
        if name not in PAIRS:
            raise SystemExit(f"--pairs: unknown pair {name!r} (one of {', '.join(PAIRS)})")
        command = [sys.executable, "-m", "benchmarks.deep_style", "--one", name]
        command += ["--schedule", schedule, "--init", init, "--precision", args.precision]
        command += ["--content-weight", str(content_weight)]
        command += ["--recipe-iterations", str(args.recipe_iterations)]
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
                "schedule": schedule,
                "init": init,
                "content_weight": content_weight,
                "summary": summary(results),
                "pairs": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
