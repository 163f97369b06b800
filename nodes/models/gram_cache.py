"""Paintings' Gram matrices kept on disk, so that an overnight sweep killed and resumed (or
run again on another photo at the same size) reads each painting's Grams instead of
computing them again.

One safetensors file per painting as the network sees it: named by the digest of the
painting's pixels (after scaling and recolouring, so the render's size is in the key), the
layers, the network, the device and the arithmetic of the pass (a bfloat16 render's Grams
come from a bfloat16 pass, as its iterations' do). The sha256 of the Grams' bytes is kept
in the file's metadata and checked on every read, with every value finite and each Gram
C x C for its layer; an entry that fails is refused with one warning naming the file,
and the Grams are computed again and rewritten. Data only: safetensors, never pickle. The
cache only saves time: a folder that cannot be written is skipped. Past ``MAX_BYTES`` the
least recently used entries are removed.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import torch

from stylegraph.graph.atomic import atomic_write_bytes
from stylegraph.nodes.models.converted import cache_subdir
from stylegraph.nodes.models.gatys import GramCache
from stylegraph.nodes.models.vgg import VGGFeatures

MAX_BYTES = 1 << 30  # about 200 paintings at two sizes (2.4 MB per painting and size)
SUFFIX = ".safetensors"
FORMAT = "stylegraph.grams/1"

# What this process did, for a batch's summary and the tests: "computed", "read", "refused".
COUNTS: Counter = Counter()


class GramCacheWarning(UserWarning):
    """A damaged entry of the Gram cache was refused and computed again."""


# Where a refused entry is reported while a node renders: the node's ``ctx.warn``, so that
# the CLI and the editor show it with the run's other warnings (a context variable: each
# thread has its own). Elsewhere it is a ``GramCacheWarning``.
_relay: ContextVar[Callable[[str], None] | None] = ContextVar("gram_cache_warnings", default=None)


@contextmanager
def warnings_to(warn: Callable[[str], None]) -> Iterator[None]:
    """Send what the Gram cache refuses inside the block to ``warn``."""
    token = _relay.set(warn)
    try:
        yield
    finally:
        _relay.reset(token)


def gram_cache_dir() -> Path:
    """Where the paintings' Grams are kept: ``grams`` in the cache folder
    (``~/.cache/stylegraph/grams`` on Linux, ``$STYLEGRAPH_CACHE_DIR/grams`` if set)."""
    return cache_subdir("grams")


def network_id(choice: str, pooling: str) -> str:
    """The network a Gram was computed on: the named network, or a weights file by its
    size and modification time (hashing half a gigabyte per sweep would cost more than
    the Grams it saves)."""
    path = Path(choice)
    if choice and path.is_file():
        stat = path.stat()
        choice = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    return f"{choice or 'original'}|{pooling}"


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    sha = hashlib.sha256()
    for name in sorted(tensors):
        sha.update(name.encode())
        sha.update(tensors[name].contiguous().numpy().tobytes())
    return sha.hexdigest()


class DiskGramCache(GramCache):
    """``GramCache`` (in memory) in front of a folder of Gram files shared by processes."""

    def __init__(
        self,
        network: str,
        folder: Path | None = None,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        """``folder``: None, ``gram_cache_dir()`` as it is when a Gram is looked up."""
        super().__init__()
        self.network = network
        self._folder = folder
        self.max_disk_bytes = max_bytes

    @property
    def folder(self) -> Path:
        return self._folder or gram_cache_dir()

    def path_for(self, key: tuple) -> Path:
        kind, digest, shape, layers, device = key
        name = repr((kind, digest.hex(), tuple(shape), layers, device, self.network))
        return self.folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + SUFFIX)

    def compute(
        self,
        vgg: VGGFeatures,
        pixels: np.ndarray,
        layers: set[str],
        device: torch.device,
        key: tuple,
        precision: str = "float32",
    ) -> dict[str, torch.Tensor]:
        path = self.path_for(key)
        found = self._read(path, layers)
        if found is not None:
            COUNTS["read"] += 1
            return {name: g.to(device) for name, g in found.items()}
        grams = super().compute(vgg, pixels, layers, device, key, precision)
        COUNTS["computed"] += 1
        self._write(path, grams)
        return grams

    def _read(self, path: Path, layers: set[str]) -> dict[str, torch.Tensor] | None:
        from safetensors import SafetensorError, safe_open
        from safetensors.torch import load_file

        if not path.is_file():
            return None
        try:
            with safe_open(str(path), "pt") as opened:
                metadata = opened.metadata() or {}
            tensors = load_file(str(path))
            problem = _problem(tensors, metadata, layers)
        except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
            problem = f"it cannot be read ({exc})"
        if problem is None:
            os.utime(path)  # recently used: the last to be removed past the size limit
            return tensors
        COUNTS["refused"] += 1
        self._warn(f"Gram cache entry {path} was refused: {problem}; computed again")
        path.unlink(missing_ok=True)
        return None

    def _write(self, path: Path, grams: dict[str, torch.Tensor]) -> None:
        from safetensors.torch import save

        tensors = {
            name: g.detach().to("cpu", torch.float32).contiguous() for name, g in grams.items()
        }
        metadata = {"format": FORMAT, "sha256": _digest(tensors), "network": self.network}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, save(tensors, metadata), private=True)
        except OSError:
            return  # the cache only saves time
        self._trim()

    def _trim(self) -> None:
        entries = sorted(
            (p.stat().st_mtime_ns, p.stat().st_size, p) for p in self.folder.glob(f"*{SUFFIX}")
        )
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries[:-1]:
            if total <= self.max_disk_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size

    def _warn(self, message: str) -> None:
        warn = _relay.get()
        if warn is not None:
            warn(message)
        else:
            warnings.warn(message, GramCacheWarning, stacklevel=3)


def _problem(tensors: dict[str, torch.Tensor], metadata: dict, layers: set[str]) -> str | None:
    """Why a read entry cannot be used, or None."""
    if metadata.get("format") != FORMAT:
        return "it is not a Gram cache entry"
    if set(tensors) != set(layers):
        return f"it holds layers {sorted(tensors)}, not {sorted(layers)}"
    for name, gram in tensors.items():
        if gram.dim() != 2 or gram.shape[0] != gram.shape[1] or gram.dtype != torch.float32:
            return f"its {name} is not a square float32 Gram"
        if not torch.isfinite(gram).all():
            return f"its {name} holds a NaN or an infinity"
    if _digest(tensors) != metadata.get("sha256"):
        return "its bytes differ from the sha256 written with it (damaged on disk)"
    return None
