"""A property of `stylegraph run --set`, over every param of every node type: whatever text
follows ``NODE.PARAM=``, the value is either accepted and the run ends well (its outputs
finite: the engine fails any node whose output holds NaN or infinity), or it is refused in
one line that names the param.

Each node type is run in a small preset on a 16 x 16 photo (and a 16 x 16 mask where it
takes one), through ``main`` as a user would call it, with one param set per example.
Two kinds of value are checked through the param layer only (``--set`` parsing, the
param's checks and the checks before a run), with the engine replaced by one that runs
nothing:

- every param of ``style.transfer``, ``style.sweep`` and ``image.upscale``: they load
  neural networks (Magenta, VGG-19, Real-ESRGAN, waifu2x) and a single example would take
  seconds to minutes; their values' effect on pictures is tested in their own files;
- a whole number above 2048 for any param: sizes, offsets and paddings that large turn the
  16 px photo into pictures of up to 32768 x 32768 px, gigabytes per example.

A value the param layer accepts may still be refused by the node when it runs (a palette of
more colours than the photo has pixels); that counts as a refusal when it is one line naming
the param, as the property says.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stylegraph.cli import main
from stylegraph.graph.engine import Engine, RunReport
from stylegraph.graph.spec import NodeType, Param, ParamType, PortType
from stylegraph.nodes import default_registry
from tests.helpers import tiny_photo_and_mask

MODEL_TYPES = {"style.transfer", "style.sweep", "image.upscale"}
LARGEST_RUN = 2048
SIDE = 16

REGISTRY = default_registry()
PAIRS = [(t.type_id, p.name) for t in REGISTRY for p in t.params]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return tiny_photo_and_mask(tmp_path_factory.mktemp("tiny"), SIDE, seed=3)


def _preset(node_type: NodeType, files: dict[str, Path]) -> dict:
    """The node under test, ``n``, with the tiny photo, mask or a layer stack of the photo
    on each input it needs; its params are the type's defaults, but for the files a run
    needs, which name the tiny photo."""
    nodes: dict[str, dict] = {"n": {"type": node_type.type_id, "params": {}}}
    links = []
    sources = {
        PortType.IMAGE: ("photo", "image", "image.load"),
        PortType.MASK: ("mask", "mask", "mask.load"),
        PortType.LAYERS: ("stack", "layers", "image.layer_stack"),
    }
    for port in node_type.inputs:
        if port.optional or port.variadic:
            continue
        node_id, output, type_id = sources[port.type]
        nodes[node_id] = {"type": type_id}
        links.append({"from": [node_id, output], "to": ["n", port.name]})
    if "stack" in nodes:
        nodes["photo"] = {"type": "image.load"}
        links.append({"from": ["photo", "image"], "to": ["stack", "base"]})
    for node_id, path in (("photo", files["photo"]), ("mask", files["mask"])):
        if node_id in nodes:
            nodes[node_id]["params"] = {"path": str(path)}
    for param in node_type.params:
        if param.required and param.type == ParamType.FILE:
            nodes["n"]["params"][param.name] = str(files["photo"])
        elif param.required and param.type == ParamType.FILE_LIST:
            nodes["n"]["params"][param.name] = [str(files["photo"])]
    return {"format": "stylegraph.preset", "version": 1, "nodes": nodes, "links": links}


def _number(param: Param, integer: bool) -> st.SearchStrategy[str]:
    low = param.minimum if param.minimum is not None else -1e6
    high = param.maximum if param.maximum is not None else 1e6
    edges = [low, high, low - 1, high + 1]
    if integer:
        inside = st.integers(math.ceil(low), math.floor(high)).map(str)
        return st.one_of(st.sampled_from([str(int(v)) for v in edges]), inside)
    inside = st.floats(low, high, allow_nan=False).map(repr)
    return st.one_of(st.sampled_from([repr(float(v)) for v in edges]), inside)


def _list_of(items: st.SearchStrategy) -> st.SearchStrategy[str]:
    return st.lists(items, max_size=4).map(json.dumps)


ODD_TEXT = st.sampled_from(
    ["", "nan", "NaN", "inf", "-Infinity", "1e308", "1e999", "-0", "[]", "{}", "null", "x"]
)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


def _values(param: Param, files: dict[str, Path]) -> st.SearchStrategy[str]:
    kind = param.type
    if kind == ParamType.INT:
        typed = _number(param, integer=True)
    elif kind == ParamType.FLOAT:
        typed = st.one_of(_number(param, integer=False), ANY_FLOAT.map(repr))
    elif kind == ParamType.BOOL:
        typed = st.sampled_from(["true", "false", "yes", "no", "1", "0", "maybe", "2"])
    elif kind in (ParamType.CHOICE, ParamType.CHOICE_LIST):
        one = st.sampled_from([*param.choices, "nope"])
        typed = one if kind == ParamType.CHOICE else st.lists(one, max_size=3).map(",".join)
    elif kind in (ParamType.FILE, ParamType.FILE_LIST):
        photo, folder = str(files["photo"]), str(files["folder"])
        typed = st.sampled_from(
            [photo, f"{photo},{photo}", folder, f"{folder}/missing.png", "a" * 300, "/dev/null"]
        )
    elif kind == ParamType.FLOAT_LIST:
        typed = st.one_of(_list_of(_number(param, integer=False).map(float)), _list_of(ANY_FLOAT))
    elif kind == ParamType.POINT_LIST:
        typed = _list_of(st.lists(st.floats(-2, 3), min_size=2, max_size=2))
    elif kind == ParamType.STROKES:
        stroke = st.fixed_dictionaries(
            {
                "points": st.lists(st.lists(st.floats(-1, 2), min_size=2, max_size=2), max_size=3),
                "size": st.floats(-0.5, 1.5),
                "hardness": st.floats(0, 1),
                "opacity": st.floats(0, 1),
                "mode": st.sampled_from(["paint", "erase", "smudge"]),
            }
        )
        typed = _list_of(stroke)
    elif param.name == "builtin_styles":
        weight = st.one_of(st.sampled_from(["nan", "inf", "1e308", "-1", "0"]), st.floats(0, 10))
        part = st.tuples(st.integers(-2, 28), weight).map(lambda t: f"{t[0]}:{t[1]}")
        typed = st.lists(part, min_size=1, max_size=3).map(",".join)
    elif kind == ParamType.TEXT_LIST:
        typed = st.lists(st.text(max_size=8), max_size=3).map(",".join)
    else:  # TEXT, OUTPUT_DIR, FILE_NAME
        typed = st.sampled_from(["out", "a/b", "../up", "/abs", "x.png", "relu4_2", "c:d"])
    return st.one_of(typed, typed, ODD_TEXT, st.text(max_size=12))


def _runs_for_real(type_id: str, param: Param, text: str) -> bool:
    if type_id in MODEL_TYPES:
        return False
    if param.type == ParamType.INT:
        try:
            return abs(float(text)) <= LARGEST_RUN
        except ValueError:
            return True
    return True


def _ran_nothing(self: Engine, *args: object, **kwargs: object) -> RunReport:
    return RunReport()


@pytest.mark.parametrize(("type_id", "name"), PAIRS, ids=[f"{t}.{p}" for t, p in PAIRS])
def test_set_is_accepted_and_runs_finite_or_refused_naming_the_param(
    type_id, name, files, tmp_path_factory, capsys
):
    node_type = REGISTRY.get(type_id)
    param = node_type.param(name)
    folder = tmp_path_factory.mktemp(type_id)
    preset = folder / "preset.json"
    preset.write_text(json.dumps(_preset(node_type, files)))

    @settings(
        max_examples=4,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(text=_values(param, files))
    def check(text: str) -> None:
        argv = ["run", str(preset), "--set", f"n.{name}={text}"]
        argv += ["--out", str(folder / "out"), "--quiet", "--no-disk-cache"]
        with pytest.MonkeyPatch.context() as patch:
            if not _runs_for_real(type_id, param, text):
                patch.setattr(Engine, "run", _ran_nothing)
            code = main(argv)
        err = capsys.readouterr().err
        if code == 0:
            return
        assert code in (1, 2), (text, code, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (text, err)
        # "param 'x'", or "params 'x', 'y', ...: " where the fault lies in several together
        assert re.search(rf"params? ('[a-z_]+', )*{name!r}", lines[0]), (text, err)

    check()
