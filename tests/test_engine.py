"""What re-ran and what came from cache, counted exactly."""

from __future__ import annotations

import numpy as np
import pytest

from stylegraph.graph.cache import DiskCache, MemoryCache
from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph
from stylegraph.graph.validate import ValidationError
from tests.conftest import Calls, counting_registry


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def chain(calls) -> Graph:
    """a -> b -> c, and a separate branch x -> y."""
    g = Graph(counting_registry(calls))
    g.add_node("test.const", "a", {"value": 2.0})
    g.add_node("test.add", "b")
    g.add_node("test.add", "c", {"bias": 10.0})
    g.connect("a", "value", "b", "a")
    g.connect("b", "value", "c", "a")
    g.add_node("test.const", "x")
    g.add_node("test.add", "y")
    g.connect("x", "value", "y", "a")
    return g


def test_first_run_runs_everything_and_a_rerun_runs_nothing(chain, calls):
    engine = Engine()
    report = engine.run(chain)
    assert report.outputs["c"]["value"] == 12.0
    assert sorted(report.with_status(Status.RAN)) == ["a", "b", "c", "x", "y"]
    calls.clear()
    report = engine.run(chain)
    assert calls == {}
    # Only the requested outputs are pulled out of the cache, not their upstream nodes.
    assert sorted(report.with_status(Status.CACHED)) == ["c", "y"]
    assert report.outputs["c"]["value"] == 12.0


def test_param_change_reruns_exactly_the_node_and_downstream(chain, calls):
    engine = Engine()
    engine.run(chain)
    calls.clear()
    chain.set_param("b", "bias", 1.0)
    report = engine.run(chain)
    assert calls == {"b": 1, "c": 1}
    assert report.outputs["c"]["value"] == 13.0
    assert report.nodes["a"].status == Status.CACHED
    calls.clear()
    chain.set_param("b", "bias", 0.0)  # back to a value seen before: all from cache
    engine.run(chain)
    assert calls == {}


def test_link_change_reruns_downstream_only(chain, calls):
    engine = Engine()
    engine.run(chain)
    calls.clear()
    chain.disconnect("c", "a")
    chain.connect("x", "value", "c", "a")
    report = engine.run(chain)
    assert calls == {"c": 1}
    assert report.outputs["c"]["value"] == 11.0


def test_identical_computations_share_one_cache_entry(chain, calls):
    """Keys are content addresses: a node that computes what another already did is free."""
    engine = Engine()
    engine.run(chain)
    calls.clear()
    chain.add_node("test.add", "y_again")
    chain.connect("x", "value", "y_again", "a")
    report = engine.run(chain)
    assert calls == {}
    assert report.nodes["y_again"].status == Status.CACHED


def test_replacing_a_file_on_disk_reruns_its_subgraph(calls, tmp_path):
    source = tmp_path / "number.txt"
    source.write_text("5")
    g = Graph(counting_registry(calls))
    g.add_node("test.read", "read", {"path": str(source)})
    g.add_node("test.add", "plus")
    g.connect("read", "value", "plus", "a")
    g.add_node("test.const", "other")
    engine = Engine()
    engine.run(g)
    calls.clear()
    engine.run(g)
    assert calls == {}
    source.write_text("7.5")
    report = engine.run(g)
    assert calls == {"read": 1, "plus": 1}
    assert report.outputs["plus"]["value"] == 7.5


def test_relative_file_params_are_read_from_the_base_folder(calls, tmp_path):
    (tmp_path / "n.txt").write_text("4")
    g = Graph(counting_registry(calls))
    g.add_node("test.read", "read", {"path": "n.txt"})
    report = Engine().run(g, base_dir=tmp_path)
    assert report.outputs["read"]["value"] == 4.0


def test_only_what_the_targets_need_runs(chain, calls):
    report = Engine().run(chain, targets=["b"])
    assert calls == {"a": 1, "b": 1}
    assert set(report.nodes) == {"a", "b"}


