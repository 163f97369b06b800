"""What the editor's runs have written, kept between sessions: a save node's cache key
(its settings and, through its inputs' keys, the picture it was given) -> the files it
wrote. Run skips a save whose files for the same key are still on disk, so reopening a
graph and pressing Run writes no second copy of a picture and renders nothing again."""

from __future__ import annotations

import json
from pathlib import Path

from stylegraph.graph.atomic import atomic_write_text
from stylegraph.ui.recent import config_dir

LIMIT = 2000  # entries kept; the oldest go first


class WrittenFiles:
    def __init__(self, folder: Path | None = None) -> None:
        self.file = (folder or config_dir()) / "written.json"

    def _read(self) -> dict[str, dict[str, str]]:
        """A damaged or missing index reads as empty: a save then simply writes again."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, output_dir: Path) -> dict[str, str] | None:
        """The text outputs (the written files' paths, by port) of the save with ``key``
        into ``output_dir``, if every file is still there."""
        found = self._read().get(_entry(key, output_dir))
        if not isinstance(found, dict) or not found:
            return None
        paths = [p for p in found.values() if isinstance(p, str)]
        return found if paths and all(Path(p).is_file() for p in paths) else None

    def add(self, key: str, output_dir: Path, files: dict[str, str]) -> None:
        data = self._read()
        data.pop(_entry(key, output_dir), None)
        data[_entry(key, output_dir)] = files
        kept = dict(list(data.items())[-LIMIT:])
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.file, json.dumps(kept, indent=0))
        except OSError:
            pass  # a convenience: without it a save writes again, nothing is lost


def _entry(key: str, output_dir: Path) -> str:
    return f"{key}@{Path(output_dir).resolve()}"
