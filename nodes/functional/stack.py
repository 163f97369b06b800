"""The Layer Stack's rules in one place: which input ports are layers and masks, what a
layer's missing entry in the ``modes`` / ``opacities`` / ``visibility`` lists means, and how
the visible layers are composited over the base.

The node (``nodes/compose/layer_stack.py``), the editor's Layers panel (``ui/layers.py``,
``ui/layers_panel.py``), the mask painter's live composite (``ui/painter.py``) and the
layered-file writer (``layered.py``) all call these, so the painter's picture and the
node's output cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from stylegraph.graph.layers import Layer
from stylegraph.nodes.functional.blend import composite

LAYER_LISTS = ("modes", "opacities", "visibility")  # entry n - 1 belongs to layerN
DEFAULTS = {"modes": "normal", "opacities": 1.0, "visibility": "visible"}


def numbered(ports: Iterable[str], prefix: str = "layer") -> list[int]:
    """The N of every ``prefixN`` port name, ascending (layer1 is the bottom layer)."""
    return sorted(int(m.group(1)) for key in ports if (m := re.fullmatch(rf"{prefix}(\d+)", key)))


def entry(values: list, index: int, default: Any) -> Any:
    """``values[index]``, or ``default`` for an entry the list does not reach."""
    return values[index] if index < len(values) else default


@dataclass(frozen=True)
class Settings:
    """Layer N's blend mode, opacity and visibility as the stack reads its params."""

    mode: str
    opacity: float
    visible: bool


def settings(params: Mapping[str, Any], number: int) -> Settings:
    """Layer ``number``'s settings; missing entries are normal, opaque and visible."""
    return Settings(
        entry(params["modes"], number - 1, DEFAULTS["modes"]),
        float(entry(params["opacities"], number - 1, DEFAULTS["opacities"])),
        entry(params["visibility"], number - 1, DEFAULTS["visibility"]) == "visible",
    )


def over(backdrop: np.ndarray, layer: Layer) -> np.ndarray:
    """``layer`` composited over ``backdrop`` (already fitted to it); a hidden layer
    leaves the backdrop as it is."""
    if not layer.visible:
        return backdrop
    return composite(backdrop, layer.pixels, layer.mode, layer.opacity, layer.mask)


def flatten(base: np.ndarray, layers: Iterable[Layer]) -> np.ndarray:
    """The base with ``layers`` (bottom to top) composited over it."""
    out = base
    for layer in layers:
        out = over(out, layer)
    return out
