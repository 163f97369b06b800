"""Linking rules and validation messages: each names the node, its type and the field."""

from __future__ import annotations

import pytest

from stylegraph.graph.model import Graph, GraphError
from stylegraph.graph.registry import UnknownNodeType
from stylegraph.graph.validate import preview_targets, validate


@pytest.fixture
def graph(registry) -> Graph:
    g = Graph(registry)
    g.add_node("image.load", "load")
    g.add_node("image.resize", "resize")
    g.add_node("image.save", "save")
    return g


def test_links_between_incompatible_types_are_refused_naming_both_ends(graph):
    with pytest.raises(GraphError) as err:
        graph.connect("load", "width", "resize", "image")
    assert str(err.value) == (
        "cannot link load.width -> resize.image: load.width gives number but "
        "resize.image takes image"
    )


def test_a_second_link_into_one_input_is_refused(graph):
    graph.connect("load", "image", "save", "image")
    with pytest.raises(GraphError) as err:
        graph.connect("resize", "image", "save", "image")
    assert str(err.value) == (
        "cannot link resize.image -> save.image: save.image is already linked from load.image"
    )


def test_a_link_that_makes_a_cycle_is_refused(graph):
    graph.add_node("image.resize", "resize2")
    graph.connect("resize", "image", "resize2", "image")
    with pytest.raises(GraphError) as err:
        graph.connect("resize2", "image", "resize", "image")
    assert str(err.value) == "cannot link resize2.image -> resize.image: it would make a cycle"
    with pytest.raises(GraphError, match="would make a cycle"):
        graph.connect("resize", "image", "resize", "image")


def test_unknown_ports_and_node_types(graph):
    with pytest.raises(GraphError, match=r"load \(image.load\) has no output 'mask'"):
        graph.connect("load", "mask", "resize", "image")
    with pytest.raises(UnknownNodeType, match="unknown node type 'image.nope'"):
        graph.add_node("image.nope")


def test_set_param_checks_type_and_range(graph):
    with pytest.raises(GraphError) as err:
        graph.set_param("resize", "longest_side", 0)
    assert str(err.value) == (
        "node 'resize' (image.resize), param 'longest_side': 0 is below the minimum 1"
    )
    with pytest.raises(GraphError, match="expected a whole number, got 'big'"):
        graph.set_param("resize", "longest_side", "big")
    graph.set_param("resize", "longest_side", 640)
    assert graph.node("resize").params["longest_side"] == 640


def test_validation_lists_every_problem_with_node_type_and_field(registry):
    g = Graph(registry)
    g.add_node("image.resize", "resize", params={"method": "sinc", "scale": -1.0})
    g.add_node("image.save", "save", params={"filename": "../escape"})
    messages = sorted(str(p) for p in validate(g))
    assert messages == [
        "node 'resize' (image.resize), input 'image': required image input is not linked",
        "node 'resize' (image.resize), param 'method': 'sinc' is not one of "
        "lanczos, area, bicubic, bilinear, nearest",
        "node 'resize' (image.resize), param 'scale': -1.0 is below the minimum 0.001",
        "node 'save' (image.save), input 'image': required image input is not linked",
        "node 'save' (image.save), param 'filename': '../escape' must be a plain file name "
        "without folders",
    ]


def test_output_folders_may_not_leave_the_output_root(graph):
    for bad in ("/etc", "../up", "a/../../b", "C:\\x"):
        with pytest.raises(GraphError, match="output folder"):
            graph.set_param("save", "directory", bad)
    graph.set_param("save", "directory", "renders/night")


def test_preview_targets_add_every_ready_end_node_to_the_saves(graph):
    graph.connect("load", "image", "resize", "image")
    graph.connect("resize", "image", "save", "image")
    graph.add_node("sharpen.unsharp_mask", "preview")
    graph.connect("resize", "image", "preview", "image")  # a branch the artist is building
    graph.add_node("image.flip", "unwired")  # not linked yet: it must not block the rest
    graph.add_node("image.flip", "after_unwired")
    graph.connect("unwired", "image", "after_unwired", "image")
    assert graph.sinks() == ["save"]
    assert preview_targets(graph) == ["save", "preview"]
