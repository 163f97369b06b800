"""Batch sweeps, writing: where an item's files are staged while it renders (a hidden folder
beside the outputs, on their file system, so a killed batch leaves nothing in the system's
temp folder), clearing what a killed batch left there, and putting each rendered file in
place whole (temp file, fsync, rename)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from stylegraph.graph.atomic import atomic_write_bytes, done_partial, new_temp_dir
from stylegraph.jobs.items import PreparedItem

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so stale folders are left alone
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".stylegraph-batch-"


class Staging:
    """A private folder a renderer's engine writes into, locked for as long as it is open:
    the lock dies with its process, even under ``kill -9``, so the next batch can tell a
    folder left behind from one a batch running beside it still uses."""

    def __init__(self, parent: Path | None = None) -> None:
        """``parent``: the output folder (None: the system temp folder, for Ray workers,
        whose results travel back as bytes)."""
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self.path = new_temp_dir(parent, STAGING_PREFIX)
        self._fd: int | None = os.open(self.path, os.O_RDONLY)
        if fcntl is not None:
            with contextlib.suppress(OSError):  # a file system without locks: never cleared
                fcntl.flock(self._fd, fcntl.LOCK_EX)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        done_partial(self.path)
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def clear_stale(out_dir: Path, prepared: list[PreparedItem]) -> list[Path]:
    """Remove what a killed batch left under ``out_dir``: staging folders no live batch
    holds, and the hidden temp files of half-written outputs (never under final names).
    Returns what was removed."""
    removed = []
    for folder in out_dir.glob(f"{STAGING_PREFIX}*"):
        if folder.is_dir() and _unheld(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    for entry in prepared:
        for relative in entry.outputs:
            target = out_dir / relative
            for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
                stale.unlink(missing_ok=True)
                removed.append(stale)
    return removed


def _unheld(folder: Path) -> bool:
    """True when no process holds ``folder``'s lock (its batch died)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def write_files(files: Mapping[str, bytes], out_dir: Path) -> list[Path]:
    """Each file (by its path relative to ``out_dir``) written whole under its final name:
    temp file, fsync, rename."""
    written = []
    for relative, data in files.items():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
        written.append(target)
    return written
