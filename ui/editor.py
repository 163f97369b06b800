"""The editor window: menus, toolbar, file commands, and the wiring between the controller
(the only place edits happen), the run worker, the run results (``results``: every node's
latest outputs, owned there) and the views (canvas, viewer with painter, Layers panel,
safety).

Each feature lives in its own ``ui`` module; this file builds the window, routes commands
and hands a run's events to the views, so a new feature is one module and a few lines
here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.graph.cache import DiskCache, default_cache_dir
from stylegraph.graph.engine import Engine, Event, RunReport, Status
from stylegraph.graph.model import Graph, GraphError
from stylegraph.graph.preset import PresetError
from stylegraph.graph.recipe import files_written
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import NodeType
from stylegraph.graph.validate import preview_targets
from stylegraph.ui import scaling
from stylegraph.ui.canvas import TAG as CANVAS
from stylegraph.ui.canvas import Canvas
from stylegraph.ui.crash import CrashGuard
from stylegraph.ui.files import IMAGE_EXTENSIONS, PACK_EXTENSIONS, PRESET_EXTENSIONS, ask_path
from stylegraph.ui.layers_panel import PANEL as LAYERS_PANEL
from stylegraph.ui.layers_panel import LayersPanel
from stylegraph.ui.lines import elide, room_for
from stylegraph.ui.painter import Painter
from stylegraph.ui.params import ParamWidgets
from stylegraph.ui.results import RunResults
from stylegraph.ui.safety import Safety
from stylegraph.ui.settings import Settings
from stylegraph.ui.settings import step as scaling_steps
from stylegraph.ui.shortcuts import MENU_BAR, Shortcuts
from stylegraph.ui.viewer import Viewer
from stylegraph.ui.worker import Finished, RunWorker

if TYPE_CHECKING:
    from stylegraph.ui.controller import Controller

LOAD_TYPE = "image.load"  # its output is the default "before" of the comparison
VIEWER_SHARE = 0.42  # of the window's width; the canvas has the rest
VIEWER_CHROME = 250  # px of the window's height at scale 1: menus, toolbar, the viewer's rows
MIN_VIEWER = (160, 120)  # px: a small window still shows a usable picture
VIEW_SPOT_SHIFT = (150.0, 120.0)  # px: about half an ordinary node
PANEL_PAD, CANVAS_GAP = 16, 24  # px around the viewer's drawing, between canvas and panel
MENU_SEP = " > "  # between the levels of a menu path
NOTHING_TO_DO = "nothing needed doing: every saved picture is already on disk, up to date"
STATUS_LEFT = 560  # px before the status text at scale 1


def viewer_size_for(width: int, height: int, scale: float = 1.0) -> tuple[int, int]:
    """The viewer's drawing size in a window of ``width`` x ``height`` client pixels at
    UI ``scale``: a fixed share of the width and all the height the controls (larger at
    a larger scale) leave, so the picture never pushes the panel into a scrollbar."""
    return (
        max(MIN_VIEWER[0], int(width * VIEWER_SHARE)),
        max(MIN_VIEWER[1], height - int(VIEWER_CHROME * scale)),
    )


def _without_writers(graph: Graph, targets: list[str]) -> list[str]:
    """``targets`` with each node that writes files replaced by the nodes feeding it:
    the picture a save would write is computed and shown, and nothing goes to disk."""
    kept: list[str] = []
    for node_id in targets:
        if graph.node_type(node_id).side_effect:
            feeding = [lk.src for lk in graph.input_links(node_id).values()]
            kept += [n for n in feeding if not graph.node_type(n).side_effect]
        else:
            kept.append(node_id)
    return list(dict.fromkeys(kept))


def menu_paths(item: int | str, path: str = "") -> dict[str, int | str]:
    """Every menu and menu item under ``item`` by its path ("Add node > neural > Style
    Sweep"), for the geometry file that input-driving tests click by."""
    found: dict[str, int | str] = {}
    for child in dpg.get_item_children(item, 1) or []:
        kind = dpg.get_item_type(child)
        if kind not in ("mvAppItemType::mvMenu", "mvAppItemType::mvMenuItem"):
            continue
        label = dpg.get_item_label(child)
        name = f"{path}{MENU_SEP}{label}" if path else label
        found[name] = child
        if kind == "mvAppItemType::mvMenu":
            found.update(menu_paths(child, name))
    return found


def _wrote(paths: list[str]) -> str:
    """The status line's account of a run's files: the first in full, so the artist knows
    where the picture went, then how many others."""
    if not paths:
        return ""
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return f"; wrote {paths[0]}{more}"


class Editor:
    def __init__(
        self, registry: Registry, controller: Controller, output_dir: Path = Path("stylegraph-out")
    ) -> None:
        self.registry = registry
        self.controller = controller
        self.worker = RunWorker(Engine(disk=DiskCache(default_cache_dir())), registry, output_dir)
        self.results = RunResults(
            lambda: self.controller.graph, self._keys, self.worker.engine.peek, output_dir
        )
        self.picture = self.results.picture
        self.previewing = False  # the run going on is an auto-run: it writes nothing
        self.saves_up_to_date = False  # the last run left out saves already on disk
        self.nothing_to_do = False  # the last Run found every save's picture on disk
        self.messages: list[str] = []
        self._shown = 0  # messages the window has drawn
        self._titled: tuple | None = None  # the undo and redo items' labels on screen
        self.canvas = Canvas(
            controller,
            ParamWidgets(self._set_param, self._base_dir),
            self.say,
            lambda: self.results.changed,
        )
        self.settings = Settings()
        self.painter = Painter(controller, self.results.port_output, self.say, self.settings)
        self.viewer = Viewer(self.picture, self.painter, self.say)
        self.layers_panel = LayersPanel(
            controller,
            self.results.port_output,
            self.say,
            self._paint_node,
            lambda ids: not self.worker.busy and self.worker.start(self.controller.preset, ids),
        )
        self.viewer.sheets = self.layers_panel
        self.layers_panel.stack_output = lambda stack: self.results.output(stack, "layers")
        self.layers_panel.show_without = self._show_without
        self.safety = Safety(controller, self._save_then, self.say)
        self.commands: dict[str, Callable[[], Any]] = {
            "run": lambda: self.run(),
            "cancel": self.cancel,
            "save": lambda: self._save_then(lambda: None),
            "save_as": lambda: self.save_as(lambda: None),
            "save_pack": self._ask_save_pack,
            "open": lambda: self.safety.confirm_discard("open another graph", self._ask_open),
            "open_recipe": lambda: self.safety.confirm_discard(
                "open a recipe", self._ask_open_recipe
            ),
            "new": lambda: self.safety.confirm_discard("start a new graph", self.new),
            "quit": self.quit,
            "undo": self.undo,
            "redo": self.redo,
            "copy": lambda: self._guard(self.controller.copy, self.canvas.selected()),
            "paste": lambda: self._guard(self.controller.paste, self._spot_in_view()),
            "paste_links": lambda: self._guard(
                lambda near: self.controller.paste(near, with_links=True), self._spot_in_view()
            ),
            "duplicate": lambda: self._guard(self.controller.duplicate, self.canvas.selected()),
            "delete": self.canvas.delete_selected,
            "arrange": lambda: self._guard(self.controller.arrange),
            "frame_all": self.frame_all,
            "scale_up": lambda: self.set_scale(scaling_steps(self.scale, 1)),
            "scale_down": lambda: self.set_scale(scaling_steps(self.scale, -1)),
            "scale_reset": lambda: self.set_scale(1.0),
        }
        self.crash = CrashGuard(controller, self.say, self._focus)
        self.shortcuts = Shortcuts(
            {name: self._guarded(name, command) for name, command in self.commands.items()}
        )
        self.scale = self.settings.ui_scale
        controller.subscribe(self._on_change)

    # building -----------------------------------------------------------------------------
    def build(self, viewer_size: tuple[int, int] = (620, 520)) -> None:
        with dpg.window(tag="main", label="stylegraph"):
            self._menus()
            with dpg.group(horizontal=True):
                dpg.add_button(label="Run (F5)", callback=self.commands["run"])
                dpg.add_button(label="Cancel (Esc)", callback=self.commands["cancel"])
                dpg.add_checkbox(label="auto-run", tag="auto_run", callback=self._on_auto_run)
                dpg.add_progress_bar(tag="progress", default_value=0.0, width=200)
                dpg.add_text("", tag="status")
                with dpg.tooltip("status", tag="status_tip", show=False):
                    dpg.add_text("", tag="status_full", wrap=640)
            with dpg.group(horizontal=True):
                with dpg.group():  # the canvas, and the Layers panel docked under it
                    self.canvas.build(width=-viewer_size[0] - CANVAS_GAP, height=-1)
                    self.layers_panel.build(width=-viewer_size[0] - CANVAS_GAP, canvas=CANVAS)
                with dpg.child_window(
                    width=viewer_size[0] + PANEL_PAD,
                    height=-1,
                    tag="viewer_panel",
                    no_scrollbar=True,  # the drawing is sized to the room left (fit_window)
                ):
                    self.viewer.build(*viewer_size, self._compare_choices())
        with dpg.handler_registry(tag="mouse"):
            dpg.add_mouse_release_handler(callback=lambda: self.canvas.commit_moves())
            dpg.add_mouse_wheel_handler(callback=lambda s, delta: self.viewer.on_wheel(delta))
        self.shortcuts.install()
        self.menu_items = menu_paths(MENU_BAR)
        self.set_scale(self.scale, remember=False)
        self.canvas.refresh()
        self._update_compare()
        self._update_title()

    def fit_window(self, width: int, height: int) -> None:
        """Follow the OS window's new client size (the viewport resize callback): the
        viewer takes its share and "fit" re-fits; the canvas keeps the rest. A minimised
        window (0 x 0) keeps the layout it had."""
        if width <= 0 or height <= 0:
            return
        drawing = viewer_size_for(width, height, self.scale)
        dpg.configure_item(CANVAS, width=-drawing[0] - CANVAS_GAP)
        dpg.configure_item(LAYERS_PANEL, width=-drawing[0] - CANVAS_GAP)
        dpg.configure_item("viewer_panel", width=drawing[0] + PANEL_PAD)
        self.viewer.resize(*drawing)
        self.layers_panel.resized()

    def _menus(self) -> None:
        c = self.commands
        with dpg.menu_bar(tag=MENU_BAR):
            with dpg.menu(label="File"):
                dpg.add_menu_item(label="New", callback=c["new"])
                dpg.add_menu_item(label="Open...", callback=c["open"])
                dpg.add_menu(label="Open recent", tag="recent_menu")
                dpg.add_menu_item(label="Open recipe from image...", callback=c["open_recipe"])
                dpg.add_menu_item(label="Save", shortcut="Ctrl+S", callback=c["save"])
                dpg.add_menu_item(
                    label="Save as...", shortcut="Ctrl+Shift+S", callback=c["save_as"]
                )
                dpg.add_menu_item(label="Save pack to share...", callback=c["save_pack"])
                dpg.add_separator()
                dpg.add_menu_item(label="Quit", callback=c["quit"])
            with dpg.menu(label="Edit"):
                dpg.add_menu_item(
                    label="Undo", tag="undo_item", shortcut="Ctrl+Z", callback=c["undo"]
                )
                dpg.add_menu_item(
                    label="Redo", tag="redo_item", shortcut="Ctrl+Shift+Z", callback=c["redo"]
                )
                dpg.add_separator()
                for label, name, keys in (
                    ("Copy", "copy", "Ctrl+C"),
                    ("Paste", "paste", "Ctrl+V"),
                    ("Paste with links", "paste_links", "Ctrl+Shift+V"),
                    ("Duplicate", "duplicate", "Ctrl+D"),
                    ("Delete", "delete", "Delete"),
                ):
                    dpg.add_menu_item(label=label, shortcut=keys, callback=c[name])
                dpg.add_menu_item(label="Arrange", callback=c["arrange"])
            with dpg.menu(label="View"):
                dpg.add_menu_item(label="Frame all", shortcut="Home", callback=c["frame_all"])
                dpg.add_separator()
                dpg.add_menu_item(label="Larger", shortcut="Ctrl+=", callback=c["scale_up"])
                dpg.add_menu_item(label="Smaller", shortcut="Ctrl+-", callback=c["scale_down"])
                dpg.add_menu_item(label="Actual size", shortcut="Ctrl+0", callback=c["scale_reset"])
            with dpg.menu(label="Add node"):
                categories: dict[str, list[NodeType]] = {}
                for node_type in self.registry:
                    categories.setdefault(node_type.category, []).append(node_type)
                for category, types in categories.items():
                    with dpg.menu(label=category):
                        for node_type in types:
                            dpg.add_menu_item(
                                label=node_type.display_name,
                                user_data=node_type.type_id,
                                callback=lambda s, a, u: self.add_node(u),
                            )
            with dpg.menu(label="Run"):
                dpg.add_menu_item(label="Run", shortcut="F5", callback=c["run"])
                dpg.add_menu_item(label="Cancel", shortcut="Esc", callback=c["cancel"])

    def set_scale(self, scale: float, *, remember: bool = True) -> None:
        """Text, the fields that hold it and the distances between nodes at ``scale``
        (the node editor itself cannot zoom); remembered for the next session. The nodes
        spread from the view's top-left corner, which stays put, so the nodes the artist
        sees there stay in view."""
        corner = self.canvas.view_corner()
        self.scale = scale
        scaling.apply(scale)
        self.canvas.params.scale = scale
        self.canvas.rescale(scale, corner)
        self.canvas.stale = True
        self.layers_panel.rescale(scale)
        self.viewer.rescale(scale)
        if dpg.is_viewport_ok():  # the viewer's controls grew or shrank with the text
            self.fit_window(dpg.get_viewport_client_width(), dpg.get_viewport_client_height())
        if remember:
            self.settings.ui_scale = scale
            self.say(f"UI scale {scale:.0%} (Ctrl+= larger, Ctrl+- smaller, Ctrl+0 actual)")

    # messages and edits -------------------------------------------------------------------
    def say(self, message: str) -> None:
        """The status line: one line, cut to the room the toolbar leaves it; the whole
        message shows on hover."""
        self.messages.append(message)
        if dpg.does_item_exist("status"):
            shown = elide(message, self._status_room())
            dpg.set_value("status", shown)
            dpg.set_value("status_full", message)
            dpg.configure_item("status_tip", show=shown != message)

    def _status_room(self) -> int:
        """How many characters fit after the toolbar's buttons and progress bar."""
        width = dpg.get_viewport_client_width() if dpg.is_viewport_ok() else 1500
        return room_for(width - STATUS_LEFT * self.scale, self.scale)

    def _guarded(self, name: str, command: Callable[[], Any]) -> Callable[[], Any]:
        """A shortcut's command that reports a defect instead of closing the window."""
        return lambda: self.crash.call(command, what=name.replace("_", " "))

    def _focus(self) -> str | None:
        """The node the artist works on: the selected one, else the viewer's, else the
        Layers panel's stack (named when an action on it fails)."""
        selected = self.canvas.selected()
        return (
            (selected[0] if selected else None) or self.viewer.node_id or self.layers_panel.stack_id
        )

    def _guard(self, action: Callable[..., Any], *args: Any) -> Any:
        try:
            return action(*args)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
            return None

    def add_node(self, type_id: str) -> str | None:
        """A node from the Add node menu, placed where the artist is looking (and
        brought into view where the free spot nearest that lies beyond it)."""
        node_id = self._guard(self.controller.add_node, type_id, None, None, self._spot_in_view())
        if node_id is not None and self.canvas.reveal(node_id):
            self.say(f"added {node_id}; the view moved to show it")
        return node_id

    def frame_all(self) -> None:
        if not self.canvas.frame_all():
            self.say(
                "the graph is larger than the view: its top-left is shown, the minimap "
                "(bottom right) has the rest; Ctrl+- makes it smaller"
            )

    def _paint_node(self, node_id: str) -> None:
        """A node (a layer's mask) in the viewer; the canvas selection, which the viewer
        follows, is let go so it stays there."""
        if node_id not in self.controller.graph:
            self.say(f"there is no node {node_id!r} any more")
            return
        dpg.clear_selected_nodes(CANVAS)
        self.viewer.show(node_id)

    def _show_without(self, stack_id: str, name: str, picture: np.ndarray) -> None:
        """Before / after of one layer: the stack shown whole as its picture without the
        layer (a comparison picture, not a node: the next edit ends it), or, asked again
        for the same layer, with it."""
        before = f"{stack_id} without {name}"
        if self.viewer.compare_id == before:
            self.viewer.compare(None)
            self.results.outputs.pop(before, None)
            self.say(f"after: {stack_id} with {name}")
            return
        self.results.show_comparison(before, picture)
        dpg.clear_selected_nodes(CANVAS)
        self.viewer.show(stack_id)
        self.viewer.compare(before, 1.0)
        self.say(f"before: {before} (B again: with it; or drag the split)")

    def _spot_in_view(self) -> tuple[float, float] | None:
        """Where new or pasted nodes go: a little up and left of the visible canvas's
        middle, so a node of ordinary size sits in the middle."""
        centre = self.canvas.view_centre()
        if centre is None:
            return None
        return (centre[0] - VIEW_SPOT_SHIFT[0], centre[1] - VIEW_SPOT_SHIFT[1])

    def _set_param(self, node_id: str, name: str, value: Any) -> None:
        if self.canvas.guard(self.controller.set_param, node_id, name, value):
            self.say(f"{node_id}.{name} = {value!r}")
        else:
            self.canvas.stale = True  # put the widget back to the model's value

    def _base_dir(self) -> Path:
        return self.controller.preset.base_dir

    def _on_change(self, change: Any) -> None:
        self._forget_gone()
        self.canvas.stale = True
        self._mark_changed()
        self.worker.edited()
        self.safety.edited()

    def _forget_gone(self) -> None:
        """A view never holds a node the graph no longer has (deleted, undone, a layer
        removed): the viewer, its comparison and the Layers panel let it go at once, so no
        button is left that acts on it."""
        graph = self.controller.graph
        self.viewer.forget(lambda node_id: node_id in graph)
        self.layers_panel.forget(lambda node_id: node_id in graph)
        self.results.drop_comparisons(keep=self.viewer.compare_id)

    def _mark_changed(self) -> None:
        """The canvas redraws its "changed" marks when they moved (``RunResults``)."""
        if self.results.mark_changed():
            self.canvas.stale = True

    def undo(self) -> None:
        label = self.controller.undo_label
        if self.controller.undo():
            self.say(f"{label}: done")

    def redo(self) -> None:
        label = self.controller.redo_label
        if self.controller.redo():
            self.say(f"{label}: done")

    # files ----------------------------------------------------------------------------------
    def _keys(self) -> dict[str, str]:
        """Every node's cache key for the graph as it is now."""
        return self.worker.engine.keys(self.controller.graph, self._base_dir())[1]

    def _folder(self) -> Path | None:
        return self.controller.path.parent if self.controller.path else None

    def _file_stem(self) -> str:
        """The name a save dialog offers: the open file's, or the shipped preset's the
        graph started from."""
        source = self.controller.path or self.controller.template
        return source.name.split(".")[0] if source is not None else "untitled"

    def _ask_open(self) -> None:
        ask_path(
            "Open graph",
            PRESET_EXTENSIONS + PACK_EXTENSIONS,
            lambda paths: paths and self.open(paths[0]),
            start=self._folder(),
        )

    def _ask_open_recipe(self) -> None:
        ask_path(
            "Open the recipe embedded in an image",
            IMAGE_EXTENSIONS,
            lambda paths: paths and self._opened(self.controller.open_recipe_from_image, paths[0]),
            start=self.worker.output_dir,  # where this editor's runs put their pictures
        )

    def open(self, path: Path) -> bool:
        return self._opened(self.controller.open, path)

    def _opened(self, action: Callable[[Path], Any], path: Path) -> bool:
        try:
            action(path)
        except (PresetError, GraphError, OSError, ValueError) as exc:
            self.say(str(exc).splitlines()[-1].strip())
            return False
        self._reset_view()
        self.say(f"opened {path}")
        return True

    def new(self) -> None:
        self.controller.new()
        self._reset_view()

    def after_restore(self) -> None:
        self._reset_view()
        self.canvas.stale = True

    def _reset_view(self) -> None:
        self.results.clear()
        self.canvas.clear_results()
        self.viewer.show(None)
        self._update_recent()

    def save_as(self, then: Callable[[], None]) -> None:
        def chosen(paths: list[Path]) -> None:
            if paths:
                path = paths[0] if paths[0].suffix == ".json" else paths[0].with_suffix(".json")
                if self._save(path):
                    then()

        self._ask_save_path("Save graph as", PRESET_EXTENSIONS, chosen)

    def _ask_save_pack(self) -> None:
        def chosen(paths: list[Path]) -> None:
            if paths:
                self._save_pack(paths[0].with_suffix(".sgpack"))

        self._ask_save_path("Save pack to share", PACK_EXTENSIONS, chosen)

    def _ask_save_path(
        self, title: str, extensions: tuple[str, ...], chosen: Callable[[list[Path]], None]
    ) -> None:
        """A save dialog in the open file's folder, offering its name (or the shipped
        preset's the graph started from)."""
        name = f"{self._file_stem()}{extensions[0]}"
        ask_path(title, extensions, chosen, save=True, start=self._folder(), name=name)

    def _save_pack(self, path: Path) -> bool:
        try:
            packed = self.controller.save_pack(path)
        except (OSError, PresetError) as exc:
            self.say(f"could not save the pack: {str(exc).splitlines()[-1].strip()}")
            return False
        self.say(f"saved {path} with {len(packed)} file(s); the photo is left for the receiver")
        return True

    def _save_then(self, then: Callable[[], None]) -> None:
        """Save to the current file (asking for one if there is none), then go on."""
        if self.controller.path is None:
            self.save_as(then)
        elif self._save(None):
            then()

    def _save(self, path: Path | None) -> bool:
        try:
            saved = self.controller.save(path)
        except (OSError, PresetError, ValueError) as exc:
            self.say(f"could not save: {exc}")
            return False
        self.say(f"saved {saved}")
        self._update_recent()
        return True

    def quit(self) -> None:
        def close() -> None:
            # closed with the restore offer unanswered: that work is offered again next time
            self.controller.discard_recovery(including_pending=not self.safety.offering_recovery)
            dpg.stop_dearpygui()

        self.safety.confirm_discard("close stylegraph", close)

    def _update_recent(self) -> None:
        dpg.delete_item("recent_menu", children_only=True)
        for path in self.controller.recent_files:
            dpg.add_menu_item(
                label=str(path),
                parent="recent_menu",
                user_data=path,
                callback=lambda s, a, u: self.safety.confirm_discard(
                    "open another graph", lambda: self.open(u)
                ),
            )

    def _update_title(self) -> bool:
        """The window title (``*`` while unsaved: a save clears it at once) and the undo
        items' labels; checked every frame, changed only when they differ. True if so."""
        c = self.controller
        retitled = dpg.is_viewport_ok() and dpg.get_viewport_title() != c.title
        if retitled:
            dpg.set_viewport_title(c.title)
        shown = (c.undo_label, c.can_undo, c.redo_label, c.can_redo)
        if shown == self._titled:
            return retitled
        self._titled = shown
        for tag, label, can in (
            ("undo_item", c.undo_label, c.can_undo),
            ("redo_item", c.redo_label, c.can_redo),
        ):
            dpg.configure_item(tag, label=label, enabled=can)
        return True

    # running --------------------------------------------------------------------------------
    def run(self, *, preview: bool = False) -> None:
        """Compute every node that can run (see ``preview_targets``), except saves whose
        picture is already on disk, in this session or an earlier one: pressing Run again
        does not write the same files twice, nor does an edit undone or a graph reopened.
        ``preview`` (auto-run): compute and show what the saves would write, write
        nothing: a brush stroke must not leave a set of files behind."""
        if self.worker.busy:
            self.say("a run is in progress (Esc cancels it)")
            return
        keys = self._keys()
        graph = self.controller.graph
        wanted = preview_targets(graph)
        if preview:
            wanted = _without_writers(graph, wanted)
        targets = [n for n in wanted if not self.results.already_written(n, keys)]
        self.saves_up_to_date = len(targets) < len(wanted)
        self.previewing = preview
        self.nothing_to_do = not targets
        if not targets:
            self._recall_from_memory(set(), keys)
            self._show_made()
            self.say(NOTHING_TO_DO)
            return
        self.worker.start(self.controller.preset, targets)
        dpg.set_value("progress", 0.0)
        self.say("auto-run: computing, writing no files" if preview else "running...")

    def cancel(self) -> None:
        if self.worker.cancel():
            self.say("cancelling...")

    def _on_auto_run(self, sender: Any, on: bool) -> None:
        self.worker.auto_run = on
        if on:
            self.worker.edited()

    @property
    def idle(self) -> bool:
        return not self.worker.busy and self.worker.events.empty()

    def pump(self) -> bool:
        """Everything the render thread does per frame, cheap unless something changed.
        True when it changed what the window shows (the idle window then draws it)."""
        changed = self.shortcuts.busy or self._shown != len(self.messages)
        self._shown = len(self.messages)
        self.shortcuts.run_pending()
        for item in self.worker.drain():
            changed = True
            if isinstance(item, Finished):
                self._finished(item)
            else:
                self._event(item)
        if self.worker.auto_run_due():
            changed = True
            self.run(preview=True)
        if self.canvas.stale:
            changed = True
            self.canvas.refresh()
            self._update_compare()
        changed |= self._update_title()
        selected = self.canvas.selected()
        if selected and selected[0] != self.viewer.node_id:
            self.viewer.show(selected[0])
        # the views follow the selection and the results; what they draw shows in the next
        # frame drawn (an idle window draws on input, a run's events and edits)
        self.layers_panel.pump(selected[0] if selected else self.viewer.node_id)
        self.viewer.pump()
        self.safety.tick()
        return changed

    def _event(self, event: Event) -> None:
        if event.kind == "finish" and event.report is not None:
            self.canvas.show_report(event.report)
            if event.report.status == Status.FAILED and event.report.error:
                self.say(f"{event.node_id} failed: {event.report.error}")
        else:
            self.canvas.show_running(event.node_id, event.fraction)
            dpg.set_value("progress", event.fraction)

    def _finished(self, finished: Finished) -> None:
        dpg.set_value("progress", 1.0)
        if finished.report is None:
            self.say(finished.problem or "the graph cannot run")
            return
        report = finished.report
        dropped, made = self.results.take(report)
        for node_id in dropped:
            self.canvas.drop_thumbnail(node_id)
        for node_id in made:
            self._show_thumbnail(node_id)
        self._recall_from_memory(set(report.nodes))
        failed = [(n, r.error) for n, r in report.nodes.items() if r.status == Status.FAILED]
        if report.cancelled:
            self.say("cancelled")
        elif failed:
            self.say(f"{failed[0][0]} failed: {failed[0][1]}")
        else:
            warned = f"; warning: {report.warnings[0]}" if report.warnings else ""
            written = files_written(self.controller.graph, report)
            kept = "; the saved files are up to date" if self.saves_up_to_date else ""
            shown = "; auto-run writes no files: Run (F5) saves" if self.previewing else ""
            self.say(f"done in {report.seconds:.2f} s{_wrote(written)}{kept}{shown}{warned}")
        self._show_made()
        self.viewer.refresh()

    def _show_made(self) -> None:
        """An empty viewer shows the picture a run just made: what the final save was
        given (the graph's result), else the last end node with a picture."""
        shown = self.viewer.node_id
        if shown is not None and self.picture(shown) is not None:
            return
        graph = self.controller.graph
        ends = preview_targets(graph)
        saved = _without_writers(graph, [n for n in ends if graph.node_type(n).side_effect])
        made = [n for n in saved + ends[::-1] if self.picture(n) is not None]
        if made:
            self.viewer.show(made[0])

    def _show_thumbnail(self, node_id: str) -> None:
        image = self.picture(node_id)
        if image is not None:
            self.canvas.show_thumbnail(node_id, image)

    def _recall_from_memory(self, reported: set[str], keys: dict[str, str] | None = None) -> None:
        """What the memory cache still holds shown again (``RunResults.recall``), and the
        unreported nodes with a result marked up to date."""
        recalled, up_to_date, moved = self.results.recall(reported, keys)
        for node_id in recalled:
            self._show_thumbnail(node_id)
        if moved:
            self.canvas.stale = True
        for node_id in up_to_date:
            self.canvas.show_up_to_date(node_id)

    @property
    def report(self) -> RunReport | None:
        return self.results.report

    @property
    def outputs(self) -> dict[str, Any]:
        return self.results.outputs

    def _compare_choices(self) -> list[str]:
        return [n.id for n in self.controller.graph.nodes()]

    def _update_compare(self) -> None:
        loads = [n.id for n in self.controller.graph.nodes() if n.type_id == LOAD_TYPE]
        self.viewer.set_compare_choices(self._compare_choices(), loads[0] if loads else None)
