"""Helpers shared by the benchmark scripts (``run_node`` is the tests', in tests/helpers.py)."""

from __future__ import annotations

import platform
import resource
import sys
from pathlib import Path
from typing import Any

IMAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "images"


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu_count": os.cpu_count(),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
