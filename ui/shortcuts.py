"""Keyboard shortcuts. None fires while a text field has the keyboard, so typing a
"z" or pressing Delete in a path edits the text, not the graph."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dearpygui.dearpygui as dpg

TEXT_ITEMS = {
    "mvAppItemType::mvInputText",
    "mvAppItemType::mvInputInt",
    "mvAppItemType::mvInputFloat",
    "mvAppItemType::mvInputDouble",
    "mvAppItemType::mvDragFloat",
    "mvAppItemType::mvDragInt",
}

# (ctrl, shift, key) -> command name
BINDINGS: dict[tuple[bool, bool, int], str] = {
    (False, False, dpg.mvKey_F5): "run",
    (True, False, dpg.mvKey_Return): "run",
    (False, False, dpg.mvKey_Escape): "cancel",
    (True, False, dpg.mvKey_S): "save",
    (False, False, dpg.mvKey_Delete): "delete",
    (True, False, dpg.mvKey_Z): "undo",
    (True, True, dpg.mvKey_Z): "redo",
    (True, False, dpg.mvKey_Y): "redo",
    (True, False, dpg.mvKey_C): "copy",
    (True, False, dpg.mvKey_V): "paste",
    (True, False, dpg.mvKey_D): "duplicate",
    (False, False, dpg.mvKey_Home): "frame_all",
}


def typing() -> bool:
    """True while a text or number field has keyboard focus."""
    item = dpg.get_focused_item()
    if not item or not dpg.does_item_exist(item):
        return False
    return dpg.get_item_info(item)["type"] in TEXT_ITEMS and dpg.is_item_active(item)


def install(commands: Mapping[str, Callable[[], Any]]) -> None:
    def pressed(sender: Any, key: int) -> None:
        ctrl = dpg.is_key_down(dpg.mvKey_LControl) or dpg.is_key_down(dpg.mvKey_RControl)
        shift = dpg.is_key_down(dpg.mvKey_LShift) or dpg.is_key_down(dpg.mvKey_RShift)
        name = BINDINGS.get((ctrl, shift, key))
        if name is not None and not typing():
            commands[name]()

    with dpg.handler_registry(tag="shortcuts"):
        dpg.add_key_press_handler(callback=pressed)
