"""Mutated presets for property-based tests of the loader and the nodes, shared by
tests/test_preset_fuzz.py (a seeded few hundred examples in CI) and benchmarks/fuzz.py
(ten thousand and more).

A preset from a stranger is data: whatever it holds, loading it either works or raises
PresetError, validation reports problems instead of raising, and a node that cannot work
with a value says so with a NodeError, never an unexpected exception.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.preset import Preset, PresetError, preset_from_dict
from stylegraph.graph.registry import Registry
from stylegraph.graph.validate import ValidationError, validate
from stylegraph.presets import shipped_presets

ODD_STRINGS = st.sampled_from(
    ["", " ", "\ud83d", "../../etc/passwd", "/dev/zero", "~", "a" * 5000, "\x00", "é✓", "NaN"]
)
EXTREME_NUMBERS = st.sampled_from(
    [0, -1, 1e308, -1e308, 2**63, -(2**63), 10**400, 1e-320, 0.5, 3, 65536]
)
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
RANDOM_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


MUTATIONS = (
    "drop",
    "retype",
    "param",
    "in range",
    "relink",
    "node type",
    "input",
    "top",
    "version",
)


@functools.cache
def _registry() -> Registry:
    from stylegraph.nodes import default_registry

    return default_registry()


def in_range(param: Any) -> st.SearchStrategy:
    """Values a param's declaration allows, at its edges: the smallest, the default, between
    them, and the largest where that is small enough to run on a test machine."""
    kind = param.type.value
    if kind in ("int", "float"):
        low = param.minimum if param.minimum is not None else -1000
        values = [low, param.default, (low + param.default) / 2]
        if param.maximum is not None and param.maximum <= 64:
            values.append(param.maximum)
        if kind == "int":
            values = [int(v) for v in values]
        return st.sampled_from(values)
    if kind == "choice":
        return st.sampled_from(param.choices)
    if kind == "bool":
        return st.booleans()
    return st.just(param.default)


def shipped_dicts() -> dict[str, dict[str, Any]]:
    return {name: json.loads(path.read_text()) for name, path in shipped_presets().items()}


@st.composite
def mutated_preset(
    draw: st.DrawFn,
    *,
    numbers: bool = True,
    kinds: tuple[str, ...] = MUTATIONS,
    names: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A shipped preset with a few mutations of ``kinds``: keys dropped, values of the wrong
    type, odd strings, extreme numbers (``numbers``), links re-pointed, nodes retyped; of the
    shipped presets ``names`` (default: all)."""
    presets = shipped_dicts()
    data = copy.deepcopy(presets[draw(st.sampled_from(names or sorted(presets)))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        nodes = data.get("nodes")
        node_ids = sorted(nodes) if isinstance(nodes, dict) else []
        if kind == "drop":
            target = draw(st.sampled_from(["top", "node", "link"]))
            if target == "top" and data:
                data.pop(draw(st.sampled_from(sorted(data))))
            elif target == "node" and node_ids:
                spec = nodes[draw(st.sampled_from(node_ids))]
                if isinstance(spec, dict) and spec:
                    spec.pop(draw(st.sampled_from(sorted(spec))))
            elif isinstance(data.get("links"), list) and data["links"]:
                data["links"].pop(draw(st.integers(0, len(data["links"]) - 1)))
        elif kind == "param" and node_ids:
            spec = nodes[draw(st.sampled_from(node_ids))]
            params = spec.get("params") if isinstance(spec, dict) else None
            if isinstance(params, dict) and params:
                name = draw(st.sampled_from(sorted(params)))
                leaves = [ODD_STRINGS, RANDOM_JSON] + ([EXTREME_NUMBERS] if numbers else [])
                params[name] = draw(st.one_of(*leaves))
        elif kind == "in range" and node_ids:
            node_id = draw(st.sampled_from(node_ids))
            spec = nodes[node_id]
            params = spec.get("params") if isinstance(spec, dict) else None
            type_id = spec.get("type") if isinstance(spec, dict) else None
            known = isinstance(type_id, str) and type_id in _registry()
            declared = _registry().get(type_id).params if known and isinstance(params, dict) else ()
            if declared:
                param = draw(st.sampled_from(declared))
                params[param.name] = draw(in_range(param))
        elif kind == "retype" and node_ids:
            spec = nodes[draw(st.sampled_from(node_ids))]
            if isinstance(spec, dict):
                spec[draw(st.sampled_from(["params", "type", "version"]))] = draw(RANDOM_JSON)
        elif kind == "relink" and isinstance(data.get("links"), list) and data["links"]:
            link = data["links"][draw(st.integers(0, len(data["links"]) - 1))]
            end = draw(st.sampled_from(["from", "to"]))
            if isinstance(link, dict) and node_ids:
                port = draw(st.sampled_from(["image", "mask", "layer9", "x", "width"]))
                link[end] = [draw(st.sampled_from([*node_ids, "ghost"])), port]
        elif kind == "node type" and node_ids:
            spec = nodes[draw(st.sampled_from(node_ids))]
            if isinstance(spec, dict):
                spec["type"] = draw(
                    st.sampled_from(["image.blend", "mask.invert", "style.transfer", "no.such"])
                )
        elif kind == "input" and isinstance(data.get("inputs"), dict) and data["inputs"]:
            binding = data["inputs"][draw(st.sampled_from(sorted(data["inputs"])))]
            if isinstance(binding, dict):
                binding[draw(st.sampled_from(["node", "param"]))] = draw(ODD_STRINGS)
        elif kind == "top":
            data[draw(st.sampled_from(["nodes", "links", "inputs", "ui", "meta"]))] = draw(
                RANDOM_JSON
            )
        elif kind == "version":
            data["version"] = draw(st.one_of(EXTREME_NUMBERS, RANDOM_JSON))
    return data


def load_outcome(data: Any, registry: Registry, base_dir: Path) -> tuple[str, Preset | None]:
    """'refused' (PresetError), 'invalid' (validation problems) or 'valid'. Anything else
    raised is the failure these tests look for, so it is not caught."""
    try:
        preset = preset_from_dict(data, registry, base_dir, "<fuzz>")
    except PresetError as exc:
        assert str(exc).strip(), "a PresetError without a message"
        return "refused", None
    problems = validate(preset.graph)
    assert all(str(p) for p in problems)
    return ("invalid" if problems else "valid"), preset


def run_outcome(preset: Preset, inputs: dict[str, str], out: Path) -> Counter:
    """Runs a loaded preset with small files for its named inputs; counts node results.
    A node that fails must fail with a NodeError message: no traceback."""
    for name, path in inputs.items():
        if name in preset.inputs:
            binding = preset.inputs[name]
            param = preset.graph.node_type(binding.node).param(binding.param)
            value = [path] if param is not None and param.type.value == "file_list" else path
            with contextlib.suppress(ValueError):  # a mutated binding the graph refuses
                preset.graph.set_param(binding.node, binding.param, value)
    try:
        report = Engine().run(preset.graph, output_dir=out, base_dir=preset.base_dir)
    except ValidationError:
        return Counter({"invalid at run": 1})
    counts: Counter = Counter()
    for node_report in report.nodes.values():
        if node_report.status == Status.FAILED:
            assert node_report.traceback is None, node_report.error
            assert node_report.error
            counts["node error"] += 1
        else:
            counts[node_report.status.value] += 1
    return counts
