"""Starts the editor window: ``stylegraph edit [PRESET]``."""

from __future__ import annotations

import time
from pathlib import Path

import dearpygui.dearpygui as dpg

from stylegraph.graph.preset import Preset
from stylegraph.graph.registry import Registry
from stylegraph.ui.editor import Editor


def run_editor(
    registry: Registry,
    preset: Preset | None,
    preset_path: Path | None = None,
    *,
    run: bool = False,
    select: str | None = None,
    screenshot: Path | None = None,
    width: int = 1500,
    height: int = 860,
) -> int:
    """Open the editor on ``preset`` (or an empty graph). With ``screenshot``, run the
    graph, preview ``select``, save a frame of the window there and close: how the tests
    and the README pictures see the editor."""
    dpg.create_context()
    editor = Editor(registry, preset)
    editor.preset_path = preset_path
    dpg.create_viewport(title="stylegraph", width=width, height=height)
    dpg.setup_dearpygui()
    editor.build()
    dpg.set_primary_window("main", True)
    dpg.show_viewport()
    if run or screenshot:
        editor.run()
    shot_taken = False
    deadline = time.monotonic() + 600
    while dpg.is_dearpygui_running():
        editor.pump()
        dpg.render_dearpygui_frame()
        if screenshot is None or shot_taken:
            continue
        if editor.idle and select and editor.report is not None:
            dpg.clear_selected_nodes("canvas")
            editor.show_preview(select)
            select = None
            continue
        if editor.idle or time.monotonic() > deadline:
            for _ in range(3):
                dpg.render_dearpygui_frame()
            dpg.output_frame_buffer(file=str(screenshot))
            for _ in range(3):
                dpg.render_dearpygui_frame()
            shot_taken = True
            dpg.stop_dearpygui()
    dpg.destroy_context()
    return 0
