"""The preset format: a graph as versioned JSON, safe to load from a stranger.

A preset is data, never code: it is parsed with ``json``, checked against ``PRESET_SCHEMA``,
and its relative file paths may not leave the preset's folder. Saving is atomic.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import jsonschema

from stylegraph.graph.atomic import atomic_write_text
from stylegraph.graph.model import Graph, Link
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import FILE_PARAM_TYPES

FORMAT = "stylegraph.preset"
VERSION = 1

_ID = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$"}
_PORT_REF = {
    "type": "array",
    "prefixItems": [_ID, {"type": "string"}],
    "items": False,
    "minItems": 2,
}

PRESET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "version", "nodes"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": FORMAT},
        "version": {"type": "integer", "minimum": 1},
        "meta": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "author": {"type": "string"},
            },
        },
        "nodes": {
            "type": "object",
            "propertyNames": _ID,
            "additionalProperties": {
                "type": "object",
                "required": ["type"],
                "additionalProperties": False,
                "properties": {
                    "type": {"type": "string", "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"},
                    "version": {"type": "integer", "minimum": 1},
                    "params": {"type": "object"},
                },
            },
        },
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["from", "to"],
                "additionalProperties": False,
                "properties": {"from": _PORT_REF, "to": _PORT_REF},
            },
        },
        "inputs": {
            "type": "object",
            "propertyNames": _ID,
            "additionalProperties": {
                "type": "object",
                "required": ["node", "param"],
                "additionalProperties": False,
                "properties": {
                    "node": _ID,
                    "param": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
        },
        "files": {
            "description": "In a pack: the original name of each file stored by content hash.",
            "type": "object",
            "propertyNames": {"pattern": r"^files/[0-9a-f]{64}\.[a-z0-9]{1,10}$"},
            "additionalProperties": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "bytes": {"type": "integer", "minimum": 0},
                },
            },
        },
        "ui": {
            "type": "object",
            "properties": {
                "positions": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                }
            },
        },
    },
}

# Format version N -> N+1. Version 1 is the first published format, so the chain is empty;
# a future version 2 adds ``1: migrate_1_to_2`` here and older files keep loading.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class PresetError(ValueError):
    """Every problem found in a preset, each with its JSON path."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"]
        lines += [f"  {path}: {message}" for path, message in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class GraphInput:
    """A named input of a preset (e.g. ``content``) bound to one node's param."""

    node: str
    param: str
    description: str = ""


@dataclass
class Preset:
    graph: Graph
    meta: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, GraphInput] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = Path(".")

    def set_input(self, name: str, value: Any) -> None:
        if name not in self.inputs:
            known = ", ".join(sorted(self.inputs)) or "none"
            raise KeyError(f"the preset has no input {name!r} (its inputs: {known})")
        binding = self.inputs[name]
        self.graph.set_param(binding.node, binding.param, value)

    def input_values(self) -> dict[str, Any]:
        return {
            name: self.graph.node(b.node).params.get(b.param) for name, b in self.inputs.items()
        }


