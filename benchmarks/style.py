"""Style transfer speed. Prints JSON naming the device.

CPU: the fast engine at 512 and 1024 px, and a short Gatys run for its per-iteration cost.
CUDA (when present): fast engine at 1024 px (target < 20 ms), 100 styles x 1 content at
512 px (target < 10 s in total), Gatys 500 iterations at 512 px (target < 5 s) and the
peak GPU memory of a 2048 px multi-scale Gatys render. Gatys timings use a randomly
initialised VGG-19 when the ImageNet weights are not on the machine: the arithmetic, and so
the time, is the same.
Run: python -m benchmarks.style
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
import torch

from benchmarks.common import IMAGES, machine, peak_rss_mb
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from stylegraph.nodes.models import fast_style, vgg
from stylegraph.nodes.models.device import enable_fast_math, pick_device
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


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
