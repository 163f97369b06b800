"""Undoable edits of a preset's graph.

Each command captures what it needs at creation, applies itself with ``do`` and reverses
itself exactly with ``undo``, so undoing any edit gives back an identical preset. ``do`` runs
again on redo, so it must not depend on anything that changed since it was made.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Protocol

from stylegraph.graph.model import Link
from stylegraph.graph.preset import GraphInput, Preset

Position = tuple[float, float]


class Command(Protocol):
    label: str

    def do(self, preset: Preset) -> None: ...

    def undo(self, preset: Preset) -> None: ...

    def touched(self) -> frozenset[str]:
        """The node ids whose widgets need a refresh after do or undo."""
        ...


@dataclass
class NodeSpec:
    """A node as data: what a delete keeps for undo and what the clipboard holds."""

    id: str
    type_id: str
    params: dict[str, Any]
    position: Position

    @classmethod
    def of(cls, preset: Preset, node_id: str) -> NodeSpec:
        node = preset.graph.node(node_id)
        return cls(node.id, node.type_id, copy.deepcopy(node.params), node.position)

    def add_to(self, preset: Preset) -> None:
        preset.graph.add_node(self.type_id, self.id, copy.deepcopy(self.params), self.position)


@dataclass
class AddNodes:
    """Adds nodes and their links (add, paste, duplicate, a painting layer wired into its
    stack); the links' destinations are touched too, since their inputs change."""

    label: str
    nodes: list[NodeSpec]
    links: list[Link] = field(default_factory=list)

    def do(self, preset: Preset) -> None:
        for spec in self.nodes:
            spec.add_to(preset)
        for link in self.links:
            preset.graph.connect(link.src, link.src_port, link.dst, link.dst_port)

    def undo(self, preset: Preset) -> None:
        for spec in self.nodes:
            preset.graph.remove_node(spec.id)

    def touched(self) -> frozenset[str]:
        return frozenset(spec.id for spec in self.nodes) | {link.dst for link in self.links}


@dataclass
class DeleteNodes:
    """Removes nodes with every link into or out of them, and the preset's named inputs
    bound to them; undo puts all of it back as it was."""

    label: str
    nodes: list[NodeSpec]
    links: list[Link]
    inputs: dict[str, GraphInput]
    input_order: list[str]

    @classmethod
    def of(cls, preset: Preset, node_ids: list[str]) -> DeleteNodes:
        doomed = set(node_ids)
        links = [lk for lk in preset.graph.links() if lk.src in doomed or lk.dst in doomed]
        inputs = {n: b for n, b in preset.inputs.items() if b.node in doomed}
        count = len(node_ids)
        label = f"delete {node_ids[0]}" if count == 1 else f"delete {count} nodes"
        return cls(
            label,
            [NodeSpec.of(preset, n) for n in node_ids],
            links,
            inputs,
            list(preset.inputs),
        )

    def do(self, preset: Preset) -> None:
        for spec in self.nodes:
            preset.graph.remove_node(spec.id)
        for name in self.inputs:
            del preset.inputs[name]

    def undo(self, preset: Preset) -> None:
        for spec in self.nodes:
            spec.add_to(preset)
        for link in self.links:
            preset.graph.add_link_unchecked(link)
        merged = {**preset.inputs, **self.inputs}
        preset.inputs.clear()
        preset.inputs.update({n: merged[n] for n in self.input_order if n in merged})
        preset.inputs.update({n: b for n, b in merged.items() if n not in preset.inputs})

    def touched(self) -> frozenset[str]:
        ends = {lk.src for lk in self.links} | {lk.dst for lk in self.links}
        return frozenset(spec.id for spec in self.nodes) | ends


@dataclass
class Connect:
    link: Link
    label: str = "link"

    def do(self, preset: Preset) -> None:
        lk = self.link
        preset.graph.connect(lk.src, lk.src_port, lk.dst, lk.dst_port)

    def undo(self, preset: Preset) -> None:
        preset.graph.disconnect(self.link.dst, self.link.dst_port)

    def touched(self) -> frozenset[str]:
        return frozenset((self.link.src, self.link.dst))


@dataclass
class Disconnect:
    link: Link
    label: str = "unlink"

    def do(self, preset: Preset) -> None:
        preset.graph.disconnect(self.link.dst, self.link.dst_port)

    def undo(self, preset: Preset) -> None:
        preset.graph.add_link_unchecked(self.link)

    def touched(self) -> frozenset[str]:
        return frozenset((self.link.src, self.link.dst))


@dataclass
class SetParam:
    """A param change. Undo restores the old value as it was, even one the checks would
    refuse today (a preset may load with a bad value that validation reports)."""

    node_id: str
    name: str
    old: Any
    new: Any
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or f"change {self.node_id}.{self.name}"

    def do(self, preset: Preset) -> None:
        preset.graph.set_param(self.node_id, self.name, copy.deepcopy(self.new))
        self.new = copy.deepcopy(preset.graph.node(self.node_id).params[self.name])

    def undo(self, preset: Preset) -> None:
        preset.graph.restore_param(self.node_id, self.name, copy.deepcopy(self.old))

    def touched(self) -> frozenset[str]:
        return frozenset((self.node_id,))


@dataclass
class MoveNodes:
    label: str
    old: dict[str, Position]
    new: dict[str, Position]

    def do(self, preset: Preset) -> None:
        for node_id, position in self.new.items():
            preset.graph.set_position(node_id, position)

    def undo(self, preset: Preset) -> None:
        for node_id, position in self.old.items():
            preset.graph.set_position(node_id, position)

    def touched(self) -> frozenset[str]:
        return frozenset(self.new)


@dataclass
class Batch:
    """Several commands as one undo step (a link dropped on an occupied input replaces the
    old one; Delete removes nodes and links together). If a step fails, the steps before
    it are undone and the error goes on, so a refused batch changes nothing."""

    label: str
    commands: list[Command]

    def do(self, preset: Preset) -> None:
        done: list[Command] = []
        try:
            for command in self.commands:
                command.do(preset)
                done.append(command)
        except Exception:
            for command in reversed(done):
                command.undo(preset)
            raise

    def undo(self, preset: Preset) -> None:
        for command in reversed(self.commands):
            command.undo(preset)

    def touched(self) -> frozenset[str]:
        return frozenset().union(*(c.touched() for c in self.commands))


def stars_of(preset: Preset, node_id: str) -> list[int]:
    """A Style Sweep's starred renders, by their place on its sheet."""
    stars = preset.ui.get("stars")
    found = stars.get(node_id) if isinstance(stars, dict) else None
    return [i for i in found if isinstance(i, int)] if isinstance(found, list) else []


@dataclass
class SetStars:
    """A Style Sweep's starred renders, kept with the graph (``preset.ui["stars"]``): saved,
    autosaved and undone as any edit is."""

    label: str
    node_id: str
    before: list[int]
    after: list[int]

    def _put(self, preset: Preset, indices: list[int]) -> None:
        stars = dict(preset.ui.get("stars") or {})
        if indices:
            stars[self.node_id] = sorted(indices)
        else:
            stars.pop(self.node_id, None)
        if stars:
            preset.ui["stars"] = stars
        else:
            preset.ui.pop("stars", None)

    def do(self, preset: Preset) -> None:
        self._put(preset, self.after)

    def undo(self, preset: Preset) -> None:
        self._put(preset, self.before)

    def touched(self) -> frozenset[str]:
        return frozenset()
