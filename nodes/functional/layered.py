"""What layered file writers share: baking a blend mode a format cannot name into the
layer's pixels, and quantising 0..1 floats to 8 or 16 bits.

Baking keeps the picture exact rather than approximate. W3C compositing mixes the source
colour as Cs' = (1 - ab) Cs + ab B(Cb, Cs) before a plain source-over; a layer whose colour
is replaced by Cs', with its alpha, opacity and mask unchanged, composites to the same
pixels in Normal mode. The price is that the baked layer no longer follows edits to the
layers below it, which is why every baked layer is reported by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from stylegraph.graph.layers import Layer
from stylegraph.nodes.functional.blend import blend_colors
from stylegraph.nodes.functional.stack import over

DEPTHS = (8, 16)


def quantise(values: np.ndarray, bits: int) -> np.ndarray:
    """0..1 floats to unsigned integers of ``bits`` (8 or 16), rounded to nearest."""
    if bits not in DEPTHS:
        raise ValueError(f"a layered file holds 8 or 16 bits per channel, not {bits}")
    top = (1 << bits) - 1
    dtype = np.uint8 if bits == 8 else np.uint16
    return (np.clip(values, 0.0, 1.0) * top + 0.5).astype(dtype)


def with_alpha(pixels: np.ndarray) -> np.ndarray:
    """RGBA from RGB or RGBA, opaque where there was no alpha."""
    if pixels.shape[2] == 4:
        return pixels
    opaque = np.ones((*pixels.shape[:2], 1), np.float32)
    return np.concatenate([pixels, opaque], axis=2)


def bake_mode(backdrop: np.ndarray, layer: Layer) -> Layer:
    """``layer`` in Normal mode with its blend mode mixed into its colour over
    ``backdrop`` (the composite of the visible layers below it)."""
    cb = backdrop[..., :3]
    ab = backdrop[..., 3:4] if backdrop.shape[2] == 4 else 1.0
    cs = layer.pixels[..., :3]
    mixed = np.clip(blend_colors(cb, cs, layer.mode), 0.0, 1.0)
    colour = ((1 - ab) * cs + ab * mixed).astype(np.float32)
    if layer.pixels.shape[2] == 4:
        colour = np.concatenate([colour, layer.pixels[..., 3:4]], axis=2)
    return replace(layer, pixels=colour, mode="normal")


def bake_unsupported(
    layers: Sequence[Layer], supported: Callable[[str], bool], format_name: str
) -> tuple[list[Layer], list[str]]:
    """The layers with every mode that ``supported`` refuses baked in, and a warning per
    baked layer naming it. The base (``layers[0]``) is composited in Normal mode."""
    out = [layers[0]]
    warnings: list[str] = []
    backdrop = layers[0].pixels
    for layer in layers[1:]:
        if not supported(layer.mode):
            warnings.append(
                f"layer {layer.name!r}: {format_name} has no {layer.mode} blend mode, so it "
                "was baked into the layer's pixels (Normal mode, same look; it will not "
                "follow edits to the layers below)"
            )
            out.append(bake_mode(backdrop, layer))
        else:
            out.append(layer)
        backdrop = over(backdrop, layer)
    return out, warnings
