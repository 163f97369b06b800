"""The editor's window-free core: every graph edit as an undoable command on the preset.

The graph model stays the single source of truth. Views (the canvas, the viewer, the mask
painter) call these methods and redraw on the ``Change`` they are told about; nothing here
imports Dear PyGui, so every edit, undo and recovery is tested without a window.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stylegraph.graph.model import Graph, GraphError, Link, fresh_id, type_stem
from stylegraph.graph.paths import file_path, home_expanded, with_paths
from stylegraph.graph.preset import Preset, PresetError, save_preset
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import FILE_PARAM_TYPES
from stylegraph.presets import is_shipped
from stylegraph.ui import layout
from stylegraph.ui.commands import (
    AddNodes,
    Batch,
    Command,
    Connect,
    DeleteNodes,
    Disconnect,
    MoveNodes,
    NodeSpec,
    Position,
    SetParam,
)
from stylegraph.ui.recent import RecentFiles
from stylegraph.ui.recovery import Recovery

PAINT_TYPE = "mask.paint"
DUPLICATE_SHIFT = 40.0  # px: a duplicate is sought this far right of and below its original


@dataclass(frozen=True)
class Change:
    """What an edit touched: ``kind`` is ``edit``, ``undo``, ``redo`` or ``replace`` (a new,
    opened or restored graph: redraw everything)."""

    kind: str
    node_ids: frozenset[str] = frozenset()


@dataclass
class _Clipboard:
    nodes: list[NodeSpec]
    links: list[Link]  # between the copied nodes
    incoming: list[Link]  # from nodes outside the copy into it (kept by paste-with-links)


class Controller:
    def __init__(
        self,
        registry: Registry,
        preset: Preset | None = None,
        path: Path | None = None,
        *,
        history_limit: int = 200,
        recovery_dir: Path | None = None,
    ) -> None:
        self.registry = registry
        self.preset = preset or Preset(Graph(registry))
        self.path, self.template = _file_or_template(path)
        self.history_limit = history_limit
        self.recent = RecentFiles()
        self.recovery = Recovery(recovery_dir)
        self._done: list[tuple[int, Command]] = []  # (state id after it, command)
        self._undone: list[tuple[int, Command]] = []
        self._serial = 0
        self._state = 0  # id of the graph state on screen; 0 = as opened
        self._saved_state: int | None = 0
        self._listeners: list[Callable[[Change], None]] = []
        self._clipboard: _Clipboard | None = None
        self._arrange_if_unplaced()

    @property
    def graph(self) -> Graph:
        return self.preset.graph

    # observers ---------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Change], None]) -> None:
        self._listeners.append(callback)

    def _notify(self, change: Change) -> None:
        for callback in self._listeners:
            callback(change)

    # history -----------------------------------------------------------------------------
    def _apply(self, command: Command) -> None:
        """Run ``command`` and record it; if it raises, nothing was applied or recorded."""
        command.do(self.preset)
        self._serial += 1
        self._state = self._serial
        self._done.append((self._state, command))
        del self._done[: -self.history_limit]
        self._undone.clear()
        self._notify(Change("edit", command.touched()))

    def apply(self, command: Command) -> None:
        """An edit made elsewhere as a command (``ui.layers``' layer edits): one step."""
        self._apply(command)

    def undo(self) -> bool:
        if not self._done:
            return False
        _, command = self._done.pop()
        command.undo(self.preset)
        self._undone.append((self._state, command))
        self._state = self._done[-1][0] if self._done else self._base_state()
        self._notify(Change("undo", command.touched()))
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        state, command = self._undone.pop()
        command.do(self.preset)
        self._done.append((state, command))
        self._state = state
        self._notify(Change("redo", command.touched()))
        return True

    def _base_state(self) -> int:
        """The state before the oldest remembered step: the opened graph, or (once the
        history has been trimmed) a state no save can match."""
        return 0 if self._serial <= self.history_limit else -1

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_label(self) -> str:
        return f"Undo {self._done[-1][1].label}" if self._done else "Undo"

    @property
    def redo_label(self) -> str:
        return f"Redo {self._undone[-1][1].label}" if self._undone else "Redo"

    @property
    def history_size(self) -> int:
        return len(self._done)

    # unsaved changes ---------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._state != self._saved_state

    @property
    def title(self) -> str:
        if self.path is not None:
            name = self.path.name
        elif self.template is not None:
            name = f"{self.template.stem} (shipped preset)"
        else:
            name = "untitled"
        return f"{name}{'*' if self.dirty else ''} - stylegraph"

    # edits -------------------------------------------------------------------------------
    def add_node(
        self,
        type_id: str,
        position: Position | None = None,
        params: dict[str, Any] | None = None,
        near: Position | None = None,
    ) -> str:
        """A new node at ``position``, or at the free spot nearest ``near`` (where the
        artist is looking), or right of the graph."""
        node_type = self.registry.get(type_id)
        node_id = self._fresh_ids([type_id])[0]
        merged = node_type.default_params()
        for name, value in (params or {}).items():  # defaults need no check
            param = node_type.param(name)
            if param is None:
                raise GraphError(f"{type_id} has no param {name!r}")
            merged[name] = _checked(node_id, type_id, param, value)
        if position is None and near is not None:
            box = ((0.0, 0.0), layout.node_size(node_type))
            position = layout.free_spot(self.graph, [box], near)
        if position is None:
            position = layout.place_new(self.graph)
        spec = NodeSpec(node_id, type_id, merged, (float(position[0]), float(position[1])))
        self._apply(AddNodes(f"add {node_id}", [spec]))
        return node_id

    def delete_nodes(self, node_ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(node_ids))
        if not ids:
            return
        for node_id in ids:
            self.graph.node(node_id)  # raises GraphError for an unknown id
        self._apply(DeleteNodes.of(self.preset, ids))

    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> Link | None:
        """Link an output to an input. A link dropped on an input that is already linked
        replaces the old one, in one undo step; it returns the link it replaced."""
        link = Link(src, src_port, dst, dst_port)
        old = self.graph.input_link(dst, dst_port) if dst in self.graph else None
        if old == link:
            return None
        if old is None:
            self._apply(Connect(link))
        else:
            self._apply(Batch(f"relink {dst}.{dst_port}", [Disconnect(old), Connect(link)]))
        return old

    def disconnect(self, dst: str, dst_port: str) -> None:
        link = self.graph.input_link(dst, dst_port)
        if link is None:
            raise GraphError(f"{dst}.{dst_port} has no link")
        self._apply(Disconnect(link))

    def delete(self, node_ids: Iterable[str], inputs: Iterable[tuple[str, str]] = ()) -> str:
        """Delete nodes (with every link they have) and the links into ``inputs`` (node,
        port) in one undo step; returns what was removed, for the status line."""
        ids = list(dict.fromkeys(node_ids))
        for node_id in ids:
            self.graph.node(node_id)  # raises GraphError for an unknown id
        doomed = set(ids)
        links = [
            link
            for dst, port in dict.fromkeys(inputs)
            if dst not in doomed and (link := self.graph.input_link(dst, port)) is not None
        ]
        commands: list[Command] = [Disconnect(link) for link in links]
        if ids:
            commands.append(DeleteNodes.of(self.preset, ids))
        if not commands:
            return ""
        summary = "deleted " + "; ".join(
            part for part in (self._nodes_gone(ids), _links_gone(links)) if part
        )
        if len(commands) == 1:
            self._apply(commands[0])
        else:
            self._apply(Batch(summary, commands))
        return summary

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        node = self.graph.node(node_id)
        if name in node.params and node.params[name] == value:
            return
        old = copy.deepcopy(node.params.get(name))
        self._apply(SetParam(node_id, name, old, value))

    def move_nodes(self, positions: dict[str, Position]) -> None:
        old = {n: self.graph.node(n).position for n in positions}
        new = {n: (float(p[0]), float(p[1])) for n, p in positions.items()}
        moved = {n: p for n, p in new.items() if p != old[n]}
        if not moved:
            return
        what = next(iter(moved)) if len(moved) == 1 else f"{len(moved)} nodes"
        self._apply(MoveNodes(f"move {what}", {n: old[n] for n in moved}, moved))

    def arrange(self) -> None:
        new = layout.arrange(self.graph)
        old = {n: self.graph.node(n).position for n in new}
        moved = {n: p for n, p in new.items() if p != old[n]}
        if moved:
            self._apply(MoveNodes("arrange", {n: old[n] for n in moved}, moved))

    def add_stroke(self, node_id: str, stroke: dict[str, Any]) -> None:
        """One painted stroke on a Paint Mask node: one undo step."""
        node = self.graph.node(node_id)
        if node.type_id != PAINT_TYPE:
            raise GraphError(f"node {node_id!r} ({node.type_id}) is not a {PAINT_TYPE} node")
        strokes = [*node.params.get("strokes", []), stroke]
        old = copy.deepcopy(node.params.get("strokes", []))
        self._apply(SetParam(node_id, "strokes", old, strokes, label=f"paint on {node_id}"))

    def _nodes_gone(self, ids: list[str]) -> str:
        if not ids:
            return ""
        doomed = set(ids)
        count = sum(1 for lk in self.graph.links() if lk.src in doomed or lk.dst in doomed)
        whose = "its" if len(ids) == 1 else "their"
        links = f" with {whose} {_plural(count, 'link')}" if count else ""
        return f"{'node' if len(ids) == 1 else 'nodes'} {', '.join(ids)}{links}"

    # clipboard ---------------------------------------------------------------------------
    def copy(self, node_ids: Iterable[str]) -> None:
        ids = [n for n in dict.fromkeys(node_ids) if n in self.graph]
        if not ids:
            return
        inside = set(ids)
        into = [lk for lk in self.graph.links() if lk.dst in inside]
        self._clipboard = _Clipboard(
            [NodeSpec.of(self.preset, n) for n in ids],
            [lk for lk in into if lk.src in inside],
            [lk for lk in into if lk.src not in inside],
        )

    def paste(self, near: Position | None = None, *, with_links: bool = False) -> list[str]:
        """The clipboard's nodes under fresh ids, with the links between them; with
        ``with_links`` (Ctrl+Shift+V, as in ComfyUI) also the links that came into them
        from nodes outside the copy, where those nodes still exist. They keep their
        arrangement, placed at the free spot nearest ``near`` or, by default, in the free
        space right of the graph."""
        if self._clipboard is None:
            return []
        clip = self._clipboard
        left = min(s.position[0] for s in clip.nodes)
        top = min(s.position[1] for s in clip.nodes)
        if near is None:
            free = layout.place_new(self.graph)
        else:
            group = [
                ((s.position[0] - left, s.position[1] - top), self._size_of(s)) for s in clip.nodes
            ]
            free = layout.free_spot(self.graph, group, near)
        offset = (free[0] - left, free[1] - top)
        fresh = dict(
            zip(
                (s.id for s in clip.nodes),
                self._fresh_ids([s.type_id for s in clip.nodes]),
                strict=True,
            )
        )
        nodes = [
            NodeSpec(
                fresh[s.id],
                s.type_id,
                copy.deepcopy(s.params),
                (s.position[0] + offset[0], s.position[1] + offset[1]),
            )
            for s in clip.nodes
        ]
        links = [Link(fresh[lk.src], lk.src_port, fresh[lk.dst], lk.dst_port) for lk in clip.links]
        if with_links:
            links += [
                Link(lk.src, lk.src_port, fresh[lk.dst], lk.dst_port)
                for lk in clip.incoming
                if lk.src in self.graph
            ]
        count = len(nodes)
        label = f"paste {nodes[0].id}" if count == 1 else f"paste {count} nodes"
        self._apply(AddNodes(label, nodes, links))
        return [s.id for s in nodes]

    def duplicate(self, node_ids: Iterable[str]) -> list[str]:
        """Copies of the nodes next to the originals, with the links between them and
        those coming into them from the rest of the graph: a duplicated render gets the
        same photo, as in ComfyUI."""
        kept = self._clipboard
        try:
            self.copy(node_ids)
            if self._clipboard is None:
                return []
            nodes = self._clipboard.nodes
            left = min(s.position[0] for s in nodes)
            top = min(s.position[1] for s in nodes)
            return self.paste(near=(left + DUPLICATE_SHIFT, top + DUPLICATE_SHIFT), with_links=True)
        finally:
            self._clipboard = kept

    def _size_of(self, spec: NodeSpec) -> tuple[float, float]:
        """A copied node's size on the canvas (its variadic slots as linked in the copy)."""
        node_type = self.registry.get(spec.type_id)
        if spec.id not in self.graph:
            return layout.node_size(node_type)
        return layout.size_in(self.graph, spec.id)

    def _fresh_ids(self, type_ids: list[str]) -> list[str]:
        taken = set(self.graph.nx.nodes)
        ids = []
        for type_id in type_ids:
            ids.append(fresh_id(type_stem(type_id), taken))
            taken.add(ids[-1])
        return ids

    # files -------------------------------------------------------------------------------
    def _replace(self, preset: Preset, path: Path | None, *, saved: bool) -> None:
        self.preset = preset
        self.path, self.template = _file_or_template(path)
        self._done.clear()
        self._undone.clear()
        self._serial += 1
        self._state = self._serial
        self._saved_state = self._state if saved else None
        self._arrange_if_unplaced()
        self._notify(Change("replace"))

    def _arrange_if_unplaced(self) -> None:
        """A graph saved without a layout (its nodes then all sit at one spot) is laid
        out on open; a saved layout is the artist's and is kept, even where nodes overlap."""
        if layout.unplaced(self.graph):
            for node_id, position in layout.arrange(self.graph).items():
                self.graph.set_position(node_id, position)

    def new(self) -> None:
        self._replace(Preset(Graph(self.registry)), None, saved=True)

    def open(self, path: Path) -> None:
        """Replace the graph with the preset at ``path``; a bad file raises PresetError
        and the current graph stays."""
        from stylegraph.jobs.pack import is_pack, load_preset_or_pack

        path = Path(path)
        preset = load_preset_or_pack(path, self.registry)
        # a pack's files live in the cache folder: it opens with no file to save over
        self._replace(preset, None if is_pack(path) else path, saved=True)
        self.recent.add(path)

    def open_recipe_from_image(self, image_path: Path) -> None:
        """The recipe embedded in an output image, opened as a new unsaved graph."""
        from stylegraph.jobs.pack import preset_from_recipe
        from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe

        image_path = Path(image_path)
        try:
            recipe = read_recipe(image_path)
        except RecipeError as exc:
            raise PresetError(str(image_path), [("$", str(exc))]) from None
        preset = preset_from_recipe(recipe, self.registry, image_path.parent, str(image_path))
        self._replace(preset, None, saved=False)
        self.recent.add(image_path)

    def save(self, path: Path | None = None) -> Path:
        path = Path(path or self.path or "untitled.stylegraph.json")
        if is_shipped(path):
            raise ValueError(
                f"{path.name} is a shipped preset and stays as it is: save your copy elsewhere"
            )
        _rebase_file_params(self.preset, path.resolve().parent)
        save_preset(self.preset, path)
        self.path, self.template = path, None
        self._saved_state = self._state
        self.recent.add(path)
        self.recovery.discard()
        return path

    def save_pack(self, path: Path, *, with_inputs: bool = False) -> list:
        """The graph and every file it names, in one ``.sgpack`` to hand to someone; the
        named inputs' files (the photo) stay home unless ``with_inputs``."""
        from stylegraph.jobs.pack import write_pack

        return write_pack(self.preset, path, with_inputs=with_inputs)

    @property
    def recent_files(self) -> list[Path]:
        return self.recent.paths()

    # never lose work ---------------------------------------------------------------------
    def autosave(self) -> Path | None:
        """Write the open graph to this session's recovery file if it has unsaved work."""
        if not self.dirty:
            return None
        return self.recovery.write(self.preset, self.path or self.template)

    def pending_recovery(self) -> Path | None:
        """A recovery file that an earlier session left behind when it did not close."""
        return self.recovery.pending()

    def restore_recovery(self) -> None:
        found = self.recovery.pending()
        if found is None:
            return
        preset, path = self.recovery.load(found, self.registry)
        self._replace(preset, path, saved=False)
        self.recovery.forget(found)

    def discard_recovery(self, *, including_pending: bool = True) -> None:
        """A clean close: this session's recovery file goes, and those left behind unless
        the user closed before answering the offer to restore them."""
        self.recovery.discard(including_pending=including_pending)


def _rebase_file_params(preset: Preset, folder: Path) -> None:
    """Saved into another folder, a preset's relative file paths would point elsewhere:
    they become relative to the new folder when inside it, absolute otherwise."""
    old = preset.base_dir.resolve()
    if old == folder:
        return
    for node in preset.graph.nodes():
        for param in preset.graph.node_type(node.id).params:
            if param.type not in FILE_PARAM_TYPES:
                continue
            value = node.params.get(param.name)
            moved = with_paths(param.type, value, lambda v: _rebase(v, old, folder))
            preset.graph.restore_param(node.id, param.name, moved)
    preset.base_dir = folder


def _rebase(value: str, old: Path, folder: Path) -> str:
    """A path relative to ``old`` made relative to ``folder`` (absolute outside it); an
    absolute or ``~`` path names the same file from any folder and stays as written."""
    if home_expanded(value).is_absolute():
        return value
    target = file_path(value, old).resolve()
    return str(target.relative_to(folder)) if target.is_relative_to(folder) else str(target)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _links_gone(links: list[Link]) -> str:
    if not links:
        return ""
    into = ", ".join(f"{lk.dst}.{lk.dst_port}" for lk in links)
    return f"the {'link' if len(links) == 1 else 'links'} into {into}"


def _checked(node_id: str, type_id: str, param: Any, value: Any) -> Any:
    from stylegraph.graph.spec import ParamError

    try:
        return param.check(value)
    except ParamError as exc:
        raise GraphError(f"node {node_id!r} ({type_id}), param {param.name!r}: {exc}") from None


def _file_or_template(path: Path | None) -> tuple[Path | None, Path | None]:
    """The file a graph saves to; for a shipped preset none (Save asks where) and the
    preset as its template: saving over it would change the recipe for every user of the
    install."""
    if path is not None and is_shipped(path):
        return None, Path(path)
    return path, None
