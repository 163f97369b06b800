"""Where torch work runs: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Iterator

import torch

from stylegraph.nodes.models.heap import M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, libc


@contextlib.contextmanager
def denormals_flushed() -> Iterator[None]:
    """Denormal floats flushed to zero while a model runs in this thread: a real painting's
    style vector drives some of the fast transformer's features into the denormal range,
    where every CPU operation on them is many times slower (a 384 px render took 54 ms
    instead of 36 ms). The flag is the thread's processor state, so it is set around the
    run and cleared after, leaving other code's arithmetic as IEEE-754 has it."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def pick_device(preference: str = "auto") -> torch.device:
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was asked for but no CUDA device is available")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("MPS was asked for but is not available on this machine")
    return torch.device(preference)


# bfloat16 is taken on a CPU where the probe convolution runs at least this much faster in
# it than in float32. Seen: 0.7x (Intel, AVX-512 BF16 without AMX: it only converts), 1.9-2.1x
# (AMD EPYC, AVX-512 BF16), about 3x (Intel with AMX).
BFLOAT16_SPEEDUP = 1.25


def _convolution_seconds(dtype: torch.dtype) -> float:
    """Best of three runs of one 3 x 3 convolution of VGG-19's conv3 size at 256 px (128
    channels on 64 x 64, channels-last as the models run), after one run that lets oneDNN
    build its kernel: about 5 ms in float32 on two cores."""
    x = torch.rand(1, 128, 64, 64).to(dtype=dtype, memory_format=torch.channels_last)
    w = torch.rand(128, 128, 3, 3).to(dtype=dtype, memory_format=torch.channels_last)
    times = []
    with torch.no_grad():
        for _ in range(4):
            start = time.perf_counter()
            torch.nn.functional.conv2d(x, w, padding=1)
            times.append(time.perf_counter() - start)
    return min(times[1:])


@functools.cache
def cpu_bfloat16_speedup() -> float:
    """float32's time over bfloat16's for the probe convolution on this CPU, measured once
    a process (0.0 where oneDNN has no bfloat16 kernels and would emulate it). Measured
    rather than read from the CPU's flags: AVX-512 BF16 is fast on one maker's CPUs and
    only converts on another's, and AMX is not the only way to a fast one."""
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return 0.0
    return _convolution_seconds(torch.float32) / _convolution_seconds(torch.bfloat16)


def bfloat16_is_fast(device: torch.device) -> bool:
    """Whether convolutions run faster in bfloat16 than in float32 here: on CUDA GPUs that
    support it, and on CPUs where the probe says so (``cpu_bfloat16_speedup``). A Deep
    Style render at 512 px took 38 s in bfloat16 against 66 s in float32 on an AMD EPYC;
    on an Intel CPU with AVX-512 BF16 but no AMX a VGG-19 pass and its backward at 512 x
    384 took 1.8 s in bfloat16 against 1.25 s in float32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_bfloat16_speedup() >= BFLOAT16_SPEEDUP
    return False


def enable_fast_math() -> None:
    """Call before a model runs.

    - TF32 matmuls and convolutions on Ampere and newer (about 2x, visually identical).
    - On Linux a malloc that keeps freed memory: without it every large activation tensor is
      a fresh mmap, and a Real-ESRGAN pass on the CPU spent a third of its time in page
      faults."""
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    _keep_freed_memory()


_KEPT_BLOCKS = 1 << 30  # heap blocks up to this size are kept for reuse once freed
_GLIBC_DEFAULT_MMAP_THRESHOLD = 128 << 10


@functools.cache
def _keep_freed_memory() -> None:
    lib = libc()
    if lib is not None:
        lib.mallopt(M_MMAP_THRESHOLD, _KEPT_BLOCKS)
        lib.mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1)


def release_free_memory() -> None:
    """Hands the free pages inside the heap back to the system (Linux glibc)."""
    lib = libc()
    if lib is not None:
        lib.malloc_trim(0)


class _LargeBlocks:
    """How many ``large_blocks_returned`` are open: malloc's setting is one per process,
    and renders may nest them (a large stylize around its tiled pass) or overlap them
    (batch jobs in threads); the setting goes back when the last one closes."""

    lock = threading.Lock()
    open = 0


@contextlib.contextmanager
def large_blocks_returned(limit: int = 32 << 20) -> Iterator[None]:
    """Inside, blocks of ``limit`` bytes and more are mapped on their own and go back to
    the system when freed, and closing hands back the heap's free pages.

    For pictures too big for memory in one piece: their steps allocate and free large
    arrays of many sizes around long-lived ones, which the kept heap of
    ``enable_fast_math`` cannot reuse; an 8192 px render held 1-2 GB more than it used.
    Costs page faults on each large block, so only there."""
    lib = libc()
    if lib is None:
        yield
        return
    with _LargeBlocks.lock:
        _LargeBlocks.open += 1
        lib.mallopt(M_MMAP_THRESHOLD, limit)
    try:
        yield
    finally:
        with _LargeBlocks.lock:
            _LargeBlocks.open -= 1
            if _LargeBlocks.open == 0:
                kept = _keep_freed_memory.cache_info().currsize > 0
                threshold = _KEPT_BLOCKS if kept else _GLIBC_DEFAULT_MMAP_THRESHOLD
                lib.mallopt(M_MMAP_THRESHOLD, threshold)
            lib.malloc_trim(0)


def available_memory() -> int:
    """Bytes of RAM free for use now (Linux and macOS), or 8 GiB if it cannot be told."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def image_to_tensor(image, device: torch.device) -> torch.Tensor:
    """H x W x 3 float32 numpy (0..1) -> 1 x 3 x H x W tensor on ``device``."""
    return torch.from_numpy(image[..., :3].copy()).permute(2, 0, 1)[None].to(device)
