"""Style transfer speed. Prints JSON naming the device.

CPU: the fast engine at 512 and 1024 px, and a short Gatys run for its per-iteration cost.
CUDA (when present): fast engine at 1024 px (target < 20 ms), 100 styles x 1 content at
512 px (target < 10 s in total), Gatys 500 iterations at 512 px (target < 5 s) and the
peak GPU memory of a 2048 px multi-scale Gatys render. Gatys timings use a randomly
initialised VGG-19 when the ImageNet weights are not on the machine: the arithmetic, and so
the time, is the same.
Run: python -m benchmarks.style
     python -m benchmarks.style sizes [1024 2048 ...]  (time, peak RSS: fresh process each)
     python -m benchmarks.style tiles  (automatic tiles vs one whole-image pass)
     python -m benchmarks.style onnx  (side by side with onnxruntime, 2 threads)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

from benchmarks.common import IMAGES, machine, peak_rss_mb
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from stylegraph.nodes.models import fast_style, vgg
from stylegraph.nodes.models.device import denormals_flushed, enable_fast_math, pick_device
from stylegraph.nodes.models.gatys import GatysSettings, StyleSet, gatys


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn, device, repeats: int = 5) -> float:
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _vgg_net(device: torch.device):
    try:
        return vgg.load_vgg19("", str(device)), "imagenet"
    except vgg.VGGWeightsMissing:
        from torchvision.models import vgg19

        path = vgg.hub_path().with_name("random-vgg19-for-benchmark.pth")
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(vgg19(weights=None).state_dict(), path)
        return vgg.load_vgg19(str(path), str(device)), "random (timing only)"


def main() -> None:
    device = pick_device("auto")
    enable_fast_math()
    photo = read_image(IMAGES / "content" / "tubingen.jpg")
    styles = [
        read_image(p) for p in sorted((IMAGES / "styles").iterdir()) if p.suffix in (".jpg", ".png")
    ]
    vector = fast_style.style_vectors(styles[:1], 256, device)
    result: dict = {
        "benchmark": "style",
        "device": torch.cuda.get_device_name() if device.type == "cuda" else str(device),
        "machine": machine(),
        "torch": torch.__version__,
    }
    for side in (512, 1024):
        content = resize(photo, *fit_longest_side(*photo.shape[:2], side))
        seconds = _timed(lambda c=content: fast_style.render(c, vector, device), device)
        result[f"fast_{side}px_ms"] = round(seconds * 1000, 1)
    start = time.perf_counter()
    fast_style.style_vectors(styles, 256, device)
    result["style_vector_ms_per_style"] = round(
        (time.perf_counter() - start) * 1000 / len(styles), 1
    )

    net, weights = _vgg_net(device)
    result["gatys_vgg_weights"] = weights
    if device.type == "cuda":
        content = resize(photo, *fit_longest_side(*photo.shape[:2], 512))
        hundred = [styles[i % len(styles)] for i in range(100)]
        start = time.perf_counter()
        for begin in range(0, 100, 25):
            vectors = fast_style.style_vectors(hundred[begin : begin + 25], 256, device)
            fast_style.render(content, vectors, device)
        _sync(device)
        result["fast_100_styles_512px_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        gatys(content, [StyleSet(styles[:1])], net, GatysSettings(iterations=500), 0, device)
        _sync(device)
        result["gatys_500_iterations_512px_s"] = round(time.perf_counter() - start, 2)
        torch.cuda.reset_peak_memory_stats()
        big = resize(photo, *fit_longest_side(*photo.shape[:2], 2048))
        start = time.perf_counter()
        gatys(
            big,
            [StyleSet(styles[:1])],
            net,
            GatysSettings(iterations=100, refine_iterations=50, scales=(512, 1024, 2048)),
            0,
            device,
        )
        _sync(device)
        result["gatys_2048px_multiscale_s"] = round(time.perf_counter() - start, 2)
        result["gatys_2048px_multiscale_peak_gpu_mb"] = round(
            torch.cuda.max_memory_allocated() / 2**20
        )
        result["targets"] = {
            "fast_1024px_ms": 20,
            "fast_100_styles_512px_s": 10,
            "gatys_500_iterations_512px_s": 5,
        }
    else:
        content = resize(photo, *fit_longest_side(*photo.shape[:2], 256))
        start = time.perf_counter()
        gatys(content, [StyleSet(styles[:1])], net, GatysSettings(iterations=20), 0, device)
        result["gatys_256px_seconds_per_iteration"] = round((time.perf_counter() - start) / 20, 3)
    result["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(result, indent=2))


def one_size(side: int) -> dict:
    """One ``style.transfer`` run with default params (as ``quick-stylize`` at ``side``)."""
    from benchmarks.common import run_node
    from stylegraph.nodes import default_registry

    photo = read_image(IMAGES / "content" / "tubingen.jpg")
    start = time.perf_counter()
    out, _ = run_node(
        default_registry(),
        "style.transfer",
        {"content": photo},
        {"style_files": [str(IMAGES / "styles" / "starry_night.jpg")], "output_size": side},
    )
    return {
        "output_px": list(out["image"].shape[:2]),
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def sizes(sides: list[int]) -> dict:
    """Each size in a fresh process, so each peak RSS is that size's own."""
    rows = {}
    for side in sides:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.style", "size", str(side)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows[f"{side}px"] = json.loads(child.stdout)
    return {"benchmark": "style sizes", "machine": machine(), "sizes": rows}


