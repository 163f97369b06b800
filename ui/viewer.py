"""The viewer: the selected node's output, large, with fit / 100 % / wheel zoom / drag pan,
a before/after split against a comparison node, the mask painter for ``mask.paint``, and
for a Style Sweep its sheet as a grid of renders to star with a click (``sheets``, the
Layers panel, keeps the stars and adds the starred paintings as layers).

Only what the screen shows is uploaded: the visible part of the image is cut out and
shrunk to at most the viewer's size, as a static texture re-made only when the picture,
zoom, pan or split changes; nothing is uploaded per frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.ui import textures
from stylegraph.ui.lines import elide, room_for
from stylegraph.ui.painter import Painter

DRAW = "viewer_draw"
ZOOM_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.02, 32.0
SPLIT_COLOUR = (255, 230, 80, 255)
STAR_COLOUR = (255, 200, 30, 255)
CLICK_SLOP = 4.0  # px a press may move and still be a click (a star), not a pan


@dataclass
class View:
    """Where the image sits: ``scale`` screen px per image px (None: fit), ``centre`` the
    image point (normalised 0..1) at the viewer's centre."""

    scale: float | None = None
    centre: tuple[float, float] = (0.5, 0.5)


class Viewer:
    def __init__(
        self,
        picture: Callable[[str], np.ndarray | None],
        painter: Painter,
        say: Callable[[str], None],
    ) -> None:
        self.picture = picture  # node id -> its shown output (or None)
        self.painter = painter
        self.say = say
        self.node_id: str | None = None
        self.compare_id: str | None = None
        self.split: float | None = None  # 0..1 across the view, None: no comparison
        self.view = View()
        self.width = self.height = 0
        self._textures: list[int | str] = []
        self._key: tuple | None = None
        self._drag_from: tuple[float, float] | None = None
        self._pressed_at: tuple[float, float] | None = None
        self._wheel = 0.0
        self.sheets: Any = None  # the Layers panel: a sweep's stars (set by the editor)
        self.buttons: dict[str, int | str] = {}  # label -> item, for the geometry file
        self.scale = 1.0  # the UI scale: the info line holds fewer characters as it grows
        self.placed: tuple | None = None  # scale, x, y, (height, width) of the shown picture

    # building ---------------------------------------------------------------------------
    def build(self, width: int, height: int, compare_choices: list[str]) -> None:
        self.width, self.height = width, height
        with dpg.group(horizontal=True):
            self.buttons["Fit"] = dpg.add_button(label="Fit", callback=lambda: self.set_scale(None))
            self.buttons["100 %"] = dpg.add_button(
                label="100 %", callback=lambda: self.set_scale(1.0)
            )
            dpg.add_checkbox(
                label="Compare with", tag="viewer_compare_on", callback=self._on_compare
            )
        # a row of its own, so the split slider stays in reach in a narrow window
        with dpg.group(horizontal=True):
            dpg.add_combo(
                compare_choices, tag="viewer_compare", width=140, callback=self._on_compare
            )
            dpg.add_slider_float(
                tag="viewer_split",
                width=120,
                min_value=0.0,
                max_value=1.0,
                default_value=0.5,
                format="split %.2f",
                callback=self._on_compare,
            )
        dpg.add_text("select a node to see its output", tag="viewer_info")
        with dpg.tooltip("viewer_info", tag="viewer_info_tip", show=False):
            dpg.add_text("", tag="viewer_info_full", wrap=480)
        with dpg.group(horizontal=True, tag="sweep_controls", show=False):
            dpg.add_text("click renders to star them")
            self.buttons["Add starred as layers"] = dpg.add_button(
                label="Add starred as layers",
                tag="sweep_add_starred",
                callback=lambda: self._on_sweep() and self.sheets.add_starred(self.node_id),
            )
        self.painter.build_controls()
        dpg.add_drawlist(width=width, height=height, tag=DRAW)

    def resize(self, width: int, height: int) -> None:
        """A new drawing size: "fit" re-fits, a set zoom keeps the same image point at
        the centre."""
        if (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            dpg.configure_item(DRAW, width=width, height=height)
            self._key = None

    def set_compare_choices(self, choices: list[str], default: str | None) -> None:
        dpg.configure_item("viewer_compare", items=choices)
        if dpg.get_value("viewer_compare") not in choices:
            dpg.set_value("viewer_compare", default or "")
            if self.split is not None:
                self._on_compare()

    # commands (buttons, shortcuts and the scripted window use the same ones) -------------
    def show(self, node_id: str | None) -> None:
        if node_id != self.node_id:
            self.node_id = node_id
            self.painter.attach(node_id)
            self._key = None
            if dpg.does_item_exist("sweep_controls"):
                dpg.configure_item("sweep_controls", show=self._on_sweep())

    def rescale(self, scale: float) -> None:
        self.scale = scale
        self._key = None

    def _info(self, text: str) -> None:
        """The info line over the picture, cut to the viewer's width (whole on hover)."""
        shown = elide(text, room_for(self.width, self.scale))
        dpg.set_value("viewer_info", shown)
        dpg.set_value("viewer_info_full", text)
        dpg.configure_item("viewer_info_tip", show=shown != text)

    def forget(self, exists: Callable[[str], bool]) -> None:
        """Let go of a node the graph no longer has: shown, it leaves the view empty (no
        picture, no painter, no sweep buttons); compared against, the comparison ends."""
        if self.node_id is not None and not exists(self.node_id):
            self.show(None)
        if self.compare_id is not None and not exists(self.compare_id):
            self.compare(None)

    def refresh(self) -> None:
        """Draw again on the next frame (a new run result may share the old one's size)."""
        self._key = None

    def set_scale(self, scale: float | None) -> None:
        self.view = View(scale, self.view.centre if scale is not None else (0.5, 0.5))
        self._key = None

    def compare(self, node_id: str | None, split: float = 0.5) -> None:
        dpg.set_value("viewer_compare_on", node_id is not None)
        if node_id is not None:
            dpg.set_value("viewer_compare", node_id)
            dpg.set_value("viewer_split", split)
        self._on_compare()

    def _on_compare(self, *args: Any) -> None:
        on = dpg.get_value("viewer_compare_on") and bool(dpg.get_value("viewer_compare"))
        self.compare_id = dpg.get_value("viewer_compare") if on else None
        self.split = float(dpg.get_value("viewer_split")) if on else None
        self._key = None

    def on_wheel(self, delta: float) -> None:
        if dpg.does_item_exist(DRAW) and dpg.is_item_hovered(DRAW):
            self._wheel += delta

    # per frame --------------------------------------------------------------------------
    def pump(self) -> None:
        image = self._shown_image()
        if image is None:
            if self._key != ("empty", self.node_id):
                self._clear()
                self._key = ("empty", self.node_id)
                text = "no output yet: run the graph" if self.node_id else "select a node"
                self._info(f"{self.node_id or ''}  {text}".strip())
            return
        height, width = image.shape[:2]
        scale, ox, oy = self._placement(height, width)
        self._interact(scale, ox, oy, height, width)
        scale, ox, oy = self._placement(height, width)
        self.placed = (scale, ox, oy, (height, width))
        other = self.picture(self.compare_id) if self.compare_id else None
        stars = self._stars()
        key = (id(image), id(other), self.painter.version, scale, ox, oy, self.split, stars)
        if key != self._key:
            self._key = key
            self._draw(image, other, scale, ox, oy)
            self._draw_stars(stars, image.shape[:2], scale, ox, oy)
            note = self.painter.note if self.painter.active else ""
            self._info(
                f"{self.node_id}: {width} x {height}, {scale:.0%}"
                + (f"  |  left: {self.compare_id}" if other is not None else "")
                + (f"  |  {note}" if note else "")
            )
        mouse = self._mouse() if dpg.is_item_hovered(DRAW) else None
        self.painter.draw_live(DRAW, scale, ox, oy, height, width, mouse)

    def sheet_centres(self) -> list[tuple[float, float]]:
        """Where the renders of the shown sweep's sheet are, in the drawing's pixels (for
        the geometry file that input-driving tests click by)."""
        if not self._on_sweep() or self.placed is None:
            return []
        scale, ox, oy, (height, width) = self.placed
        return [
            (ox + (u0 + u1) / 2 * width * scale, oy + (v0 + v1) / 2 * height * scale)
            for u0, v0, u1, v1 in self.sheets.sweep_cells(self.node_id, (height, width))
        ]

    def _on_sweep(self) -> bool:
        return self.sheets is not None and self.sheets.is_sweep(self.node_id)

    def _stars(self) -> tuple:
        if not self._on_sweep():
            return ()
        return tuple(sorted(self.sheets.stars.get(self.node_id, set())))

    def _draw_stars(
        self, stars: tuple, shape: tuple[int, int], scale: float, ox: float, oy: float
    ) -> None:
        """A frame and a star on each starred render of a sweep's sheet."""
        if not stars:
            return
        height, width = shape
        cells = self.sheets.sweep_cells(self.node_id, shape)
        for index in stars:
            if index >= len(cells):
                continue
            u0, v0, u1, v1 = cells[index]
            corner = (ox + u0 * width * scale, oy + v0 * height * scale)
            far = (ox + u1 * width * scale, oy + v1 * height * scale)
            dpg.draw_rectangle(corner, far, color=STAR_COLOUR, thickness=3, parent=DRAW)
            dpg.draw_text(
                (corner[0] + 4, corner[1] + 2), "*", color=STAR_COLOUR, size=28, parent=DRAW
            )

    def _shown_image(self) -> np.ndarray | None:
        if self.node_id is None:
            return None
        return self.painter.image() if self.painter.active else self.picture(self.node_id)

    def _placement(self, height: int, width: int) -> tuple[float, float, float]:
        fit = min(self.width / width, self.height / height)
        scale = fit if self.view.scale is None else self.view.scale
        cx, cy = self.view.centre
        return scale, self.width / 2 - cx * width * scale, self.height / 2 - cy * height * scale

    def _mouse(self) -> tuple[float, float]:
        x, y = dpg.get_mouse_pos(local=False)
        left, top = dpg.get_item_rect_min(DRAW)
        return x - left, y - top

    def _interact(self, scale: float, ox: float, oy: float, height: int, width: int) -> None:
        """Wheel zoom about the cursor, drag to pan (middle button, or left when not
        painting); painting itself is the painter's."""
        hovered = dpg.is_item_hovered(DRAW)
        mx, my = self._mouse()
        if self._wheel:
            factor = ZOOM_STEP**self._wheel
            self._wheel = 0.0
            new = float(np.clip(scale * factor, MIN_SCALE, MAX_SCALE))
            ix, iy = (mx - ox) / scale, (my - oy) / scale  # image point under the cursor
            cx = (ix - (mx - self.width / 2) / new) / width
            cy = (iy - (my - self.height / 2) / new) / height
            self.view = View(new, (cx, cy))
            return
        pan_button = dpg.mvMouseButton_Middle
        if not self.painter.active and dpg.is_mouse_button_down(dpg.mvMouseButton_Left):
            pan_button = dpg.mvMouseButton_Left
        if self.painter.active:
            self.painter.track(hovered, (mx - ox) / (scale * width), (my - oy) / (scale * height))
        elif self._on_sweep():
            self._click_sheet(hovered, mx, my, scale, ox, oy, height, width)
        if dpg.is_mouse_button_down(pan_button) and (hovered or self._drag_from is not None):
            if self._drag_from is not None:
                dx, dy = mx - self._drag_from[0], my - self._drag_from[1]
                if dx or dy:
                    cx, cy = self.view.centre
                    self.view = View(scale, (cx - dx / (scale * width), cy - dy / (scale * height)))
            self._drag_from = (mx, my)
        else:
            self._drag_from = None

    def _click_sheet(
        self,
        hovered: bool,
        mx: float,
        my: float,
        scale: float,
        ox: float,
        oy: float,
        height: int,
        width: int,
    ) -> None:
        """A left click that does not move (a drag pans) stars the render under it."""
        if hovered and dpg.is_mouse_button_clicked(dpg.mvMouseButton_Left):
            self._pressed_at = (mx, my)
        if self._pressed_at is None or dpg.is_mouse_button_down(dpg.mvMouseButton_Left):
            return
        (px, py), self._pressed_at = self._pressed_at, None
        if abs(mx - px) <= CLICK_SLOP and abs(my - py) <= CLICK_SLOP:
            u, v = (mx - ox) / (scale * width), (my - oy) / (scale * height)
            self.sheets.click_sheet(self.node_id, u, v, (height, width))

    def _draw(
        self, image: np.ndarray, other: np.ndarray | None, scale: float, ox: float, oy: float
    ) -> None:
        self._clear()
        height, width = image.shape[:2]
        shown = self._visible(image, scale, ox, oy)
        if shown is None:
            return
        (x0, y0, x1, y1), rect = shown
        texture = textures.upload(self._crop(image, x0, y0, x1, y1, rect))
        self._textures.append(texture)
        dpg.draw_image(texture, rect[:2], rect[2:], parent=DRAW)
        if other is None or self.split is None:
            return
        oh, ow = other.shape[:2]
        u0, u1, v0, v1 = x0 / width, x1 / width, y0 / height, y1 / height
        crop = self._crop(other, u0 * ow, v0 * oh, u1 * ow, v1 * oh, rect)
        before = textures.upload(crop)
        self._textures.append(before)
        line = self.split * self.width
        right = min(rect[2], max(rect[0], line))
        if right > rect[0]:
            u = (right - rect[0]) / (rect[2] - rect[0])
            dpg.draw_image(
                before, rect[:2], (right, rect[3]), uv_min=(0, 0), uv_max=(u, 1), parent=DRAW
            )
        dpg.draw_line((line, 0), (line, self.height), color=SPLIT_COLOUR, thickness=2, parent=DRAW)

    def _visible(
        self, image: np.ndarray, scale: float, ox: float, oy: float
    ) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]] | None:
        """The image region in view (image px) and where it lands on screen."""
        height, width = image.shape[:2]
        x0, y0 = max(0.0, -ox / scale), max(0.0, -oy / scale)
        x1, y1 = min(width, (self.width - ox) / scale), min(height, (self.height - oy) / scale)
        if x1 - x0 < 1 / scale or y1 - y0 < 1 / scale or x1 <= x0 or y1 <= y0:
            return None
        return (x0, y0, x1, y1), (
            ox + x0 * scale,
            oy + y0 * scale,
            ox + x1 * scale,
            oy + y1 * scale,
        )

    def _crop(
        self,
        image: np.ndarray,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        rect: tuple[float, float, float, float],
    ) -> np.ndarray:
        """The region, at most as many pixels as the screen shows it with."""
        part = image[
            int(y0) : max(int(y0) + 1, int(np.ceil(y1))),
            int(x0) : max(int(x0) + 1, int(np.ceil(x1))),
        ]
        out_w = max(1, min(part.shape[1], round(rect[2] - rect[0]), self.width))
        out_h = max(1, min(part.shape[0], round(rect[3] - rect[1]), self.height))
        return textures.shrink(part, out_h, out_w)

    def _clear(self) -> None:
        dpg.delete_item(DRAW, children_only=True)
        for texture in self._textures:
            textures.release(texture)
        self._textures.clear()
        self.painter.live_item = None
