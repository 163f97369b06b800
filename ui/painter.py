"""The mask painter: while a ``mask.paint`` node is in the viewer, a left-drag paints one
stroke on it, and the viewer shows what the painting does.

A mask that feeds a Layer Stack is painted on the picture being made: the viewer shows the
stack's composite, made from the layer images already computed (the editor's results,
which the engine's memory cache refills) with the same ``composite`` function the Layer
Stack node runs, and the mask rendered from the strokes by the node's own
``render_strokes``, so the picture follows the brush without running the graph. View
modes: the composite, the mask alone, or the mask tinted over the picture (the only view
of a mask that feeds no stack).

The brush paints or erases; keep and remove strokes are hints for a quick selection (the
node cuts the photo along them, and the viewer shows that cut, made once per set of
hints). Strokes on a mask anchored to a region (subject, person, face, sky, background)
are shown placed in that region of this photo and clipped to it; on an image-anchored
mask the region the strokes were painted in is noted (``painted_in``) with the photo.

A stroke is kept in normalised coordinates while drawn and committed on release as one
undo step (with the photo it was painted on noted in ``painted_on``). A circle as large as
the brush follows the cursor; ``[`` and ``]`` change the size, ``X`` swaps paint and
erase."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.graph.layers import Layer
from stylegraph.graph.model import GraphError
from stylegraph.graph.spec import PortType
from stylegraph.nodes.functional.anchors import meaning, region_box, region_mask
from stylegraph.nodes.functional.paint import (
    HINT_MODES,
    MODES,
    hint_masks,
    photo_hash,
    render_strokes,
    strokes_to_image,
    to_subject_point,
)
from stylegraph.nodes.functional.quick_selection import quick_select
from stylegraph.nodes.functional.resize import resize, resize_mask
from stylegraph.nodes.functional.stack import flatten, over, settings
from stylegraph.ui.commands import SetParam
from stylegraph.ui.layers import STACK_TYPE, Steps, layer_numbers, mask_target
from stylegraph.ui.mask_view import tinted
from stylegraph.ui.settings import BRUSH_SLIDERS, Settings
from stylegraph.ui.shortcuts import typing

if TYPE_CHECKING:
    from stylegraph.ui.controller import Controller

PAINT_TYPE = "mask.paint"
BLANK = (512, 512)  # mask size shown when the node has no input image yet
LIVE_COLOUR = (255, 80, 60, 110)
CURSOR_COLOUR = (255, 255, 255, 200)
CURSOR_SHADOW = (0, 0, 0, 160)
VIEWS = ("composite", "mask", "overlay")
SIZE_STEP = 1.25  # [ and ] scale the brush by this
LIVE_EVERY = 0.05  # s between composites while a stroke is being drawn
ALL = (slice(None), slice(None))
KEYS = {dpg.mvKey_Open_Brace: "smaller", dpg.mvKey_Close_Brace: "larger", dpg.mvKey_X: "swap"}


class Painter:
    def __init__(
        self,
        controller: Controller,
        port_output: Callable[[str, str], np.ndarray | None],
        say: Callable[[str], None],
        settings: Settings,
    ) -> None:
        self.controller = controller
        self.port_output = port_output
        self.say = say
        self.settings = settings
        self.node_id: str | None = None
        self.points: list[tuple[float, float]] | None = None  # the stroke being drawn
        self.live_item: int | str | None = None
        self.view = "composite"
        self.note = ""  # why the composite cannot be shown, for the viewer's info line
        self._picture: tuple[tuple, np.ndarray] | None = None
        self._below: tuple[tuple, Any] | None = None  # the stack's parts, cached
        self._made: tuple[dict, np.ndarray, np.ndarray] | None = None  # parts, mask, picture
        self._regions: tuple[np.ndarray, dict] | None = None  # photo, its regions by anchor
        self._cut: tuple[tuple, np.ndarray] | None = None  # hints, the cut they make
        self._live_at = 0.0
        self._live_key: tuple = ()
        self._keys: list[str] = []
        self.composited = False  # the picture shows the stroke itself: no red preview

    @property
    def active(self) -> bool:
        graph = self.controller.graph
        return (
            self.node_id is not None
            and self.node_id in graph
            and graph.node(self.node_id).type_id == PAINT_TYPE
        )

    @property
    def version(self) -> tuple:
        return (*self._state_key(), self._live_key) if self.active else ()

    def build_controls(self) -> None:
        """The brush's sliders and mode, as last set (kept in the settings file)."""
        brush = self.settings.brush
        with dpg.group(tag="painter_controls", show=False):
            with dpg.group(horizontal=True):
                for label, width, shown in (
                    ("size", 90, "%.3f"),
                    ("hardness", 70, "%.2f"),
                    ("opacity", 70, "%.2f"),
                ):
                    _, low, high = BRUSH_SLIDERS[label]
                    dpg.add_slider_float(
                        label=label,
                        tag=f"brush_{label}",
                        width=width,
                        default_value=brush[label],
                        min_value=low,
                        max_value=high,
                        format=shown,
                        callback=self._remember,
                        user_data=label,
                    )
            # the brush's modes and the views on two rows: one row was cut off at the
            # right of the viewer in a 1100 px window
            dpg.add_radio_button(
                MODES,
                tag="brush_mode",
                horizontal=True,
                default_value=brush["mode"],
                callback=self._remember,
                user_data="mode",
            )
            with dpg.group(horizontal=True):
                dpg.add_text("show")
                dpg.add_radio_button(
                    VIEWS, tag="painter_view", horizontal=True, callback=self._on_view
                )
            with dpg.group(horizontal=True):
                dpg.add_button(label="Fill", callback=lambda: self._set_base(1.0))
                dpg.add_button(label="Empty", callback=lambda: self._set_base(0.0))
                dpg.add_button(label="Clear strokes", callback=self.clear)
                dpg.add_text("[ ] size, X paint/erase", color=(160, 160, 160))
        with dpg.handler_registry(tag="painter_keys"):
            dpg.add_key_press_handler(callback=self._pressed)

    def attach(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.points = None
        self._live_key = ()
        if dpg.does_item_exist("painter_controls"):
            dpg.configure_item("painter_controls", show=self.active)

    def _on_view(self, sender: Any, value: str) -> None:
        self.view = value

    # keys ------------------------------------------------------------------------------
    def _pressed(self, sender: Any, key: int) -> None:
        if key in KEYS:
            self._keys.append(KEYS[key])

    def _run_keys(self) -> None:
        keys, self._keys = self._keys, []
        if not keys or not self.active or typing():
            return
        for name in keys:
            if name == "swap":
                self.swap_mode()
            else:
                self.resize_brush(SIZE_STEP if name == "larger" else 1 / SIZE_STEP)

    def _remember(self, sender: Any, value: Any, name: str) -> None:
        self.settings.remember_brush(name, value)

    def resize_brush(self, factor: float) -> None:
        size = float(np.clip(dpg.get_value("brush_size") * factor, *BRUSH_SLIDERS["size"][1:]))
        dpg.set_value("brush_size", size)
        self.settings.remember_brush("size", size)

    def swap_mode(self) -> None:
        mode = dpg.get_value("brush_mode") or "paint"
        swapped = {"paint": "erase", "erase": "paint", "keep": "remove", "remove": "keep"}
        dpg.set_value("brush_mode", swapped.get(mode, "paint"))
        self.settings.remember_brush("mode", swapped.get(mode, "paint"))

    # what the viewer shows ----------------------------------------------------------------
    def _input(self) -> np.ndarray | None:
        graph = self.controller.graph
        for port in graph.node_type(self.node_id).inputs:
            link = (
                graph.input_link(self.node_id, port.name) if port.type == PortType.IMAGE else None
            )
            if link is not None:
                return self.port_output(link.src, link.src_port)
        return None

    def _state_key(self) -> tuple:
        params = self.controller.graph.node(self.node_id).params
        source = self._input()
        return (repr(params), id(source), self.view, self._parts_key())

    def _parts_key(self) -> tuple:
        """What the composite is made of: the stack's params and links and the identity
        of every image it takes (a new run result is a new array)."""
        target = mask_target(self.controller.graph, self.node_id)
        if target is None:
            return ()
        stack, number = target
        graph = self.controller.graph
        links = sorted(graph.input_links(stack).items())
        images = tuple(id(self.port_output(lk.src, lk.src_port)) for _, lk in links)
        return (stack, number, repr(graph.node(stack).params), repr(links), images)

    def _parts(self) -> dict | None:
        """The stack split around the painted mask: the composite below its layer, the
        layer, and the layers above, all at the base's size; None (with ``note`` saying
        why) when the stack's pictures are not computed yet."""
        key = self._parts_key()
        if not key:
            self.note = "this mask feeds no Layer Stack: shown over its image"
            return None
        if self._below is not None and self._below[0] == key:
            return self._below[1]
        stack, number = key[0], key[1]
        graph = self.controller.graph
        params = graph.node(stack).params
        links = graph.input_links(stack)
        base_link = links.get("base")
        base = self.port_output(base_link.src, base_link.src_port) if base_link else None
        if base is None or graph.node(stack).type_id != STACK_TYPE:
            self.note = f"run the graph once to paint over {stack}'s picture"
            return None
        shape = base.shape[:2]
        below, mine, above = [], None, []
        for n in layer_numbers(graph, stack):
            link = links[f"layer{n}"]
            top = self.port_output(link.src, link.src_port)
            if top is None:
                if n == number:
                    self.note = f"run the graph to render {link.src} before painting its mask"
                    return None
                continue
            chosen = settings(params, n)
            mask_link = links.get(f"mask{n}") if n != number else None
            mask = self.port_output(mask_link.src, mask_link.src_port) if mask_link else None
            mask = None if mask is None else _fitted(mask, shape)
            layer = Layer(
                f"layer{n}", _fitted(top, shape), chosen.mode, chosen.opacity, chosen.visible, mask
            )
            if n == number:
                mine = layer
            else:
                (below if mine is None else above).append(layer)
        parts = {"below": flatten(base, below), "mine": mine, "above": above, "shape": shape}
        self._below = (key, parts)
        self.note = ""
        return parts

    def _region(self, image: np.ndarray, anchor: str) -> np.ndarray | None:
        """The anchor's region in the painted photo (what anchored strokes are placed
        in and clipped to; None where the photo has none), found once per photo."""
        if self._regions is None or self._regions[0] is not image:
            self._regions = (image, {})
        found = self._regions[1]
        if anchor not in found:
            found[anchor] = region_mask(image, anchor)
        return found[anchor]

    def _mask(self, height: int, width: int, live: list | None = None) -> np.ndarray:
        """The mask as the node makes it, at ``height`` x ``width``: subject-anchored
        strokes placed on this photo's subject, keep / remove hints cutting the photo
        (the cut made once per set of hints), paint and erase strokes over that."""
        params = self.controller.graph.node(self.node_id).params
        strokes = list(params["strokes"])
        image = self._input()
        anchor = params.get("anchor", "image")
        region = None
        if anchor != "image" and image is not None and (strokes or params["base"] > 0):
            region = self._region(image, anchor)
            strokes = strokes_to_image(strokes, region_box(region))
        strokes += live or []
        start = None
        hints = [s for s in strokes if s["mode"] in HINT_MODES]
        if hints and image is not None:
            key = (repr(hints), id(image))
            if self._cut is None or self._cut[0] != key:
                keep, remove = hint_masks(hints, *image.shape[:2])
                self._cut = (key, quick_select(image, keep, remove))
            start = _fitted(self._cut[1], (height, width))
        mask = render_strokes(strokes, height, width, float(params["base"]), start)
        if anchor != "image" and image is not None:
            inside = region if region is not None else np.zeros(image.shape[:2], np.float32)
            mask = mask * _fitted(inside, (height, width))
        return mask

    def composite_with(
        self, mask: np.ndarray, parts: dict, box: tuple[slice, slice] = ALL
    ) -> np.ndarray:
        """The stack's picture (within ``box``) with ``mask`` (the box's part of it) as
        the painted layer's mask."""
        mine = parts["mine"]
        out = over(parts["below"][box], replace(mine, pixels=mine.pixels[box], mask=mask))
        for layer in parts["above"]:
            cropped = None if layer.mask is None else layer.mask[box]
            out = over(out, replace(layer, pixels=layer.pixels[box], mask=cropped))
        return out

    def _composited(self, mask: np.ndarray, parts: dict) -> np.ndarray:
        """The composite for ``mask``: after a stroke only the rows and columns where the
        mask changed are composited again (a stroke's band, not the whole picture)."""
        made = self._made
        if made is None or made[0] is not parts or made[1].shape != mask.shape:
            picture = self.composite_with(mask, parts)
        else:
            changed = mask != made[1]
            rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            picture = made[2]
            if rows.size:
                box = (slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1))
                picture = picture.copy()
                picture[box] = self.composite_with(mask[box], parts, box)
        self._made = (parts, mask, picture)
        return picture

    def image(self) -> np.ndarray:
        """What the viewer shows for the painted mask (re-made on change)."""
        key = (*self._state_key(), self._live_key)
        if self._picture is None or self._picture[0] != key:
            self._picture = (key, self._render(self._live_stroke()))
        return self._picture[1]

    def _render(self, live: list | None) -> np.ndarray:
        parts = self._parts()
        self.composited = parts is not None and self.view != "mask"
        if parts is not None:
            mask = self._mask(*parts["shape"], live)
            picture = self._composited(mask, parts)
        else:
            source = self._input()
            height, width = source.shape[:2] if source is not None else BLANK
            mask = self._mask(height, width, live)
            picture = (
                np.full((height, width, 3), 0.5, np.float32)
                if source is None
                else (np.repeat(source[..., None], 3, 2) if source.ndim == 2 else source)
            )
        if self.view == "mask":
            return mask
        if self.view == "overlay" or parts is None:
            return tinted(mask, picture)
        return picture[..., :3]

    # painting -----------------------------------------------------------------------------
    def _stroke(self, points: list[tuple[float, float]]) -> dict[str, Any]:
        return {
            "points": [[round(u, 5), round(v, 5)] for u, v in points],
            "size": float(dpg.get_value("brush_size")),
            "hardness": float(dpg.get_value("brush_hardness")),
            "opacity": float(dpg.get_value("brush_opacity")),
            "mode": dpg.get_value("brush_mode") or "paint",
        }

    def _live_stroke(self) -> list | None:
        return [self._stroke(self.points)] if self.points else None

    def track(self, hovered: bool, u: float, v: float) -> None:
        """Called every frame with the cursor in normalised image coordinates."""
        self._run_keys()
        down = dpg.is_mouse_button_down(dpg.mvMouseButton_Left)
        if self.points is None:
            if down and hovered and dpg.is_mouse_button_clicked(dpg.mvMouseButton_Left):
                self.points = [(u, v)]
            return
        if down:
            if (u, v) != self.points[-1]:
                self.points.append((u, v))
                now = time.monotonic()
                if now - self._live_at > LIVE_EVERY:  # the picture follows the brush
                    self._live_at = now
                    self._live_key = (len(self.points), self.points[-1])
            return
        self.commit(self.points)
        self.points = None
        self._live_key = ()

    def commit(self, points: list[tuple[float, float]]) -> bool:
        """One stroke from the brush settings: one controller edit, one undo step. On a
        region-anchored mask its points go in as fractions of the region's box; on an
        image-anchored one the photo painted on (``painted_on``) and the region the
        strokes lie in there (``painted_in``) are noted in the same step."""
        graph = self.controller.graph
        params = graph.node(self.node_id).params
        stroke = self._stroke(points)
        image = self._input()
        anchor = params.get("anchor", "image")
        if anchor != "image" and image is not None:
            box = region_box(self._region(image, anchor))
            stroke["points"] = [
                [round(c, 5) for c in to_subject_point(p, box)] for p in stroke["points"]
            ]
        strokes = [*params["strokes"], stroke]
        changes = [("strokes", strokes)]
        node_type = graph.node_type(self.node_id)
        if image is not None and node_type.param("painted_on"):
            painted_on = photo_hash(image)
            if params["painted_on"] != painted_on:
                changes.append(("painted_on", painted_on))
        if image is not None and anchor == "image" and node_type.param("painted_in"):
            painted_in = meaning(image, strokes, self._region) or ""
            if params["painted_in"] != painted_in:
                changes.append(("painted_in", painted_in))
        label = f"paint on {self.node_id}"
        try:
            self.controller.apply(
                Steps.build(
                    label,
                    self.controller.preset,
                    [self._setter(name, value, label) for name, value in changes],
                )
            )
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
            return False
        self.say(f"painted a stroke on {self.node_id} ({len(points)} points)")
        return True

    def _setter(self, name: str, value: Any, label: str) -> Callable[[Any], SetParam]:
        node_id = self.node_id

        def make(preset: Any) -> SetParam:
            old = copy.deepcopy(preset.graph.node(node_id).params.get(name))
            return SetParam(node_id, name, old, value, label=label)

        return make

    def clear(self) -> None:
        """All strokes gone, as one undo step (the base stays: Fill / Empty set it)."""
        if not self.active:
            return
        try:
            self.controller.set_param(self.node_id, "strokes", [])
        except (GraphError, ValueError) as exc:
            self.say(str(exc))

    def _set_base(self, base: float) -> None:
        if not self.active:
            return
        try:
            self.controller.set_param(self.node_id, "base", base)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))

    def draw_live(
        self,
        draw: str,
        scale: float,
        ox: float,
        oy: float,
        height: int,
        width: int,
        mouse: tuple[float, float] | None = None,
    ) -> None:
        """The stroke being drawn, as a polyline as thick as the brush, and the brush's
        circle at the cursor (``mouse``, in the drawing's px; None when outside it)."""
        if self.live_item is not None and dpg.does_item_exist(self.live_item):
            dpg.delete_item(self.live_item)
        self.live_item = None
        if not self.active:
            return
        radius = max(1.0, float(dpg.get_value("brush_size")) * max(height, width) * scale / 2)
        with dpg.draw_node(parent=draw) as node:
            self.live_item = node
            if self.points and not self.composited:
                screen = [(ox + u * width * scale, oy + v * height * scale) for u, v in self.points]
                if len(screen) == 1:
                    screen.append(screen[0])
                dpg.draw_polyline(screen, color=LIVE_COLOUR, thickness=2 * radius)
            if mouse is not None:
                dpg.draw_circle(mouse, radius + 1, color=CURSOR_SHADOW, thickness=1)
                dpg.draw_circle(mouse, radius, color=CURSOR_COLOUR, thickness=1)


def _fitted(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A layer or mask at the base's size, as the Layer Stack fits it (resized)."""
    if image.shape[:2] == shape:
        return image
    return resize_mask(image, *shape) if image.ndim == 2 else resize(image, *shape)
