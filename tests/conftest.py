from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize

REPO = Path(__file__).resolve().parent.parent
# Resolved, as the CLI and editor resolve the paths they record: CI reaches ../shared through
# a symlink, and a recipe names the real file.
IMAGES = (REPO.parent / "shared" / "images").resolve()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test touches the user's real cache folder."""
    monkeypatch.setenv("STYLEGRAPH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def images() -> Path:
    if not IMAGES.is_dir():
        pytest.skip(f"the shared test images are not at {IMAGES}")
    return IMAGES


@pytest.fixture(scope="session")
def registry() -> Registry:
    return default_registry()


@pytest.fixture(scope="session")
def photo(images) -> np.ndarray:
    """Tübingen at 128 x 96: the style-transfer tests' small content photo."""
    return resize(read_image(images / "content" / "tubingen.jpg"), 96, 128)


@pytest.fixture(scope="session")
def starry(images) -> np.ndarray:
    return read_image(images / "styles" / "starry_night.jpg")


@pytest.fixture(scope="session")
def scream(images) -> np.ndarray:
    return read_image(images / "styles" / "the_scream.jpg")


class Calls(Counter):
    """How many times each node id ran."""


def counting_registry(calls: Calls) -> Registry:
    """Cheap node types that count their runs, for exact cache hit/miss assertions."""

    def const(ctx: NodeContext, inputs: dict, params: dict) -> dict:
        calls[ctx.node_id] += 1
        return {"value": params["value"]}

    def add(ctx: NodeContext, inputs: dict, params: dict) -> dict:
        calls[ctx.node_id] += 1
        return {"value": inputs["a"] + inputs.get("b", 0.0) + params["bias"]}

    def fail(ctx: NodeContext, inputs: dict, params: dict) -> dict:
        calls[ctx.node_id] += 1
        raise NodeError("this node always fails")

    def read_file(ctx: NodeContext, inputs: dict, params: dict) -> dict:
        calls[ctx.node_id] += 1
        return {"value": float(Path(params["path"]).read_text())}

    def slow(ctx: NodeContext, inputs: dict, params: dict) -> dict:
        calls[ctx.node_id] += 1
        for step in range(params["steps"]):
            ctx.progress(step / params["steps"])
            if step == params["cancel_at"]:
                ctx.cancel_token.cancel()
        return {"value": inputs["a"]}

    def image(ctx: NodeContext, inputs: dict, params: dict) -> dict:
        calls[ctx.node_id] += 1
        return {"image": np.full((params["size"], params["size"], 3), 0.5, np.float32)}

    number = PortType.NUMBER
    return Registry(
        [
            NodeType(
                "test.const",
                "Const",
                "test",
                "",
                const,
                outputs=(Port("value", number),),
                params=(Param("value", ParamType.FLOAT, 1.0, minimum=-100, maximum=100),),
            ),
            NodeType(
                "test.add",
                "Add",
                "test",
                "",
                add,
                inputs=(Port("a", number), Port("b", number, optional=True)),
                outputs=(Port("value", number),),
                params=(Param("bias", ParamType.FLOAT, 0.0),),
            ),
            NodeType(
                "test.fail",
                "Fail",
                "test",
                "",
                fail,
                inputs=(Port("a", number),),
                outputs=(Port("value", number),),
            ),
            NodeType(
                "test.read",
                "Read",
                "test",
                "",
                read_file,
                outputs=(Port("value", number),),
                params=(Param("path", ParamType.FILE, ""),),
            ),
            NodeType(
                "test.slow",
                "Slow",
                "test",
                "",
                slow,
                inputs=(Port("a", number),),
                outputs=(Port("value", number),),
                params=(Param("steps", ParamType.INT, 10), Param("cancel_at", ParamType.INT, -1)),
            ),
            NodeType(
                "test.image",
                "Image",
                "test",
                "",
                image,
                persistent_cache=True,
                outputs=(Port("image", PortType.IMAGE),),
                params=(Param("size", ParamType.INT, 8),),
            ),
        ]
    )


def rgb(*values: float) -> np.ndarray:
    """A 1x1 RGB image, or RGBA when 4 values are given."""
    return np.array(values, np.float32).reshape(1, 1, -1)
