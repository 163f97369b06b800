"""Declarations of node types: ports, params and the node type itself.

A node type is declared once, here, and everything else reads that declaration: the
validator, the engine, the preset format, the CLI's `stylegraph nodes` and the editor. Type
ids (``image.blend``) are stable forever; display names may change freely.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stylegraph.graph.context import NodeContext


class PortType(str, Enum):
    """What travels along a link. Only links between equal types are allowed."""

    IMAGE = "image"  # float32 H x W x C (C = 3 or 4), values 0..1
    MASK = "mask"  # float32 H x W, values 0..1
    NUMBER = "number"  # a Python float
    TEXT = "text"  # a Python str (paths included)
    LAYERS = "layers"  # a graph.layers.LayerStack: layers kept apart, for layered files


class ParamType(str, Enum):
    """The kind of value a param holds; decides validation and the editor widget."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"
    TEXT = "text"
    FILE = "file"  # an input file; its *content* keys the cache
    OUTPUT_DIR = "output_dir"  # a folder inside the run's output root
    FILE_NAME = "file_name"  # a bare file name, no folders
    FLOAT_LIST = "float_list"
    POINT_LIST = "point_list"  # [[x, y], ...]
    FILE_LIST = "file_list"  # several input files, each keyed by content
    CHOICE_LIST = "choice_list"  # e.g. one blend mode per layer
    TEXT_LIST = "text_list"  # e.g. one name per layer

    STROKES = "strokes"  # brush strokes painted in the editor (mask.paint)


FILE_PARAM_TYPES = (ParamType.FILE, ParamType.FILE_LIST)


class ParamError(ValueError):
    """A param value that does not fit its declaration; the message names no node."""


@dataclass(frozen=True)
class Port:
    """An input or output. A variadic input ``layer`` accepts any number of links, into
    ``layer1``, ``layer2``, ...; all of them are optional."""

    name: str
    type: PortType
    description: str = ""
    optional: bool = False
    variadic: bool = False

    def accepts(self, port_name: str) -> bool:
        if not self.variadic:
            return port_name == self.name
        suffix = port_name[len(self.name) :]
        return port_name.startswith(self.name) and suffix.isdigit() and suffix[0] != "0"


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    # A text param with a small syntax of its own (``3:0.5,12:0.5``) names its parser here,
    # so a malformed value is refused when it is set, not when the node runs; the parser
    # raises ValueError with the reason.
    parse: Callable[[str], object] | None = None
    # Whether a run needs a value here, so that an empty one is refused before anything
    # runs: True (the photo a Load Image reads), or a function of the node's params and
    # linked input ports (paintings are needed unless the engine has its own, or linked).
    required: bool | Callable[[Mapping[str, Any], Collection[str]], bool] = False

    def is_required(self, params: Mapping[str, Any], linked: Collection[str]) -> bool:
        return self.required(params, linked) if callable(self.required) else self.required

    def check(self, value: Any) -> Any:
        """Return ``value`` normalised to this param's type, or raise ParamError."""
        checker = _CHECKERS[self.type]
        value = checker(self, value)
        if self.parse is not None:
            try:
                self.parse(value)
            except ValueError as exc:
                raise ParamError(str(exc)) from None
        return value

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for `stylegraph nodes` and the editor."""
        out: dict[str, Any] = {"type": self.type.value, "default": self.default}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices:
            out["choices"] = list(self.choices)
        if self.help:
            out["help"] = self.help
        return out


def shown_number(value: float) -> str:
    """A number as a message quotes it: as written when short, else in a short exponent
    form (``1e+308``, never its 309 digits)."""
    text = repr(value)
    if len(text) <= 20:
        return text
    try:
        return f"{float(value):.6g}"
    except OverflowError:  # an integer beyond any float
        return f"a number of {len(str(abs(value))):,} digits"


def _check_range(param: Param, value: float) -> None:
    if param.minimum is not None and value < param.minimum:
        raise ParamError(f"{shown_number(value)} is below the minimum {param.minimum}")
    if param.maximum is not None and value > param.maximum:
        raise ParamError(f"{shown_number(value)} is above the maximum {param.maximum}")


def _check_int(param: Param, value: Any) -> int:
    """A whole number. JSON has one number type, so a float with no fractional part (6.0,
    written by another program) is that integer; 6.5 is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"expected a whole number, got {_shown(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ParamError(f"expected a whole number, got {shown_number(value)}")
        _check_range(param, value)  # before int(): 1e308 is refused as 1e+308
        value = int(value)
    _check_range(param, value)
    return value


