"""Editor responsiveness under Xvfb. Prints JSON.

frame_ms: median and p95 time of one editor frame (pump + render) with a 30-node graph
showing a thumbnail on every node, while the run worker re-renders a style transfer
(targets: median < 33 ms, p95 < 50 ms), and the median with no run (idle_median_ms), which
separates drawing cost from competition with the run for the CPU. first_frame_s:
wall time from starting ``stylegraph edit fusion`` to its first rendered frame, warm (target < 3 s).
idle_cpu: share of one core the open fusion window uses with nothing running and nobody
touching it, median over 10 s (target < 10 %).
stroke_latency: ms from a brush stroke on a layer's mask to the end of the frame showing the
new composite of the fusion stack at 500 px, no graph run (target: median < 100 ms).
Run: python -m benchmarks.editor [--idle-cpu | --stroke-latency]  (re-runs itself under
xvfb-run when there is no display; --idle-cpu or --stroke-latency measures only that)
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
from pathlib import Path

from benchmarks.common import IMAGES, machine
from stylegraph.graph.model import Graph
from stylegraph.graph.preset import Preset
from stylegraph.graph.registry import Registry

CHAIN = ("colour.gamma", "colour.brightness_contrast", "colour.hue_saturation")
NODES = 30
RUNS = 3  # style re-renders measured
IDLE_SECONDS = 10  # the idle window's CPU is sampled this long
IDLE_SETTLE_S = 3.0  # s after the first frame before sampling: start-up is not idling


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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and its threads (``/proc/PID/stat``
    fields 14 and 15, in clock ticks), read the way ``top`` does, without psutil."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(seconds: int = IDLE_SECONDS) -> dict:
    """Share of one core used by ``stylegraph edit fusion`` left alone, with nothing
    running: sampled once a second for ``seconds`` after the window settles; the median
    (target < 10 %: a window doing nothing must not burn a laptop's battery)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stylegraph", "edit", "fusion"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in proc.stdout:
            if line.startswith("first frame"):
                break
        time.sleep(IDLE_SETTLE_S)
        shares = []
        before, at = _cpu_seconds(proc.pid), time.monotonic()
        for _ in range(seconds):
            time.sleep(1.0)
            used, now = _cpu_seconds(proc.pid), time.monotonic()
            shares.append(100 * (used - before) / (now - at))
            before, at = used, now
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "seconds": seconds,
        "median_percent_of_one_core": round(statistics.median(shares), 1),
        "max_percent_of_one_core": round(max(shares), 1),
    }


STROKES = 20  # strokes timed on the composite


def stroke_latency() -> dict:
    """Milliseconds from releasing a brush stroke on a Layer Stack's mask to the end of
    the frame that shows the new composite (made from the cached layers, no graph run),
    in the ``fusion`` preset at its 500 px working size with a painting added as a
    hidden layer through the Layers panel (target: median < 100 ms)."""
    import dearpygui.dearpygui as dpg

    from stylegraph.graph.preset import load_preset
    from stylegraph.nodes import default_registry
    from stylegraph.presets import shipped_presets
    from stylegraph.ui.controller import Controller
    from stylegraph.ui.editor import Editor

    registry = default_registry()
    preset = load_preset(shipped_presets()["fusion"], registry)
    preset.set_input("content", str(IMAGES / "content" / "tubingen.jpg"))
    preset.set_input("style", [str(IMAGES / "styles" / "shipwreck.jpg")])
    dpg.create_context()
    dpg.configure_app(manual_callback_management=True)
    editor = Editor(registry, Controller(registry, preset), Path(tempfile.mkdtemp()))
    dpg.create_viewport(title="bench", width=1500, height=860, vsync=False)
    dpg.setup_dearpygui()
    editor.build(viewer_size=(630, 660))
    dpg.set_primary_window("main", True)
    dpg.show_viewport()

    def frame() -> None:
        dpg.run_callbacks(dpg.get_callback_queue())
        editor.pump()
        dpg.render_dearpygui_frame()

    def until_idle() -> None:
        while not editor.idle:
            frame()
            time.sleep(0.01)
        for _ in range(3):
            frame()

    editor.run()
    until_idle()
    editor.layers_panel.follow("fuse")
    editor.layers_panel.add_paintings([str(IMAGES / "styles" / "starry_night.jpg")])
    until_idle()
    size = editor.painter.image().shape[:2]
    times = []
    for n in range(STROKES):
        v = 0.1 + 0.8 * n / STROKES
        started = time.perf_counter()
        editor.painter.commit([(0.1, v), (0.5, v + 0.05), (0.9, v)])
        frame()
        times.append((time.perf_counter() - started) * 1000)
    dpg.destroy_context()
    return {
        "picture": f"{size[1]} x {size[0]}",
        "strokes": STROKES,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
    }


def main() -> None:
    # an empty cache of its own: renders left by an earlier run would come from the disk
    # cache, and the measured runs would render nothing
    os.environ.setdefault("STYLEGRAPH_CACHE_DIR", tempfile.mkdtemp(prefix="stylegraph-bench-"))
    if not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            sys.exit("needs a display or xvfb-run")
        command = ["xvfb-run", "-a", "-s", "-screen 0 1600x900x24", sys.executable, "-m"]
        sys.exit(subprocess.call([*command, "benchmarks.editor", *sys.argv[1:]]))
    if "--stroke-latency" in sys.argv:
        print(json.dumps({"machine": machine(), "stroke_latency": stroke_latency()}, indent=2))
        return
    if "--idle-cpu" in sys.argv:
        print(json.dumps({"machine": machine(), "idle_cpu": idle_cpu()}, indent=2))
        return
    starts = first_frame()
    result = {
        "machine": machine(),
        "idle_cpu": idle_cpu(),
        "frame_ms": frame_times(),
        "stroke_latency": stroke_latency(),
        "first_frame_s": {"runs": starts, "warm_median": statistics.median(starts[1:])},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
