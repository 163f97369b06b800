"""``stylegraph validate``: a preset checked without running it, and what a run of it
needs."""

from __future__ import annotations

import argparse
import sys

from stylegraph.cli.presets import load_preset, placeholder, unset_inputs
from stylegraph.graph.files import missing_files
from stylegraph.graph.registry import Registry
from stylegraph.graph.validate import is_empty, validate


def cmd_validate(args: argparse.Namespace, registry: Registry) -> int:
    preset, _ = load_preset(args.preset, registry)
    needed, empty = unset_inputs(preset)
    problems = [str(p) for p in validate(preset.graph)] + empty
    problems += [str(p) for p in missing_files(preset.graph, preset.base_dir)]
    for problem in problems:
        print(f"{args.preset}: {problem}", file=sys.stderr)
    if problems:
        return 1
    inputs = ", ".join(preset.inputs) or "none"
    print(f"{args.preset}: valid ({len(preset.graph)} nodes; inputs: {inputs})")
    if needed:
        sets = " ".join(f"--set {name}={placeholder(preset, name)}" for name in needed)
        print(f"{args.preset}: a run needs {', '.join(needed)}: {sets}")
    optional = [n for n, v in preset.input_values().items() if is_empty(v) and n not in needed]
    if optional:
        print(f"{args.preset}: optional, not set: {', '.join(optional)}")
    return 0
