from __future__ import annotations

import numpy as np

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.resize import fit_longest_side, resize

CLASSICAL = ("lanczos", "bicubic", "area", "nearest")
NEURAL = ("realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3")
MODEL_FILE = "model-file"


def _target(height: int, width: int, params: dict) -> tuple[int, int]:
    if params["longest_side"]:
        return fit_longest_side(height, width, params["longest_side"])
    return max(1, round(height * params["scale"])), max(1, round(width * params["scale"]))


def _resample(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """From the model's native scale to the one asked for (e.g. x2 with a x4 model)."""
    if image.shape[:2] == (height, width):
        return image
    shrinking = height * width < image.shape[0] * image.shape[1]
    return resize(image, height, width, "area" if shrinking else "lanczos")


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    height, width = _target(*image.shape[:2], params)
    method = params["model"]
    if method in CLASSICAL:
        return {"image": resize(image, height, width, method)}

    from stylegraph.nodes.models.upscale import ModelError, load_model, upscale_rgb
    from stylegraph.nodes.neural._shared import device_for

    if method == MODEL_FILE and not params["model_file"]:
        raise NodeError("param 'model_file' is empty: choose a .pth or .safetensors model")
    device = device_for(params)
    half = params["half"] and device.type == "cuda"
    source = params["model_file"] if method == MODEL_FILE else method
    try:
        model = load_model(source, str(device), half)
    except ModelError as exc:
        raise NodeError(str(exc)) from None
    passes = 2 if image.shape[2] == 4 and params["alpha"] == "model" else 1

    def run_model(rgb: np.ndarray, index: int) -> np.ndarray:
        return upscale_rgb(
            rgb,
            model,
            device,
            params["tile_size"],
            params["tile_overlap"],
            half,
            lambda f: ctx.progress((index + f) / passes),
        )

    out = _resample(run_model(image[..., :3], 0), height, width)
    if image.shape[2] == 4:  # alpha is upscaled on its own, as a grey image
        alpha = image[..., 3:4]
        if params["alpha"] == "model":
            alpha = run_model(np.repeat(alpha, 3, axis=2), 1).mean(axis=2, keepdims=True)
            alpha = _resample(alpha, height, width)
        else:
            alpha = resize(np.repeat(alpha, 3, axis=2), height, width, "bicubic")[..., :1]
        out = np.concatenate([out, alpha], axis=2)
    return {"image": np.ascontiguousarray(out, dtype=np.float32)}


NODE = NodeType(
    "image.upscale",
    "Upscale",
    "transform",
    "Enlarges an image: Real-ESRGAN (general photos and paintings, anime, or the small fast "
    "animevideov3), any super-resolution model file spandrel knows (e.g. from OpenModelDB), "
    "or a classical filter. Tiled with invisible seams, on the GPU when there is one.",
    run,
    persistent_cache=True,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param(
            "model",
            ParamType.CHOICE,
            "realesrgan-x4plus",
            choices=(*NEURAL, MODEL_FILE, *CLASSICAL),
        ),
        Param(
            "model_file",
            ParamType.FILE,
            "",
            help="A .pth or .safetensors super-resolution model (for model 'model-file').",
        ),
        Param(
            "scale",
            ParamType.FLOAT,
            4.0,
            minimum=0.1,
            maximum=16.0,
            help="Output size as a factor; other than the model's own, it resamples after.",
        ),
        Param(
            "longest_side",
            ParamType.INT,
            0,
            minimum=0,
            maximum=32768,
            help="Longest side of the result in px; 0 uses 'scale'.",
        ),
        Param(
            "tile_size",
            ParamType.INT,
            0,
            minimum=0,
            maximum=8192,
            help="Input px per tile; 0 picks one from free memory.",
        ),
        Param(
            "tile_overlap",
            ParamType.INT,
            0,
            minimum=0,
            maximum=256,
            help="Context px around each tile; 0 picks what hides the seams for the model.",
        ),
        Param("half", ParamType.BOOL, True, help="fp16 on CUDA where the model allows it."),
        Param(
            "alpha",
            ParamType.CHOICE,
            "model",
            choices=("model", "bicubic"),
            help="How a transparency channel is enlarged.",
        ),
        Param("device", ParamType.CHOICE, "auto", choices=("auto", "cuda", "mps", "cpu")),
    ),
)
