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


# The fast subset, `python -m pytest -m "not slow and not gui"` (README), leaves out the
# tests that open the editor's window (gui) and those that take seconds each (slow). They
# are marked here, in one place, by file or by test name (a name covers its parameters);
# CI (.ci/run) runs everything.
GUI_FILES = {
    "test_editor.py",
    "test_editor_follows.py",
    "test_editor_safety.py",
    "test_file_dialog.py",
    "test_layers_panel.py",
    "test_painter_live.py",
}
SLOW_FILES = {
    "test_batch.py",  # Ray and real batch processes
    "test_interrupt.py",  # signals sent to real processes mid-render
    "test_preset_param_property.py",  # every param of every node, then a run of each
}
SLOW_TESTS = {
    "test_first_contact.py::test_pip_install_dot_leaves_build_lib_and_the_package_check_still_passes",
    "test_style_transfer.py::test_gatys_loss_decreases_and_the_seed_decides_the_result",
    "test_style_transfer.py::test_gatys_runs_leave_no_tensors_behind",
    "test_style_transfer.py::test_cancelling_a_gatys_run_stops_it_mid_way",
    "test_style_transfer.py::test_vgg_loads_from_the_hub_cache_and_from_a_file",
    "test_odd_inputs.py::test_rgba_keeps_its_alpha",
    "test_odd_inputs.py::test_a_4000x3000_photo",
    "test_sweep.py::test_a_sweep_too_large_for_memory_in_one_pass_tiles_and_finishes",
    "test_sweep.py::test_a_batch_of_styles_renders_in_tiles_as_in_one_pass",
    "test_deep_style.py::test_a_bfloat16_network_pass_renders_as_well_as_float32",
    "test_upscale.py::test_torch_port_matches_the_ncnn_runtime",
    "test_converted_cache.py::test_the_upscale_node_reports_a_rebuilt_real_esrgan_model",
    "test_cli.py::test_deep_style_runs_with_a_weights_file",
    "test_cli.py::test_restyle_and_upscale_runs",
    "test_cli.py::test_shipped_fusion_presets_run_on_real_photos",
    "test_subject_mask.py::test_the_subject_node_takes_hints_and_selects_the_background",
    "test_subject_mask.py::test_a_subject_anchored_patch_lands_inside_the_subject_on_two_photos",
    "test_subject_mask.py::test_the_subject_matches_the_hand_drawn_reference",
    "test_anchored_strokes.py::test_the_meaning_of_image_anchored_strokes_is_the_region_they_lie_in",
    "test_anchored_strokes.py::test_sky_anchored_paint_lands_in_each_photos_sky",
    "test_upscale.py::test_tiles_match_the_whole_image",
    "test_waifu2x.py::test_an_out_of_memory_error_halves_cunet_tiles_on_its_grid",
    "test_preset_fuzz.py::test_mutated_presets_that_load_run_or_fail_with_a_node_error",
    "test_face_masks.py::test_a_6000_px_portrait_is_served_in_its_own_pixels",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = item.path.name
        if name in GUI_FILES:
            item.add_marker(pytest.mark.gui)
        if name in SLOW_FILES or f"{name}::{item.originalname}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


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
