"""Checks a graph before it runs, reporting every problem at once, each naming its node."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from stylegraph.graph.model import Graph
from stylegraph.graph.spec import ParamError


@dataclass(frozen=True)
class Problem:
    node_id: str
    type_id: str
    where: str  # "param 'radius'", "input 'image'", "links"
    message: str

    def __str__(self) -> str:
        return f"node {self.node_id!r} ({self.type_id}), {self.where}: {self.message}"


class ValidationError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def validate(graph: Graph, nodes: Iterable[str] | None = None) -> list[Problem]:
    """Problems in ``nodes`` (default: all). Cycles are checked over the whole graph."""
    selected = list(graph.nx.nodes) if nodes is None else list(nodes)
    problems: list[Problem] = []
    problems += _cycle_problems(graph)
    for node_id in selected:
        problems += _node_problems(graph, node_id)
    return problems


def check(graph: Graph, nodes: Iterable[str] | None = None) -> None:
    problems = validate(graph, nodes)
    if problems:
        raise ValidationError(problems)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def unset_params(graph: Graph, nodes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(node, param) of every required param left empty in ``nodes`` (default: all): what
    a run would stop at, found before it starts. Not a validation problem: a preset's
    named inputs (the photo) are empty until the user sets them."""
    selected = sorted(graph.nx.nodes) if nodes is None else sorted(nodes)
    unset = []
    for node_id in selected:
        params = graph.node(node_id).params
        linked = graph.input_links(node_id).keys()
        for param in graph.node_type(node_id).params:
            if is_empty(params.get(param.name)) and param.is_required(params, linked):
                unset.append((node_id, param.name))
    return unset


def preview_targets(graph: Graph) -> list[str]:
    """What the editor's Run computes: the graph's sinks (its saves: one that cannot run
    is reported) and every other end node whose whole upstream is ready, so a branch the
    artist is building shows its picture and a half-wired one does not block the rest."""
    targets = graph.sinks()
    for node_id in sorted(graph.nx.nodes):
        if node_id in targets or graph.nx.out_degree(node_id) > 0:
            continue
        if not validate(graph, graph.upstream([node_id])):
            targets.append(node_id)
    return targets


def _cycle_problems(graph: Graph) -> list[Problem]:
    if graph.is_acyclic():
        return []
    cycle = nx.find_cycle(graph.nx)
    first = cycle[0][0]
    path = " -> ".join([edge[0] for edge in cycle] + [first])
    return [Problem(first, graph.node(first).type_id, "links", f"the links form a cycle: {path}")]


def _node_problems(graph: Graph, node_id: str) -> list[Problem]:
    node = graph.node(node_id)
    node_type = graph.node_type(node_id)
    problems = []

    def add(where: str, message: str) -> None:
        problems.append(Problem(node_id, node.type_id, where, message))

    checked = {}
    for name, value in node.params.items():
        param = node_type.param(name)
        if param is None:
            add(f"param {name!r}", "no such param")
            continue
        try:
            checked[name] = param.check(value)
        except ParamError as exc:
            add(f"param {name!r}", str(exc))
    if not problems and node_type.check_params is not None:
        for name, message in node_type.check_params({**node_type.default_params(), **checked}):
            add(f"param {name!r}", message)

    links = graph.input_links(node_id)
    for port in node_type.inputs:
        if not port.optional and not port.variadic and port.name not in links:
            add(f"input {port.name!r}", f"required {port.type.value} input is not linked")
    for port_name, link in links.items():
        in_port = node_type.input(port_name)
        if in_port is None:
            add(f"input {port_name!r}", f"no such input (linked from {link.src}.{link.src_port})")
            continue
        out_port = graph.node_type(link.src).output(link.src_port)
        if out_port is None:
            add(
                f"input {port_name!r}",
                f"linked from {link.src}.{link.src_port}, which is not an output of "
                f"{graph.node(link.src).type_id}",
            )
        elif out_port.type != in_port.type:
            add(
                f"input {port_name!r}",
                f"takes {in_port.type.value} but {link.src}.{link.src_port} gives "
                f"{out_port.type.value}",
            )
    return problems
