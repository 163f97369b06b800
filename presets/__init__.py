"""Shipped recipes, as JSON files beside this module."""

from pathlib import Path

PRESET_DIR = Path(__file__).parent


def shipped_presets() -> dict[str, Path]:
    return {p.stem: p for p in sorted(PRESET_DIR.glob("*.json"))}


def is_shipped(path: Path) -> bool:
    """Whether ``path`` is one of the shipped presets. They are the package's own files,
    shared by everyone using the install, so the editor opens them as templates and never
    saves over them."""
    try:
        return Path(path).resolve().parent == PRESET_DIR.resolve()
    except (OSError, RuntimeError):
        return False
