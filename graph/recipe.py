"""What a run records about itself: the recipe embedded in the pictures it saves, and the
list of files it wrote. Shared by every front end (command line, editor, batch) so a
picture saved from any of them reopens as the graph that made it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stylegraph import __version__
from stylegraph.graph.engine import RunReport
from stylegraph.graph.model import Graph
from stylegraph.graph.paths import file_path, with_paths
from stylegraph.graph.preset import Preset, preset_to_dict
from stylegraph.graph.spec import PortType


def recipe_json(preset: Preset) -> str:
    """The preset as run, with input files made absolute so the recipe runs from anywhere."""
    data = preset_to_dict(preset)
    for node_id, spec in data["nodes"].items():
        node_type = preset.graph.node_type(node_id)
        for param in node_type.params:
            if param.name in spec["params"]:
                spec["params"][param.name] = with_paths(
                    param.type,
                    spec["params"][param.name],
                    lambda v: str(file_path(v, preset.base_dir).resolve()),
                )
    inputs = {name: data["nodes"][b.node]["params"][b.param] for name, b in preset.inputs.items()}
    recipe: Mapping[str, Any] = {
        "format": "stylegraph.recipe",
        "version": 1,
        "stylegraph": __version__,
        "preset": data,
        "inputs": inputs,
    }
    return json.dumps(recipe, ensure_ascii=False, separators=(",", ":"))


def files_written(graph: Graph, report: RunReport) -> list[str]:
    """The files a run wrote, in node order."""
    return [
        path
        for node_id, outputs in report.outputs.items()
        for path in files_of(graph, node_id, outputs)
    ]


def files_of(graph: Graph, node_id: str, outputs: Mapping[str, Any]) -> list[str]:
    """The files one node wrote: a side-effect node's text outputs."""
    if node_id not in graph or not graph.node_type(node_id).side_effect:
        return []
    return [
        outputs[port.name]
        for port in graph.node_type(node_id).outputs
        if port.type == PortType.TEXT and outputs.get(port.name)
    ]
