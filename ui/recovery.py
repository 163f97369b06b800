"""Recovery files: the open graph written aside while the user works, so a crash costs
at most the last few seconds.

Each editor session writes its own ``session-<pid>.json``; a clean close removes it. A file
whose process is gone was left by a session that did not close, and is offered on the next
start.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

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
        self.file = self.folder / f"session-{os.getpid()}.json"

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
        atomic_write_text(self.file, json.dumps(record, ensure_ascii=False), private=True)
        return self.file

    def pending(self) -> Path | None:
        """The newest recovery file of a session that is no longer running."""
        found = []
        for candidate in self.folder.glob("session-*.json"):
            try:
                pid = int(candidate.stem.removeprefix("session-"))
                mtime = candidate.stat().st_mtime
            except (ValueError, OSError):
                continue
            if candidate != self.file and not _alive(pid):
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

    def discard(self, *, including_pending: bool = False) -> None:
        self.file.unlink(missing_ok=True)
        if including_pending:
            while (left := self.pending()) is not None:
                left.unlink(missing_ok=True)
