"""The property of tests/test_set_property.py, for preset files: every param of every node
type, written into a preset file as every JSON type and edge value (0, -0, 1e308, whole
floats such as 6.0, numbers in strings, null, lists, objects, the param's own limits and
default as floats), goes through `stylegraph validate` and then `stylegraph run` of that one
node on a 16 x 16 photo. Either both refuse, each in messages naming the param, or
`validate` passes and the run succeeds: a preset that validates never fails on its params.

JSON has one number type and presets are written by other programs, so ``6.0`` for an int
param is the whole number 6 everywhere (the crash this test was written for: ``"seed":
6.0`` reached torch.manual_seed as a float).

As in the --set test, two kinds of case stop short of the real node: the neural node types
(``style.transfer``, ``style.sweep``, ``image.upscale``), whose networks take seconds to
minutes per run, and whole numbers above 2048 (pictures of gigabytes). Their run goes
through the whole engine to a stand-in for the node that checks what the node would be
given: every param of its declared Python type (an int param an ``int``, a float list
floats), which is what the crashes above broke.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stylegraph.cli import main
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import NodeType, Param, ParamType, PortType
from stylegraph.nodes import default_registry
from tests.helpers import tiny_photo_and_mask
from tests.test_set_property import LARGEST_RUN, MODEL_TYPES, SIDE, _preset

# Every JSON type, and the edge values a hand-written or generated preset holds: written as
# JSON text, so that -0 and 6.0 reach the loader as written.
JSON_VALUES = (
    "0",
    "-0",
    "-0.0",
    "1",
    "6.0",
    "6.5",
    "-1",
    "1e308",
    "-1e308",
    "NaN",
    '"6"',
    '"6.0"',
    '""',
    '" "',
    '"x"',
    "null",
    "true",
    "false",
    "[]",
    "[2.0, 4.0]",
    '["6"]',
    "{}",
)

REGISTRY = default_registry()
PAIRS = [(t.type_id, p.name) for t in REGISTRY for p in t.params]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 16 x 16 photo and mask, as tests/test_set_property.py's ``_preset`` takes them."""
    return tiny_photo_and_mask(tmp_path_factory.mktemp("tiny"), SIDE, seed=5)


def _own_values(param: Param) -> list[str]:
    """The param's limits and default as whole floats (16.0 for a minimum of 16), and its
    default in a string: values a program writing presets produces."""
    values = []
    for number in (param.minimum, param.maximum):
        if number is not None and abs(number) <= LARGEST_RUN:
            values.append(repr(float(number)))
    default = param.default
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        values += [repr(float(default)), json.dumps(str(default))]
    if isinstance(default, list) and default and all(isinstance(v, (int, float)) for v in default):
        values.append(json.dumps([float(v) for v in default]))
    return [v for v in values if v not in JSON_VALUES]


def cases() -> list[tuple[str, str, str]]:
    return [
        (type_id, name, text)
        for type_id, name in PAIRS
        for text in (*JSON_VALUES, *_own_values(REGISTRY.get(type_id).param(name)))
    ]


_PYTHON_TYPES: dict[ParamType, tuple[type, ...]] = {
    ParamType.INT: (int,),
    ParamType.FLOAT: (float,),
    ParamType.BOOL: (bool,),
}


def _typed_as_declared(node_type: NodeType, params: dict[str, Any]) -> list[str]:
    """Params the node would receive with another Python type than declared."""
    wrong = []
    for param in node_type.params:
        value = params[param.name]
        expected = _PYTHON_TYPES.get(param.type)
        if expected is not None and (type(value) not in expected):
            wrong.append(f"{param.name}={value!r}")
        if param.type == ParamType.FLOAT_LIST and any(type(v) is not float for v in value):
            wrong.append(f"{param.name}={value!r}")
    return wrong


def _stand_in(node_type: NodeType):
    """A run function for ``node_type`` that checks its params' types and returns inputs
    of the declared outputs' types, without loading a network."""

    def run(ctx, inputs, params):
        wrong = _typed_as_declared(node_type, params)
        assert not wrong, f"{node_type.type_id} would get {', '.join(wrong)}"
        image = next(
            (v for v in inputs.values() if isinstance(v, np.ndarray) and v.ndim == 3),
            np.zeros((SIDE, SIDE, 3), np.float32),
        )
        return {p.name: image for p in node_type.outputs if p.type == PortType.IMAGE}

    return run


def _stubbed_registry() -> Registry:
    registry = Registry()
    for node_type in REGISTRY:
        if node_type.type_id in MODEL_TYPES:
            node_type = dataclasses.replace(node_type, run=_stand_in(node_type))
        registry.register(node_type)
    return registry


def _too_large(param: Param, text: str) -> bool:
    """A whole number above LARGEST_RUN for an int param (a picture of gigabytes)."""
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return (
        param.type == ParamType.INT
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and abs(value) > LARGEST_RUN
    )


def _write(node_type: NodeType, name: str, text: str, tiny: dict[str, Path], folder: Path):
    data = _preset(node_type, tiny)
    data["nodes"]["n"]["params"][name] = "@VALUE@"
    path = folder / "preset.json"
    path.write_text(json.dumps(data).replace('"@VALUE@"', text))
    return path


def test_a_param_in_a_preset_file_validates_and_runs_or_both_refuse_naming_it(
    tiny, tmp_path, capsys, monkeypatch
):
    stubbed = _stubbed_registry()
    started = time.perf_counter()
    failures, counts = [], {"refused": 0, "ran": 0, "ran (stand-in)": 0}
    all_cases = cases()
    for index, (type_id, name, text) in enumerate(all_cases):
        node_type = REGISTRY.get(type_id)
        param = node_type.param(name)
        folder = tmp_path / str(index)
        folder.mkdir()
        preset = _write(node_type, name, text, tiny, folder)
        real = type_id not in MODEL_TYPES and not _too_large(param, text)
        monkeypatch.setattr("stylegraph.cli.default_registry", lambda: REGISTRY)
        valid = main(["validate", str(preset)])
        said = capsys.readouterr().err
        if not real:
            monkeypatch.setattr("stylegraph.cli.default_registry", lambda: stubbed)
        argv = ["run", str(preset), "--out", str(folder / "out"), "--quiet", "--no-disk-cache"]
        code = main(argv)
        err = capsys.readouterr().err
        case = f"{type_id}.{name}={text}"
        named = f"param {name!r}"
        if valid == 0:
            if code != 0:
                failures.append(f"{case}: validate passed, the run exited {code}: {err.strip()}")
            else:
                counts["ran" if real else "ran (stand-in)"] += 1
        elif named not in said:
            failures.append(f"{case}: validate refused without naming the param: {said}")
        elif code == 0 or named not in err:
            failures.append(f"{case}: validate refused, the run exited {code}: {err.strip()}")
        else:
            counts["refused"] += 1
    seconds = time.perf_counter() - started
    print(f"\n{len(all_cases)} (node, param, value) cases in {seconds:.0f} s: {counts}")
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)"
    assert sum(counts.values()) == len(all_cases)
    # every kind of outcome happened: the test can fail both ways
    assert min(counts.values()) > 0, counts
