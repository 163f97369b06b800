"""Editor responsiveness under Xvfb. Prints JSON.

frame_ms: median and p95 time of one editor frame (pump + render) with a 30-node graph
showing a thumbnail on every node, while the run worker re-renders a style transfer
(targets: median < 33 ms, p95 < 50 ms), and the median with no run (idle_median_ms), which
separates drawing cost from competition with the run for the CPU. first_frame_s:
wall time from starting ``stylegraph edit fusion`` to its first rendered frame, warm (target < 3 s).
Run: python -m benchmarks.editor  (re-runs itself under xvfb-run when there is no display)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.common import IMAGES, machine
from stylegraph.graph.model import Graph
from stylegraph.graph.preset import Preset
from stylegraph.graph.registry import Registry

CHAIN = ("colour.gamma", "colour.brightness_contrast", "colour.hue_saturation")
NODES = 30
RUNS = 3  # style re-renders measured


def _graph(registry: Registry) -> tuple[Preset, str]:
    graph = Graph(registry)
    previous = graph.add_node(
        "image.load", position=(0, 0), params={"path": str(IMAGES / "content" / "tubingen.jpg")}
    )
    previous_port = "image"
    for index in range(NODES - 2):
        node = graph.add_node(CHAIN[index % len(CHAIN)], position=(200 * (index + 1), 0))
        graph.connect(previous, previous_port, node, "image")
        previous = node
    style = graph.add_node(
        "style.transfer",
        position=(200 * NODES, 0),
        params={"style_files": [str(IMAGES / "styles" / "shipwreck.jpg")], "output_size": 1024},
    )
    graph.connect(previous, previous_port, style, "content")
    return Preset(graph), style


def frame_times() -> dict:
    import dearpygui.dearpygui as dpg

    from stylegraph.nodes import default_registry
    from stylegraph.ui.controller import Controller
    from stylegraph.ui.editor import Editor

    registry = default_registry()
    preset, style = _graph(registry)
    dpg.create_context()
    dpg.configure_app(manual_callback_management=True)
    controller = Controller(registry, preset)
    editor = Editor(registry, controller)
    dpg.create_viewport(title="bench", width=1500, height=860, vsync=False)
    dpg.setup_dearpygui()
    editor.build(viewer_size=(630, 660))
    dpg.set_primary_window("main", True)
    dpg.show_viewport()

    def frames_until_idle(times: list[float] | None) -> None:
        while not editor.idle or editor.worker.events.qsize():
            started = time.perf_counter()
            dpg.run_callbacks(dpg.get_callback_queue())
            editor.pump()
            dpg.render_dearpygui_frame()
            if times is not None:
                times.append((time.perf_counter() - started) * 1000)
        for _ in range(3):
            editor.pump()
            dpg.render_dearpygui_frame()

    editor.run()
    frames_until_idle(None)  # first run: every node gets its thumbnail
    thumbs = len(editor.canvas.thumbs)
    editor.viewer.show(style)
    idle = []  # the same window with no run: what drawing it costs on this machine
    for _ in range(60):
        started = time.perf_counter()
        dpg.run_callbacks(dpg.get_callback_queue())
        editor.pump()
        dpg.render_dearpygui_frame()
        idle.append((time.perf_counter() - started) * 1000)
    times: list[float] = []
    for run in range(RUNS):
        controller.set_param(style, "strength", 0.9 - 0.1 * run)  # only the style re-runs
        editor.run()
        frames_until_idle(times)
    dpg.destroy_context()
    times.sort()
    return {
        "nodes": NODES,
        "thumbnails": thumbs,
        "frames": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
        "idle_median_ms": round(statistics.median(idle), 2),
    }


def first_frame() -> list[float]:
    """Seconds from spawning ``stylegraph edit fusion`` to its first-frame line."""
    out = []
    for _ in range(3):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "stylegraph", "edit", "fusion"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for line in proc.stdout:
            if line.startswith("first frame"):
                out.append(round(time.perf_counter() - started, 3))
                break
        proc.terminate()
        proc.wait(30)
    return out


def main() -> None:
    # an empty cache of its own: renders left by an earlier run would come from the disk
    # cache, and the measured runs would render nothing
    os.environ.setdefault("STYLEGRAPH_CACHE_DIR", tempfile.mkdtemp(prefix="stylegraph-bench-"))
    if not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            sys.exit("needs a display or xvfb-run")
        command = ["xvfb-run", "-a", "-s", "-screen 0 1600x900x24", sys.executable, "-m"]
        sys.exit(subprocess.call([*command, "benchmarks.editor"]))
    starts = first_frame()
    result = {
        "machine": machine(),
        "frame_ms": frame_times(),
        "first_frame_s": {"runs": starts, "warm_median": statistics.median(starts[1:])},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
