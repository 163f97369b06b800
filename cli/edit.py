"""``stylegraph edit``: the node editor, opened once a display is known to answer (GLFW
aborts the process without one, past any handler)."""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
from typing import TYPE_CHECKING

from stylegraph.cli.errors import UsageError
from stylegraph.cli.presets import load_preset
from stylegraph.graph.assign import apply_assignments
from stylegraph.graph.registry import Registry
from stylegraph.jobs.pack import is_pack

if TYPE_CHECKING:
    from stylegraph.ui.app import Script


def display_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why the editor cannot open a window here, or None. On X11 systems (not macOS or
    Windows) GLFW aborts the process when it finds no display, which no handler can catch,
    so the display is checked first: DISPLAY set and, for a local one, its socket there."""
    if sys.platform in ("darwin", "win32"):
        return None
    environ = os.environ if environ is None else environ
    display = environ.get("DISPLAY", "")
    how = "run it on a desktop, or under xvfb-run for scripts (xvfb-run stylegraph edit ...)"
    if not display:
        return f"the editor needs a display and DISPLAY is not set: {how}"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local is None:  # host:N, a forwarded or remote display: GLFW has to try it
        return None
    path = f"/tmp/.X11-unix/X{local.group(1)}"
    for address in (path, "\0" + path):  # the socket file, or Linux's abstract socket
        with socket.socket(socket.AF_UNIX) as sock:
            try:
                sock.connect(address)
                return None
            except OSError:
                continue
    return f"the editor needs a display and none answers at DISPLAY={display}: {how}"


def threads_wait_passively(environ: dict[str, str] | None = None) -> None:
    """torch's OpenMP threads sleep while they wait for one another, instead of spinning
    (``OMP_WAIT_POLICY=PASSIVE``). In the editor the window's drawing shares the cores with
    a render (under software OpenGL, without a GPU, tens of ms of CPU a frame): a thread
    spinning for a partner the drawing has pre-empted burns the core that partner needs.
    A Deep Style render at 240 px on two cores took 110 s in the editor, 11 s from the
    command line; waiting passively, 26 s at 200 px. OpenMP reads the setting when torch
    loads, so this runs before; a value the user set is kept."""
    environ = os.environ if environ is None else environ
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def cmd_edit(args: argparse.Namespace, registry: Registry, script: Script | None = None) -> int:
    """The editor on ``args.preset`` (with ``--set``), driven by ``script`` where a test
    gives one (tests/editor_script.py)."""
    threads_wait_passively()
    problem = display_problem()
    if problem:
        raise UsageError(problem)
    from stylegraph.ui.app import run_editor

    preset, path = load_preset(args.preset, registry) if args.preset else (None, None)
    if preset is not None:
        apply_assignments(preset, args.set or [])
    if path is not None and is_pack(path):
        path = None  # a pack opens as an unsaved graph: Save asks where
    return run_editor(registry, preset, path, run=args.run, script=script)
