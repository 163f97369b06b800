"""The editor's settings kept between sessions (the UI scale, the folder a file dialog last
used, the mask painter's brush), in ``settings.json`` beside the recent-files list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stylegraph.graph.atomic import atomic_write_text
from stylegraph.nodes.functional.paint import MODES as BRUSH_MODES
from stylegraph.ui.recent import config_dir

SCALES = (0.75, 0.875, 1.0, 1.125, 1.25, 1.5, 1.75, 2.0, 2.5)  # Ctrl+= / Ctrl+- steps
DEFAULT_SCALE = 1.0  # with the 14 px TrueType font; Ctrl+= for more
# the mask painter's brush: each slider's default and range (size: a fraction of the mask's
# longer side)
BRUSH_SLIDERS = {
    "size": (0.05, 0.005, 0.5),
    "hardness": (0.5, 0.0, 1.0),
    "opacity": (1.0, 0.0, 1.0),
}


class Settings:
    def __init__(self, folder: Path | None = None) -> None:
        self.file = (folder or config_dir()) / "settings.json"

    def _read(self) -> dict[str, Any]:
        """A damaged or missing file reads as no settings rather than stopping the editor."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def ui_scale(self) -> float:
        value = self._read().get("ui_scale")
        return float(value) if isinstance(value, int | float) and value in SCALES else DEFAULT_SCALE

    @ui_scale.setter
    def ui_scale(self, value: float) -> None:
        self._write("ui_scale", value)

    def last_folder(self, kind: str) -> Path | None:
        """The folder the last file dialog for ``kind`` of file (pictures, graphs,
        packs, model weights) was answered in."""
        folders = self._read().get("last_folders")
        value = folders.get(kind) if isinstance(folders, dict) else None
        return Path(value) if isinstance(value, str) and Path(value).is_dir() else None

    def remember_folder(self, kind: str, folder: Path) -> None:
        folders = self._read().get("last_folders")
        folders = folders if isinstance(folders, dict) else {}
        self._write("last_folders", {**folders, kind: str(folder)})

    @property
    def brush(self) -> dict[str, Any]:
        """The brush as last set: each slider's value (its default where missing or out of
        its range) and the mode (paint, erase, keep, remove)."""
        saved = self._read().get("brush")
        saved = saved if isinstance(saved, dict) else {}
        out: dict[str, Any] = {}
        for name, (default, low, high) in BRUSH_SLIDERS.items():
            value = saved.get(name)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            out[name] = float(value) if number and low <= value <= high else default
        mode = saved.get("mode")
        out["mode"] = mode if mode in BRUSH_MODES else BRUSH_MODES[0]
        return out

    def remember_brush(self, name: str, value: Any) -> None:
        self._write("brush", {**self.brush, name: value})

    def _write(self, name: str, value: Any) -> None:
        data = {**self._read(), name: value}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.file, json.dumps(data, indent=1))
        except OSError:
            pass  # a convenience: a read-only config folder must not stop the editor


def step(scale: float, steps: int) -> float:
    """The scale ``steps`` notches from ``scale`` (negative: smaller), within SCALES."""
    nearest = min(range(len(SCALES)), key=lambda i: abs(SCALES[i] - scale))
    return SCALES[max(0, min(len(SCALES) - 1, nearest + steps))]
