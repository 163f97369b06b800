"""Recently opened and saved files, kept between sessions for File > Open recent."""

from __future__ import annotations

import json
import os
from pathlib import Path

from stylegraph.graph.atomic import atomic_write_text

LIMIT = 10


def config_dir() -> Path:
    """Where the editor keeps its settings; ``STYLEGRAPH_CONFIG_DIR`` moves it (tests)."""
    override = os.environ.get("STYLEGRAPH_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("stylegraph"))


class RecentFiles:
    def __init__(self, folder: Path | None = None) -> None:
        self.file = (folder or config_dir()) / "recent.json"

    def paths(self) -> list[Path]:
        """Most recent first; a damaged list reads as empty rather than stopping the editor."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(data, list):
            return []
        return [Path(p) for p in data if isinstance(p, str)][:LIMIT]

    def add(self, path: Path) -> None:
        entry = str(Path(path).resolve())
        kept = [str(p) for p in self.paths() if str(p) != entry]
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.file, json.dumps([entry, *kept][:LIMIT], indent=1))
        except OSError:
            pass  # the list is a convenience: a read-only config folder must not stop a save
