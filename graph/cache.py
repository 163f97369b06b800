"""Result caches: an in-memory LRU bounded by bytes, and an on-disk cache for expensive nodes.

The disk cache stores each entry as one ``.npz`` file (arrays) with a JSON manifest inside:
no pickle is ever written or read, so a cache folder from anywhere is only data.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> Outputs | None:
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data[_META]).decode("utf-8"))
                outputs = {
                    port: (data[f"a_{port}"] if spec["kind"] == "array" else spec["value"])
                    for port, spec in meta["ports"].items()
                }
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None
        os.utime(path)
        return outputs

    def put(self, key: str, outputs: Outputs) -> None:
        ports: dict[str, dict[str, Any]] = {}
        arrays: dict[str, np.ndarray] = {}
        for port, value in outputs.items():
            if isinstance(value, np.ndarray):
                ports[port] = {"kind": "array"}
                arrays[f"a_{port}"] = value
            else:
                ports[port] = {"kind": "value", "value": value}
        manifest = json.dumps({"ports": ports}).encode("utf-8")
        arrays[_META] = np.frombuffer(manifest, dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(buffer.getbuffer())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._evict()

    def _entries(self) -> list[tuple[Path, os.stat_result]]:
        if not self.root.exists():
            return []
        return [(p, p.stat()) for p in self.root.glob("*/*.npz")]

    def _evict(self) -> None:
        entries = sorted(self._entries(), key=lambda e: e[1].st_mtime)
        total = sum(stat.st_size for _, stat in entries)
        for path, stat in entries:
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= stat.st_size

    def info(self) -> DiskCacheInfo:
        entries = self._entries()
        return DiskCacheInfo(
            str(self.root), len(entries), sum(s.st_size for _, s in entries), self.max_bytes
        )

    def clear(self) -> int:
        """Remove every entry; returns how many were removed."""
        entries = self._entries()
        for path, _ in entries:
            path.unlink(missing_ok=True)
        return len(entries)


def default_cache_dir() -> Path:
    """``$STYLEGRAPH_CACHE_DIR`` if set, else the platform's user cache folder."""
    override = os.environ.get("STYLEGRAPH_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("stylegraph")) / "results"
