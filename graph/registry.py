"""A registry of node types. Built explicitly and passed around: no module-level state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from stylegraph.graph.spec import NodeType


class UnknownNodeType(KeyError):
    def __init__(self, type_id: str) -> None:
        super().__init__(type_id)
        self.type_id = type_id

    def __str__(self) -> str:
        return f"unknown node type {self.type_id!r}"


class Registry:
    def __init__(self, node_types: Iterable[NodeType] = ()) -> None:
        self._types: dict[str, NodeType] = {}
        for node_type in node_types:
            self.register(node_type)

    def register(self, node_type: NodeType) -> None:
        if node_type.type_id in self._types:
            raise ValueError(f"node type {node_type.type_id!r} is declared twice")
        self._types[node_type.type_id] = node_type

    def get(self, type_id: str) -> NodeType:
        try:
            return self._types[type_id]
        except KeyError:
            raise UnknownNodeType(type_id) from None

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    def __iter__(self) -> Iterator[NodeType]:
        return iter(sorted(self._types.values(), key=lambda t: (t.category, t.type_id)))

    def __len__(self) -> int:
        return len(self._types)
