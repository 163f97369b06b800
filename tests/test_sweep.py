"""The Style Sweep at sizes that need tiles: every painting renders (the batched tiled pass
once failed with "output with shape [1,32,...] doesn't match the broadcast shape
[6,32,...]"), progress moves painting by painting, and a cancel stops it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegraph.graph.context import Cancelled, CancelToken, NodeContext
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize
from stylegraph.nodes.models import fast_style
from tests.helpers import run_node

PAINTINGS = ("starry_night.jpg", "gravel.png", "shipwreck.jpg")


@pytest.fixture(scope="module")
def photo(images) -> np.ndarray:
    return resize(read_image(images / "content" / "tubingen.jpg")[..., :3], 96, 128)


@pytest.fixture(scope="module")
def files(images) -> list[str]:
    return [str(images / "styles" / name) for name in PAINTINGS]


def test_a_batch_of_styles_renders_in_tiles_as_in_one_pass(photo, files):
    styles = [read_image(f)[..., :3] for f in files[:2]]
    vectors = fast_style.style_vectors(styles, 256, torch.device("cpu"))
    whole = fast_style.render(photo, vectors, torch.device("cpu"), tile=0)
    tiled = fast_style.render(photo, vectors, torch.device("cpu"), tile=64)
    assert len(tiled) == 2
    for one, other in zip(whole, tiled, strict=True):
        assert one.shape == other.shape == (96, 128, 3)
        np.testing.assert_allclose(one, other, atol=1e-4)
    assert np.abs(tiled[0] - tiled[1]).mean() > 0.02, "both paintings gave the same picture"


def test_a_sweep_too_large_for_memory_in_one_pass_tiles_and_finishes(
    registry, photo, files, monkeypatch
):
    """The photo's own size on a CPU: the memory budget sends the batch through tiles
    (here a tiny budget does at 128 px what 512 MB does at 1024 px with six paintings)."""
    params = {"style_files": files, "thumbnail": 64, "columns": 3, "batch": 3}
    whole, _ = run_node(registry, "style.sweep", {"content": photo}, params)
    monkeypatch.setattr(fast_style, "memory_budget", lambda device: 2 << 20)
    assert fast_style.auto_tile(96, 128, 3, fast_style.ARBITRARY_BYTES_PER_PIXEL, 2 << 20) > 0
    tiled, _ = run_node(registry, "style.sweep", {"content": photo}, params)
    assert tiled["sheet"].shape == whole["sheet"].shape
    assert np.abs(tiled["sheet"] - whole["sheet"]).max() <= 2 / 255


def test_sweep_progress_moves_per_painting_and_a_cancel_stops_it(registry, photo, files):
    node = registry.get("style.sweep")
    params = node.default_params() | {"style_files": files, "thumbnail": 64, "batch": 1}
    seen: list[float] = []
    ctx = NodeContext("sweep", on_progress=lambda node_id, f: seen.append(f), output_dir=".")
    node.run(ctx, {"content": photo}, params)
    for share in (1 / 3, 2 / 3, 1.0):
        assert any(abs(f - share) < 1e-6 for f in seen), f"no progress report at {share:.2f}"
    assert seen == sorted(seen)

    token = CancelToken()

    def cancel_after_first(node_id: str, fraction: float) -> None:
        if fraction >= 1 / 3 - 1e-6:
            token.cancel()

    ctx = NodeContext("sweep", ".", cancel_token=token, on_progress=cancel_after_first)
    with pytest.raises(Cancelled, match="node 'sweep' was cancelled"):
        node.run(ctx, {"content": photo}, params)
