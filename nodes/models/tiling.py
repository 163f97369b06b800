"""Overlapping tiles with feathered seams, for images too large to process whole."""

from __future__ import annotations

import torch


def feather(length: int, overlap: int, at_start: bool, at_end: bool) -> torch.Tensor:
    """Blend weights along one side of a tile: 1 inside, ramping over ``overlap`` px at ends
    that meet another tile, so overlapping tiles cross-fade."""
    ramp = torch.ones(length)
    overlap = min(overlap, length // 2)
    if overlap > 0:
        edge = torch.linspace(0.0, 1.0, overlap + 2)[1:-1]
        if not at_start:
            ramp[:overlap] = edge
        if not at_end:
            ramp[-overlap:] = edge.flip(0)
    return ramp


def feather_mask(
    y0: int, y1: int, x0: int, x1: int, height: int, width: int, overlap: int
) -> torch.Tensor:
    return (
        feather(y1 - y0, overlap, y0 == 0, y1 == height)[:, None]
        * feather(x1 - x0, overlap, x0 == 0, x1 == width)[None, :]
    )


def available_ram() -> int:
    """Bytes of RAM a new allocation can take now: psutil's figure, else /proc/meminfo's
    MemAvailable (which counts reclaimable page cache, unlike free pages), else 8 GiB."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


# Working memory a style render may take on the CPU when nothing says otherwise: a quarter of
# the free RAM, and never more than this, so that an 8192 px render stays near 3 GB in all.
CPU_BUDGET_CAP = 512 << 20


def memory_budget(device: torch.device) -> int:
    """Bytes of working memory one render may use on ``device``."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free // 2
    return min(available_ram() // 4, CPU_BUDGET_CAP)
