"""The value on a ``layers`` port: a layer stack kept apart instead of flattened, so that it
can be written as a layered file (PSD, OpenRaster) and finished by hand.

It lives in ``graph/`` beside the other port values because the engine freezes, checks and
sizes it. It is immutable like every cached output: the arrays are made read-only and the
layers are a tuple. ``describe()`` is the JSON-ready part (everything but the pixels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Layer:
    """One layer, already fitted to the canvas.

    ``pixels``: float32 H x W x 3|4 in 0..1 (straight alpha). ``mask``: float32 H x W in
    0..1, white reveals, or None. ``mode``: a stylegraph blend mode name (``multiply``).
    ``opacity``: 0..1. A layer that is not ``visible`` is left out of the merged image but
    kept in the stack, as Photoshop keeps a hidden layer.
    """

    name: str
    pixels: np.ndarray
    mode: str = "normal"
    opacity: float = 1.0
    visible: bool = True
    mask: np.ndarray | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mode": self.mode,
            "opacity": self.opacity,
            "visible": self.visible,
            "channels": int(self.pixels.shape[2]),
            "mask": self.mask is not None,
        }


@dataclass(frozen=True)
class LayerStack:
    """Layers bottom to top (``layers[0]`` is the base) and their merged composite, the
    same array as the layer stack's flat ``image`` output."""

    layers: tuple[Layer, ...]
    merged: np.ndarray

    @property
    def height(self) -> int:
        return int(self.merged.shape[0])

    @property
    def width(self) -> int:
        return int(self.merged.shape[1])

    def arrays(self) -> list[np.ndarray]:
        out = [self.merged]
        for layer in self.layers:
            out.append(layer.pixels)
            if layer.mask is not None:
                out.append(layer.mask)
        return out

    @property
    def nbytes(self) -> int:
        """Every array counted, shared ones too (the merged image is also the flat output,
        unresized layers are also their source nodes' outputs): the memory cache then
        errs on the side of holding less than its cap, never more."""
        return sum(a.nbytes for a in self.arrays())

    def freeze(self) -> None:
        for array in self.arrays():
            array.flags.writeable = False

    def describe(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "layers": [layer.describe() for layer in self.layers],
        }
