"""Helpers shared by the tests (and used by the benchmarks, which measure the same nodes on
the same data): run one node type directly, as the engine would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import check_outputs
from stylegraph.graph.registry import Registry


def run_node(
    registry: Registry,
    type_id: str,
    inputs: dict,
    params: dict | None = None,
    output_dir: Path = Path("."),
) -> tuple[dict, list[str]]:
    """Run one node type with its defaults and ``params``, as the engine would, and check
    its outputs; returns the outputs and the warnings."""
    node_type = registry.get(type_id)
    values = node_type.default_params()
    values.update(params or {})
    ctx = NodeContext(type_id, output_dir)
    outputs = node_type.run(ctx, inputs, values)
    check_outputs(node_type, outputs)
    return outputs, ctx.warnings


def tiny_photo_and_mask(folder: Path, side: int, seed: int) -> dict[str, Path]:
    """A side x side noise photo and mask in ``folder``: the smallest real files a node
    that loads a picture can be run on, for the tests that try every param."""
    rng = np.random.default_rng(seed)
    photo, mask = folder / "photo.png", folder / "mask.png"
    Image.fromarray(rng.integers(0, 256, (side, side, 3), np.uint8)).save(photo)
    Image.fromarray(rng.integers(0, 256, (side, side), np.uint8)).save(mask)
    return {"photo": photo, "mask": mask, "folder": folder}


def batch_killed_after_first_item(args: list[str], **env: str) -> dict:
    """``stylegraph batch ARGS --json --no-disk-cache`` in its own process, killed with
    SIGKILL as soon as it reports its first item (as a power cut would); returns that
    item's JSON line. ``env`` adds to the environment."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stylegraph", "batch", *args, "--json", "--no-disk-cache"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
        text=True,
    )
    first = json.loads(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return first
