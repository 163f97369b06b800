from __future__ import annotations

from pathlib import Path

import numpy as np

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import device_for, flushing_denormals
from stylegraph.nodes.functional.contact_sheet import contact_sheet, grid_columns
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from stylegraph.nodes.neural._shared import (
    COMMON_PARAMS,
    FAST_PARAMS,
    GATYS_PARAMS,
    gatys_settings,
    gram_cache,
    load_styles,
    load_vgg,
    recolour_styles,
    scale_problems,
    too_small,
)


def _renders(
    ctx: NodeContext, content: np.ndarray, styles: list, params: dict, device
) -> list[np.ndarray]:
    """All styles for one content, ``batch`` renders per pass. Progress is the share of
    paintings rendered (within a tiled pass, also layer by layer), and each report is
    where a cancel stops the sweep."""
    batch = params["batch"]
    out: list[np.ndarray] = []
    if params["engine"] == "fast":
        from stylegraph.nodes.models.fast_style import render, style_vectors

        styles = recolour_styles(styles, content, params["colour"])
        for start in range(0, len(styles), batch):
            chunk = styles[start : start + batch]
            vectors = style_vectors(chunk, params["style_size"], device)
            part = _part_progress(ctx, len(out), len(chunk), len(styles))
            out += render(content, vectors, device, params["tile_size"], part)
            ctx.progress(len(out) / len(styles))
    else:
        from stylegraph.nodes.models.gatys import StyleSet, TooSmall, gatys
        from stylegraph.nodes.models.gram_cache import warnings_to

        settings = gatys_settings(params, device, ctx.warn)
        vgg = load_vgg(params, device, ctx.warn)
        for start in range(0, len(styles), batch):
            sets = [StyleSet([s]) for s in styles[start : start + batch]]
            try:
                with warnings_to(ctx.warn):
                    out += gatys(
                        content,
                        sets,
                        vgg,
                        settings,
                        params["output_size"],
                        device,
                        _part_progress(ctx, len(out), len(sets), len(styles)),
                        gram_cache(params, device),
                    )
            except TooSmall as exc:
                raise too_small(exc, params) from None
    if params["colour"] in ("original", "luminance") and params["engine"] == "fast":
        from stylegraph.nodes.functional.colour import luminance_transfer

        out = [luminance_transfer(content, image) for image in out]
    return out


def _part_progress(ctx: NodeContext, done: int, part: int, total: int):
    """Progress of one batch, reported as progress of the whole sweep."""
    return lambda fraction: ctx.progress((done + fraction * part) / total)


@flushing_denormals
def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    content = inputs["content"][..., :3]
    if params["output_size"]:
        content = resize(content, *fit_longest_side(*content.shape[:2], params["output_size"]))
    styles = load_styles(ctx, inputs, params)
    labels = [Path(p).stem for p in params["style_files"]]
    labels += [f"style{i}" for i in range(1, len(styles) - len(labels) + 1)]
    renders = _renders(ctx, content, styles, params, device_for(params))
    thumbs = [resize(r, *fit_longest_side(*r.shape[:2], params["thumbnail"])) for r in renders]
    columns = params["columns"] or grid_columns(len(thumbs))
    return {"sheet": contact_sheet(thumbs, labels, columns)}


NODE = NodeType(
    "style.sweep",
    "Style Sweep",
    "neural",
    "Renders one photo in every style of a list, in batches on the GPU, and lays the results "
    "out as a labelled contact sheet to curate from: the overnight sweep, in minutes.",
    run,
    persistent_cache=True,
    check_params=scale_problems,
    inputs=(
        Port("content", PortType.IMAGE),
        Port("style", PortType.IMAGE, "More style images from the graph.", variadic=True),
    ),
    outputs=(Port("sheet", PortType.IMAGE),),
    params=(
        Param("engine", ParamType.CHOICE, "fast", choices=("fast", "gatys")),
        *[p for p in COMMON_PARAMS if p.name != "style_weights"],
        Param(
            "batch",
            ParamType.INT,
            8,
            minimum=1,
            maximum=256,
            help="Styles rendered together per pass.",
        ),
        Param(
            "thumbnail",
            ParamType.INT,
            256,
            minimum=32,
            maximum=2048,
            help="Longest side of each render on the sheet.",
        ),
        Param("columns", ParamType.INT, 0, minimum=0, maximum=64, help="0: about square."),
        *FAST_PARAMS,
        *GATYS_PARAMS,
    ),
    retired_params=(
        (
            "tile_overlap",
            "tiles share whole-image statistics and meet without seams, so no overlap is set",
        ),
    ),
)