def _json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def preset_from_dict(
    data: Any, registry: Registry, base_dir: Path = Path("."), source: str = "<preset>"
) -> Preset:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PresetError(source, [("$.format", f"not a stylegraph preset (expected {FORMAT!r})")])
    version = data.get("version")
    if isinstance(version, int) and version > VERSION:
        raise PresetError(
            source,
            [
                (
                    "$.version",
                    f"this preset is format version {version}, made by a newer "
                    f"stylegraph; this one reads versions up to {VERSION}. Upgrade "
                    "stylegraph to open it",
                )
            ],
        )
    while isinstance(version, int) and version in MIGRATIONS:
        data = MIGRATIONS[version](data)
        version = data["version"]

    validator = jsonschema.Draft202012Validator(PRESET_SCHEMA)
    problems = [
        (_json_path(err.absolute_path), err.message)
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    if problems:
        raise PresetError(source, problems)

    nodes: dict[str, Any] = data["nodes"]
    unknown = sorted({spec["type"] for spec in nodes.values() if spec["type"] not in registry})
    if unknown:
        problems.append(("$.nodes", f"unknown node types: {', '.join(unknown)}"))
        problems += [
            (f"$.nodes.{nid}.type", f"unknown node type {spec['type']!r}")
            for nid, spec in nodes.items()
            if spec["type"] not in registry
        ]
        raise PresetError(source, problems)

    graph = Graph(registry)
    positions = data.get("ui", {}).get("positions", {})
    for node_id, spec in nodes.items():
        node_type = registry.get(spec["type"])
        saved_version = spec.get("version", node_type.version)
        if saved_version > node_type.version:
            problems.append(
                (
                    f"$.nodes.{node_id}.version",
                    f"{spec['type']} version {saved_version} is newer than this stylegraph's "
                    f"version {node_type.version}",
                )
            )
        retired = {name for name, _ in node_type.retired_params}
        params = {k: v for k, v in spec.get("params", {}).items() if k not in retired}
        problems += _path_problems(node_id, node_type, params)
        graph.add_node(spec["type"], node_id, params, tuple(positions.get(node_id, (0, 0))))

    for index, link in enumerate(data.get("links", [])):
        (src, src_port), (dst, dst_port) = link["from"], link["to"]
        missing = [(end, nid) for end, nid in (("from", src), ("to", dst)) if nid not in graph]
        for end, nid in missing:
            problems.append((f"$.links[{index}].{end}", f"there is no node {nid!r}"))
        if missing:
            continue
        if graph.input_link(dst, dst_port) is not None:
            problems.append((f"$.links[{index}].to", f"{dst}.{dst_port} is linked twice"))
            continue
        graph.add_link_unchecked(Link(src, src_port, dst, dst_port))

    inputs = {}
    for name, spec in data.get("inputs", {}).items():
        where = f"$.inputs.{name}"
        if spec["node"] not in graph:
            problems.append((f"{where}.node", f"there is no node {spec['node']!r}"))
        elif graph.node_type(spec["node"]).param(spec["param"]) is None:
            problems.append(
                (
                    f"{where}.param",
                    f"node {spec['node']!r} ({graph.node(spec['node']).type_id}) has no param "
                    f"{spec['param']!r}",
                )
            )
        else:
            inputs[name] = GraphInput(spec["node"], spec["param"], spec.get("description", ""))

    if problems:
        raise PresetError(source, problems)
    ui = {k: v for k, v in data.get("ui", {}).items() if k != "positions"}
    return Preset(graph, dict(data.get("meta", {})), inputs, ui, base_dir)


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """The hint after a mistyped name ("; did you mean 'content'?"), or "" when no
    candidate is close (``cutoff``: difflib's similarity, 0..1)."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return f"; did you mean {close[0]!r}?" if close else ""


def _path_problems(node_id: str, node_type: Any, params: Mapping[str, Any]) -> list:
    """A preset's relative paths are relative to its folder and may not climb out of it."""
    problems = []
    for param in node_type.params:
        value = params.get(param.name)
        values = value if isinstance(value, list) else [value]
        if param.type not in FILE_PARAM_TYPES:
            continue
        for item in values:
            relative = isinstance(item, str) and item and not PurePath(item).is_absolute()
            if relative and (".." in PurePath(item).parts or item.startswith("~")):
                problems.append(
                    (
                        f"$.nodes.{node_id}.params.{param.name}",
                        f"the path {item!r} leaves the preset's folder",
                    )
                )
    return problems


def load_preset(path: Path | str, registry: Registry) -> Preset:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PresetError(str(path), [("$", f"cannot read the file: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise PresetError(str(path), [("$", "the file is not UTF-8 text")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PresetError(
            str(path), [("$", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
        ) from None
    except (ValueError, RecursionError):  # a number of thousands of digits, endless nesting
        raise PresetError(
            str(path), [("$", "the JSON is too deeply nested or a number in it is too long")]
        ) from None
    return preset_from_dict(data, registry, path.resolve().parent, str(path))


def preset_to_dict(preset: Preset) -> dict[str, Any]:
    graph = preset.graph
    nodes = {}
    positions = {}
    for node in graph.nodes():
        node_type = graph.node_type(node.id)
        nodes[node.id] = {
            "type": node.type_id,
            "version": node_type.version,
            "params": dict(node.params),
        }
        positions[node.id] = list(node.position)
    links = [
        {"from": [link.src, link.src_port], "to": [link.dst, link.dst_port]}
        for link in sorted(graph.links(), key=lambda lk: (lk.dst, lk.dst_port))
    ]
    inputs = {}
    for name, binding in preset.inputs.items():
        inputs[name] = {"node": binding.node, "param": binding.param}
        if binding.description:
            inputs[name]["description"] = binding.description
    return {
        "format": FORMAT,
        "version": VERSION,
        "meta": dict(preset.meta),
        "nodes": nodes,
        "links": links,
        "inputs": inputs,
        "ui": {**preset.ui, "positions": positions},
    }


def save_preset(preset: Preset, path: Path | str) -> None:
    """Write atomically: the old file stays whole until the new one is complete."""
    path = Path(path)
    text = json.dumps(preset_to_dict(preset), indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text)
