"""A live editor window on its own Xvfb screen, driven as a user (xdotool) and a window
manager would drive it, for the tests that use real input.

``live_window`` starts Xvfb and the editor (tests/editor_script.py ... --geometry FILE); it writes
where its nodes, viewer and buttons are to that file, and ``LiveWindow`` clicks, drags and
types there. Xvfb has no window manager: the title bar's close button is only an X11
ClientMessage, WM_PROTOCOLS with WM_DELETE_WINDOW, sent to the client window; GLFW (under
Dear PyGui) answers it itself. Sending exactly that message (``close_window``) is the close
a user's click would give. python-xlib (the dev extra) is imported only for that.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

EDITOR_SCRIPT = Path(__file__).resolve().parent / "editor_script.py"  # the scripted editor

needs_x = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="Xvfb or xdotool is missing",
)


def wait_for(condition: Callable[[], Any], seconds: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the window did not get there in time"
        time.sleep(0.2)


def window_env(tmp_path: Path) -> dict[str, str]:
    """The window's recovery and recent-files folders inside the test's own folder."""
    env = dict(os.environ)
    env.update(
        STYLEGRAPH_RECOVERY_DIR=str(tmp_path / "recovery"),
        STYLEGRAPH_CONFIG_DIR=str(tmp_path / "config"),
    )
    return env


@dataclass
class LiveWindow:
    """The editor's window as a test drives it: ``xdo`` runs one xdotool command on its
    screen (``pause`` after it, for the window to take it), ``layout`` reads where things
    are from its geometry file."""

    process: subprocess.Popen
    env: dict[str, str]
    geometry: Path
    pause: float = 0.4

    def xdo(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args], env=self.env, check=True, capture_output=True, text=True
        )
        time.sleep(self.pause)
        return done.stdout

    def layout(
        self, condition: Callable[[dict], Any] = lambda layout: True, seconds: float = 60.0
    ) -> dict:
        """The window's geometry file once it says what ``condition`` wants."""
        found: list[dict] = []

        def ready() -> bool:
            found[:] = [self.read()] if self.geometry.exists() else []
            return bool(found) and bool(condition(found[0]))

        wait_for(ready, seconds)
        return found[0]

    def read(self) -> dict:
        return json.loads(self.geometry.read_text()) if self.geometry.exists() else {}

    def prompt(self) -> dict[str, list[float]]:
        """The buttons of the Save / Discard / Cancel prompt, once it shows."""
        return self.layout(lambda layout: len(layout["prompt"]) == 3)["prompt"]

    def click(self, x: float, y: float) -> None:
        self.xdo("mousemove", str(int(x)), str(int(y)), "click", "1")

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
        """Press at ``start``, move to ``end`` in ``steps`` short moves, release: Dear
        PyGui starts a drag only after the pointer moved a few pixels with the button held."""
        (x0, y0), (x1, y1) = start, end
        moves = ["mousemove", str(int(x0)), str(int(y0)), "mousedown", "1"]
        for step in range(1, steps + 1):
            x, y = x0 + (x1 - x0) * step / steps, y0 + (y1 - y0) * step / steps
            moves += ["mousemove", str(int(x)), str(int(y)), "sleep", "0.05"]
        self.xdo(*moves, "sleep", "0.2", "mouseup", "1")

    def grab(self) -> np.ndarray:
        """The whole screen as float32 RGB, as the user sees it."""
        from PIL import ImageGrab

        shot = ImageGrab.grab(xdisplay=self.env["DISPLAY"])
        return np.asarray(shot.convert("RGB"), np.float32)

    def window_id(self) -> str:
        """The X window of the editor's process, for ``xdotool windowsize`` and the like."""
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--pid", str(self.process.pid)],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return found.stdout.split()[0]

    def close(self) -> None:
        close_window(self.env["DISPLAY"], self.process.pid)

    def exit_code(self) -> int:
        return self.process.wait(30)


def window_free_editor(registry: Any, preset: Any, tmp_path: Path) -> Any:
    """An editor on ``preset`` with its widgets built in the current Dear PyGui context,
    no window; its recovery file and pictures go in ``tmp_path``."""
    from stylegraph.ui.controller import Controller
    from stylegraph.ui.editor import Editor

    controller = Controller(registry, preset, recovery_dir=tmp_path / "recovery")
    editor = Editor(registry, controller, output_dir=tmp_path / "out")
    editor.build()
    return editor


