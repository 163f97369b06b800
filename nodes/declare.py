"""Shortcuts for declaring the common node shapes, and size fitting at node boundaries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, Port, PortType
from stylegraph.nodes.functional.channels import on_rgb
from stylegraph.nodes.functional.image_io import ImageReadError, read_image
from stylegraph.nodes.functional.resize import resize, resize_mask

DEVICES = ("auto", "cuda", "mps", "cpu")  # a torch node's ``device`` param


def image_filter(
    type_id: str,
    display_name: str,
    category: str,
    description: str,
    transform: Callable[[np.ndarray, dict[str, Any]], np.ndarray],
    params: tuple[Param, ...] = (),
    version: int = 1,
) -> NodeType:
    """An image-in, image-out node: ``transform(rgb, params)`` sees the colour channels
    only; an alpha channel is carried through unchanged."""

    def run(ctx: NodeContext, inputs: dict, values: dict) -> dict:
        return {"image": on_rgb(lambda rgb: transform(rgb, values), inputs["image"])}

    return NodeType(
        type_id,
        display_name,
        category,
        description,
        run,
        inputs=(Port("image", PortType.IMAGE),),
        outputs=(Port("image", PortType.IMAGE),),
        params=params,
        version=version,
    )


def mask_filter(
    type_id: str,
    display_name: str,
    description: str,
    transform: Callable[[np.ndarray, dict[str, Any]], np.ndarray],
    params: tuple[Param, ...] = (),
) -> NodeType:
    """A mask-in, mask-out node."""

    def run(ctx: NodeContext, inputs: dict, values: dict) -> dict:
        out = transform(inputs["mask"], values)
        return {"mask": np.clip(out, 0.0, 1.0).astype(np.float32)}

    return NodeType(
        type_id,
        display_name,
        "mask",
        description,
        run,
        inputs=(Port("mask", PortType.MASK),),
        outputs=(Port("mask", PortType.MASK),),
        params=params,
    )


def fit_mask(ctx: NodeContext, mask: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    """Resize a mask of another size to ``shape`` (H, W, ...) with a warning, never a crash."""
    height, width = shape[:2]
    if mask.shape == (height, width):
        return mask
    ctx.warn(
        f"{what} is {mask.shape[1]}x{mask.shape[0]}, the image {width}x{height}: "
        "the mask was resized to fit"
    )
    return resize_mask(mask, height, width)


def fit_image(ctx: NodeContext, image: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    height, width = shape[:2]
    if image.shape[:2] == (height, width):
        return image
    ctx.warn(f"{what} is {image.shape[1]}x{image.shape[0]}, resized to {width}x{height}")
    return resize(image, height, width, "lanczos")


def read_image_param(params: dict, what: str) -> np.ndarray:
    """The image file in ``params['path']``, capped at ``params['max_megapixels']``; a
    missing or unreadable file becomes a NodeError that names it."""
    if not params["path"]:
        raise NodeError(f"param 'path' is empty: choose {what}")
    try:
        return read_image(params["path"], params["max_megapixels"])
    except ImageReadError as exc:
        raise NodeError(str(exc)) from None


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
