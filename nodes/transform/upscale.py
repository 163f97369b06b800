from __future__ import annotations

import math

import numpy as np

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import DEVICES, device_for, flushing_denormals
from stylegraph.nodes.functional.resize import fit_longest_side, resize

CLASSICAL = ("lanczos", "bicubic", "area", "nearest")
REAL_ESRGAN = ("realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3")
WAIFU2X = ("waifu2x-cunet", "waifu2x-photo", "waifu2x-art")
MODEL_FILE = "model-file"
DENOISE = ("none", "0", "1", "2", "3")


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


def _check_combination(method: str, params: dict) -> None:
    if params["denoise"] != "none" and method not in WAIFU2X:
        raise NodeError(
            f"param 'denoise' is for the waifu2x models; set it to 'none' for model {method}"
        )
    if params["tta"] and method in CLASSICAL:
        raise NodeError(f"param 'tta' is for the neural models; {method} is a classical filter")


def _waifu2x_passes(
    method: str, denoise: str, size: tuple[int, int], target: tuple[int, int]
) -> list:
    """The waifu2x models to run in turn: enough 2x passes to reach the target (denoising,
    if asked, in the first), or one denoise-only pass when the target is no larger."""
    from stylegraph.nodes.models.waifu2x import Choice

    level = None if denoise == "none" else int(denoise)
    ratio = max(target[0] / size[0], target[1] / size[1])
    count = max(0, math.ceil(math.log2(ratio) - 1e-9))
    if count == 0:
        if level is None:
            raise NodeError(
                "param 'scale': waifu2x enlarges 2x per pass, so at 1x or less it only "
                "denoises; choose a 'denoise' level or a larger scale"
            )
        if method != "waifu2x-cunet":
            raise NodeError(
                f"param 'denoise' without enlarging (scale 1) needs model waifu2x-cunet; "
                f"{method} has no denoise-only model"
            )
        return [Choice(method, level, 1)]
    return [Choice(method, level, 2)] + [Choice(method, None, 2)] * (count - 1)


@flushing_denormals
def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    height, width = _target(*image.shape[:2], params)
    method = params["model"]
    _check_combination(method, params)
    if method in CLASSICAL:
        return {"image": resize(image, height, width, method)}

    import torch

    from stylegraph.nodes.models.converted import warnings_to
    from stylegraph.nodes.models.upscale import (
        ModelError,
        load_model,
        load_waifu2x,
        upscale_rgb,
        waifu2x_half_dtype,
    )

    if method == MODEL_FILE and not params["model_file"]:
        raise NodeError("param 'model_file' is empty: choose a .pth or .safetensors model")
    device = device_for(params)
    half = params["half"] and device.type == "cuda"
    try:
        if method in WAIFU2X:
            choices = _waifu2x_passes(method, params["denoise"], image.shape[:2], (height, width))
            dtype = (waifu2x_half_dtype(device) if params["half"] else None) or torch.float32
            half = dtype != torch.float32
            models = [load_waifu2x(choice, str(device), dtype) for choice in choices]
        else:
            source = params["model_file"] if method == MODEL_FILE else method
            with warnings_to(ctx.warn):  # a damaged converted model: said in the report
                models = [load_model(source, str(device), half)]
    except ModelError as exc:
        raise NodeError(str(exc)) from None
    # Progress weights: each pass costs its input area, alpha (when enlarged by the model)
    # as much again.
    areas = [1.0]
    for model in models[:-1]:
        areas.append(areas[-1] * model.scale**2)
    images = 2 if image.shape[2] == 4 and params["alpha"] == "model" else 1
    total = sum(areas) * images

    def run_models(rgb: np.ndarray, index: int) -> np.ndarray:
        done = sum(areas) * index
        for model, area in zip(models, areas, strict=True):
            rgb = upscale_rgb(
                rgb,
                model,
                device,
                params["tile_size"],
                params["tile_overlap"],
                half,
                lambda f, done=done, area=area: ctx.progress((done + f * area) / total),
                tta=params["tta"],
            )
            done += area
        return rgb

    out = _resample(run_models(image[..., :3], 0), height, width)
    if image.shape[2] == 4:  # alpha is upscaled on its own, as a grey image
        alpha = image[..., 3:4]
        if params["alpha"] == "model":
            alpha = run_models(np.repeat(alpha, 3, axis=2), 1).mean(axis=2, keepdims=True)
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
    "animevideov3), waifu2x (cunet for drawings and paintings, upconv_7 photo or art; 2x a "
    "pass, with four denoise levels, and denoise alone with cunet), any super-resolution "
    "model file spandrel knows (e.g. from OpenModelDB), or a classical filter. Tiled with "
    "invisible seams, on the GPU when there is one.",
    run,
    persistent_cache=True,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param(
            "model",
            ParamType.CHOICE,
            "realesrgan-x4plus",
            choices=(*REAL_ESRGAN, *WAIFU2X, MODEL_FILE, *CLASSICAL),
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
            help="Output size as a factor; other than the model's own, it resamples after "
            "(waifu2x runs 2x passes until it reaches it: 4x is two).",
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
        Param(
            "denoise",
            ParamType.CHOICE,
            "none",
            choices=DENOISE,
            help="waifu2x noise reduction, 0 (least) to 3, in the first pass; with scale 1 "
            "and waifu2x-cunet it only denoises.",
        ),
        Param(
            "tta",
            ParamType.BOOL,
            False,
            help="Average the 8 flips and transposes of every tile (waifu2x's test-time "
            "augmentation): a little cleaner, 8x the time.",
        ),
        Param(
            "half",
            ParamType.BOOL,
            True,
            help="fp16 on CUDA where the model allows it; waifu2x also runs in bf16 on CPUs "
            "where a probe finds it faster than fp32 (AMX; AVX-512 BF16 on AMD EPYC).",
        ),
        Param(
            "alpha",
            ParamType.CHOICE,
            "model",
            choices=("model", "bicubic"),
            help="How a transparency channel is enlarged.",
        ),
        Param("device", ParamType.CHOICE, "auto", choices=DEVICES),
    ),
)
