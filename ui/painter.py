"""The mask painter: while a ``mask.paint`` node is in the viewer, the viewer shows the
node's input image with the mask tinted over it, and a left-drag paints one stroke.

A stroke is kept in normalised coordinates while drawn and committed with a single
``controller.add_stroke`` on release, so one stroke is one undo step. The mask shown is
rendered by the same pure function the node runs (``render_strokes``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.graph.model import GraphError
from stylegraph.graph.spec import PortType
from stylegraph.nodes.functional.paint import render_strokes

PAINT_TYPE = "mask.paint"
BLANK = (512, 512)  # mask size shown when the node has no input image yet
TINT = np.array([1.0, 0.25, 0.2], np.float32)
TINT_STRENGTH = 0.55
LIVE_COLOUR = (255, 80, 60, 110)


class Painter:
    def __init__(
        self,
        controller: Any,
        port_output: Callable[[str, str], np.ndarray | None],
        say: Callable[[str], None],
    ) -> None:
        self.controller = controller
        self.port_output = port_output
        self.say = say
        self.node_id: str | None = None
        self.points: list[tuple[float, float]] | None = None  # the stroke being drawn
        self.live_item: int | str | None = None
        self._composite: tuple[tuple, np.ndarray] | None = None

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
        return self._state_key() if self.active else ()

    def build_controls(self) -> None:
        with dpg.group(horizontal=True, tag="painter_controls", show=False):
            dpg.add_slider_float(
                label="size",
                tag="brush_size",
                width=90,
                default_value=0.05,
                min_value=0.005,
                max_value=0.5,
                format="%.3f",
            )
            dpg.add_slider_float(
                label="hardness",
                tag="brush_hardness",
                width=70,
                default_value=0.5,
                min_value=0.0,
                max_value=1.0,
                format="%.2f",
            )
            dpg.add_slider_float(
                label="opacity",
                tag="brush_opacity",
                width=70,
                default_value=1.0,
                min_value=0.0,
                max_value=1.0,
                format="%.2f",
            )
            dpg.add_radio_button(("paint", "erase"), tag="brush_mode", horizontal=True)
            dpg.add_button(label="Fill", callback=lambda: self._set_base(1.0))
            dpg.add_button(label="Clear", callback=lambda: self._set_base(0.0))

    def attach(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.points = None
        if dpg.does_item_exist("painter_controls"):
            dpg.configure_item("painter_controls", show=self.active)

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
        return (repr(params), id(source))

    def image(self) -> np.ndarray:
        """The input image with the rendered mask tinted over it (re-made on change)."""
        key = self._state_key()
        if self._composite is None or self._composite[0] != key:
            source = self._input()
            height, width = source.shape[:2] if source is not None else BLANK
            params = self.controller.graph.node(self.node_id).params
            mask = render_strokes(params["strokes"], height, width, float(params["base"]))
            rgb = (
                np.full((height, width, 3), 0.5, np.float32)
                if source is None
                else (np.repeat(source[..., None], 3, 2) if source.ndim == 2 else source[..., :3])
            )
            amount = (TINT_STRENGTH * mask)[..., None]
            self._composite = (key, (rgb * (1 - amount) + TINT * amount).astype(np.float32))
        return self._composite[1]

    # painting -----------------------------------------------------------------------------
    def track(self, hovered: bool, u: float, v: float) -> None:
        """Called every frame with the cursor in normalised image coordinates."""
        down = dpg.is_mouse_button_down(dpg.mvMouseButton_Left)
        if self.points is None:
            if down and hovered and dpg.is_mouse_button_clicked(dpg.mvMouseButton_Left):
                self.points = [(u, v)]
            return
        if down:
            if (u, v) != self.points[-1]:
                self.points.append((u, v))
            return
        self.commit(self.points)
        self.points = None

    def commit(self, points: list[tuple[float, float]]) -> bool:
        """One stroke from the brush settings: one controller edit, one undo step."""
        stroke = {
            "points": [[round(u, 5), round(v, 5)] for u, v in points],
            "size": float(dpg.get_value("brush_size")),
            "hardness": float(dpg.get_value("brush_hardness")),
            "opacity": float(dpg.get_value("brush_opacity")),
            "mode": dpg.get_value("brush_mode") or "paint",
        }
        try:
            self.controller.add_stroke(self.node_id, stroke)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
            return False
        self.say(f"painted a stroke on {self.node_id} ({len(points)} points)")
        return True

    def _set_base(self, base: float) -> None:
        if not self.active:
            return
        try:
            self.controller.set_param(self.node_id, "base", base)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))

    def draw_live(
        self, draw: str, scale: float, ox: float, oy: float, height: int, width: int
    ) -> None:
        """The stroke being drawn, as a polyline as thick as the brush."""
        if self.live_item is not None and dpg.does_item_exist(self.live_item):
            dpg.delete_item(self.live_item)
        self.live_item = None
        if not self.points:
            return
        screen = [(ox + u * width * scale, oy + v * height * scale) for u, v in self.points]
        if len(screen) == 1:
            screen.append(screen[0])
        thickness = max(1.0, float(dpg.get_value("brush_size")) * max(height, width) * scale)
        self.live_item = dpg.draw_polyline(
            screen, color=LIVE_COLOUR, thickness=thickness, parent=draw
        )
