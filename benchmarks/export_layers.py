"""Seconds and bytes to write a three-layer stack (two masks) as PSD and OpenRaster, 8 and
16 bits, at 2048 px. Prints JSON. Runs are interleaved and the median of three is kept,
since the development machine is shared.

Run: python -m benchmarks.export_layers
"""

from __future__ import annotations

import io
import json
import statistics
import time

import numpy as np

from benchmarks.common import IMAGES, machine, peak_rss_mb
from stylegraph.graph.layers import Layer
from stylegraph.nodes.functional.blend import composite
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.ora import write_ora
from stylegraph.nodes.functional.psd import write_psd
from stylegraph.nodes.functional.resize import resize

WIDTH, HEIGHT = 2048, 1365
REPEATS = 3


def main() -> None:
    photo = resize(read_image(IMAGES / "content" / "tubingen.jpg"), HEIGHT, WIDTH, "area")
    style = resize(read_image(IMAGES / "styles" / "starry_night.jpg"), HEIGHT, WIDTH, "area")
    mask = np.ascontiguousarray(photo[..., 1])
    layers = [
        Layer("photo", photo),
        Layer("render", style, "multiply", 0.8, True, mask),
        Layer("edges", photo[::-1].copy(), "soft-light", 0.5, True, 1.0 - mask),
    ]
    merged = photo
    for layer in layers[1:]:
        merged = composite(merged, layer.pixels, layer.mode, layer.opacity, layer.mask)
    cases = {
        f"{name}_{bits}bit": (writer, bits)
        for name, writer in (("psd", write_psd), ("ora", write_ora))
        for bits in (8, 16)
    }
    seconds: dict[str, list[float]] = {case: [] for case in cases}
    sizes: dict[str, int] = {}
    for _ in range(REPEATS):
        for case, (writer, bits) in cases.items():
            buffer = io.BytesIO()
            started = time.perf_counter()
            writer(buffer, layers, merged, bits)
            seconds[case].append(time.perf_counter() - started)
            sizes[case] = buffer.tell()
    print(
        json.dumps(
            {
                "machine": machine(),
                "size": [WIDTH, HEIGHT],
                "layers": len(layers),
                "seconds_median": {c: round(statistics.median(s), 3) for c, s in seconds.items()},
                "megabytes": {c: round(n / 1e6, 1) for c, n in sizes.items()},
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
