"""Batch sweeps, the time left: each item's work in pixel-iterations of its Gatys renders
(items of another kind count one each), and the estimate a sweep's progress line shows,
from the seconds the items rendered so far took per unit of work. Items skipped as done
earlier neither speed the estimate up nor count as work left."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from stylegraph.graph.preset import Preset

GATYS_NODES = ("style.transfer", "style.sweep")


def _aspect(preset: Preset) -> float:
    """The shorter side over the longer of the preset's photo (its first loaded image), read
    from the file's header; 1 when there is none or it cannot be read."""
    from PIL import Image

    for node in preset.graph.nodes():
        path = node.params.get("path") if node.type_id == "image.load" else None
        if not path:
            continue
        file = Path(path)
        if not file.is_absolute() and preset.base_dir is not None:
            file = Path(preset.base_dir) / file
        try:
            with Image.open(file) as image:
                width, height = image.size
        except (OSError, ValueError):
            return 1.0
        return min(width, height) / max(width, height, 1)
    return 1.0


def _gatys_work(params: Mapping, aspect: float, default_side: int) -> float:
    from stylegraph.nodes.neural._shared import fitted_scales

    scales, counts, _ = fitted_scales(params)
    scales = scales or [params["output_size"] or default_side]
    if not counts:
        counts = [params["iterations"]] + [params["refine_iterations"]] * (len(scales) - 1)
    return sum(side * side * aspect * n for side, n in zip(scales, counts, strict=False))


def item_work(preset: Preset) -> float:
    """Pixel-iterations of the item's Gatys renders (each scale's area times its iterations,
    times the paintings of a sweep node), else 1."""
    aspect = _aspect(preset)
    work = 0.0
    for node in preset.graph.nodes():
        params = node.params
        if node.type_id not in GATYS_NODES or params.get("engine") != "gatys":
            continue
        renders = (
            max(1, len(params.get("style_files") or [])) if node.type_id == "style.sweep" else 1
        )
        work += renders * _gatys_work(params, aspect, 1024)
    return work or 1.0


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 05 min``."""
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class TimeLeft:
    """The estimate: rendered items' seconds per unit of work, times the work left."""

    def __init__(self, work: Mapping[str, float]) -> None:
        self.work = dict(work)
        self.left = set(work)
        self.seconds = 0.0
        self.rendered_work = 0.0
        self.rendered = 0

    def finished(self, name: str, seconds: float, rendered: bool) -> None:
        """``rendered``: the item ran now (done or failed after running), not skipped."""
        self.left.discard(name)
        if rendered and seconds > 0:
            self.seconds += seconds
            self.rendered_work += self.work.get(name, 1.0)
            self.rendered += 1

    def seconds_left(self) -> float | None:
        if not self.rendered_work:
            return None
        rate = self.seconds / self.rendered_work
        return rate * sum(self.work.get(name, 1.0) for name in self.left)

    def text(self) -> str:
        left = self.seconds_left()
        if left is None:
            return "time left: known after the first render"
        if not self.left:
            return "nothing left"
        each = self.seconds / self.rendered
        return f"about {duration(left)} left ({duration(each)} a render so far)"