def test_an_error_in_one_branch_keeps_the_other_branches(calls):
    g = Graph(counting_registry(calls))
    g.add_node("test.const", "a")
    g.add_node("test.fail", "bad")
    g.add_node("test.add", "after_bad")
    g.add_node("test.add", "good")
    g.connect("a", "value", "bad", "a")
    g.connect("bad", "value", "after_bad", "a")
    g.connect("a", "value", "good", "a")
    engine = Engine()
    report = engine.run(g)
    assert report.nodes["bad"].status == Status.FAILED
    assert report.nodes["bad"].error == "node 'bad' (test.fail): this node always fails"
    assert report.nodes["after_bad"].status == Status.SKIPPED
    assert report.nodes["after_bad"].error == "input 'a' is missing: node 'bad' failed"
    assert report.outputs["good"]["value"] == 1.0
    assert not report.ok
    calls.clear()
    engine.run(g)
    assert calls == {"bad": 1}, "failures are not cached; the good branch is"


def test_cancellation_stops_within_one_step_and_nothing_after_runs(calls):
    g = Graph(counting_registry(calls))
    g.add_node("test.const", "a")
    g.add_node("test.slow", "slow", {"steps": 1000, "cancel_at": 3})
    g.add_node("test.add", "after")
    g.connect("a", "value", "slow", "a")
    g.connect("slow", "value", "after", "a")
    progress = []
    report = Engine().run(
        g, on_event=lambda e: progress.append(e.fraction) if e.kind == "progress" else None
    )
    assert report.cancelled
    assert report.nodes["slow"].status == Status.CANCELLED
    assert report.nodes["after"].status == Status.CANCELLED
    assert progress == [0.0, 0.001, 0.002, 0.003], "stopped at the step after the cancel"
    assert "after" not in calls


def test_a_cancelled_token_runs_nothing(chain, calls):
    token = CancelToken()
    token.cancel()
    report = Engine().run(chain, cancel=token)
    assert report.cancelled and calls == {}


def test_validation_failure_runs_nothing(chain, calls):
    chain.disconnect("b", "a")
    with pytest.raises(ValidationError) as err:
        Engine().run(chain)
    assert str(err.value) == "node 'b' (test.add), input 'a': required number input is not linked"
    assert calls == {}


def test_memory_cache_is_bounded_in_bytes():
    cache = MemoryCache(max_bytes=1000)
    cache.put("a", {"x": np.zeros(100, np.float32)})  # 400 bytes
    cache.put("b", {"x": np.zeros(100, np.float32)})
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", {"x": np.zeros(100, np.float32)})
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.nbytes == 800
    cache.put("huge", {"x": np.zeros(1000, np.float32)})
    assert "huge" not in cache


def test_expensive_results_survive_a_restart_through_the_disk_cache(calls, tmp_path):
    g = Graph(counting_registry(calls))
    g.add_node("test.image", "render", {"size": 4})
    first = Engine(disk=DiskCache(tmp_path)).run(g)
    tomorrow = Engine(disk=DiskCache(tmp_path)).run(g)
    assert calls == {"render": 1}
    assert tomorrow.nodes["render"].cache == "disk"
    np.testing.assert_array_equal(
        tomorrow.outputs["render"]["image"], first.outputs["render"]["image"]
    )
    assert not any(p.suffix == ".pkl" for p in tmp_path.rglob("*"))


def test_disk_cache_respects_its_size_cap_and_clears(tmp_path):
    cache = DiskCache(tmp_path, max_bytes=30_000)
    for i in range(5):
        cache.put(f"{i:064x}", {"image": np.zeros((40, 40, 3), np.float32)})  # ~19 KB each
    info = cache.info()
    assert info.entries == 1 and info.nbytes <= 30_000
    assert cache.get(f"{4:064x}") is not None, "the newest entry is kept"
    assert cache.clear() == 1
    assert cache.info().entries == 0


def test_disk_cache_ignores_corrupt_entries(tmp_path):
    cache = DiskCache(tmp_path)
    key = "ab" * 32
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / f"{key}.npz").write_bytes(b"not a zip")
    assert cache.get(key) is None


def test_cached_arrays_are_read_only_so_nodes_cannot_corrupt_the_cache(calls):
    g = Graph(counting_registry(calls))
    g.add_node("test.image", "img")
    image = Engine().run(g).outputs["img"]["image"]
    with pytest.raises(ValueError, match="read-only"):
        image[0, 0, 0] = 1.0
