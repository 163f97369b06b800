"""The node canvas: a Dear PyGui node editor that mirrors the controller's graph.

The graph is the only truth: every user action on the canvas becomes one controller call,
and the canvas is rebuilt from the graph on the next frame after any change notification.
Node widgets sit at model position x ``zoom`` + ``offset``: ``zoom`` is the UI scale, so
that nodes drawn larger keep their distances, and ``offset`` the "Frame all" view shift;
neither is an edit."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.graph.engine import NodeReport, Status
from stylegraph.graph.model import GraphError
from stylegraph.graph.spec import Param, PortType
from stylegraph.ui import layout, textures
from stylegraph.ui.params import ParamWidgets

if TYPE_CHECKING:
    from stylegraph.ui.controller import Controller

TAG = "canvas"
MORE = "more_params"  # the window with a node's folded params
MORE_ROW, MORE_CHROME = 23, 50  # px per param row, and for its title bar and padding
THUMB = 128  # px, longest side of a node thumbnail (ui.layout reserves room for it)
FIRST_PARAMS = 6  # params shown on a node; the rest fold under "N more"
NODE_PADDING = 8  # px from the canvas corner to a node at grid position 0, 0 unpanned
FRAME_MARGIN = 20  # px left and above the graph after Frame all
RUNNING = "running"
CHANGED = "changed: Run (F5) to update"
STATUS_COLOURS: dict[Status | str, tuple[int, int, int]] = {
    RUNNING: (230, 160, 60),
    Status.RAN: (90, 170, 90),
    Status.CACHED: (70, 150, 140),  # teal: the node editor draws the selection blue
    Status.FAILED: (210, 80, 80),
    Status.SKIPPED: (170, 170, 100),
    Status.CANCELLED: (140, 140, 140),
}


class Canvas:
    def __init__(
        self,
        controller: Controller,
        params: ParamWidgets,
        say: Callable[[str], None],
        changed: Callable[[], Collection[str]],
    ) -> None:
        self.controller = controller
        self.params = params
        self.say = say
        self.changed = changed  # nodes edited since their shown result was made (RunResults)
        self.offset = (0.0, 0.0)
        self.zoom = 1.0
        self.stale = True
        self.nodes: dict[str, int | str] = {}
        self.ports: dict[int, tuple[str, str, bool]] = {}  # attribute -> (node, port, out)
        self.links: dict[int, tuple[str, str]] = {}  # link item -> (dst node, dst port)
        self.status: dict[str, tuple[Status | str, str, str | None]] = {}  # text, error
        self.thumbs: dict[str, tuple[int | str, int, int]] = {}
        self._themes: dict[Status | str, int | str] = {}
        self.more_node: str | None = None  # whose folded params the "more" window shows

    def build(self, **size: Any) -> None:
        dpg.add_node_editor(
            tag=TAG,
            callback=self._on_link,
            delink_callback=self._on_delink,
            minimap=True,
            minimap_location=dpg.mvNodeMiniMap_Location_BottomRight,
            **size,
        )

    # mirroring --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild every node and link from the graph (links first: Dear PyGui crashes on
        a link whose attribute was deleted under it). The selection is cleared because
        the node editor would carry it over to whichever new widget reuses an old id."""
        dpg.clear_selected_nodes(TAG)
        dpg.clear_selected_links(TAG)
        for link in self.links:
            dpg.delete_item(link)
        for item in self.nodes.values():
            dpg.delete_item(item)
        self.nodes.clear()
        self.ports.clear()
        self.links.clear()
        graph = self.controller.graph
        known = set(graph.nx.nodes)
        for node_id in [n for n in self.thumbs if n not in known]:
            textures.release(self.thumbs.pop(node_id)[0])
        for node in graph.nodes():
            self._add_node(node.id)
        for link in graph.links():
            out_attr = self._attr(link.src, link.src_port, True)
            in_attr = self._attr(link.dst, link.dst_port, False)
            if out_attr is not None and in_attr is not None:
                self.links[dpg.add_node_link(out_attr, in_attr, parent=TAG)] = (
                    link.dst,
                    link.dst_port,
                )
        self.stale = False
        if self.more_node is not None:
            self._build_more()

    # the params a node folds away ---------------------------------------------------------
    def open_more(self, node_id: str) -> None:
        """A window with the params past the first few of a node. Unfolded on the node
        itself they ran over the nodes below it (the canvas lays nodes out folded)."""
        self.more_node = node_id
        self._build_more()

    def _build_more(self) -> None:
        """(Re)build the window from the graph, where the artist left it."""
        pos = dpg.get_item_pos(MORE) if dpg.does_item_exist(MORE) else None
        if dpg.does_item_exist(MORE):
            dpg.delete_item(MORE)
        graph, node_id = self.controller.graph, self.more_node
        if node_id is None or node_id not in graph:
            self.more_node = None
            return
        node, node_type = graph.node(node_id), graph.node_type(node_id)
        folded = node_type.params[FIRST_PARAMS:]
        if pos is None:  # beside the pointer, kept inside the window
            x, y = dpg.get_mouse_pos(local=False)
            if dpg.is_viewport_ok():
                tall = MORE_ROW * len(folded) + MORE_CHROME
                y = max(MORE_CHROME, min(y, dpg.get_viewport_client_height() - tall))
            pos = [int(x) + 20, int(y)]
        with dpg.window(
            tag=MORE,
            label=f"{node_type.display_name}  [{node_id}]",
            pos=pos,
            autosize=True,
            no_collapse=True,
            on_close=self._closed_more,
        ):
            for param in folded:
                self._param_row(node_id, param, node.params.get(param.name))

    def _param_row(self, node_id: str, param: Param, value: Any) -> None:
        """A param's widget, with the param's help on hover."""
        with dpg.group() as row:
            self.params.add(node_id, param, value)
        if param.help:
            with dpg.tooltip(row):
                dpg.add_text(param.help, wrap=360)

    def _closed_more(self) -> None:
        self.more_node = None  # the window hides itself; the next open rebuilds it

    def _add_node(self, node_id: str) -> None:
        graph = self.controller.graph
        node, node_type = graph.node(node_id), graph.node_type(node_id)
        with dpg.node(
            label=f"{node_type.display_name}  [{node_id}]",
            parent=TAG,
            pos=list(self.to_grid(node.position)),
        ) as item:
            self.nodes[node_id] = item
            for name, port in layout.input_slots(graph, node_id):
                self._add_port(item, node_id, name, port.type, output=False)
            shown, folded = node_type.params[:FIRST_PARAMS], node_type.params[FIRST_PARAMS:]
            for param in shown:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static):
                    self._param_row(node_id, param, node.params.get(param.name))
            if folded:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static):
                    dpg.add_button(
                        label=f"{len(folded)} more...",
                        user_data=node_id,
                        callback=lambda s, a, u: self.open_more(u),
                    )
            for port in node_type.outputs:
                self._add_port(item, node_id, port.name, port.type, output=True)
            with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static):
                state, text, error = self.status.get(node_id, (None, "", None))
                if node_id in self.changed():
                    state, text, error = None, CHANGED, None
                dpg.add_text(text, tag=f"status:{node_id}")
                if error:
                    with dpg.tooltip(f"status:{node_id}"):
                        dpg.add_text(error, wrap=360)
                if node_id in self.thumbs:
                    texture, width, height = self.thumbs[node_id]
                    dpg.add_image(texture, width=width, height=height)
        if state is not None:
            dpg.bind_item_theme(item, self._theme(state))

    def _add_port(
        self, node_item: int | str, node_id: str, name: str, port_type: PortType, output: bool
    ) -> None:
        kind = dpg.mvNode_Attr_Output if output else dpg.mvNode_Attr_Input
        with dpg.node_attribute(parent=node_item, attribute_type=kind) as attr:
            dpg.add_text(f"({port_type.value}) {name}" if output else f"{name} ({port_type.value})")
        self.ports[attr] = (node_id, name, output)

    def _attr(self, node_id: str, port: str, output: bool) -> int | None:
        return next(
            (a for a, (n, p, o) in self.ports.items() if (n, p, o) == (node_id, port, output)),
            None,
        )

    # run feedback -----------------------------------------------------------------------
    def show_running(self, node_id: str, fraction: float) -> None:
        self._set_status(node_id, RUNNING, f"running {fraction:.0%}", None)

    def show_report(self, node_report: NodeReport) -> None:
        status = node_report.status
        text = {
            Status.RAN: f"ran {node_report.seconds:.2f} s",
            Status.CACHED: f"cached ({node_report.cache or 'memory'})",
            Status.FAILED: f"failed after {node_report.seconds:.2f} s",
        }.get(status, status.value)
        self._set_status(node_report.node_id, status, text, node_report.error)

    def show_up_to_date(self, node_id: str) -> None:
        """A node the last run did not need: its earlier result still holds."""
        self._set_status(node_id, Status.CACHED, "up to date", None)

    def _set_status(self, node_id: str, state: Status | str, text: str, error: str | None) -> None:
        before = self.status.get(node_id)
        self.status[node_id] = (state, text, error)
        if node_id not in self.nodes:
            return
        dpg.set_value(f"status:{node_id}", text)
        if before is None or before[0] != state:
            dpg.bind_item_theme(self.nodes[node_id], self._theme(state))
        if error and (before is None or before[2] != error):
            self.stale = True  # the tooltip is made with the node

    def clear_results(self) -> None:
        """Forget every status and thumbnail: another graph is open, whose
        nodes may reuse these ids."""
        self.status.clear()
        self.more_node = None
        for texture, _, _ in self.thumbs.values():
            textures.release(texture)
        self.thumbs.clear()
        self.stale = True

    def show_thumbnail(self, node_id: str, image: np.ndarray) -> None:
        """One static texture per node per run result; made here, never per frame."""
        if node_id in self.thumbs:
            textures.release(self.thumbs.pop(node_id)[0])
        self.thumbs[node_id] = textures.thumbnail(image, THUMB)
        self.stale = True

    def drop_thumbnail(self, node_id: str) -> None:
        if node_id in self.thumbs:
            textures.release(self.thumbs.pop(node_id)[0])
            self.stale = True

    def _theme(self, state: Status | str) -> int | str:
        if state not in self._themes:
            with dpg.theme() as theme, dpg.theme_component(dpg.mvNode):
                dpg.add_theme_color(
                    dpg.mvNodeCol_TitleBar, STATUS_COLOURS[state], category=dpg.mvThemeCat_Nodes
                )
                dpg.add_theme_color(
                    dpg.mvNodeCol_TitleBarSelected,
                    [min(255, c + 40) for c in STATUS_COLOURS[state]],
                    category=dpg.mvThemeCat_Nodes,
                )
            self._themes[state] = theme
        return self._themes[state]

    # user actions -----------------------------------------------------------------------
    def selected(self) -> list[str]:
        items = set(dpg.get_selected_nodes(TAG))
        return [n for n, item in self.nodes.items() if item in items]

    def commit_moves(self) -> None:
        """After a mouse release: nodes whose widget moved become one move_nodes call."""
        graph = self.controller.graph
        moved: dict[str, tuple[float, float]] = {}
        for node_id, item in self.nodes.items():
            if node_id not in graph:
                continue
            grid = dpg.get_item_pos(item)
            was = self.to_grid(graph.node(node_id).position)
            # a whole pixel on screen: the grid holds whole pixels, and a scaled position
            # rounds to one
            if abs(grid[0] - was[0]) > 1.0 or abs(grid[1] - was[1]) > 1.0:
                moved[node_id] = self.to_model(grid)
        if moved:
            self.guard(self.controller.move_nodes, moved)

    def screen_rect(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The canvas's top-left corner in the window and its size. The node editor
        reports its size but not where it is; it is the first item of its row."""
        x, y = dpg.get_item_rect_min(dpg.get_item_parent(TAG))
        width, height = dpg.get_item_rect_size(TAG)
        return (x, y), (width, height)

    def view_centre(self) -> tuple[float, float] | None:
        """The graph position at the middle of the visible canvas; None until a node has
        been drawn."""
        pan = self._pan()
        if pan is None:
            return None
        _, (width, height) = self.screen_rect()
        return self.to_model((width / 2 - pan[0], height / 2 - pan[1]))

    def view_corner(self) -> tuple[float, float] | None:
        """The graph position at the top-left corner of the visible canvas; None until a
        node has been drawn."""
        pan = self._pan()
        return None if pan is None else self.to_model((-pan[0], -pan[1]))

    def rescale(self, zoom: float, anchor: tuple[float, float] | None) -> None:
        """Distances between nodes at ``zoom``; the model point ``anchor`` stays where it
        is on the screen."""
        if anchor is not None:
            self.offset = (
                self.offset[0] + anchor[0] * (self.zoom - zoom),
                self.offset[1] + anchor[1] * (self.zoom - zoom),
            )
        self.zoom = zoom
        self.stale = True

    def to_grid(self, position: tuple[float, float]) -> tuple[float, float]:
        """Where a model position sits on the node editor's grid."""
        return (
            position[0] * self.zoom + self.offset[0],
            position[1] * self.zoom + self.offset[1],
        )

    def to_model(self, grid: tuple[float, float]) -> tuple[float, float]:
        """The model position of a point on the node editor's grid."""
        return ((grid[0] - self.offset[0]) / self.zoom, (grid[1] - self.offset[1]) / self.zoom)

    def _pan(self) -> tuple[float, float] | None:
        """How far the artist has panned the node editor (with the middle button or the
        minimap). Dear PyGui does not report it, so it is read off a drawn node: where it
        is on the screen against where it is on the grid. None until a node is drawn."""
        if not dpg.does_item_exist(TAG):
            return None
        origin, _ = self.screen_rect()
        for item in self.nodes.values():
            screen = dpg.get_item_rect_min(item)
            if tuple(screen) == (0, 0):  # not drawn yet
                continue
            grid = dpg.get_item_pos(item)
            return (
                screen[0] - origin[0] - NODE_PADDING - grid[0],
                screen[1] - origin[1] - NODE_PADDING - grid[1],
            )
        return None

    def frame_all(self) -> bool:
        """Shift the view, however far the artist has panned, so the whole graph is in it,
        centred; a graph larger than the view (the node editor cannot zoom out) starts at
        its top-left corner instead. True when it all fits."""
        nodes = list(self.controller.graph.nodes())
        if not nodes:
            return True
        graph = self.controller.graph
        left = min(n.position[0] for n in nodes)
        top = min(n.position[1] for n in nodes)
        right = max(n.position[0] + layout.size_in(graph, n.id)[0] for n in nodes)
        bottom = max(n.position[1] + layout.size_in(graph, n.id)[1] for n in nodes)
        _, (width, height) = self.screen_rect()
        box = ((right - left) * self.zoom, (bottom - top) * self.zoom)
        fits = box[0] + 2 * FRAME_MARGIN <= width and box[1] + 2 * FRAME_MARGIN <= height
        margin = (
            max(FRAME_MARGIN, (width - box[0]) / 2) if fits else FRAME_MARGIN,
            max(FRAME_MARGIN, (height - box[1]) / 2) if fits else FRAME_MARGIN,
        )
        self._show_at((left, top), margin)
        return fits

    def reveal(self, node_id: str) -> bool:
        """Bring a node into view (a new one placed beyond the visible canvas), centred;
        True when the view moved. Nothing moves before the canvas is drawn."""
        if self._pan() is None or node_id not in self.controller.graph:
            return False
        pan = self._pan()
        _, (width, height) = self.screen_rect()
        x, y = self.to_grid(self.controller.graph.node(node_id).position)
        x, y = x + pan[0] + NODE_PADDING, y + pan[1] + NODE_PADDING
        w, h = (v * self.zoom for v in layout.size_in(self.controller.graph, node_id))
        if x >= 0 and x + w <= width and y >= 0 and y + min(h, height / 2) <= height:
            return False
        corner = self.controller.graph.node(node_id).position
        self._show_at(corner, (max(0.0, (width - w) / 2), max(0.0, (height - h) / 2)))
        return True

    def _show_at(self, model: tuple[float, float], screen: tuple[float, float]) -> None:
        """Shift the view so the model point ``model`` lands ``screen`` px from the
        visible canvas's top-left corner."""
        pan = self._pan() or (0.0, 0.0)
        self.offset = (
            screen[0] - NODE_PADDING - pan[0] - self.zoom * model[0],
            screen[1] - NODE_PADDING - pan[1] - self.zoom * model[1],
        )
        self.stale = True

    def delete_selected(self) -> None:
        """Delete what the artist can see selected, in one undo step, and say what went.
        A box selection also selects every link crossing the box, drawn barely brighter:
        with nodes selected, only the nodes go (with their links); selected links alone
        go when no node is selected (a link clicked on its own)."""
        chosen = self.selected()
        inputs = (
            []
            if chosen
            else [self.links[link] for link in dpg.get_selected_links(TAG) if link in self.links]
        )
        try:
            summary = self.controller.delete(chosen, inputs)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
            return
        self.say(summary or "nothing selected to delete")

    def guard(self, action: Callable[..., Any], *args: Any) -> bool:
        """Run a controller call; a refused edit is shown in the status line."""
        try:
            action(*args)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
            return False
        return True

    def _on_link(self, sender: Any, attrs: tuple[Any, Any]) -> None:
        ends = [self.ports.get(dpg.get_alias_id(a) if isinstance(a, str) else a) for a in attrs]
        if ends[0] is None or ends[1] is None:
            return
        (src, src_port, _), (dst, dst_port, _) = ends if ends[0][2] else ends[::-1]
        try:
            old = self.controller.connect(src, src_port, dst, dst_port)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
        else:
            replaced = f" (replacing {old.src}.{old.src_port})" if old is not None else ""
            self.say(f"linked {src}.{src_port} -> {dst}.{dst_port}{replaced}")
        self.stale = True

    def _on_delink(self, sender: Any, link: Any) -> None:
        dst, dst_port = self.links.get(link, (None, None))
        if dst is not None:
            self.guard(self.controller.disconnect, dst, dst_port)
            self.say(f"unlinked {dst}.{dst_port}")
        self.stale = True
