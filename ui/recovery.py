"""Recovery files: the open graph written aside while the user works, so a crash costs
at most the last few seconds.

Each editor session writes its own ``session-<pid>-<start>.json`` (a pid alone is reused,
in a container within minutes, and the new session then took the crashed one's file for
its own) and holds an advisory lock on ``<same>.lock`` while it runs. A file whose lock
nobody holds was left by a session that did not close, and is offered on the next start;
one whose lock is held belongs to an editor still running (in this or another process
namespace, where its pid means nothing here) and is never offered.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import IO

from stylegraph.graph.atomic import atomic_write_text
from stylegraph.graph.preset import Preset, PresetError, preset_from_dict, preset_to_dict
from stylegraph.graph.registry import Registry

FORMAT = "stylegraph.recovery"


def recovery_dir() -> Path:
    """``STYLEGRAPH_RECOVERY_DIR`` moves it (tests); else the user data folder."""
    override = os.environ.get("STYLEGRAPH_RECOVERY_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("stylegraph")) / "recovery"


def _locked_by_another(lock: Path) -> bool:
    """Whether a running session holds ``lock`` (False where locks are not available)."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        with lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Recovery:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else recovery_dir()
        self.file = self.folder / f"session-{os.getpid()}-{time.time_ns() // 1_000_000}.json"
        self._lock: IO[str] | None = None

    @property
    def log_file(self) -> Path:
        """Where a defect caught in this session is written in full (``ui.crash``)."""
        return self.file.with_suffix(".log")

    def _hold(self) -> None:
        """Lock this session's file while it runs: the lock goes with the process, so a
        crash leaves the file unlocked and offered, a running editor's file never."""
        if self._lock is not None:
            return
        try:
            import fcntl
        except ImportError:
            return
        handle = self.file.with_suffix(".lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return
        self._lock = handle

    def write(self, preset: Preset, path: Path | None) -> Path:
        record = {
            "format": FORMAT,
            "pid": os.getpid(),
            "saved_at": time.time(),
            "path": str(path.resolve()) if path else None,
            "base_dir": str(preset.base_dir.resolve()),
            "preset": preset_to_dict(preset),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        self._hold()
        atomic_write_text(self.file, json.dumps(record, ensure_ascii=False), private=True)
        return self.file

    def pending(self) -> Path | None:
        """The newest recovery file of a session that is no longer running."""
        found = []
        for candidate in self.folder.glob("session-*.json"):
            if candidate == self.file:
                continue
            lock = candidate.with_suffix(".lock")
            try:
                mtime = candidate.stat().st_mtime
                if lock.exists():
                    running = _locked_by_another(lock)
                else:  # written before sessions held locks: its pid tells
                    running = _alive(int(candidate.stem.split("-")[1]))
            except (ValueError, IndexError, OSError):
                continue
            if not running:
                found.append((mtime, candidate))
        return max(found)[1] if found else None

    def load(self, file: Path, registry: Registry) -> tuple[Preset, Path | None]:
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PresetError(str(file), [("$", f"cannot read the recovery file: {exc}")]) from None
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise PresetError(str(file), [("$.format", "not a stylegraph recovery file")])
        base_dir = Path(record.get("base_dir") or ".")
        preset = preset_from_dict(record.get("preset"), registry, base_dir, str(file))
        path = record.get("path")
        return preset, Path(path) if isinstance(path, str) else None

    def forget(self, file: Path) -> None:
        file.unlink(missing_ok=True)
        file.with_suffix(".lock").unlink(missing_ok=True)

    def discard(self, *, including_pending: bool = False) -> None:
        self.file.unlink(missing_ok=True)
        if self._lock is not None:
            self.file.with_suffix(".lock").unlink(missing_ok=True)
            self._lock.close()
            self._lock = None
        if including_pending:
            while (left := self.pending()) is not None:
                self.forget(left)