def _shown(value: Any) -> str:
    """A value of the wrong type, quoted in a message: numbers short, texts shortened."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return shown_number(value)
    text = repr(value)
    return text if len(text) <= 103 else f"{text[:60]}...{text[-40:]}"


def _check_float(param: Param, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"expected a number, got {_shown(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise ParamError("the number is too large") from None
    if not math.isfinite(value):
        raise ParamError(f"expected a finite number, got {value!r}")
    _check_range(param, value)
    return value


def _check_bool(param: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"expected true or false, got {value!r}")
    return value


def _check_choice(param: Param, value: Any) -> str:
    if value not in param.choices:
        raise ParamError(f"{value!r} is not one of {', '.join(param.choices)}")
    return value


def _check_text(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise ParamError(f"expected text, got {value!r}")
    return value


def _path_limit(name: str, fallback: int) -> int:
    try:
        return os.pathconf("/", name)
    except (AttributeError, OSError, ValueError):  # Windows, or a system that will not say
        return fallback


PATH_MAX = _path_limit("PC_PATH_MAX", 4096)
NAME_MAX = _path_limit("PC_NAME_MAX", 255)


def short_path(path: str, head: int = 60, tail: int = 40) -> str:
    """A path fit for a one-line message: its start and end, the middle elided."""
    return path if len(path) <= head + tail + 3 else f"{path[:head]}...{path[-tail:]}"


def path_length_problem(path: str) -> str | None:
    """Why no file system here can hold ``path`` (too long in all, or a name in it too
    long), said before anything tries to open it; None when its length is fine."""
    encoded = os.fsencode(path)
    if len(encoded) >= PATH_MAX:
        return (
            f"the path {short_path(path)!r} is {len(encoded):,} bytes long; "
            f"paths here are limited to {PATH_MAX - 1:,}"
        )
    longest = max(encoded.split(os.fsencode(os.sep)), key=len)
    if len(longest) > NAME_MAX:
        name = os.fsdecode(longest)
        return (
            f"the name {short_path(name)!r} in the path is {len(longest):,} bytes long; "
            f"a file or folder name here is limited to {NAME_MAX:,}"
        )
    return None


def _check_file(param: Param, value: Any) -> str:
    value = _check_text(param, value)
    if "\x00" in value:
        raise ParamError("a path may not contain a NUL character")
    try:
        os.fsencode(value)
    except UnicodeError:  # a lone surrogate, or a character the file system cannot store
        raise ParamError(
            f"{short_path(value)!a} holds characters no file name can have here"
        ) from None
    problem = path_length_problem(value)
    if problem:
        raise ParamError(problem)
    return value


def _check_output_dir(param: Param, value: Any) -> str:
    """Output folders are relative to the run's output root and may not leave it."""
    value = _check_file(param, value)
    path = PurePath(value)
    if path.is_absolute() or value.startswith(("/", "\\")) or ":" in value:
        raise ParamError(f"{value!r} must be a folder relative to the output folder")
    if ".." in path.parts or "\\" in value:
        raise ParamError(f"{value!r} may not leave the output folder")
    return value


def _check_file_name(param: Param, value: Any) -> str:
    value = _check_file(param, value)
    if value and not value.strip():
        raise ParamError(f"{value!r} is blank: give a file name")
    if not value or value in (".", "..") or any(c in value for c in '/\\:*?"<>|'):
        raise ParamError(f"{value!r} must be a plain file name without folders")
    return value


