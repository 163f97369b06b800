"""What the style transfer and sweep nodes share: params, style loading, engine dispatch."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.functional.image_io import ImageReadError, read_image

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
    Param("content_layers", ParamType.TEXT, "relu4_2", help="VGG-19 layers, comma separated."),
    Param("style_layers", ParamType.TEXT, "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"),
    Param("content_weight", ParamType.FLOAT, 5.0, minimum=0.0, maximum=1e6),
    Param("style_weight", ParamType.FLOAT, 100.0, minimum=0.0, maximum=1e9),
    Param("tv_weight", ParamType.FLOAT, 0.001, minimum=0.0, maximum=1e3),
    Param("init", ParamType.CHOICE, "content", choices=("content", "noise")),
    Param("optimiser", ParamType.CHOICE, "lbfgs", choices=("lbfgs", "adam")),
    Param("iterations", ParamType.INT, 500, minimum=1, maximum=100000),
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
        0.02,
        minimum=1e-6,
        maximum=100.0,
        help="Adam's step size (L-BFGS takes full steps).",
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
        help="Coarse-to-fine longest sides, e.g. [512, 1024, 2048]; empty: one scale.",
    ),
    Param("pooling", ParamType.CHOICE, "max", choices=("max", "avg")),
    Param(
        "vgg_weights",
        ParamType.FILE,
        "",
        help="A VGG-19 weights file; empty: torchvision's, downloaded once.",
    ),
)

COMMON_PARAMS = (
    Param("style_files", ParamType.FILE_LIST, [], help="Style images (paintings)."),
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
    Param("device", ParamType.CHOICE, "auto", choices=("auto", "cuda", "mps", "cpu")),
)


def numbered(inputs: dict, prefix: str) -> list[int]:
    return sorted(int(m.group(1)) for k in inputs if (m := re.fullmatch(rf"{prefix}(\d+)", k)))


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


def flushing_denormals(run: Callable) -> Callable:
    """A node's run with denormal floats flushed to zero in its thread while it runs (see
    ``device.denormals_flushed``); torch is imported only when the node runs."""

    @functools.wraps(run)
    def wrapped(*args, **kwargs):
        from stylegraph.nodes.models.device import denormals_flushed

        with denormals_flushed():
            return run(*args, **kwargs)

    return wrapped


def device_for(params: dict):
    from stylegraph.nodes.models.device import enable_fast_math, pick_device

    try:
        device = pick_device(params["device"])
    except RuntimeError as exc:
        raise NodeError(f"param 'device': {exc}") from None
    enable_fast_math()
    return device


def gatys_settings(params: dict):
    from stylegraph.nodes.models.gatys import GatysSettings

    colour = {"style": "none"}.get(params["colour"], params["colour"])
    layers = {
        name: tuple(p.strip() for p in params[name].split(",") if p.strip())
        for name in ("content_layers", "style_layers")
    }
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
            seed=params["seed"],
            style_scale=params["style_scale"],
            colour=colour,
            scales=tuple(int(s) for s in params["scales"]),
        )
    except ValueError as exc:
        raise NodeError(f"param 'content_layers'/'style_layers': {exc}") from None


def load_vgg(params: dict, device):
    from stylegraph.nodes.models.vgg import VGGWeightsMissing, load_vgg19

    try:
        return load_vgg19(params["vgg_weights"], str(device), params["pooling"])
    except VGGWeightsMissing as exc:
        raise NodeError(str(exc)) from None


def recolour_styles(styles: list[np.ndarray], content: np.ndarray, colour: str) -> list[np.ndarray]:
    """For the fast engine: 'histogram' recolours each style to the photo's palette."""
    if colour != "histogram":
        return styles
    from stylegraph.nodes.functional.colour import match_colour_linear

    return [match_colour_linear(style, content) for style in styles]
