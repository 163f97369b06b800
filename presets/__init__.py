"""Shipped recipes, as JSON files beside this module."""

from pathlib import Path

PRESET_DIR = Path(__file__).parent


def shipped_presets() -> dict[str, Path]:
    return {p.stem: p for p in sorted(PRESET_DIR.glob("*.json"))}
