"""Property-based tests: whatever a preset from a stranger holds, stylegraph refuses it with
a message or runs it, and never crashes (seeded, a few hundred examples; benchmarks/fuzz.py
runs ten thousand and more)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from PIL import Image

from tests.preset_fuzz import RANDOM_JSON, load_outcome, mutated_preset, run_outcome

CI = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@CI
@given(data=mutated_preset())
def test_mutated_shipped_presets_load_or_are_refused_with_a_message(data, registry, tmp_path):
    outcome, _ = load_outcome(data, registry, tmp_path)
    assert outcome in ("refused", "invalid", "valid")


@CI
@given(data=RANDOM_JSON)
def test_random_json_is_refused_with_a_message(data, registry, tmp_path):
    outcome, _ = load_outcome(data, registry, tmp_path)
    assert outcome == "refused"


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    rng = np.random.default_rng(0)
    photo, painting = folder / "photo.png", folder / "painting.png"
    Image.fromarray(rng.integers(0, 256, (12, 20, 3), dtype=np.uint8)).save(photo)
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(painting)
    return {"content": str(photo), "style": str(painting)}


@seed(13)
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=mutated_preset(
        numbers=False, kinds=("in range",), names=("facet-base", "quick-stylize", "fusion")
    )
)
def test_mutated_presets_that_load_run_or_fail_with_a_node_error(
    data, registry, small_files, tmp_path
):
    outcome, preset = load_outcome(data, registry, tmp_path)
    if outcome == "refused" or preset is None:
        return
    if any(
        n.type_id == "style.transfer" and n.params.get("engine") == "gatys"
        for n in preset.graph.nodes()
    ):
        return  # optimisation runs take minutes; the fuzz benchmark covers them
    run_outcome(preset, small_files, tmp_path / "out")
