"""The editor driven by a script, for the tests that open a real window: the settings a
user would click (``--select``, ``--viewer-zoom``, ``--compare``, ``--paint-stroke``), a
screenshot once the run is done (``--screenshot``), and the screen positions of what a
user clicks, kept in a file (``--geometry``) for tests that drive the window with xdotool.

Run as ``python tests/editor_script.py PRESET [--set ...] [--run] [hooks]``: the same
``stylegraph edit`` (display check, preset, ``--set``), with these hooks, which are not
part of the command line a user meets."""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dearpygui.dearpygui as dpg

from stylegraph.cli import run_command
from stylegraph.cli.edit import cmd_edit
from stylegraph.cli.parser import add_edit_arguments
from stylegraph.graph.atomic import atomic_write_text
from stylegraph.ui.editor import MENU_SEP, Editor
from stylegraph.ui.files import DIALOG_SIZE, dialog_fields, dialog_items, dialog_open
from stylegraph.ui.layers_panel import PANEL as LAYERS_PANEL
from stylegraph.ui.safety import PROMPT

SCRIPT_TIMEOUT = 600.0  # s: a scripted window gives up on its run after this
MENU_PAD = 4  # px: a menu label's padding in the menu bar
POPUP_PAD, POPUP_EXTRA = 8, 36  # px: a menu popup's padding; its width past its labels
GEOMETRY_EVERY = 5  # frames between looks at the layout for --geometry


@dataclass
class Script:
    """What a scripted window does: after its run, the settings a user would click, then a
    screenshot; all along, the layout kept in ``geometry``."""

    select: str | None = None
    viewer_zoom: float | None = None  # percent; None keeps "fit"
    compare: str | None = None
    split: float = 0.5
    paint_stroke: list[tuple[float, float]] = field(default_factory=list)
    screenshot: Path | None = None
    geometry: Path | None = None  # where to keep node, viewer and prompt positions
    _deadline: float = field(default_factory=lambda: time.monotonic() + SCRIPT_TIMEOUT)
    _shot_at: int | None = None
    _layout: dict | None = None

    @property
    def takes_over(self) -> bool:
        """A screenshot script runs the graph at once and draws flat out to its picture."""
        return self.screenshot is not None

    def after_frame(self, editor: Editor, frames: int) -> None:
        if self.geometry is not None and frames % GEOMETRY_EVERY == 3:
            self._layout = _write_geometry(editor, self.geometry, self._layout)
        if self.screenshot is None:
            return
        finished = editor.idle and (editor.report is not None or editor.nothing_to_do)
        if self._shot_at is None and (finished or time.monotonic() > self._deadline):
            _apply(editor, self)
            self._shot_at = frames + 6
        if self._shot_at is not None and frames == self._shot_at:
            dpg.output_frame_buffer(file=str(self.screenshot))
        if self._shot_at is not None and frames == self._shot_at + 3:
            editor.controller.discard_recovery()
            dpg.stop_dearpygui()


def _apply(editor: Editor, script: Script) -> None:
    if script.select:
        editor.viewer.show(script.select)
    if script.viewer_zoom is not None:
        editor.viewer.set_scale(script.viewer_zoom / 100)
    if script.compare:
        editor.viewer.compare(script.compare, script.split)
    if script.paint_stroke:
        editor.painter.commit(script.paint_stroke)


def _write_geometry(editor: Editor, path: Path, written: dict | None) -> dict:
    """Screen positions of each node's title bar, of the viewer's and the canvas's
    corners and of the open prompt's buttons, for input-driving tests (xdotool) that click
    what a user would click; rewritten (whole, never half) when the layout changes, e.g.
    on a resize or a pan."""
    left, top = dpg.get_viewport_pos()
    nodes = {
        node_id: [left + x + 30, top + y + 10]
        for node_id, item in editor.canvas.nodes.items()
        for x, y in [dpg.get_item_rect_min(item)]
    }
    viewer = [
        [left + x, top + y]
        for x, y in (dpg.get_item_rect_min("viewer_draw"), dpg.get_item_rect_max("viewer_draw"))
    ]
    (cx, cy), (cw, ch) = editor.canvas.screen_rect()
    canvas = [[left + cx, top + cy], [left + cx + cw, top + cy + ch]]
    prompt = {
        dpg.get_item_label(button): [left + x + w / 2, top + y + h / 2]
        for button in _prompt_buttons()
        for (x, y), (w, h) in [(dpg.get_item_rect_min(button), dpg.get_item_rect_size(button))]
        if w > 0 and h > 0
    }
    layout = {"nodes": nodes, "viewer": viewer, "canvas": canvas, "prompt": prompt}
    layout["dialog"] = _dialog_corners(left, top) if dialog_open() else None
    layout["dialog_items"] = centres(dialog_items(), left, top)
    layout["dialog_fields"] = dialog_fields()
    layout["layers"] = centres(editor.layers_panel.buttons, left, top)
    layout["menus"] = _menu_centres(editor.menu_items, left, top)
    layout["viewer_buttons"] = centres(editor.viewer.buttons, left, top)
    layout["status"] = dpg.get_value("status_full")
    layout["running"] = not editor.idle
    layout["viewer_cut"] = cut_off("viewer_panel")
    layout["layers_cut"] = cut_off(LAYERS_PANEL) if dpg.is_item_shown(LAYERS_PANEL) else []
    layout["viewer_node"] = editor.viewer.node_id
    draw = dpg.get_item_rect_min("viewer_draw")
    layout["sheet"] = [
        [left + draw[0] + x, top + draw[1] + y] for x, y in editor.viewer.sheet_centres()
    ]
    if layout != written:
        atomic_write_text(path, json.dumps(layout))
    return layout


