"""glibc malloc's settings for a process that runs models: no torch here, so a front end can
call ``share_main_heap`` first thing, before it starts any thread, at no import cost.

Why: glibc gives every thread that allocates its own arena, and an arena other than the
main one grows in heaps of at most 64 MB, so each block bigger than that which such a
thread asks for is mapped on its own and unmapped when freed, whatever ``M_MMAP_THRESHOLD``
says. The command line runs its work on a worker thread (``jobs.interrupt``), so every
large activation of a render was fresh pages from the kernel: the ``deep-style`` preset to
2048 px spent 640 s of 26 minutes in the kernel, 150 million page faults. With one arena
the worker's blocks come from the main heap, which keeps and reuses them."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # mallopt parameters (glibc)


@functools.cache
def libc():
    """glibc with ``mallopt`` and ``malloc_trim``, or None elsewhere (macOS, musl, Windows)."""
    if sys.platform != "linux":
        return None
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else None


def share_main_heap() -> bool:
    """Every thread allocates from the main heap from now on: call before starting threads
    (a thread keeps the arena it first allocated from). Threads then share one lock for
    malloc, which costs nothing noticeable when the big work is torch's few large blocks.
    Returns whether the setting took (False without glibc)."""
    lib = libc()
    return lib is not None and lib.mallopt(M_ARENA_MAX, 1) == 1
