"""Where torch work runs: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys

import torch

DEVICES = ("auto", "cuda", "mps", "cpu")


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


def enable_fast_math() -> None:
    """Call in the thread that runs the model, before it runs.

    - Denormal floats flushed to zero: a real painting's style vector drives some of the fast
      transformer's features into the denormal range, where every CPU operation on them is
      many times slower (a 384 px render took 54 ms instead of 36 ms). The flag belongs to the
      calling thread, so it is set on every call rather than once.
    - TF32 matmuls and convolutions on Ampere and newer (about 2x, visually identical).
    - On Linux a malloc that keeps freed memory: without it every large activation tensor is
      a fresh mmap, and a Real-ESRGAN pass on the CPU spent a third of its time in page
      faults."""
    torch.set_flush_denormal(True)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    _keep_freed_memory()


@functools.cache
def _keep_freed_memory() -> None:
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: no mmap below 1 GiB
        libc.mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD: do not hand memory back
    except (OSError, AttributeError):
        return


def available_memory() -> int:
    """Bytes of RAM free for use now (Linux and macOS), or 8 GiB if it cannot be told."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def image_to_tensor(image, device: torch.device) -> torch.Tensor:
    """H x W x 3 float32 numpy (0..1) -> 1 x 3 x H x W tensor on ``device``."""
    return torch.from_numpy(image[..., :3].copy()).permute(2, 0, 1)[None].to(device)