def _menu_centres(items: dict[str, int | str], left: float, top: float) -> dict[str, list]:
    """Where the shown menus and menu items are. Dear PyGui gives them a position but no
    size (the label's text size stands for it), a menu bar's relative to the window and
    an open menu's items relative to their popup, which opens under its menu (a submenu's
    right of its popup, level with its item); an item of a closed menu sits at 0, 0."""
    out: dict[str, list] = {}
    corners: dict[str, tuple[float, float]] = {}  # path -> its popup's top-left
    sizes = {
        path: dpg.get_text_size(dpg.get_item_label(item)) or (0, 0) for path, item in items.items()
    }
    for path, item in items.items():  # a menu comes before its items
        state = dpg.get_item_state(item) if dpg.does_item_exist(item) else {}
        x, y = state.get("pos") or (0, 0)
        width, height = sizes[path]
        parent = path.rpartition(MENU_SEP)[0]
        if (x, y) == (0, 0) or (parent and parent not in corners):
            continue
        if not parent:
            ax, ay = left + x, top + y
            corners[path] = (ax - MENU_PAD, ay + height + 2 * MENU_PAD)
        else:
            ax, ay = corners[parent][0] + x, corners[parent][1] + y
            siblings = [w for p, (w, _) in sizes.items() if p.rpartition(MENU_SEP)[0] == parent]
            corners[path] = (corners[parent][0] + max(siblings) + POPUP_EXTRA, ay - POPUP_PAD)
        out[path] = [ax + width / 2 + MENU_PAD, ay + height / 2 + 2]
    return out


def cut_off(panel: int | str) -> list[str]:
    """The shown items of ``panel`` that reach past its edges (cut, or behind a
    scrollbar), by label or type: the window's layout at this size and scale leaves no
    room for them."""
    state = dpg.get_item_state(panel)  # a child window reports its place as "pos"
    (left, top), (width, height) = state["pos"], state["rect_size"]
    found = []

    def walk(item: int | str) -> None:
        for child in dpg.get_item_children(item, 1) or []:
            if not dpg.is_item_shown(child):
                continue
            state = dpg.get_item_state(child)
            if state.get("visible") and state.get("rect_max") and state["rect_size"][0] > 0:
                x1, y1 = state["rect_max"]
                if x1 > left + width + 1 or y1 > top + height + 1:
                    text = dpg.get_value(child) if "Text" in dpg.get_item_type(child) else ""
                    found.append(dpg.get_item_label(child) or str(text))
            walk(child)

    walk(panel)
    return found


def _dialog_corners(left: float, top: float) -> list[list[float]]:
    """The open file dialog's corners: it opens centred in the window, at its set size."""
    width, height = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
    x, y = left + (width - DIALOG_SIZE[0]) / 2, top + (height - DIALOG_SIZE[1]) / 2
    return [[x, y], [x + DIALOG_SIZE[0], y + DIALOG_SIZE[1]]]


def _prompt_buttons() -> list[int | str]:
    """The open prompt's buttons (they sit in a row under its text)."""
    if not dpg.does_item_exist(PROMPT):
        return []
    return [
        item
        for row in dpg.get_item_children(PROMPT, 1)
        for item in dpg.get_item_children(row, 1)
        if dpg.get_item_type(item) == "mvAppItemType::mvButton"
    ]


def centres(items: dict[str, int | str], left: float, top: float) -> dict[str, list[float]]:
    """Screen centres of the shown ``items`` (label -> item), for the geometry file that
    input-driving tests click by (``--geometry``)."""
    out = {}
    for label, item in items.items():
        if not dpg.does_item_exist(item) or not dpg.is_item_visible(item):
            continue
        (x, y), (w, h) = dpg.get_item_rect_min(item), dpg.get_item_rect_size(item)
        if w > 0 and h > 0:
            out[label] = [left + x + w / 2, top + y + h / 2]
    return out


def main(argv: list[str] | None = None) -> int:
    """``stylegraph edit`` with the script's hooks."""
    parser = argparse.ArgumentParser(prog="editor_script", description=__doc__)
    add_edit_arguments(parser)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--select", help="the node to show in the viewer")
    parser.add_argument("--screenshot", help="run, save a PNG of the window there, close")
    parser.add_argument("--viewer-zoom", type=float, help="the viewer's zoom in %%")
    parser.add_argument("--compare", help="the node left of the viewer's split")
    parser.add_argument("--paint-stroke", help="x,y;x,y... normalised, on the viewed mask")
    parser.add_argument("--geometry", help="keep the screen positions in this file")
    args = parser.parse_args(argv)
    stroke = [tuple(map(float, p.split(","))) for p in (args.paint_stroke or "").split(";") if p]
    script = Script(
        select=args.select,
        viewer_zoom=args.viewer_zoom,
        compare=args.compare,
        paint_stroke=stroke,
        screenshot=Path(args.screenshot).resolve() if args.screenshot else None,
        geometry=Path(args.geometry).resolve() if args.geometry else None,
    )
    return run_command(args, functools.partial(cmd_edit, script=script), own_signals=True)


if __name__ == "__main__":
    sys.exit(main())
