"""The editor's run results without a window (ui/results.py): what a run shows, what an edit
marks as changed and an undo clears, what a failed run hides and the memory cache gives back,
and a save that need not run again."""

from __future__ import annotations

from pathlib import Path

import pytest

from stylegraph.graph.engine import Engine
from stylegraph.graph.model import Graph
from stylegraph.ui.results import RunResults
from tests.conftest import Calls, counting_registry


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def chain() -> Graph:
    graph = Graph(counting_registry(Calls()))
    graph.add_node("test.const", "a", {"value": 2.0})
    graph.add_node("test.add", "b", {"bias": 1.0})
    graph.connect("a", "value", "b", "a")
    return graph


def _results(graph: Graph, engine: Engine, tmp_path: Path) -> RunResults:
    return RunResults(lambda: graph, lambda: engine.keys(graph)[1], engine.peek, tmp_path / "out")


def test_a_run_shows_every_result_and_an_edit_marks_what_it_changed(chain, tmp_path):
    engine = Engine()
    results = _results(chain, engine, tmp_path)
    dropped, shown = results.take(engine.run(chain))
    assert (dropped, sorted(shown)) == ([], ["a", "b"])
    assert results.outputs["b"]["value"] == 3.0 and results.changed == set()

    chain.set_param("b", "bias", 5.0)
    assert results.mark_changed() is True
    assert results.changed == {"b"}  # a is upstream: its result still holds
    chain.set_param("b", "bias", 1.0)  # an undo back to the run's settings
    assert results.mark_changed() is True and results.changed == set()
    assert results.mark_changed() is False


def test_a_failed_run_hides_stale_results_and_the_memory_cache_gives_them_back(chain, tmp_path):
    engine = Engine()
    results = _results(chain, engine, tmp_path)
    results.take(engine.run(chain))
    chain.add_node("test.fail", "f")
    chain.connect("a", "value", "f", "a")
    chain.set_param("a", "value", 4.0)
    dropped, _ = results.take(engine.run(chain, ["f", "b"]))
    assert "f" in dropped and results.report.nodes["f"].status.value == "failed"
    assert results.outputs["b"]["value"] == 5.0

    chain.set_param("a", "value", 2.0)  # back to the first run's settings
    recalled, up_to_date, _ = results.recall(set())
    assert set(recalled) == {"a", "b"}  # still in the memory cache
    assert results.outputs["b"]["value"] == 3.0
    assert set(up_to_date) == {"a", "b"}


def test_a_comparison_picture_lasts_until_an_edit_ends_it(chain, tmp_path):
    import numpy as np

    results = _results(chain, Engine(), tmp_path)
    picture = np.zeros((4, 4, 3), np.float32)
    results.show_comparison("b without x", picture)
    assert results.picture("b without x") is picture
    results.drop_comparisons(keep="b without x")
    assert "b without x" in results.outputs
    results.drop_comparisons(keep=None)
    assert "b without x" not in results.outputs and results.comparisons == set()
