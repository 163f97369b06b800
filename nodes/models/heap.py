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
import os
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


def huge_pages_for_tensors() -> bool:
    """torch's CPU allocator puts each tensor of 2 MB and more in transparent huge pages
    (its ``THP_MEM_ALLOC_ENABLE``), where the kernel gives them on request (Linux's usual
    'madvise' setting). Call before torch allocates anything: it reads the setting once. A
    value the user set is left as it is. Returns whether huge pages were asked for.

    Why: print-size renders free memory back to the system between bands and passes (see
    ``banded_pass``) to stay within their memory bound, and touch it again in the next, a
    page fault per 4 KB page. On a virtual machine each fault is dear: at 1024 px one
    float32 iteration of the ``deep-style`` preset took 6.2 s, 3.5 s of it in the kernel
    (0.54 M faults); in huge pages 5.5 s, 1.8 s in the kernel (18 K faults)."""
    if sys.platform != "linux":
        return False
    return os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1") == "1"
