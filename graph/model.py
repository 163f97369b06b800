"""The graph model: node instances and typed links, kept in a networkx MultiDiGraph.

Every networkx node is a node instance (attributes ``type_id``, ``params``, ``position``);
every edge is a link keyed by the input port it feeds, since an input takes one link only.
"""

from __future__ import annotations

import itertools
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import NodeType, ParamError


class GraphError(ValueError):
    """An edit to the graph that was refused; the message names the nodes and ports."""


@dataclass(frozen=True)
class Link:
    src: str
    src_port: str
    dst: str
    dst_port: str

    def __str__(self) -> str:
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"


@dataclass
class NodeInstance:
    id: str
    type_id: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)


def fresh_id(stem: str, taken: Container[str], *, bare: bool = False, sep: str = "") -> str:
    """The one maker of node ids: ``stem`` itself where ``bare`` and it is free, else
    ``stem``, ``sep`` and the first free number (from 1; from 2 after a bare stem). A node
    added by type is ``blend1``, ``blend2``...; a layer named after its painting is
    ``starry``, ``starry_2``... (readable, not ``starry19072``)."""
    if bare and stem not in taken:
        return stem
    start = 2 if bare else 1
    return next(f"{stem}{sep}{i}" for i in itertools.count(start) if f"{stem}{sep}{i}" not in taken)


def type_stem(type_id: str) -> str:
    """A node id's stem for a node added by type: ``image.blend`` -> ``blend``."""
    return type_id.rsplit(".", 1)[-1]