def tiles_versus_whole(sides: tuple[int, ...] = (2048, 4096), runs: int = 3) -> dict:
    """Automatic tiles (the default 512 MiB budget) against one whole-image pass at the same
    size, interleaved in one process: median seconds, their ratio, and the mean absolute
    difference of the two pictures."""
    cpu = torch.device("cpu")
    enable_fast_math()
    photo = read_image(IMAGES / "content" / "tubingen.jpg")
    vector = fast_style.style_vectors(
        [read_image(IMAGES / "styles" / "starry_night.jpg")], 256, cpu
    )
    result: dict = {"benchmark": "style tiles vs whole image", "runs": runs}
    for side in sides:
        content = resize(photo, *fit_longest_side(*photo.shape[:2], side))
        times: dict[str, list[float]] = {"whole_s": [], "tiled_s": []}
        pictures = {}
        for _ in range(runs):
            for name, budget in (("whole_s", 1 << 40), ("tiled_s", None)):
                start = time.perf_counter()
                pictures[name] = fast_style.render(content, vector, cpu, budget=budget)[0]
                times[name].append(time.perf_counter() - start)
        row = {k: round(statistics.median(v), 2) for k, v in times.items()}
        row["tiled_over_whole"] = round(row["tiled_s"] / row["whole_s"], 2)
        row["mean_abs_difference"] = float(np.abs(pictures["whole_s"] - pictures["tiled_s"]).mean())
        result[f"{side}px"] = row
    result["machine"] = machine()
    return result


def _time_once(fn, runs: list[float]) -> None:
    start = time.perf_counter()
    fn()
    runs.append((time.perf_counter() - start) * 1000)


def versus_onnxruntime(runs: int = 61, threads: int = 2) -> dict:
    """The shipped ONNX graphs in onnxruntime against the torch port, same inputs, same
    process, interleaved run by run, both at ``threads`` threads; medians in ms."""
    import onnxruntime as ort

    from stylegraph.nodes.models import magenta

    torch.set_num_threads(threads)
    enable_fast_math()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Idle onnxruntime workers otherwise spin for a while after each run and take the
    # cores from the torch run that follows.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    folder = magenta.model_dir()
    predict = ort.InferenceSession(str(folder / "arbitrary_predict.onnx"), options)
    transform = ort.InferenceSession(str(folder / "arbitrary_transform.onnx"), options)
    photo = read_image(IMAGES / "content" / "tubingen.jpg")
    content = resize(photo, 384, 384)
    style = resize(read_image(IMAGES / "styles" / "starry_night.jpg"), 256, 256)
    cpu = torch.device("cpu")
    vector = predict.run(None, {"style_image": style[None]})[0]
    predictor = magenta.load_predictor("cpu")
    style_t = torch.from_numpy(style).permute(2, 0, 1)[None]
    vector_t = torch.from_numpy(vector).reshape(1, -1)
    cases = {
        "arbitrary_transformer_384px": (
            lambda: transform.run(
                None, {"content_image": content[None], "mobilenet_conv/Conv/BiasAdd": vector}
            ),
            lambda: fast_style.render(content, vector_t, cpu),
        ),
        "style_predictor_256px": (
            lambda: predict.run(None, {"style_image": style[None]}),
            lambda: predictor(style_t),
        ),
    }
    result: dict = {"benchmark": "style vs onnxruntime", "threads": threads, "runs": runs}
    with torch.inference_mode():
        for name, (theirs, ours) in cases.items():
            theirs(), ours()
            times: dict[str, list[float]] = {"onnxruntime_ms": [], "torch_ms": []}
            for _ in range(runs):
                _time_once(theirs, times["onnxruntime_ms"])
                _time_once(ours, times["torch_ms"])
            row = {k: round(statistics.median(v), 1) for k, v in times.items()}
            row["torch_over_onnxruntime"] = round(row["torch_ms"] / row["onnxruntime_ms"], 2)
            result[name] = row
    result["machine"] = machine()
    return result


if __name__ == "__main__":
    np.seterr(all="ignore")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    commands = {
        "size": lambda: one_size(int(sys.argv[2])),
        "sizes": lambda: sizes([int(a) for a in sys.argv[2:]] or [1024, 2048, 4096, 8192]),
        "tiles": tiles_versus_whole,
        "onnx": versus_onnxruntime,
    }
    # the engines' calls, as the nodes make them (nodes run with denormals flushed)
    with denormals_flushed():
        if command in commands:
            print(json.dumps(commands[command](), indent=None if command == "size" else 2))
        else:
            main()
