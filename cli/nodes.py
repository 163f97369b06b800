"""``stylegraph nodes``: the node types listed, or one described as a person reads it (or
as JSON, for tools)."""

from __future__ import annotations

import argparse
import difflib
import json
import textwrap
from typing import Any

from stylegraph.cli.errors import UsageError
from stylegraph.graph.preset import did_you_mean
from stylegraph.graph.registry import Registry


def _param_line(spec: dict[str, Any]) -> str:
    """``float 0..1, default 1.0`` / ``choice of normal, multiply, ...; default normal``."""
    kind = spec["type"]
    if "choices" in spec:
        kind += f" of {', '.join(spec['choices'])};"
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None or high is not None:
        kind += f" {'' if low is None else f'{low:g}'}..{'' if high is None else f'{high:g}'},"
    default = spec["default"]
    shown = json.dumps(default, ensure_ascii=False) if not isinstance(default, str) else default
    return f"{kind} default {shown if shown != '' else 'empty'}"


def _describe(described: dict[str, Any]) -> str:
    """A node type as a person reads it: what it does, then its ports and params, one a
    line, with their help beneath."""
    lines = [
        f"{described['type']}: {described['name']} (version {described['version']}, "
        f"{described['category']})",
        *textwrap.wrap(described["description"], 88, initial_indent="  ", subsequent_indent="  "),
    ]
    for section in ("inputs", "outputs", "params"):
        entries = described[section]
        lines.append(f"{section}:" if entries else f"{section}: none")
        for name, spec in entries.items():
            if section == "params":
                what = _param_line(spec)
            else:
                what = spec["type"]
                if spec.get("variadic"):
                    what += f", any number ({name}1, {name}2, ...)"
                elif spec.get("optional"):
                    what += ", optional"
            lines += textwrap.wrap(
                f"{name}: {what}", 88, initial_indent="  ", subsequent_indent="      "
            )
            if spec.get("help"):
                lines += textwrap.wrap(
                    spec["help"], 88, initial_indent="      ", subsequent_indent="      "
                )
    return "\n".join(lines)


def _closest_type(word: str, registry: Registry) -> str:
    """The did-you-mean for a node type, matching the part after the category too, so
    that `nodes blend` finds image.blend."""
    types = [t.type_id for t in registry]
    family = [t for t in types if t.startswith(f"{word}.")]
    if family:
        return f"; the {word} nodes are {', '.join(family)}"
    hint = did_you_mean(word, types, cutoff=0.75)  # ids share their categories' letters
    if hint:
        return hint
    short: dict[str, str] = {}
    for type_id in types:
        short.setdefault(type_id.split(".", 1)[-1], type_id)
    close = difflib.get_close_matches(word, list(short), n=1, cutoff=0.75)
    return f"; did you mean {short[close[0]]!r}?" if close else ""


def cmd_nodes(args: argparse.Namespace, registry: Registry) -> int:
    if args.type:
        if args.type not in registry:
            raise UsageError(
                f"unknown node type {args.type!r}{_closest_type(args.type, registry)} "
                "(`stylegraph nodes` lists them all)"
            )
        described = registry.get(args.type).describe()
        if args.json:
            print(json.dumps(described, indent=2))
            return 0
        print(_describe(described))
        return 0
    if args.json:
        print(json.dumps([t.describe() for t in registry], indent=2))
        return 0
    for node_type in registry:
        print(f"{node_type.type_id:28} {node_type.display_name:28} {node_type.category}")
    return 0
