"""How every command takes a preset (a file, a shipped preset's name, or a pack) and what
it checks before a run starts, so that a run stops before any node on what it would stop at
later."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from stylegraph.cli.errors import UsageError, one_line
from stylegraph.graph.files import missing_files
from stylegraph.graph.preset import Preset, did_you_mean
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import ParamType, path_length_problem
from stylegraph.graph.validate import ValidationError, unset_params, validate
from stylegraph.jobs.pack import PACK_SUFFIX, load_preset_or_pack
from stylegraph.presets import shipped_presets


def _find_preset(name: str) -> Path:
    too_long = path_length_problem(name)
    if too_long:
        raise UsageError(f"the preset: {too_long}")
    path = Path(name)
    if path.exists() or path.suffix in (".json", PACK_SUFFIX):
        return path
    shipped = shipped_presets()
    if name in shipped:
        return shipped[name]
    raise UsageError(
        f"no preset file {name!r}, and no shipped preset of that name "
        f"(shipped: {', '.join(shipped) or 'none'}){did_you_mean(name, shipped)}"
    )


def load_preset(name: str, registry: Registry) -> tuple[Preset, Path]:
    """How every command takes a preset: a file, a shipped preset's name, or a pack (its
    files verified and kept in the cache folder). Returns the preset and where it came from."""
    path = _find_preset(name)
    return load_preset_or_pack(path, registry), path


# What to write after ``--set NAME=`` in a hint, for the usual named inputs.
PLACEHOLDERS = {"content": "PHOTO", "style": "PAINTING"}


def placeholder(preset: Preset, name: str) -> str:
    binding = preset.inputs[name]
    param = preset.graph.node_type(binding.node).param(binding.param)
    by_type = "FILE" if param is not None and param.type == ParamType.FILE else "VALUE"
    if param is not None and param.type == ParamType.FILE_LIST:
        by_type = "FILE[,FILE...]"
    return PLACEHOLDERS.get(name, by_type)


def unset_inputs(preset: Preset, nodes: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """The named inputs a run of ``nodes`` (default: all) needs and lacks, and the other
    required params left empty there, each as a sentence."""
    bound = {(b.node, b.param): name for name, b in preset.inputs.items()}
    inputs, others = [], []
    for node_id, param in unset_params(preset.graph, nodes):
        name = bound.get((node_id, param))
        if name is not None:
            inputs.append(name)
        else:
            type_id = preset.graph.node(node_id).type_id
            others.append(f"node {node_id!r} ({type_id}), param {param!r}: is empty")
    return [name for name in preset.inputs if name in inputs], others


def check_before_running(preset: Preset) -> None:
    """What a run would stop at, refused before any node runs: what ``validate`` reports
    (values of the wrong type first, since the other checks read them), named inputs not
    set, other required params left empty, and input files that are missing or no
    regular files."""
    needed = preset.graph.upstream(preset.graph.sinks())
    problems = validate(preset.graph, needed)
    if problems:
        raise ValidationError(problems)
    inputs, lines = unset_inputs(preset, needed)
    lines = [
        f"the preset's input {name!r} is not set: --set {name}={placeholder(preset, name)}"
        for name in inputs
    ] + lines
    lines += [
        one_line(str(problem))
        for problem in missing_files(preset.graph, preset.base_dir)
        if problem.node_id in needed
    ]
    if lines:
        raise UsageError("\nerror: ".join(lines))


def check_out(out: str) -> Path:
    too_long = path_length_problem(out)
    if too_long:
        raise UsageError(f"--out: {too_long}")
    return Path(out).resolve()
