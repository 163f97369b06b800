"""Keyboard shortcuts. None fires while a text field has the keyboard, so typing a
"z" or pressing Delete in a path edits the text, not the graph."""

from __future__ import annotations

from collections import deque
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


KEYS = sorted({key for _, _, key in BINDINGS})
BLOCKING = "unsaved_prompt"  # while this modal is open, keys answer it, not the graph


def typing() -> bool:
    """True while a text or number field is being edited. Checked over every field
    (only when a shortcut is pending): the "focused item" Dear PyGui reports is not
    reliably the field inside a node."""
    return any(
        dpg.get_item_info(item)["type"] in TEXT_ITEMS and dpg.is_item_active(item)
        for item in dpg.get_all_items()
    )


MODIFIERS = {
    dpg.mvKey_LControl: "ctrl",
    dpg.mvKey_RControl: "ctrl",
    dpg.mvKey_LShift: "shift",
    dpg.mvKey_RShift: "shift",
}


class Shortcuts:
    """Key events arrive on Dear PyGui's callback thread, in order, possibly frames after
    the keys moved (a quick Ctrl+Z has released Ctrl by then): so the modifiers are
    tracked from the same event stream, and the commands are queued for the render
    thread, which runs them in ``run_pending``."""

    def __init__(self, commands: Mapping[str, Callable[[], Any]]) -> None:
        self.commands = commands
        self.held: set[int] = set()
        self.pending: deque[str] = deque()

    def install(self) -> None:
        with dpg.handler_registry(tag="shortcuts"):
            dpg.add_key_press_handler(callback=self._pressed)
            dpg.add_key_release_handler(callback=self._released)

    def _pressed(self, sender: Any, key: int) -> None:
        if key in MODIFIERS:
            self.held.add(key)
            return
        held = {MODIFIERS[k] for k in self.held}
        name = BINDINGS.get(("ctrl" in held, "shift" in held, key))
        if name is not None:
            self.pending.append(name)

    def _released(self, sender: Any, key: int) -> None:
        self.held.discard(key)

    def run_pending(self) -> None:
        while self.pending:
            name = self.pending.popleft()
            if not typing() and not dpg.does_item_exist(BLOCKING):
                self.commands[name]()
