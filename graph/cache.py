"""Result caches: an in-memory LRU bounded by bytes, and an on-disk cache for expensive nodes.

The disk cache stores each entry as one ``.npz`` file (arrays) with a JSON manifest inside:
no pickle is ever written or read, so a cache folder from anywhere is only data.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import threading
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stylegraph.graph.atomic import atomic_write_bytes

Outputs = Mapping[str, Any]

_META = "__stylegraph_meta__"


def outputs_nbytes(outputs: Outputs) -> int:
    """Arrays and layer stacks by their size, anything else as a small constant."""
    return sum(getattr(v, "nbytes", 64) for v in outputs.values())


class MemoryCache:
    """Least-recently-used cache of node outputs, evicting once ``max_bytes`` is passed."""

    def __init__(self, max_bytes: int = 2 << 30) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Outputs, int]] = OrderedDict()
        self.nbytes = 0

    def get(self, key: str) -> Outputs | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: str, outputs: Outputs) -> None:
        size = outputs_nbytes(outputs)
        if size > self.max_bytes:
            return
        if key in self._entries:
            self.nbytes -= self._entries.pop(key)[1]
        self._entries[key] = (outputs, size)
        self.nbytes += size
        while self.nbytes > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.nbytes -= evicted

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self.nbytes = 0


@dataclass(frozen=True)
class DiskCacheInfo:
    path: str
    entries: int
    nbytes: int
    max_bytes: int


class DiskCache:
    """Persistent cache so that reopening a graph tomorrow does not redo a 5-minute render."""

    def __init__(self, root: Path, max_bytes: int = 10 << 30) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.warnings: list[str] = []
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> Outputs | None:
        """The entry for ``key``, or None. A damaged entry (cut short, empty, a flipped
        byte, a manifest that does not match its arrays, an array of the wrong shape or
        holding NaN or infinity, a folder in its place) is a miss: it is removed and the
        problem noted in ``warnings`` in a sentence naming it, so the node simply runs
        again."""
        path = self._path(key)
        try:
            if path.is_dir() and not path.is_symlink():
                self.discard(key, "a folder stands where the entry belongs")
                return None
            if not path.is_file():
                return None
        except OSError:
            return None
        try:
            outputs = _read_entry(path)
        except Exception as exc:  # any damage at all: a cache may never fail a run
            self.discard(key, _reason(exc))
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return outputs

    def discard(self, key: str, why: str) -> None:
        """Remove a damaged entry (or whatever stands in its place) and say so once."""
        path = self._path(key)
        with contextlib.suppress(OSError):
            _remove(path)
        self._warn(f"removed a damaged cache entry ({why}): {path}; its node runs again")

    def put(self, key: str, outputs: Outputs) -> None:
        """Store ``outputs``; a cache that cannot be written (read-only, full, a file in
        the way) is noted in ``warnings`` and the run goes on without it."""
        ports: dict[str, dict[str, Any]] = {}
        arrays: dict[str, np.ndarray] = {}
        for port, value in outputs.items():
            if isinstance(value, np.ndarray):
                ports[port] = {
                    "kind": "array",
                    "shape": list(value.shape),
                    "dtype": str(value.dtype),
                }
                arrays[f"a_{port}"] = value
            else:
                ports[port] = {"kind": "value", "value": value}
        manifest = json.dumps({"ports": ports}).encode("utf-8")
        arrays[_META] = np.frombuffer(manifest, dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, buffer.getvalue(), private=True)
            self._evict()
        except OSError as exc:
            self._warn(f"results were not cached: {_reason(exc)} ({self.root})")

    def _warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def take_warnings(self) -> list[str]:
        """What went wrong since the last call (the engine asks once per run)."""
        with self._lock:
            taken, self.warnings = self.warnings, []
        return taken

    def _entries(self) -> list[tuple[Path, os.stat_result]]:
        if not self.root.is_dir():
            return []
        entries = []
        for path in self.root.glob("*/*.npz"):
            try:
                entries.append((path, path.stat()))
            except OSError:  # removed meanwhile by another run
                continue
        return entries

    def _evict(self) -> None:
        entries = sorted(self._entries(), key=lambda e: e[1].st_mtime)
        total = sum(stat.st_size for _, stat in entries)
        for path, stat in entries:
            if total <= self.max_bytes:
                break
            _remove(path)
            total -= stat.st_size

    def info(self) -> DiskCacheInfo:
        entries = self._entries()
        return DiskCacheInfo(
            str(self.root), len(entries), sum(s.st_size for _, s in entries), self.max_bytes
        )

    def clear(self) -> int:
        """Remove every entry, and anything else that stands where an entry belongs (a
        folder); returns how many were removed."""
        entries = self._entries()
        for path, _ in entries:
            _remove(path)
        return len(entries)


class _Damaged(ValueError):
    """Damage found by the checks below; its message is ours, a phrase for a user."""


def _read_entry(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data[_META]).decode("utf-8"))
        ports = meta["ports"]
        if not isinstance(ports, dict):
            raise _Damaged("its manifest has no ports")
        outputs = {}
        for port, spec in ports.items():
            if spec["kind"] == "array":
                outputs[port] = _checked_array(data[f"a_{port}"], spec, port)
            elif spec["kind"] == "value":
                outputs[port] = spec["value"]
            else:
                raise _Damaged(f"its manifest has an unknown kind {spec['kind']!r}")
    return outputs


def _checked_array(array: np.ndarray, spec: dict[str, Any], port: str) -> np.ndarray:
    """The array as its manifest describes it (entries written before the manifest kept
    shapes are checked for finiteness only), with no NaN or infinity."""
    shape, dtype = spec.get("shape"), spec.get("dtype")
    if shape is not None and list(array.shape) != list(shape):
        raise _Damaged(f"output {port!r} is {tuple(array.shape)}, its manifest says {tuple(shape)}")
    if dtype is not None and str(array.dtype) != dtype:
        raise _Damaged(f"output {port!r} is {array.dtype}, its manifest says {dtype}")
    if array.size == 0:
        raise _Damaged(f"output {port!r} is empty")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise _Damaged(f"output {port!r} holds NaN or infinity")
    return array


def _remove(path: Path) -> None:
    """A file, or a folder with all it holds."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    """A short phrase for a user in our own words: never an exception class name, and
    never a library's advice (NumPy's suggests loading pickled data unsafely)."""
    if isinstance(exc, _Damaged):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, (zipfile.BadZipFile, EOFError, zlib.error)):
        return "it is cut short or damaged"
    if isinstance(exc, KeyError):
        return "a part of it is missing"
    if isinstance(exc, (UnicodeDecodeError, json.JSONDecodeError)):
        return "its manifest cannot be read"
    if "pickle" in str(exc).lower():
        return "it holds pickled data, which the cache never writes and never loads"
    return "it is not a cache entry stylegraph can read"


def default_cache_dir() -> Path:
    """``$STYLEGRAPH_CACHE_DIR`` if set, else the platform's user cache folder."""
    override = os.environ.get("STYLEGRAPH_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("stylegraph")) / "results"