@pytest.fixture
def facet_base_editor(registry: Any, images: Path, tmp_path: Path, monkeypatch: Any) -> Any:
    """An editor on facet-base with a real photo, widgets built, no window (import it into
    a test module under the name the tests ask for)."""
    import dearpygui.dearpygui as dpg

    from stylegraph.graph.preset import load_preset
    from stylegraph.presets import shipped_presets

    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    dpg.create_context()
    preset = load_preset(shipped_presets()["facet-base"], registry)
    preset.set_input("content", str(images / "content" / "chelsea.png"))
    yield window_free_editor(registry, preset, tmp_path)
    dpg.destroy_context()


def finish_run(editor: Any) -> None:
    """Press Run and wait for the run to be done and its results taken in."""
    editor.run()
    if editor.worker.thread is not None:
        editor.worker.thread.join(120)
    editor.pump()


def fusion_on_real_pictures(registry: Any, images: Path, longest_side: int) -> Any:
    """The shipped fusion preset on Tübingen and the shipwreck painting, worked at
    ``longest_side`` px (it ships with 500)."""
    from stylegraph.graph.preset import load_preset
    from stylegraph.presets import shipped_presets

    preset = load_preset(shipped_presets()["fusion"], registry)
    preset.set_input("content", str(images / "content" / "tubingen.jpg"))
    preset.set_input("style", [str(images / "styles" / "shipwreck.jpg")])
    preset.graph.set_param("shrink", "longest_side", longest_side)
    return preset


@contextlib.contextmanager
def live_window(
    tmp_path: Path,
    *args: str,
    screen: str = "1600x900x24",
    python: list[str] | None = None,
    cwd: Path | None = None,
) -> Iterator[LiveWindow]:
    """``stylegraph edit ARGS`` (as tests/editor_script.py, with its ``--geometry``) on a
    fresh Xvfb screen; killed, with the screen, after. ``python``: the interpreter's
    arguments before the script's path (a test may run code that patches something, then
    the script: ``runpy.run_path(sys.argv.pop(1), run_name="__main__")``); ``cwd`` (default the
    test's folder) is where a run's pictures go."""
    geometry = tmp_path / "geometry.json"
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", screen], stdout=subprocess.PIPE, text=True
    )
    try:
        env = {**window_env(tmp_path), "DISPLAY": f":{server.stdout.readline().strip()}"}
        command = [sys.executable, *(python or []), str(EDITOR_SCRIPT), *args]
        process = subprocess.Popen(
            [*command, "--geometry", str(geometry)],
            env=env,
            cwd=cwd or tmp_path,  # a run's pictures land in the test's folder
            stdout=subprocess.DEVNULL,
        )
        try:
            yield LiveWindow(process, env, geometry)
        finally:
            process.kill()
            process.wait(10)
    finally:
        server.kill()
        server.wait(10)


def _windows(window: Any) -> Iterator[Any]:
    yield window
    for child in window.query_tree().children:
        yield from _windows(child)


def find_window(screen: Any, pid: int) -> Any:
    """The top-level window of process ``pid`` that takes WM_DELETE_WINDOW (GLFW sets
    _NET_WM_PID and WM_PROTOCOLS on it, as every client a WM can close does)."""
    from Xlib import X

    net_wm_pid = screen.intern_atom("_NET_WM_PID")
    delete = screen.intern_atom("WM_DELETE_WINDOW")
    for window in _windows(screen.screen().root):
        owner = window.get_full_property(net_wm_pid, X.AnyPropertyType)
        if owner is None or list(owner.value) != [pid]:
            continue
        if delete in (window.get_wm_protocols() or []):
            return window
    return None


def close_window(display_name: str, pid: int) -> None:
    """Ask process ``pid``'s window to close, as a window manager's close button does."""
    from Xlib import X, display, protocol

    screen = display.Display(display_name)
    try:
        window = find_window(screen, pid)
        if window is None:
            raise LookupError(f"process {pid} has no window that takes WM_DELETE_WINDOW")
        message = protocol.event.ClientMessage(
            window=window,
            client_type=screen.intern_atom("WM_PROTOCOLS"),
            data=(32, [screen.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]),
        )
        window.send_event(message, event_mask=X.NoEventMask)
        # a round trip, not flush(): a flush then close sometimes leaves the request unsent
        # (seen with X RECORD under Xvfb), and the window would never hear of the close
        screen.sync()
    finally:
        screen.close()
