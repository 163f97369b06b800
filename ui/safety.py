"""Never lose work: the Save / Discard / Cancel prompt before unsaved changes would be
dropped, autosave to the controller's recovery file (every 30 s and at once after each
edit), and the offer to restore that file after a crash."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import dearpygui.dearpygui as dpg

if TYPE_CHECKING:
    from stylegraph.ui.controller import Controller

AUTOSAVE_EVERY = 30.0  # s
AUTOSAVE_AFTER_EDITS = 0.0  # s after an edit: at once (a crash 2 s after an edit lost it)
PROMPT = "unsaved_prompt"


class Safety:
    def __init__(
        self,
        controller: Controller,
        save: Callable[[Callable[[], None]], None],
        say: Callable[[str], None],
    ) -> None:
        self.controller = controller
        self.save = save  # save (asking for a path if needed), then call the continuation
        self.say = say
        self._last_autosave = time.monotonic()
        self._edit_at: float | None = None
        self.offering_recovery = False  # the restore prompt is up, not yet answered

    def edited(self) -> None:
        self._edit_at = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        burst_over = self._edit_at is not None and now - self._edit_at > AUTOSAVE_AFTER_EDITS
        if burst_over or now - self._last_autosave > AUTOSAVE_EVERY:
            self._edit_at = None
            self._last_autosave = now
            try:
                self.controller.autosave()
            except OSError as exc:
                self.say(f"autosave failed: {exc}")

    def confirm_discard(self, action: str, proceed: Callable[[], None]) -> None:
        """Run ``proceed`` now if nothing is unsaved, else after the user saves or discards."""
        if not self.controller.dirty:
            proceed()
            return

        def answer(choice: str) -> None:
            dpg.delete_item(PROMPT)
            if choice == "save":
                self.save(proceed)
            elif choice == "discard":
                proceed()

        self._modal(
            f"The graph has unsaved changes. Save them before you {action}?",
            [("Save", "save"), ("Discard", "discard"), ("Cancel", "cancel")],
            answer,
        )

    def offer_recovery(self, on_restore: Callable[[], None]) -> None:
        recovery = self.controller.pending_recovery()
        if recovery is None:
            return

        def answer(choice: str) -> None:
            dpg.delete_item(PROMPT)
            self.offering_recovery = False
            if choice == "restore":
                self.controller.restore_recovery()
                on_restore()
                self.say(f"restored unsaved work from {recovery}")
            else:
                self.controller.discard_recovery()

        self.offering_recovery = True
        self._modal(
            f"stylegraph did not close cleanly last time. Restore the unsaved work from "
            f"{recovery}?",
            [("Restore", "restore"), ("Discard", "discard")],
            answer,
        )

    def _modal(
        self, text: str, buttons: list[tuple[str, str]], answer: Callable[[str], None]
    ) -> None:
        if dpg.does_item_exist(PROMPT):
            dpg.delete_item(PROMPT)
        width, height = (
            (dpg.get_viewport_client_width(), dpg.get_viewport_client_height())
            if dpg.is_viewport_ok()
            else (800, 600)
        )
        with dpg.window(
            tag=PROMPT,
            modal=True,
            no_close=True,
            label="stylegraph",
            width=460,
            pos=(max(0, width // 2 - 230), max(0, height // 2 - 80)),
        ):
            dpg.add_text(text, wrap=440)
            with dpg.group(horizontal=True):
                for label, choice in buttons:
                    dpg.add_button(
                        label=label, width=90, user_data=choice, callback=lambda s, a, u: answer(u)
                    )
