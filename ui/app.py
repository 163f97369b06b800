"""Starts the editor window: ``stylegraph edit [PRESET]``, and runs its frames.

A test may hand in a ``Script`` (tests/editor_script.py) that drives the same commands a
user's clicks do, so the tests see the editor as the user does."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

import dearpygui.dearpygui as dpg

from stylegraph.graph.preset import Preset
from stylegraph.graph.registry import Registry
from stylegraph.ui.controller import Controller
from stylegraph.ui.editor import Editor, viewer_size_for
from stylegraph.ui.pacing import FramePacer, X11Wake


class Script(Protocol):
    """What drives a window for a test. One that ``takes_over`` runs the graph at once,
    offers no recovery and draws flat out (no idle pacing); ``after_frame`` is called
    after each frame drawn, and may stop the window."""

    @property
    def takes_over(self) -> bool: ...

    def after_frame(self, editor: Editor, frames: int) -> None: ...


def run_editor(
    registry: Registry,
    preset: Preset | None,
    preset_path: Path | None = None,
    *,
    run: bool = False,
    script: Script | None = None,
    recovery_dir: Path | None = None,
    width: int = 1500,
    height: int = 860,
) -> int:
    """Open the editor on ``preset`` (or an empty graph) until the user quits, or until
    ``script`` stops it."""
    started = time.perf_counter()
    dpg.create_context()
    # callbacks run in the frame loop on this thread, so the graph is never edited while
    # the canvas or viewer reads it
    dpg.configure_app(manual_callback_management=True)
    controller = Controller(registry, preset, preset_path, recovery_dir=recovery_dir)
    editor = Editor(registry, controller)
    dpg.create_viewport(title=controller.title, width=width, height=height, disable_close=True)
    dpg.setup_dearpygui()
    editor.build(viewer_size=viewer_size_for(width, height))
    dpg.set_primary_window("main", True)
    # with disable_close the window manager's close button only calls this, so unsaved
    # work gets the same Save / Discard / Cancel prompt as File > Quit
    dpg.set_exit_callback(editor.quit)
    dpg.set_viewport_resize_callback(lambda sender, size: editor.fit_window(size[2], size[3]))
    dpg.show_viewport()
    scripted = script is not None and script.takes_over
    if not scripted:
        editor.safety.offer_recovery(editor.after_restore)
    if run or scripted:
        editor.run()
    if scripted and editor.nothing_to_do:
        # its pictures are on disk already: compute (from the cache) what the screenshot
        # shows, writing nothing, rather than wait for a run that never starts
        editor.run(preview=True)
    frames = 0
    # a scripted window draws flat out to its screenshot; a user's idles between inputs
    pacer = None if scripted else FramePacer(None)
    with dpg.handler_registry():
        dpg.add_mouse_move_handler(callback=lambda: pacer and pacer.poke())
    while dpg.is_dearpygui_running():
        queue = dpg.get_callback_queue()
        editor.crash.run_callbacks(queue)  # a defect behind a click never closes the window
        changed = editor.crash.call(editor.pump, what="updating the window")
        if pacer is not None:
            if queue or changed:
                pacer.poke()
            if frames == 2:  # the window exists now: listen for its input between frames
                pacer.wake = X11Wake.attach()
            pacer.wait_for_frame(
                lambda: editor.crash.call(editor.pump, what="updating the window"),
                lambda: not editor.idle,
                lambda: editor.shortcuts.keys_coming,
            )
        dpg.render_dearpygui_frame()
        if pacer is not None and any(dpg.is_mouse_button_down(b) for b in range(3)):
            pacer.poke()  # a drag goes on: the pointer's events now reach only the window
        frames += 1
        if frames == 1:
            print(f"first frame after {time.perf_counter() - started:.3f} s", flush=True)
        if script is not None:
            script.after_frame(editor, frames)
    if pacer is not None:
        pacer.close()
    dpg.destroy_context()
    return 0
