"""The node editor: Dear PyGui widgets kept in step with a ``Preset``'s graph.

Every edit goes through the graph model, which accepts or refuses it with a message; the
widgets only show the result. Runs happen on a worker thread so the window stays live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.graph.cache import DiskCache, default_cache_dir
from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine, Event, RunReport, Status
from stylegraph.graph.model import Graph, GraphError
from stylegraph.graph.preset import Preset, PresetError, load_preset, save_preset
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import NodeType, Param, ParamType, PortType
from stylegraph.graph.validate import ValidationError

PREVIEW = 320  # px, longest side of the preview
FIRST_PARAMS = 6  # params shown on a node; the rest fold under "N more"
STATUS_COLOURS = {
    Status.RAN: (120, 220, 120),
    Status.CACHED: (120, 170, 255),
    Status.FAILED: (255, 110, 110),
    Status.SKIPPED: (200, 200, 120),
    Status.CANCELLED: (200, 200, 200),
}


class Editor:
    def __init__(
        self,
        registry: Registry,
        preset: Preset | None = None,
        output_dir: Path = Path("stylegraph-out"),
    ) -> None:
        self.registry = registry
        self.preset = preset or Preset(Graph(registry))
        self.preset_path: Path | None = None
        self.output_dir = output_dir
        self.engine = Engine(disk=DiskCache(default_cache_dir()))
        self.cancel = CancelToken()
        self.worker: threading.Thread | None = None
        self.report: RunReport | None = None
        self.messages: list[str] = []
        self._node_items: dict[str, int | str] = {}
        self._ports: dict[int | str, tuple[str, str, bool]] = {}  # attr -> (node, port, out)
        self._links: dict[int | str, tuple[str, str]] = {}  # link item -> (dst node, port)
        self._pending: list[Callable[[], None]] = []  # UI updates from the worker thread
        self._lock = threading.Lock()

    @property
    def graph(self) -> Graph:
        return self.preset.graph

    # building ---------------------------------------------------------------------------
    def build(self) -> None:
        with dpg.texture_registry():
            dpg.add_dynamic_texture(
                PREVIEW, PREVIEW, [0.0] * (PREVIEW * PREVIEW * 4), tag="preview_texture"
            )
        with dpg.window(tag="main", label="stylegraph"):
            with dpg.menu_bar():
                with dpg.menu(label="File"):
                    dpg.add_menu_item(
                        label="Open preset...", callback=lambda: dpg.show_item("open_dialog")
                    )
                    dpg.add_menu_item(label="Save preset", callback=lambda: self.save())
                    dpg.add_menu_item(
                        label="Save preset as...", callback=lambda: dpg.show_item("save_dialog")
                    )
                    dpg.add_menu_item(label="Run", callback=lambda: self.run())
                    dpg.add_menu_item(label="Cancel run", callback=lambda: self.cancel.cancel())
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
            with dpg.group(horizontal=True):
                dpg.add_button(label="Run", callback=lambda: self.run(), tag="run_button")
                dpg.add_button(label="Cancel", callback=lambda: self.cancel.cancel())
                dpg.add_progress_bar(tag="progress", default_value=0.0, width=240)
                dpg.add_text("", tag="status")
            with dpg.group(horizontal=True):
                with dpg.node_editor(
                    tag="canvas",
                    callback=self._on_link,
                    delink_callback=self._on_delink,
                    width=-PREVIEW - 24,
                    height=-1,
                    minimap=True,
                ):
                    pass
                with dpg.child_window(width=PREVIEW + 16, height=-1):
                    dpg.add_text("Preview (select a node)", tag="preview_label")
                    dpg.add_image("preview_texture")
                    dpg.add_text("", tag="report", wrap=PREVIEW)
        for tag, callback in (("open_dialog", self._on_open), ("save_dialog", self._on_save)):
            with dpg.file_dialog(tag=tag, show=False, width=640, height=400, callback=callback):
                dpg.add_file_extension(".json")
        with dpg.handler_registry():
            dpg.add_key_press_handler(dpg.mvKey_Delete, callback=lambda: self.delete_selected())
        for node in self.graph.nodes():
            self._add_node_widget(node.id)
        self._redraw_links()

    def _clear_links(self) -> None:
        """Link widgets go before any node widget they touch: Dear PyGui crashes on a link
        whose attribute was deleted under it."""
        for link in self._links:
            dpg.delete_item(link)
        self._links.clear()

    def _redraw_links(self) -> None:
        self._clear_links()
        for link in self.graph.links():
            self._add_link_widget(link.src, link.src_port, link.dst, link.dst_port)

    def _add_node_widget(self, node_id: str) -> None:
        node = self.graph.node(node_id)
        node_type = self.graph.node_type(node_id)
        with dpg.node(
            label=f"{node_type.display_name}  [{node_id}]", parent="canvas", pos=list(node.position)
        ) as item:
            self._node_items[node_id] = item
            for port in node_type.inputs:
                names = [port.name]
                if port.variadic:
                    linked = sorted(k for k in self.graph.input_links(node_id) if port.accepts(k))
                    names = [*linked, f"{port.name}{len(linked) + 1}"]
                for name in names:
                    self._add_port(item, node_id, name, port.type, output=False)
            shown, folded = node_type.params[:FIRST_PARAMS], node_type.params[FIRST_PARAMS:]
            for param in shown:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static):
                    self._param_widget(node_id, param, node.params.get(param.name))
            if folded:
                with (
                    dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static),
                    dpg.tree_node(label=f"{len(folded)} more", default_open=False),
                ):
                    for param in folded:
                        self._param_widget(node_id, param, node.params.get(param.name))
            for port in node_type.outputs:
                self._add_port(item, node_id, port.name, port.type, output=True)

    def _add_port(
        self, node_item: int | str, node_id: str, name: str, port_type: PortType, output: bool
    ) -> int | str:
        kind = dpg.mvNode_Attr_Output if output else dpg.mvNode_Attr_Input
        with dpg.node_attribute(parent=node_item, attribute_type=kind) as attr:
            dpg.add_text(
                f"{name} ({port_type.value})" if not output else f"({port_type.value}) {name}"
            )
        self._ports[attr] = (node_id, name, output)
        return attr

    def _param_widget(self, node_id: str, param: Param, value: Any) -> None:
        label = param.name
        callback = self._on_param
        user = (node_id, param)
        width = 150
        if param.type == ParamType.BOOL:
            dpg.add_checkbox(
                label=label, default_value=bool(value), callback=callback, user_data=user
            )
        elif param.type == ParamType.INT:
            dpg.add_input_int(
                label=label,
                default_value=int(value),
                width=width,
                callback=callback,
                user_data=user,
                on_enter=True,
            )
        elif param.type == ParamType.FLOAT:
            dpg.add_input_float(
                label=label,
                default_value=float(value),
                width=width,
                callback=callback,
                user_data=user,
                on_enter=True,
                format="%.4g",
            )
        elif param.type == ParamType.CHOICE:
            dpg.add_combo(
                list(param.choices),
                label=label,
                default_value=value,
                width=width,
                callback=callback,
                user_data=user,
            )
        else:  # text, paths and lists are edited as text (lists comma separated)
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            dpg.add_input_text(
                label=label,
                default_value=text,
                width=width * 2,
                callback=callback,
                user_data=user,
                on_enter=True,
            )

    def _add_link_widget(self, src: str, src_port: str, dst: str, dst_port: str) -> None:
        out_attr = self._attr(src, src_port, True)
        in_attr = self._attr(dst, dst_port, False)
        if out_attr is None or in_attr is None:
            return
        link = dpg.add_node_link(out_attr, in_attr, parent="canvas")
        self._links[link] = (dst, dst_port)

    def _attr(self, node_id: str, port: str, output: bool) -> int | str | None:
        return next(
            (
                a
                for a, (n, p, o) in self._ports.items()
                if n == node_id and p == port and o == output
            ),
            None,
        )

    # edits ------------------------------------------------------------------------------
    def say(self, message: str) -> None:
        self.messages.append(message)
        if dpg.does_item_exist("status"):
            dpg.set_value("status", message)

    def add_node(self, type_id: str, position: tuple[float, float] = (40.0, 40.0)) -> str:
        node_id = self.graph.add_node(type_id, position=position)
        self._add_node_widget(node_id)
        self.say(f"added {node_id} ({type_id})")
        return node_id

    def _on_link(self, sender: Any, attrs: tuple[Any, Any]) -> None:
        first, second = (
            self._ports.get(dpg.get_alias_id(a) if isinstance(a, str) else a) for a in attrs
        )
        if first is None or second is None:
            return
        (src, src_port, _), (dst, dst_port, _) = (first, second) if first[2] else (second, first)
        self.connect(src, src_port, dst, dst_port)

    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> bool:
        try:
            self.graph.connect(src, src_port, dst, dst_port)
        except GraphError as exc:
            self.say(str(exc))
            return False
        port = self.graph.node_type(dst).input(dst_port)
        if port is not None and port.variadic:
            self._rebuild_node(dst)  # offers the next free slot (layer2, layer3, ...)
        else:
            self._add_link_widget(src, src_port, dst, dst_port)
        self.say(f"linked {src}.{src_port} -> {dst}.{dst_port}")
        return True

    def _on_delink(self, sender: Any, link: Any) -> None:
        dst, dst_port = self._links.pop(link, (None, None))
        if dst is None:
            return
        self.graph.disconnect(dst, dst_port)
        dpg.delete_item(link)
        self.say(f"unlinked {dst}.{dst_port}")

    def _rebuild_node(self, node_id: str) -> None:
        position = dpg.get_item_pos(self._node_items[node_id])
        self.graph.set_position(node_id, tuple(position))
        self._remove_node_widget(node_id)
        self._add_node_widget(node_id)
        self._redraw_links()

    def _remove_node_widget(self, node_id: str) -> None:
        self._clear_links()
        dpg.delete_item(self._node_items.pop(node_id))
        self._ports = {a: p for a, p in self._ports.items() if p[0] != node_id}

    def delete_node(self, node_id: str) -> None:
        self.graph.remove_node(node_id)
        self._remove_node_widget(node_id)
        self._redraw_links()
        self.say(f"deleted {node_id}")

    def delete_selected(self) -> None:
        """The Delete key: removes the selected links, then the selected nodes."""
        for link in dpg.get_selected_links("canvas"):
            self._on_delink(None, link)
        items = set(dpg.get_selected_nodes("canvas"))
        for node_id in [n for n, item in self._node_items.items() if item in items]:
            self.delete_node(node_id)

    def _on_param(self, sender: Any, value: Any, user: tuple[str, Param]) -> None:
        node_id, param = user
        if param.type in (
            ParamType.FLOAT_LIST,
            ParamType.FILE_LIST,
            ParamType.CHOICE_LIST,
            ParamType.TEXT_LIST,
        ):
            parts = [p.strip() for p in str(value).split(",") if p.strip()]
            value = [float(p) for p in parts] if param.type == ParamType.FLOAT_LIST else parts
        try:
            self.graph.set_param(node_id, param.name, value)
        except (GraphError, ValueError) as exc:
            self.say(str(exc))
            return
        self.say(f"{node_id}.{param.name} = {value!r}")

    # running ----------------------------------------------------------------------------
    def run(self) -> None:
        if self.worker is not None and self.worker.is_alive():
            self.say("a run is in progress")
            return
        for node_id, item in self._node_items.items():
            self.graph.set_position(node_id, tuple(dpg.get_item_pos(item)))
        self.cancel = CancelToken()
        self.worker = threading.Thread(target=self._work, daemon=True)
        self.worker.start()

    def _work(self) -> None:
        def on_event(event: Event) -> None:
            if event.kind in ("progress", "start"):
                self._later(lambda: dpg.set_value("progress", event.fraction))
                self._later(lambda: self.say(f"running {event.node_id}"))

        try:
            report = self.engine.run(
                self.graph,
                output_dir=self.output_dir,
                base_dir=self.preset.base_dir,
                cancel=self.cancel,
                on_event=on_event,
            )
        except ValidationError as exc:
            message = str(exc).splitlines()[0]
            self._later(lambda: self.say(message))
            return
        self._later(lambda: self._show_report(report))

    def _later(self, action: Callable[[], None]) -> None:
        with self._lock:
            self._pending.append(action)

    @property
    def idle(self) -> bool:
        """No run in flight and nothing left for the render thread to apply."""
        with self._lock:
            pending = bool(self._pending)
        return not pending and (self.worker is None or not self.worker.is_alive())

    def pump(self) -> None:
        """Apply the worker's UI updates on the render thread (called every frame)."""
        with self._lock:
            actions, self._pending = self._pending, []
        for action in actions:
            action()
        selected = dpg.get_selected_nodes("canvas") if dpg.does_item_exist("canvas") else []
        if selected and self.report is not None:
            node_id = next((n for n, item in self._node_items.items() if item == selected[0]), None)
            if node_id is not None and node_id != getattr(self, "_previewed", None):
                self.show_preview(node_id)

    def _show_report(self, report: RunReport) -> None:
        self.report = report
        dpg.set_value("progress", 1.0)
        failed = [r.error for r in report.nodes.values() if r.status == Status.FAILED]
        summary = (
            "cancelled"
            if report.cancelled
            else (failed[0] if failed else f"done in {report.seconds:.2f}s")
        )
        self.say(summary)
        lines = [f"{n}: {r.status.value} {r.seconds:.2f}s" for n, r in report.nodes.items()]
        dpg.set_value("report", "\n".join(lines))
        for node_id, item in self._node_items.items():
            node_report = report.nodes.get(node_id)
            if node_report is not None:
                theme = _status_theme(node_report.status)
                dpg.bind_item_theme(item, theme)

    def show_preview(self, node_id: str) -> None:
        self._previewed = node_id
        outputs = (self.report.outputs.get(node_id) if self.report else None) or {}
        image = next(
            (v for v in outputs.values() if isinstance(v, np.ndarray) and v.ndim in (2, 3)), None
        )
        if image is None:
            dpg.set_value("preview_label", f"{node_id}: no image output yet")
            return
        dpg.set_value("preview_texture", _texture(image))
        dpg.set_value("preview_label", f"{node_id}: {image.shape[1]}x{image.shape[0]}")

    def _on_open(self, sender: Any, data: dict) -> None:
        self.open(Path(data["file_path_name"]))

    def _on_save(self, sender: Any, data: dict) -> None:
        self.save(Path(data["file_path_name"]))

    def open(self, path: Path) -> bool:
        """Replace the graph on the canvas with the preset at ``path``; a bad file is
        reported in the status line and the current graph stays."""
        try:
            preset = load_preset(path, self.registry)
        except PresetError as exc:
            self.say(str(exc).splitlines()[-1].strip())
            return False
        self._clear_links()
        for node_id in list(self._node_items):
            self._remove_node_widget(node_id)
        self.preset, self.preset_path, self.report = preset, path, None
        for node in self.graph.nodes():
            self._add_node_widget(node.id)
        self._redraw_links()
        self.say(f"opened {path}")
        return True

    def save(self, path: Path | None = None) -> None:
        path = path or self.preset_path or Path("untitled.stylegraph.json")
        for node_id, item in self._node_items.items():
            self.graph.set_position(node_id, tuple(dpg.get_item_pos(item)))
        save_preset(self.preset, path)
        self.preset_path = path
        self.say(f"saved {path}")


_THEMES: dict[Status, int | str] = {}


def _status_theme(status: Status) -> int | str:
    if status not in _THEMES:
        with dpg.theme() as theme, dpg.theme_component(dpg.mvNode):
            dpg.add_theme_color(
                dpg.mvNodeCol_TitleBar, STATUS_COLOURS[status], category=dpg.mvThemeCat_Nodes
            )
        _THEMES[status] = theme
    return _THEMES[status]


def _texture(image: np.ndarray) -> list[float]:
    """An output shown in the fixed-size preview texture: fitted and centred, RGBA."""
    from stylegraph.nodes.functional.resize import fit_longest_side, resize

    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3]
    height, width = fit_longest_side(*rgb.shape[:2], PREVIEW)
    small = resize(np.ascontiguousarray(rgb, np.float32), height, width, "area")
    canvas = np.zeros((PREVIEW, PREVIEW, 4), np.float32)
    top, left = (PREVIEW - height) // 2, (PREVIEW - width) // 2
    canvas[top : top + height, left : left + width, :3] = small
    canvas[top : top + height, left : left + width, 3] = 1.0
    return canvas.ravel().tolist()
