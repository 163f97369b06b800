"""The Layers panel: the selected Layer Stack as a paint program shows it, one row per
layer (top first) with a grip to drag it to another place, its picture, name, visibility,
solo, opacity, blend mode, what its mask is (painted, the photo's subject or people, a
face part: one choice) and the mask, and a remove button; under them the base.

A view of the graph like the canvas: every change goes through ``ui.layers`` as one
undoable command, and the rows are rebuilt from the graph whenever it or the shown pictures
change, so undo shows at once. A layer moves as in a paint program: its grip (the "="
at the row's start) is dragged onto another row, and the layer takes that row's place in
one undo step (Dear PyGui's drag payload carries the layer's number; each row is a drop
target). Nothing is rebuilt while a grip is held, so a run finishing mid-drag cannot
delete the row under the mouse.

The panel is docked under the canvas, in the canvas's column (``build`` takes the
column's width, and the canvas gives up ``HEIGHT`` while a stack is shown), so it never
covers the graph or the picture.

It also keeps the sweep's stars: clicking a render on a Style Sweep's sheet in the viewer
stars it, and "Add starred as layers" turns the starred paintings into masked layers of the
stack, through the same command as "Add painting layer...".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.graph.model import Graph, GraphError
from stylegraph.graph.preset import Preset
from stylegraph.nodes.functional.blend import MODES
from stylegraph.nodes.functional.contact_sheet import grid_columns
from stylegraph.nodes.functional.paint import render_strokes
from stylegraph.nodes.functional.resize import fit_longest_side
from stylegraph.nodes.functional.stack import flatten
from stylegraph.ui import textures
from stylegraph.ui.commands import Command, SetStars, stars_of
from stylegraph.ui.files import IMAGE_EXTENSIONS, ask_path
from stylegraph.ui.layers import (
    MASK_SOURCES,
    PAINT_TYPE,
    STACK_TYPE,
    LayerRow,
    Layers,
    layer_numbers,
    mask_source,
    rows,
    stack_of,
)

if TYPE_CHECKING:
    from stylegraph.ui.controller import Controller

PANEL = "layers_panel"
ROWS = "layers_rows"
PICKER = "layers_picker"
THUMB = 44  # px: a layer's picture and mask in its row
NAME_WIDTH = 140  # px at scale 1: a layer's name field (a longer name shows on hover)
MIN_NAME_WIDTH = 50  # px at scale 1: what a narrow window leaves the name
ROW_REST = 530  # px at scale 1: a row's other controls, which keep their widths
HEIGHT = 230  # px: the docked panel's height under the canvas
GAP = 8  # px between the canvas and the panel (Dear PyGui's item spacing)
PAYLOAD = "stylegraph_layer"  # a dragged row's grip carries its layer number
PAINT_DELAY = 0.4  # s after a stroke before the mask thumbnails follow it
SHEET_GAP = 8  # px: the contact sheet's layout (nodes.functional)
STAR_COLOUR = (255, 210, 40, 255)
STYLE_PARAMS_FROM_SWEEP = ("engine", "colour", "device", "style_size", "tile_size")


class LayersPanel:
    def __init__(
        self,
        controller: Controller,
        port_output: Callable[[str, str], np.ndarray | None],
        say: Callable[[str], None],
        show_node: Callable[[str], None],
        compute: Callable[[list[str]], bool],
    ) -> None:
        self.controller = controller
        self.layers = Layers(controller)
        self.port_output = port_output
        self.say = say
        self.show_node = show_node  # put a node in the viewer (a mask, to paint it)
        # compute these nodes (a new layer's render) without saving; False when it cannot
        self.compute = compute
        self.stack_id: str | None = None
        self._key: tuple | None = None
        self._textures: list[int | str] = []
        self.buttons: dict[str, int | str] = {}  # label -> item, for the geometry file
        self._editing: list[int | str] = []  # the rows' sliders and fields
        self._small: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id -> (picture, thumb)
        self._used: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._painted_at = 0.0
        self.canvas: int | str | None = None
        self._browse_after: int | None = None  # the frame after which Browse... opens
        self.scale = 1.0  # the UI scale: text fields widen with it
        # set by the editor: a stack's last LayerStack output, and how to show a picture
        # of it without one layer (before / after)
        self.stack_output: Callable[[str], Any] = lambda stack_id: None
        self.show_without: Callable[[str, str, np.ndarray], None] = lambda *args: None

    # building ---------------------------------------------------------------------------
    def build(self, width: int = -1, canvas: int | str | None = None) -> None:
        """The panel as a child of the current container (the canvas's column), ``width``
        as Dear PyGui takes it (negative: all but that much); ``canvas``, the item above
        it, which gives up the panel's height while the panel shows."""
        self.canvas = canvas
        # an opacity is one undo step when the slider is let go, not one per frame dragged
        with dpg.item_handler_registry(tag="layers_opacity_done"):
            dpg.add_item_deactivated_after_edit_handler(callback=self._opacity_done)
        with dpg.child_window(tag=PANEL, width=width, height=HEIGHT, show=False):
            dpg.add_text("", tag="layers_title")
            with dpg.group(horizontal=True):
                self.buttons["Add painting layer..."] = dpg.add_button(
                    label="Add painting layer...", callback=self.open_picker
                )
                dpg.add_radio_button(
                    ("start hidden", "start revealed"),
                    tag="layers_reveal",
                    horizontal=True,
                    default_value="start hidden",
                )
            dpg.add_group(tag=ROWS)
        with dpg.window(label="Add painting layers", tag=PICKER, show=False, modal=True, width=420):
            dpg.add_text("Paintings to add, each a style render with its own mask:")
            dpg.add_group(tag="layers_picker_list")
            with dpg.group(horizontal=True):
                self.buttons["Add"] = dpg.add_button(label="Add", callback=self._add_chosen)
                self.buttons["Browse..."] = dpg.add_button(label="Browse...", callback=self._browse)
                dpg.add_button(label="Cancel", callback=lambda: dpg.hide_item(PICKER))

    # following the selection ------------------------------------------------------------
    def follow(self, node_id: str | None) -> None:
        """The stack the panel shows: the one selected or fed by the selected node (a
        layer's render or mask), which stays while nothing else is selected; in a graph
        with one stack, that one (as a paint program always shows its layers)."""
        graph = self.controller.graph
        stack = stack_of(graph, node_id)
        if stack is not None:
            self.stack_id = stack
        if self.stack_id is not None and self.stack_id not in graph:
            self.stack_id = None
        if self.stack_id is None:
            stacks = [n.id for n in graph.nodes() if n.type_id == STACK_TYPE]
            self.stack_id = stacks[0] if len(stacks) == 1 else None

    def _name_width(self) -> int:
        """The name field takes what the panel's width leaves the row's other controls
        (a narrow window shortens the name, not the row's last buttons)."""
        room = dpg.get_item_rect_size(PANEL)[0] if dpg.does_item_exist(PANEL) else 0
        left = room - ROW_REST * self.scale if room > 0 else NAME_WIDTH * self.scale
        return int(max(MIN_NAME_WIDTH * self.scale, min(NAME_WIDTH * self.scale, left)))

    def resized(self) -> None:
        """The window changed size: the rows are laid out again for the panel's width."""
        self._key = None

    def rescale(self, scale: float) -> None:
        """Widths that hold text (a layer's name) follow the UI scale; rebuilt at once."""
        self.scale = scale
        self._key = None

    def forget(self, exists: Callable[[str], bool]) -> None:
        """Let go of a stack the graph no longer has (a sweep's stars are the graph's)."""
        if self.stack_id is not None and not exists(self.stack_id):
            self.stack_id = None
            self._key = None

    def pump(self, node_id: str | None) -> None:
        self.follow(node_id)
        if not dpg.does_item_exist(PANEL):
            return
        if self._browse_after is not None and dpg.get_frame_count() > self._browse_after:
            self._open_browse()
        key = self._state_key()
        if key == self._key or any(dpg.is_item_active(item) for item in self._editing):
            return  # (a slider being dragged is not rebuilt under the mouse)
        if self._key is not None and key[:-1] == self._key[:-1]:
            # only strokes changed: the mask thumbnail follows once the brush rests, so a
            # stroke's frame is spent on the picture, not on this panel
            now = time.monotonic()
            self._painted_at = self._painted_at or now
            if now - self._painted_at < PAINT_DELAY or dpg.is_mouse_button_down(0):
                return
        self._painted_at = 0.0
        self._key = key
        self._show(self.stack_id is not None)
        if self.stack_id is not None:
            self._rebuild()

    def _show(self, shown: bool) -> None:
        """Show or hide the docked panel, the canvas above it taking back its room."""
        dpg.configure_item(PANEL, show=shown)
        if self.canvas is not None and dpg.does_item_exist(self.canvas):
            dpg.configure_item(self.canvas, height=-(HEIGHT + GAP) if shown else -1)

    def _state_key(self) -> tuple:
        if self.stack_id is None:
            return (None,)
        graph = self.controller.graph
        links = sorted(graph.input_links(self.stack_id).items())
        pictures = tuple(id(self.port_output(lk.src, lk.src_port)) for _, lk in links)
        painted = tuple(
            repr(graph.node(lk.src).params)
            for _, lk in links
            if graph.node(lk.src).type_id == PAINT_TYPE
        )
        return (
            self.stack_id,
            repr(graph.node(self.stack_id).params),
            repr(links),
            pictures,
            painted,
        )

    # rows -------------------------------------------------------------------------------
    def _thumb(self, node_id: str | None, port: str) -> int | str | None:
        """A row's picture, shrunk once per picture (the shrunk ones this rebuild used
        are kept for the next)."""
        image = self.port_output(node_id, port) if node_id else None
        if image is None:
            return None
        node = self.controller.graph.node(node_id)
        if node.type_id == PAINT_TYPE:  # as painted now, before the next run
            height, width = fit_longest_side(*image.shape[:2], THUMB)
            image = render_strokes(node.params["strokes"], height, width, node.params["base"])
        small = self._small.get(id(image))
        if small is None or small[0] is not image:  # shrunk once per picture
            height, width = fit_longest_side(*image.shape[:2], THUMB)
            small = (image, textures.shrink(image, height, width))
        self._used[id(image)] = small
        texture = textures.upload(small[1])
        self._textures.append(texture)
        return dpg.add_image(texture, width=small[1].shape[1], height=small[1].shape[0])

    def _rebuild(self) -> None:
        dpg.delete_item(ROWS, children_only=True)
        for texture in self._textures:
            textures.release(texture)
        self._textures.clear()
        rowed = ("paint ", "grip ", "mode ", "remove ")
        self.buttons = {k: v for k, v in self.buttons.items() if not k.startswith(rowed)}
        self._editing = []
        self._used = {}
        stack = self.stack_id
        listed = rows(self.controller.graph, stack)
        dpg.set_value("layers_title", f"{stack}: {len(listed)} layer(s) over the base")
        dpg.push_container_stack(ROWS)
        try:
            for index, row in enumerate(listed):
                self._row(row, index, len(listed))
            base = self.controller.graph.input_link(stack, "base")
            with dpg.group(horizontal=True):
                if base is None or self._thumb(base.src, base.src_port) is None:
                    dpg.add_text("[ ]")
                dpg.add_text(f"Base  ({base.src if base else 'not linked'})")
        finally:
            dpg.pop_container_stack()
            self._small = self._used

    def _row(self, row: LayerRow, index: int, count: int) -> None:
        stack, n = self.stack_id, row.number
        place = count - index  # its position over the base (1 = just over it)
        with dpg.group(
            horizontal=True,
            payload_type=PAYLOAD,
            drop_callback=lambda s, dragged: self._guard(self.layers.move, stack, dragged, place),
        ):
            grip = dpg.add_button(label="=", width=16)
            with dpg.drag_payload(parent=grip, payload_type=PAYLOAD, drag_data=n):
                dpg.add_text(f"move {row.name}")
            with dpg.tooltip(grip):
                dpg.add_text("drag onto another layer to move this one there")
            self.buttons[f"grip {row.source}"] = grip
            self._editing.append(grip)
            link = self.controller.graph.input_link(stack, f"layer{n}")
            if self._thumb(row.source, link.src_port) is None:
                dpg.add_text("[..]")
            dpg.add_checkbox(
                label="",
                default_value=row.visible,
                callback=lambda s, on: self._guard(self.layers.set_visible, stack, n, on),
            )
            dpg.add_button(label="S", callback=lambda: self._guard(self.layers.solo, stack, n))
            with dpg.tooltip(dpg.last_item()):
                dpg.add_text("solo: only this layer over the base (again: all)")
            self.buttons[f"before {row.source}"] = dpg.add_button(
                label="B", callback=lambda: self.before_after(n)
            )
            with dpg.tooltip(dpg.last_item()):
                dpg.add_text("before / after: the picture without this layer (again: with it)")
            field = dpg.add_input_text(
                default_value=row.name,
                width=self._name_width(),
                on_enter=True,
                callback=lambda s, text: self._guard(self.layers.rename, stack, n, text),
            )
            self._editing.append(field)
            with dpg.tooltip(field):  # a long name is cut in the field
                dpg.add_text(f"{row.name} (Enter renames)")
            slider = dpg.add_slider_float(
                default_value=row.opacity,
                min_value=0.0,
                max_value=1.0,
                width=int(56 * self.scale),
                format="%.2f",
                user_data=(stack, n),
            )
            dpg.bind_item_handler_registry(slider, "layers_opacity_done")
            self._editing.append(slider)
            self.buttons[f"mode {row.source}"] = dpg.add_combo(
                MODES,
                default_value=row.mode,
                width=int(80 * self.scale),
                callback=lambda s, mode: self._guard(
                    self.layers.set_entry, stack, n, "modes", mode
                ),
            )
            mask_port = self.controller.graph.input_link(stack, f"mask{n}")
            shown = self._thumb(row.mask, mask_port.src_port) if mask_port else None
            source = mask_source(self.controller.graph, row.mask) if row.mask else None
            self.buttons[f"mask of {row.source}"] = dpg.add_combo(
                MASK_SOURCES if source else ("other", *MASK_SOURCES),
                default_value=source or "other",
                width=80,
                callback=lambda s, chosen: chosen != "other" and self._mask_to(n, chosen),
            )
            if row.mask is not None:
                button = dpg.add_button(
                    label="mask" if shown is None else "paint",
                    callback=lambda: self.show_node(row.mask),
                )
                self.buttons[f"paint {row.mask}"] = button
            self.buttons[f"remove {row.source}"] = dpg.add_button(
                label="x", callback=lambda: self._remove(n)
            )

    def without(self, number: int) -> np.ndarray | None:
        """The stack's last computed picture made again without layer ``number`` (its
        other layers as they were), or None before the stack has run."""
        stack = self.stack_id
        made = self.stack_output(stack) if stack is not None else None
        numbers = layer_numbers(self.controller.graph, stack) if stack is not None else []
        if made is None or number not in numbers or len(made.layers) != len(numbers) + 1:
            return None
        skipped = numbers.index(number) + 1  # the stack's layers: the base, then 1, 2...
        kept = [layer for index, layer in enumerate(made.layers) if index not in (0, skipped)]
        return flatten(made.layers[0].pixels, kept)

    def before_after(self, number: int) -> None:
        """B on a layer's row: the viewer shows the stack's picture without that layer
        (before), B again shows it with it (after); no edit, nothing to undo."""
        listed = rows(self.controller.graph, self.stack_id) if self.stack_id else []
        name = next((r.name for r in listed if r.number == number), None)
        picture = self.without(number) if name is not None else None
        if picture is None:
            self.say("run the graph first: before / after compares computed pictures")
            return
        self.show_without(self.stack_id, name, picture)

    def _opacity_done(self, sender: Any, slider: int | str) -> None:
        stack, number = dpg.get_item_user_data(slider)
        value = round(float(dpg.get_value(slider)), 3)
        self._guard(self.layers.set_entry, stack, number, "opacities", value)

    def _guard(self, action: Callable[..., Any], *args: Any) -> Any:
        try:
            return action(*args)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
            self._key = None  # put the widgets back to the graph's values
            return None

    def _mask_to(self, number: int, source: str) -> None:
        """Layer ``number`` masked to ``source`` (eyes, person...), shown in the viewer
        over the photo, as a paint program's "mask from selection" is one action."""
        made = self._guard(self.layers.set_mask, self.stack_id, number, source)
        if made is not None:
            self.say(f"layer {number} masked to {source} ({made}): run to see it")
            self.show_node(made)

    def _remove(self, number: int) -> None:
        removed = self._guard(self.layers.remove, self.stack_id, number)
        if removed is not None:
            self.say(f"removed layer {number}" + (f" and {', '.join(removed)}" if removed else ""))

    # adding paintings -------------------------------------------------------------------
    def paintings(self) -> list[Path]:
        """Paintings to offer: those the graph's style nodes use and the other pictures in
        their folders (where the artist keeps them)."""
        found: dict[Path, None] = {}
        graph = self.controller.graph
        named = [
            Path(p)
            for node in graph.nodes()
            for p in node.params.get("style_files", []) or []
            if isinstance(p, str) and p
        ]
        base = self.controller.preset.base_dir
        for path in named:
            path = path if path.is_absolute() else base / path
            found[path] = None
            if path.parent.is_dir():
                for other in sorted(path.parent.iterdir()):
                    if other.suffix.lower() in IMAGE_EXTENSIONS:
                        found[other] = None
        return list(found)

    def open_picker(self) -> None:
        if self.stack_id is None:
            self.say("select a Layer Stack first")
            return
        dpg.delete_item("layers_picker_list", children_only=True)
        offered = self.paintings()
        for path in offered:
            item = dpg.add_checkbox(
                label=path.stem, user_data=str(path), parent="layers_picker_list"
            )
            self.buttons[f"painting {path.stem}"] = item
        if not offered:
            dpg.add_text("(no paintings known yet: Browse...)", parent="layers_picker_list")
        dpg.show_item(PICKER)

    def _add_chosen(self) -> None:
        chosen = [
            dpg.get_item_user_data(item)
            for item in dpg.get_item_children("layers_picker_list", 1)
            if dpg.get_item_type(item) == "mvAppItemType::mvCheckbox" and dpg.get_value(item)
        ]
        dpg.hide_item(PICKER)
        self.add_paintings(chosen)

    def _browse(self) -> None:
        """Browse...: the picker closes and, a frame later (a modal opened in the frame
        another closes is never shown), a file dialog that takes several paintings."""
        dpg.hide_item(PICKER)
        self._browse_after = dpg.get_frame_count() + 1

    def _open_browse(self) -> None:
        self._browse_after = None
        known = self.paintings()
        ask_path(
            "Paintings to add as layers",
            IMAGE_EXTENSIONS,
            lambda paths: paths and self.add_paintings([str(p) for p in paths]),
            multiple=True,
            start=known[0].parent if known else None,  # where the graph's paintings are
        )

    def add_paintings(
        self,
        paintings: list[str],
        style_params: dict[str, Any] | None = None,
        also: Callable[[Preset], Command | None] | None = None,
    ) -> list[tuple[str, str]]:
        """The paintings as masked layers of the panel's stack (one undo step); the first
        new mask goes to the viewer to be painted, and the new renders are computed."""
        if self.stack_id is None:
            self.say("select a Layer Stack first")
            return []
        revealed = dpg.get_value("layers_reveal") == "start revealed"
        added = self._guard(
            lambda: self.layers.add_paintings(
                self.stack_id, paintings, revealed=revealed, style_params=style_params, also=also
            )
        )
        if not added:
            return []
        names = ", ".join(render for render, _ in added)
        self.say(f"added {names} as masked layer(s) of {self.stack_id}: paint the mask")
        self.show_node(added[0][1])
        if not self.compute([self.stack_id]):
            self.say(f"added {names}: Run (F5) when the run in progress ends, to render it")
        return added

    # the sweep's stars --------------------------------------------------------------------
    @property
    def stars(self) -> dict[str, set[int]]:
        """Each sweep's starred renders (by index), as the graph keeps them."""
        preset = self.controller.preset
        graph = preset.graph
        saved = preset.ui.get("stars")
        sweeps = saved if isinstance(saved, dict) else {}
        return {n: set(stars_of(preset, n)) for n in sweeps if n in graph}

    def sweep_cells(self, node_id: str, shape: tuple[int, int]) -> list[tuple[float, ...]]:
        """Where each render of a Style Sweep's sheet lies, as (u0, v0, u1, v1) fractions
        of the sheet: the same grid the contact sheet is laid out on."""
        node = self.controller.graph.node(node_id)
        count = len(_sweep_styles(self.controller.graph, node_id))
        if not count:
            return []
        columns = node.params.get("columns") or grid_columns(count)
        grid_rows = math.ceil(count / columns)
        height, width = shape
        cell_w = (width - SHEET_GAP) / columns - SHEET_GAP
        cell_h = (height - SHEET_GAP) / grid_rows - SHEET_GAP
        cells = []
        for index in range(count):
            r, c = divmod(index, columns)
            x = SHEET_GAP + c * (cell_w + SHEET_GAP)
            y = SHEET_GAP + r * (cell_h + SHEET_GAP)
            cells.append((x / width, y / height, (x + cell_w) / width, (y + cell_h) / height))
        return cells

    def is_sweep(self, node_id: str | None) -> bool:
        graph = self.controller.graph
        return (
            node_id is not None
            and node_id in graph
            and graph.node(node_id).type_id == "style.sweep"
        )

    def click_sheet(self, node_id: str, u: float, v: float, shape: tuple[int, int]) -> None:
        """A click on a sweep's sheet stars the render under it, or unstars it."""
        for index, (u0, v0, u1, v1) in enumerate(self.sweep_cells(node_id, shape)):
            if u0 <= u <= u1 and v0 <= v <= v1:
                before = stars_of(self.controller.preset, node_id)
                starred = set(before) ^ {index}
                name = Path(_sweep_styles(self.controller.graph, node_id)[index]).stem
                what = f"{'starred' if index in starred else 'unstarred'} {name}"
                self.controller.apply(SetStars(what, node_id, before, sorted(starred)))
                self.say(what)
                return

    def starred_paintings(self, node_id: str) -> list[str]:
        """The starred renders' painting files (a linked style image has none)."""
        files = self.controller.graph.node(node_id).params.get("style_files", [])
        return [files[i] for i in sorted(self.stars.get(node_id, set())) if i < len(files)]

    def add_starred(self, node_id: str) -> list[tuple[str, str]]:
        """The sweep's starred paintings as masked layers, rendered as the sweep did."""
        graph = self.controller.graph
        if not self.is_sweep(node_id):
            self.say(f"there is no Style Sweep {node_id!r} any more: nothing added")
            return []
        chosen = self.starred_paintings(node_id)
        if not chosen:
            self.say("click renders on the sweep's sheet to star them first")
            return []
        if self.stack_id is None:
            stacks = [n.id for n in graph.nodes() if n.type_id == STACK_TYPE]
            self.stack_id = stacks[0] if stacks else None
        params = graph.node(node_id).params
        style = graph.registry.get("style.transfer")
        settings = {k: params[k] for k in STYLE_PARAMS_FROM_SWEEP if k in params and style.param(k)}
        before = stars_of(self.controller.preset, node_id)
        unstar = SetStars("unstar", node_id, before, [])
        return self.add_paintings(chosen, settings, also=lambda p: unstar)


def _sweep_styles(graph: Graph, node_id: str) -> list[str]:
    """The sweep's renders in sheet order: its painting files, then the linked style
    inputs (by the id of the node feeding them: those have no file to add as a layer)."""
    styles = list(graph.node(node_id).params.get("style_files", []))
    linked = sorted(
        (int(key[5:]), link.src)
        for key, link in graph.input_links(node_id).items()
        if key.startswith("style") and key[5:].isdigit()
    )
    return styles + [src for _, src in linked]
