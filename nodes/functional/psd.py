"""Photoshop ``.psd`` writing, through psd-tools.

Why psd-tools and not pytoshop (both compared for writing, November 2026): psd-tools is
maintained (1.26, released October 2026; MIT) and writes layers from float arrays at 8 or
16 bits, real user layer masks, blend keys, opacity, visibility and Unicode layer names.
pytoshop's last release is 1.2.1 from 2018: it imports ``six`` without declaring it, needs
Cython at install time, and where its packbits extension is not built (as here, on Python
3.11) its RLE codec fails with a NameError, so it cannot write the RLE compression every
PSD reader expects. Its fork pytoshop-fix-packbits calls its packbits library with the
wrong signature and cannot read RLE either.

psd-tools regenerates the merged image with its own compositor when a document is saved
through ``PSDImage.save``. The merged image here must be stylegraph's own composite (the
layer stack's flat output, W3C formulas), so the writer stores it in the image data section
itself and writes the low-level record, which psd-tools documents as ``PSDImage._record``.

Every stylegraph blend mode has a Photoshop blend key. Photoshop draws a few of them with
its own formulas (its Soft Light differs slightly from W3C's; Krita offers both), so its
redraw of the layers may differ a little from the stored merged image.
Layer masks are stored at the document's depth but carry 8 bits of precision, which is
what psd-tools' mask API takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

import numpy as np
from PIL import Image
from psd_tools import PSDImage
from psd_tools.api import numpy_io
from psd_tools.constants import BlendMode

from stylegraph.graph.layers import Layer
from stylegraph.nodes.functional.image_io import flatten_alpha
from stylegraph.nodes.functional.layered import DEPTHS, quantise

# Photoshop's four-character blend keys (Adobe's "Photoshop File Formats", layer records).
BLEND_KEYS: dict[str, bytes] = {
    "normal": b"norm",
    "multiply": b"mul ",
    "screen": b"scrn",
    "overlay": b"over",
    "darken": b"dark",
    "lighten": b"lite",
    "color-dodge": b"div ",
    "color-burn": b"idiv",
    "hard-light": b"hLit",
    "soft-light": b"sLit",
    "difference": b"diff",
    "exclusion": b"smud",
    "linear-dodge": b"lddg",
    "linear-burn": b"lbrn",
    "vivid-light": b"vLit",
    "linear-light": b"lLit",
    "pin-light": b"pLit",
    "hard-mix": b"hMix",
    "subtract": b"fsub",
    "divide": b"fdiv",
    "hue": b"hue ",
    "saturation": b"sat ",
    "color": b"colr",
    "luminosity": b"lum ",
    "darker-color": b"dkCl",
    "lighter-color": b"lgCl",
}

MAX_SIDE = 30000  # a PSD (not PSB) is at most 30,000 pixels on a side
MAX_NAME = 255


def _merged_planes(psd: PSDImage, merged: np.ndarray) -> list[bytes]:
    """The merged image of an RGB document: a transparent one flattened onto white, as
    Photoshop shows a transparent document's preview (the layers keep their alpha)."""
    opaque = np.ones((*merged.shape[:2], 1), np.float32)
    return numpy_io.encode_image_data(psd, flatten_alpha(merged), opaque)


def write_psd(fh: BinaryIO, layers: Sequence[Layer], merged: np.ndarray, bits: int = 8) -> None:
    """Write ``layers`` (bottom to top, full canvas size) and their ``merged`` composite to
    ``fh`` as an RGB PSD with ``bits`` (8 or 16) per channel."""
    if bits not in DEPTHS:
        raise ValueError(f"a PSD is written with 8 or 16 bits per channel, not {bits}")
    height, width = merged.shape[:2]
    if max(height, width) > MAX_SIDE:
        raise ValueError(f"{width}x{height} is over the PSD limit of {MAX_SIDE} px a side")
    psd = PSDImage.new("RGB", (width, height), depth=bits)
    for layer in layers:
        if layer.mode not in BLEND_KEYS:
            raise ValueError(f"layer {layer.name!r}: Photoshop has no {layer.mode} blend mode")
        made = psd.create_pixel_layer_from_array(
            quantise(layer.pixels, bits),
            name=layer.name[:MAX_NAME],
            opacity=round(layer.opacity * 255),
            blend_mode=BlendMode(BLEND_KEYS[layer.mode]),
        )
        made.name = layer.name[:MAX_NAME]  # also as Unicode, for names beyond Mac Roman
        made.visible = layer.visible
        if layer.mask is not None:
            made.create_mask(Image.fromarray(quantise(layer.mask, 8), "L"))
    psd._record.image_data.set_data(_merged_planes(psd, merged), psd._record.header)
    psd._record.write(fh)
