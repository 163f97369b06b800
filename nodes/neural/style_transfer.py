from __future__ import annotations

import json

import numpy as np

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import Batching, NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import device_for, flushing_denormals
from stylegraph.nodes.functional.resize import resize
from stylegraph.nodes.functional.stack import numbered
from stylegraph.nodes.functional.style_blend import parse_style_blend
from stylegraph.nodes.neural._shared import (
    COMMON_PARAMS,
    FAST_PARAMS,
    GATYS_PARAMS,
    STROKE_PARAMS,
    gatys_settings,
    gram_cache,
    load_styles,
    load_vgg,
    recolour_styles,
    scale_problems,
    too_small,
)

ENGINES = ("fast", "builtin", "gatys")


def _stroke(params: dict) -> dict:
    return {
        "stroke_scale": params["stroke_scale"],
        "enlarge_with": params["stroke_enlarge"],
        "detail": params["detail"],
    }


def _fast(ctx: NodeContext, content, inputs: dict, params: dict, device):
    from stylegraph.nodes.models.fast_style import stylize

    styles = recolour_styles(load_styles(ctx, inputs, params), content, params["colour"])
    try:
        return stylize(
            content,
            styles,
            device,
            params["style_weights"],
            params["strength"],
            params["style_size"],
            params["output_size"],
            keep_colours=params["colour"] in ("original", "luminance"),
            tile=params["tile_size"],
            progress=ctx.progress,
            **_stroke(params),
        )
    except ValueError as exc:
        raise NodeError(f"param 'style_weights': {exc}") from None


def _builtin(ctx: NodeContext, content, params: dict, device):
    from stylegraph.nodes.models.fast_style import parse_builtin, stylize_builtin

    try:
        weights = parse_builtin(params["builtin_styles"])
    except ValueError as exc:
        raise NodeError(f"param 'builtin_styles': {exc}") from None
    ctx.progress(0.0)
    return stylize_builtin(
        content,
        weights,
        device,
        params["strength"],
        params["output_size"],
        keep_colours=params["colour"] != "style",
        tile=params["tile_size"],
        progress=ctx.progress,
        **_stroke(params),
    )


def _gatys(ctx: NodeContext, content, inputs: dict, params: dict, device):
    from stylegraph.nodes.models.gatys import StyleSet, TooSmall, gatys
    from stylegraph.nodes.models.gram_cache import warnings_to as gram_warnings_to

    settings = gatys_settings(params, device, ctx.warn)
    styles = load_styles(ctx, inputs, params)
    masks = [inputs.get(f"mask{n}") for n in range(1, len(styles) + 1)]
    stray = [n for n in numbered(inputs, "mask") if n > len(styles)]
    if stray:
        ctx.warn(f"mask{stray[0]} has no style{stray[0]} to confine and was ignored")
    style_set = StyleSet(
        styles, params["style_weights"], masks if any(m is not None for m in masks) else ()
    )
    vgg = load_vgg(params, device, ctx.warn)
    try:
        with gram_warnings_to(ctx.warn):
            renders = gatys(
                content,
                [style_set],
                vgg,
                settings,
                params["output_size"],
                device,
                ctx.progress,
                gram_cache(params, device),
            )
    except TooSmall as exc:
        raise too_small(exc, params) from None
    except ValueError as exc:
        raise NodeError(f"param 'style_weights': {exc}") from None
    return renders[0]


@flushing_denormals
def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    content = inputs["content"]
    device = device_for(params)
    rgb = content[..., :3]
    if params["engine"] == "fast":
        out = _fast(ctx, rgb, inputs, params, device)
    elif params["engine"] == "builtin":
        out = _builtin(ctx, rgb, params, device)
    else:
        out = _gatys(ctx, rgb, inputs, params, device)
    if content.shape[2] == 4:  # the photo's transparency carries over to the painting
        alpha = resize(content, *out.shape[:2])[..., 3:4]
        out = np.concatenate([out, alpha], axis=2)
    return {"image": out.astype(np.float32, copy=False)}


