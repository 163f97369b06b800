"""``NAME=VALUE`` assignments (the command line's ``--set``, a batch item's inputs) applied
to a preset: ``content=photo.jpg`` sets a named input, ``blur.radius=3`` any param. Here,
beside the graph, so that every front end reads a value as the CLI does: a mistyped name is
refused with the closest real one, and a value is checked against its param (type, range,
syntax, path length) before it is set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stylegraph.graph.model import GraphError
from stylegraph.graph.paths import file_path, with_paths
from stylegraph.graph.preset import Preset, did_you_mean
from stylegraph.graph.spec import ParamError, ParamType, short_path


class AssignmentError(ValueError):
    """An assignment naming no input, node or param, or giving a value its param refuses;
    the message starts with ``--set`` and the name, as the user typed them."""


def apply_assignments(preset: Preset, assignments: list[str]) -> None:
    """Set each ``NAME=VALUE`` in ``assignments`` on ``preset``; relative file paths are
    relative to the current folder (where the user typed them)."""
    graph = preset.graph
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep:
            raise AssignmentError(f"--set {short_path(assignment)!r}: expected NAME=VALUE")
        if name in preset.inputs:
            node_id, param_name = preset.inputs[name].node, preset.inputs[name].param
        elif "." in name:
            node_id, param_name = name.split(".", 1)
        else:
            known = ", ".join(sorted(preset.inputs)) or "none"
            # `--set strength=0.5` means the param of that name, on whichever node has it
            params = [f"{n.id}.{name}" for n in graph.nodes() if graph.node_type(n.id).param(name)]
            hint = did_you_mean(name, preset.inputs) or did_you_mean(name, params[:1], 0.0)
            raise AssignmentError(
                f"--set {name}: the preset has no input {name!r} (inputs: {known}){hint}"
            )
        if node_id not in graph:
            raise AssignmentError(
                f"--set {name}: the preset has no node {node_id!r}"
                + did_you_mean(node_id, [n.id for n in graph.nodes()])
            )
        node_type = graph.node_type(node_id)
        param = node_type.param(param_name)
        if param is None:
            raise AssignmentError(
                f"--set {name}: node {node_id!r} ({node_type.type_id}) has no param "
                f"{param_name!r}" + did_you_mean(param_name, [p.name for p in node_type.params])
            )
        value: Any = parse_value(param.type, text)
        where = f"--set {name}: node {node_id!r} ({node_type.type_id}), param {param_name!r}"
        try:
            param.check(value)  # before the paths are resolved, which a NUL would break
        except ParamError as exc:
            raise AssignmentError(f"{where}: {exc}") from None
        value = with_paths(param.type, value, lambda v: str(file_path(v, Path.cwd()).resolve()))
        try:
            graph.set_param(node_id, param_name, value)
        except GraphError as exc:
            raise AssignmentError(f"--set {name}: {exc}") from None


def _file_list(text: str) -> list[str]:
    """Paths given as ``a.jpg,b.jpg`` or, as the other list params take them, as a JSON
    list of strings (a name that only looks like one stays a path)."""
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list) and all(isinstance(part, str) for part in value):
            return [part for part in value if part]
    return [part for part in text.split(",") if part]


def parse_value(param_type: ParamType, text: str) -> Any:
    """Turn a command-line string into a param value of the given type."""
    if param_type in (
        ParamType.TEXT,
        ParamType.FILE,
        ParamType.CHOICE,
        ParamType.OUTPUT_DIR,
        ParamType.FILE_NAME,
    ):
        return text
    if param_type == ParamType.FILE_LIST:
        return _file_list(text)
    if param_type == ParamType.TEXT_LIST and not text.startswith("["):
        return [part.strip() for part in text.split(",")]
    if param_type == ParamType.BOOL and text.lower() in ("true", "false", "yes", "no", "1", "0"):
        return text.lower() in ("true", "yes", "1")
    if param_type == ParamType.FLOAT_LIST and not text.startswith("["):
        text = f"[{text}]"
    if param_type in (ParamType.INT, ParamType.FLOAT) and text.strip().lower().lstrip("+-") in (
        "nan",
        "inf",
        "infinity",
    ):
        return float(text)  # nan, NaN, -Infinity: each spelling gets the same message
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
