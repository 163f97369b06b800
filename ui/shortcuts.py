"""Keyboard shortcuts. None fires while a text field has the keyboard, so typing a
"z" or pressing Delete in a path edits the text, not the graph."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import dearpygui.dearpygui as dpg

from stylegraph.ui.files import dialog_open

TEXT_ITEMS = {
    "mvAppItemType::mvInputText",
    "mvAppItemType::mvInputInt",
    "mvAppItemType::mvInputFloat",
    "mvAppItemType::mvInputDouble",
    "mvAppItemType::mvDragFloat",
    "mvAppItemType::mvDragInt",
}

# (ctrl, shift, key) -> command name
# Dear PyGui 2 reports keys as Dear ImGui's key numbers and names no constant for the
# "=" / "+" key (ImGuiKey_Equal); its mvKey_Plus (61) is an old GLFW code that no key press
# reports, so Ctrl+= never fired under real input.
EQUALS_KEY = 602

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
    (True, True, dpg.mvKey_V): "paste_links",
    (True, True, dpg.mvKey_S): "save_as",
    (True, False, EQUALS_KEY): "scale_up",  # the = / + key
    (True, True, EQUALS_KEY): "scale_up",
    (True, False, dpg.mvKey_Add): "scale_up",
    (True, False, dpg.mvKey_Minus): "scale_down",
    (True, False, dpg.mvKey_Subtract): "scale_down",
    (True, False, dpg.mvKey_0): "scale_reset",
    (True, False, dpg.mvKey_D): "duplicate",
    (False, False, dpg.mvKey_Home): "frame_all",
}


KEYS = sorted({key for _, _, key in BINDINGS})
BLOCKING = "unsaved_prompt"  # while this modal is open, keys answer it, not the graph
MENU_BAR = "menu_bar"
KEYS_EAGER_S = 0.25  # s after a key press during which frames are not paced
CLOSES_POPUPS = "cancel"  # Esc: with a menu open it closes the menu and does nothing else


def menu_open() -> bool:
    """True while a menu of the menu bar is open: Dear PyGui gives an open menu the size
    of its drop-down (and keeps the focus on it), a closed one none."""
    if not dpg.does_item_exist(MENU_BAR):
        return False
    for menu in dpg.get_item_children(MENU_BAR, 1):
        state = dpg.get_item_state(menu)
        if state.get("focused") or (state.get("rect_size") or [0])[0] > 0:
            return True
    return False


COMBO = "mvAppItemType::mvCombo"


def open_combo() -> int | str | None:
    """The combo box whose list is open, if one is. Dear PyGui then reports, as the
    combo's rectangle, a zero-height one inside the list (seen under Xvfb with real
    clicks), where a closed combo, even one scrolled out of view, keeps its own height and
    one never drawn has no width."""
    for item in dpg.get_all_items():
        if dpg.get_item_type(item) != COMBO or not dpg.is_item_shown(item):
            continue
        width, height = dpg.get_item_state(item).get("rect_size") or (0, 0)
        if width > 0 and height == 0:
            return item
    return None


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
        self.key_at = 0.0  # when the last key press reached the window
        self.pending: deque[str] = deque()
        # whether a menu was open in the frame before the last one: Esc closes a menu in
        # the frame it is pressed, and its event is handled here a frame later
        self._menu_was_open = False
        # a combo hidden for one frame to close its list (Dear PyGui, without keyboard
        # navigation, leaves it open on Esc and has no call to close it), and that frame
        self._closing: tuple[int | str, int] | None = None

    @property
    def keys_coming(self) -> bool:
        """Whether keys are arriving: typed characters reach a field one per frame, so
        frames then come as fast as they can (a 48-character path typed on a loaded
        machine was half drawn 2 s later at 60 frames a second)."""
        return time.monotonic() - self.key_at < KEYS_EAGER_S

    @property
    def busy(self) -> bool:
        """Whether the next frames have work here: keys queued, or a combo to show again."""
        return bool(self.pending) or self._closing is not None

    def install(self) -> None:
        with dpg.handler_registry(tag="shortcuts"):
            dpg.add_key_press_handler(callback=self._pressed)
            dpg.add_key_release_handler(callback=self._released)

    def _pressed(self, sender: Any, key: int) -> None:
        self.key_at = time.monotonic()
        if key in MODIFIERS:
            self.held.add(key)
            return
        if dialog_open():  # its Enter and Esc answer it, and must not run or cancel
            return
        held = {MODIFIERS[k] for k in self.held}
        name = BINDINGS.get(("ctrl" in held, "shift" in held, key))
        if name is not None:
            self.pending.append(name)

    def _released(self, sender: Any, key: int) -> None:
        self.held.discard(key)

    def run_pending(self) -> None:
        """Run the queued commands, except while a modal (the unsaved-changes prompt, a
        file dialog) or a text field has the keys; Esc cancels a run only when it did
        not close a menu or a combo's list."""
        self._show_closed_combo()
        popup = self._menu_was_open
        self._menu_was_open = menu_open()
        while self.pending:
            name = self.pending.popleft()
            if typing() or dpg.does_item_exist(BLOCKING) or dialog_open():
                continue
            if name == CLOSES_POPUPS and (popup or self._menu_was_open):
                continue
            if name == CLOSES_POPUPS and self._close_combo():
                continue
            self.commands[name]()

    def _close_combo(self) -> bool:
        """Close an open combo's list (what Esc means there); False if none is open. A
        combo not drawn for a frame loses its list; it shows again the frame after."""
        combo = open_combo()
        if combo is None:
            return False
        dpg.configure_item(combo, show=False)
        self._closing = (combo, dpg.get_frame_count())
        return True

    def _show_closed_combo(self) -> None:
        if self._closing is None:
            return
        combo, frame = self._closing
        if dpg.get_frame_count() <= frame:
            return  # the frame without it has not been drawn yet
        if dpg.does_item_exist(combo):
            dpg.configure_item(combo, show=True)
        self._closing = None