class Graph:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.nx = nx.MultiDiGraph()
        self._order: list[str] | None = None  # topological order, reset by structural edits

    # nodes -------------------------------------------------------------------------------
    def add_node(
        self,
        type_id: str,
        node_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        position: tuple[float, float] = (0.0, 0.0),
    ) -> str:
        """Add a node; params not given take their defaults. A value that passes its
        param's check is kept as the check normalises it (6.0 for an int param is 6, as
        everywhere else); one that does not is kept as given, for ``validate`` to report
        with every other problem, so a preset with a bad value still loads."""
        node_type = self.registry.get(type_id)
        node_id = node_id or fresh_id(type_stem(type_id), self.nx)
        if node_id in self.nx:
            raise GraphError(f"a node with id {node_id!r} already exists")
        merged = node_type.default_params()
        merged.update(node_type.normalised_params(params or {}))
        self._order = None
        self.nx.add_node(
            node_id,
            type_id=type_id,
            params=merged,
            position=(float(position[0]), float(position[1])),
        )
        return node_id

    def remove_node(self, node_id: str) -> None:
        self._require(node_id)
        self._order = None
        self.nx.remove_node(node_id)

    def node(self, node_id: str) -> NodeInstance:
        self._require(node_id)
        data = self.nx.nodes[node_id]
        return NodeInstance(node_id, data["type_id"], data["params"], data["position"])

    def nodes(self) -> Iterator[NodeInstance]:
        for node_id in self.nx.nodes:
            yield self.node(node_id)

    def node_type(self, node_id: str) -> NodeType:
        self._require(node_id)
        return self.registry.get(self.nx.nodes[node_id]["type_id"])

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        node_type = self.node_type(node_id)
        param = node_type.param(name)
        if param is None:
            raise GraphError(f"node {node_id!r} ({node_type.type_id}) has no param {name!r}")
        try:
            checked = param.check(value)
        except ParamError as exc:
            raise GraphError(
                f"node {node_id!r} ({node_type.type_id}), param {name!r}: {exc}"
            ) from None
        self.nx.nodes[node_id]["params"][name] = checked

    def restore_param(self, node_id: str, name: str, value: Any) -> None:
        """Put back a value the node held before, unchecked: undo must restore a value
        exactly, even one that validation reports (a preset may load with a bad value)."""
        self._require(node_id)
        self.nx.nodes[node_id]["params"][name] = value

    def set_position(self, node_id: str, position: tuple[float, float]) -> None:
        self._require(node_id)
        self.nx.nodes[node_id]["position"] = (float(position[0]), float(position[1]))

    def _require(self, node_id: str) -> None:
        if node_id not in self.nx:
            raise GraphError(f"there is no node {node_id!r}")

    # links -------------------------------------------------------------------------------
    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> Link:
        link = Link(src, src_port, dst, dst_port)
        for node_id in (src, dst):
            if node_id not in self.nx:
                raise GraphError(f"cannot link {link}: there is no node {node_id!r}")
        out_port = self.node_type(src).output(src_port)
        in_port = self.node_type(dst).input(dst_port)
        if out_port is None:
            raise GraphError(
                f"cannot link {link}: {src} ({self.node_type(src).type_id}) "
                f"has no output {src_port!r}"
            )
        if in_port is None:
            raise GraphError(
                f"cannot link {link}: {dst} ({self.node_type(dst).type_id}) "
                f"has no input {dst_port!r}"
            )
        if out_port.type != in_port.type:
            raise GraphError(
                f"cannot link {link}: {src}.{src_port} gives {out_port.type.value} but "
                f"{dst}.{dst_port} takes {in_port.type.value}"
            )
        existing = self.input_link(dst, dst_port)
        if existing is not None:
            raise GraphError(
                f"cannot link {link}: {dst}.{dst_port} is already linked from "
                f"{existing.src}.{existing.src_port}"
            )
        if src == dst or nx.has_path(self.nx, dst, src):
            raise GraphError(f"cannot link {link}: it would make a cycle")
        self._order = None
        self.nx.add_edge(src, dst, key=dst_port, src_port=src_port)
        return link

    def disconnect(self, dst: str, dst_port: str) -> None:
        link = self.input_link(dst, dst_port)
        if link is None:
            raise GraphError(f"{dst}.{dst_port} has no link")
        self._order = None
        self.nx.remove_edge(link.src, dst, key=dst_port)

    def input_link(self, dst: str, dst_port: str) -> Link | None:
        return self.input_links(dst).get(dst_port)

    def input_links(self, dst: str) -> dict[str, Link]:
        """Links into ``dst`` keyed by input port (on the engine's hot path: kept lean)."""
        self._require(dst)
        return {
            key: Link(src, data["src_port"], dst, key)
            for src, edges in self.nx.pred[dst].items()
            for key, data in edges.items()
        }

    def links(self) -> list[Link]:
        return [
            Link(src, data["src_port"], dst, key)
            for src, dst, key, data in self.nx.edges(keys=True, data=True)
        ]

    def add_link_unchecked(self, link: Link) -> None:
        """A link without ``connect``'s port, type and cycle checks: for preset loading,
        which reports bad links through ``validate``, and for undo and redo, which put
        back links that were checked when first made."""
        self._order = None
        self.nx.add_edge(link.src, link.dst, key=link.dst_port, src_port=link.src_port)

    def is_acyclic(self) -> bool:
        return self.topological_order() is not None

    def topological_order(self) -> list[str] | None:
        """All node ids, each after the nodes it takes input from; None if there is a cycle."""
        if self._order is None:
            try:
                self._order = list(nx.topological_sort(self.nx))
            except nx.NetworkXUnfeasible:
                return None
        return self._order

    def upstream(self, node_ids: Iterable[str]) -> set[str]:
        """``node_ids`` and every node they take input from, directly or not."""
        seen = set(node_ids)
        stack = list(seen)
        pred = self.nx.pred
        while stack:
            for parent in pred[stack.pop()]:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    def sinks(self) -> list[str]:
        """Nodes whose results are the point of the graph: side-effect nodes, and nodes
        with no outgoing links when the graph has no side-effect node."""
        side = [n for n in self.nx.nodes if self.node_type(n).side_effect]
        return side or [n for n in self.nx.nodes if self.nx.out_degree(n) == 0]

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nx

    def __len__(self) -> int:
        return self.nx.number_of_nodes()
