"""The mask painter's live composite is the Layer Stack node's output, pixel for pixel: both
call nodes/functional/stack.py, and this holds them to it on a stack using every blend
mode, masks on some layers, a hidden layer, opacities below 1 and layers of other sizes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from stylegraph.graph.context import NodeContext
from stylegraph.graph.model import Graph
from stylegraph.nodes.functional.blend import MODES
from stylegraph.nodes.functional.resize import resize, resize_mask
from stylegraph.ui.painter import Painter
from stylegraph.ui.settings import Settings

STROKE = {"size": 0.15, "hardness": 0.7, "opacity": 0.9, "mode": "paint"}


def _stroke(*points: tuple[float, float]) -> dict:
    return {"points": [list(p) for p in points], **STROKE}


@pytest.fixture
def stack(registry, photo, starry, scream):
    """A stack of len(MODES) layers over the photo, alternating two paintings (neither at
    the photo's size); every third layer masked by a painted mask, layer 4 hidden, and
    ``painted`` the mask of the middle layer."""
    graph = Graph(registry)
    for node_id in ("photo", "starry", "scream"):
        graph.add_node("image.load", node_id, {"path": f"{node_id}.png"})
    count = len(MODES)
    middle = count // 2
    graph.add_node(
        "image.layer_stack",
        "stack",
        {
            "modes": list(MODES),
            "opacities": [round(0.35 + 0.6 * (n % 5) / 4, 3) for n in range(count)],
            "visibility": ["hidden" if n == 3 else "visible" for n in range(count)],
        },
    )
    graph.connect("photo", "image", "stack", "base")
    outputs = {
        "photo": {"image": photo},
        "starry": {"image": resize(starry, 70, 90)},
        "scream": {"image": resize(scream, 120, 100)},
    }
    paint = registry.get("mask.paint")
    for n in range(1, count + 1):
        graph.connect("starry" if n % 2 else "scream", "image", "stack", f"layer{n}")
        if n % 3 and n != middle:
            continue
        mask_id = "painted" if n == middle else f"mask{n}"
        strokes = [_stroke((0.1 * (n % 7), 0.2), (0.9, 0.1 * (n % 9)))]
        graph.add_node("mask.paint", mask_id, {"strokes": strokes})
        graph.connect("photo", "image", mask_id, "image")
        graph.connect(mask_id, "mask", "stack", f"mask{n}")
        params = graph.node(mask_id).params
        run = paint.run(NodeContext(mask_id, Path(".")), {"image": photo}, params)
        small = resize_mask(run["mask"], 48, 64)  # fitted to the photo by both
        outputs[mask_id] = {"mask": run["mask"] if n == middle else small}
    return graph, outputs


def _node_output(graph: Graph, outputs: dict, registry) -> np.ndarray:
    links = graph.input_links("stack")
    inputs = {port: outputs[link.src][link.src_port] for port, link in links.items()}
    ctx = NodeContext("stack", Path("."), sources={p: lk.src for p, lk in links.items()})
    node = registry.get("image.layer_stack")
    return node.run(ctx, inputs, graph.node("stack").params)["image"]


def _painter(graph: Graph, outputs: dict, folder: Path) -> Painter:
    painter = Painter(
        SimpleNamespace(graph=graph),
        lambda node, port: outputs.get(node, {}).get(port),
        lambda message: None,
        Settings(folder),
    )
    painter.node_id = "painted"
    return painter


def test_painters_composite_is_the_stacks_output(registry, stack, tmp_path):
    graph, outputs = stack
    painter = _painter(graph, outputs, tmp_path)
    picture = painter.image()
    assert painter.composited, painter.note
    expected = _node_output(graph, outputs, registry)
    assert picture.shape == expected[..., :3].shape
    assert np.array_equal(picture, expected[..., :3])


def test_after_a_stroke_the_painters_band_matches_the_stack(registry, stack, photo, tmp_path):
    graph, outputs = stack
    painter = _painter(graph, outputs, tmp_path)
    painter.image()
    strokes = [*graph.node("painted").params["strokes"], _stroke((0.4, 0.5), (0.6, 0.55))]
    graph.set_param("painted", "strokes", strokes)
    picture = painter.image()  # only the band the stroke changed is composited again
    params = graph.node("painted").params
    ctx = NodeContext("painted", Path("."))
    outputs["painted"] = graph.node_type("painted").run(ctx, {"image": photo}, params)
    assert np.array_equal(picture, _node_output(graph, outputs, registry)[..., :3])