def _check_float_list(param: Param, value: Any) -> list[float]:
    if not isinstance(value, list):
        raise ParamError(f"expected a list of numbers, got {value!r}")
    return [_check_float(param, v) for v in value]


def _check_point_list(param: Param, value: Any) -> list[list[float]]:
    if not isinstance(value, list):
        raise ParamError(f"expected a list of [x, y] points, got {value!r}")
    points = []
    for point in value:
        if not isinstance(point, list) or len(point) != 2:
            raise ParamError(f"expected an [x, y] point, got {point!r}")
        points.append([_check_float(param, point[0]), _check_float(param, point[1])])
    return points


def _check_choice_list(param: Param, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ParamError(f"expected a list of choices, got {value!r}")
    return [_check_choice(param, v) for v in value]


def _check_text_list(param: Param, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ParamError(f"expected a list of texts, got {value!r}")
    return [_check_text(param, v) for v in value]


def _check_file_list(param: Param, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ParamError(f"expected a list of file paths, got {value!r}")
    return [_check_file(param, v) for v in value]


STROKE_KEYS = {"points", "size", "hardness", "opacity", "mode"}
# paint and erase paint coverage; keep and remove are hints for a quick selection
STROKE_MODES = ("paint", "erase", "keep", "remove")
MAX_STROKES = 10_000
MAX_STROKE_POINTS = 20_000


def _stroke_number(where: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"{where}: {key} must be a number, got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise ParamError(f"{where}: {key} must be between {low:g} and {high:g}, got {value!r}")
    return float(value)


def _check_stroke(index: int, stroke: Any) -> dict[str, Any]:
    where = f"stroke {index + 1}"
    if not isinstance(stroke, dict):
        raise ParamError(f"{where}: expected an object with {', '.join(sorted(STROKE_KEYS))}")
    missing, extra = STROKE_KEYS - stroke.keys(), stroke.keys() - STROKE_KEYS
    if missing or extra:
        what = [f"missing {', '.join(sorted(missing))}"] if missing else []
        what += [f"unknown {', '.join(sorted(map(str, extra)))}"] if extra else []
        raise ParamError(f"{where}: {'; '.join(what)}")
    points = stroke["points"]
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_STROKE_POINTS:
        raise ParamError(f"{where}: points must be a list of 1 to {MAX_STROKE_POINTS} [x, y]")
    checked = []
    for point in points:
        if not isinstance(point, list) or len(point) != 2:
            raise ParamError(f"{where}: expected an [x, y] point, got {point!r}")
        checked.append([_stroke_number(where, "a point", v, -1.0, 2.0) for v in point])
    if stroke["mode"] not in STROKE_MODES:
        raise ParamError(
            f"{where}: mode must be paint, erase, keep or remove, got {stroke['mode']!r}"
        )
    size = _stroke_number(where, "size", stroke["size"], 0.0, 1.0)
    if size <= 0:
        raise ParamError(f"{where}: size must be above 0")
    return {
        "points": checked,
        "size": size,
        "hardness": _stroke_number(where, "hardness", stroke["hardness"], 0.0, 1.0),
        "opacity": _stroke_number(where, "opacity", stroke["opacity"], 0.0, 1.0),
        "mode": stroke["mode"],
    }


def _check_strokes(param: Param, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ParamError(f"expected a list of strokes, got {value!r}")
    if len(value) > MAX_STROKES:
        raise ParamError(f"at most {MAX_STROKES} strokes, got {len(value)}")
    return [_check_stroke(i, stroke) for i, stroke in enumerate(value)]


_CHECKERS: dict[ParamType, Callable[[Param, Any], Any]] = {
    ParamType.INT: _check_int,
    ParamType.FLOAT: _check_float,
    ParamType.BOOL: _check_bool,
    ParamType.CHOICE: _check_choice,
    ParamType.TEXT: _check_text,
    ParamType.FILE: _check_file,
    ParamType.OUTPUT_DIR: _check_output_dir,
    ParamType.FILE_NAME: _check_file_name,
    ParamType.FLOAT_LIST: _check_float_list,
    ParamType.POINT_LIST: _check_point_list,
    ParamType.FILE_LIST: _check_file_list,
    ParamType.CHOICE_LIST: _check_choice_list,
    ParamType.TEXT_LIST: _check_text_list,
    ParamType.STROKES: _check_strokes,
}

RunFunction = Callable[["NodeContext", Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Batching:
    """A node type that can render several param sets over the same inputs in one call
    (style transfer: many paintings, one forward pass). ``group(params)`` says which param
    sets may share a call (equal keys), or None where these params cannot be batched;
    ``run(ctx, inputs, [params, ...])`` returns each set's outputs, or the NodeError that set
    alone failed with."""

    group: Callable[[Mapping[str, Any]], str | None]
    run: Callable[[NodeContext, Mapping[str, Any], list], list]


@dataclass(frozen=True)
class NodeType:
    """One kind of node. ``run(ctx, inputs, params)`` must be pure apart from ``side_effect``
    nodes (Save Image), whose results are never cached."""

    type_id: str
    display_name: str
    category: str
    description: str
    run: RunFunction
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    params: tuple[Param, ...] = ()
    version: int = 1
    persistent_cache: bool = False  # expensive results also go to the on-disk cache
    side_effect: bool = False  # writes files; always runs when requested
    # ctx.sources names the node behind each input (layer names); those ids join the key
    sees_sources: bool = False
    batching: Batching | None = None  # several param sets in one call (batch sweeps)
    # A check across this type's params (a list's length against another's), given every
    # param's value once each has passed its own check: ``validate`` calls it, and so does
    # the engine through ``validate`` before any node runs, so a preset that validates
    # never fails on its params. Returns (param name, message) for each problem.
    check_params: Callable[[Mapping[str, Any]], list[tuple[str, str]]] | None = None
    # Params this type had in earlier releases and dropped, with why: a preset saved then
    # still loads, without them, rather than failing on an unknown param.
    retired_params: tuple[tuple[str, str], ...] = ()
    _params_by_name: dict[str, Param] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_params_by_name", {p.name: p for p in self.params})
        for group in (self.inputs, self.outputs, self.params):
            names = [item.name for item in group]
            if len(names) != len(set(names)):
                raise ValueError(f"{self.type_id}: duplicate port or param names {names}")
        if self.persistent_cache and any(p.type == PortType.LAYERS for p in self.outputs):
            # A layer stack is cheap to rebuild from its cached inputs, and on disk it
            # would store every layer's pixels a second time.
            raise ValueError(f"{self.type_id}: a layers output is never cached on disk")

    def param(self, name: str) -> Param | None:
        return self._params_by_name.get(name)

    def input(self, name: str) -> Port | None:
        return next((p for p in self.inputs if p.accepts(name)), None)

    def output(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)

    def default_params(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def normalised_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` as their checks normalise them (6.0 for an int param is 6): how the
        graph stores them and the node's run receives them. A value its check refuses, or
        a name that is no param, is kept as given, for ``validate`` to report."""
        out = dict(params)
        for name, value in params.items():
            param = self._params_by_name.get(name)
            if param is not None:
                with contextlib.suppress(ParamError):
                    out[name] = param.check(value)
        return out

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description, the one `stylegraph nodes TYPE --json` prints."""
        return {
            "type": self.type_id,
            "name": self.display_name,
            "category": self.category,
            "version": self.version,
            "description": self.description,
            "inputs": {
                p.name: {
                    "type": p.type.value,
                    "optional": p.optional or p.variadic,
                    "variadic": p.variadic,
                    "help": p.description,
                }
                for p in self.inputs
            },
            "outputs": {
                p.name: {"type": p.type.value, "help": p.description} for p in self.outputs
            },
            "params": {p.name: p.describe() for p in self.params},
        }
