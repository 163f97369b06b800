"""The UI scale (Ctrl+= / Ctrl+-): text drawn from a TrueType font at the scaled size, so
it stays sharp; where no such font is found, Dear PyGui's own 13 px font is enlarged."""

from __future__ import annotations

from pathlib import Path

import dearpygui.dearpygui as dpg

FONT_PX = 14  # px at scale 1: Dear PyGui's own font is 13 px and thin
FONT_FILES = (  # a few common places; the first found is used
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/segoeui.ttf",
)

_fonts: dict[int, int | str] = {}  # px -> font item, made once per size


def font_file() -> Path | None:
    return next((Path(f) for f in FONT_FILES if Path(f).is_file()), None)


def apply(scale: float) -> None:
    """Draw every text at ``scale``. Needs a Dear PyGui context."""
    source = font_file()
    if source is None:
        dpg.set_global_font_scale(scale)
        return
    size = round(FONT_PX * scale)
    made = _fonts.get(size)
    if made is None or not (  # a font of this context, not an id left from an earlier one
        dpg.does_item_exist(made) and dpg.get_item_type(made) == "mvAppItemType::mvFont"
    ):
        if not dpg.does_item_exist("fonts"):
            dpg.add_font_registry(tag="fonts")
        _fonts[size] = dpg.add_font(str(source), size, parent="fonts")
    dpg.set_global_font_scale(1.0)
    dpg.bind_font(_fonts[size])