_PER_RENDER = ("style_files", "style_weights")


def batch_group(params: dict) -> str | None:
    """Fast-engine renders that differ only in their paintings share one forward pass."""
    if params["engine"] != "fast":
        return None
    shared = {k: v for k, v in params.items() if k not in _PER_RENDER}
    return json.dumps(shared, sort_keys=True, default=str)


@flushing_denormals
def run_batch(ctx: NodeContext, inputs: dict, params_list: list[dict]) -> list:
    """One batched pass for every param set whose paintings load; a set whose painting is
    missing or corrupt gets its own NodeError and the others still render."""
    from stylegraph.nodes.functional.colour import luminance_transfer
    from stylegraph.nodes.functional.resize import fit_longest_side
    from stylegraph.nodes.models.fast_style import (
        blended_vector,
        finish_strokes,
        render,
        stroke_canvas,
    )

    first = params_list[0]
    device = device_for(first)
    content = inputs["content"]
    rgb = content[..., :3]
    if first["output_size"]:
        rgb = resize(rgb, *fit_longest_side(*rgb.shape[:2], first["output_size"]))
    canvas = stroke_canvas(rgb, first["stroke_scale"])
    results: list = [None] * len(params_list)
    vectors, slots = [], []
    for slot, params in enumerate(params_list):
        try:
            styles = load_styles(ctx, inputs, params)
            styles = recolour_styles(styles, content[..., :3], params["colour"])
            vector = blended_vector(
                canvas,
                styles,
                device,
                params["style_weights"],
                params["strength"],
                params["style_size"],
            )
        except NodeError as exc:
            results[slot] = exc
            continue
        except ValueError as exc:
            results[slot] = NodeError(f"param 'style_weights': {exc}")
            continue
        vectors.append(vector)
        slots.append(slot)
    if not vectors:
        return results
    import torch

    rendered = render(canvas, torch.cat(vectors), device, first["tile_size"], ctx.progress)
    for slot, painted in zip(slots, rendered, strict=True):
        out = finish_strokes(
            painted, rgb, first["stroke_scale"], first["stroke_enlarge"], first["detail"], device
        )
        if first["colour"] in ("original", "luminance"):
            out = luminance_transfer(rgb, out)
        if content.shape[2] == 4:
            alpha = resize(content, *out.shape[:2])[..., 3:4]
            out = np.concatenate([out, alpha], axis=2)
        results[slot] = {"image": out.astype(np.float32)}
    return results


NODE = NodeType(
    "style.transfer",
    "Style Transfer",
    "neural",
    "Paints the content photo in the style of one or more paintings. Engines: 'fast' (any "
    "painting, a fraction of a second, offline), 'builtin' (26 learnt styles), 'gatys' "
    "(the slow, high-quality optimisation on VGG-19, with colour and spatial control and "
    "coarse-to-fine rendering). Runs on CUDA, then MPS, then the CPU.",
    run,
    persistent_cache=True,
    batching=Batching(batch_group, run_batch),
    check_params=scale_problems,
    inputs=(
        Port("content", PortType.IMAGE),
        Port("style", PortType.IMAGE, "Style images linked from the graph.", variadic=True),
        Port("mask", PortType.MASK, "gatys: maskN confines styleN to a region.", variadic=True),
    ),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param("engine", ParamType.CHOICE, "fast", choices=ENGINES),
        *COMMON_PARAMS,
        Param(
            "strength",
            ParamType.FLOAT,
            1.0,
            minimum=0.0,
            maximum=1.0,
            help="fast/builtin: 0 keeps the photo, 1 is the full style.",
        ),
        Param(
            "builtin_styles",
            ParamType.TEXT,
            "0",
            help="builtin: a style index 0-25, or a blend such as 3:0.5,12:0.5.",
            parse=parse_style_blend,
        ),
        *FAST_PARAMS,
        *STROKE_PARAMS,
        *GATYS_PARAMS,
    ),
    retired_params=(
        (
            "tile_overlap",
            "tiles share whole-image statistics and meet without seams, so no overlap is set",
        ),
    ),
)
