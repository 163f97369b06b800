"""No callback closes the window: an exception escaping a button, menu item, key or the
per-frame work is caught here, told in the status line with the node it concerned, written
in full to the ``.log`` beside this session's recovery file, and the graph is autosaved at
once, so the artist keeps working and nothing made since the last autosave is lost."""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg

if TYPE_CHECKING:
    from stylegraph.ui.controller import Controller

REPEAT_S = 5.0  # s in which the same defect again (a frame's work, every frame) is not retold


class CrashGuard:
    def __init__(
        self,
        controller: Controller,
        say: Callable[[str], None],
        focus: Callable[[], str | None],
    ) -> None:
        self.controller = controller
        self.say = say
        self.focus = focus  # the node the artist is working on (selected or in the viewer)
        self.caught: list[BaseException] = []
        self._last: tuple[tuple[str, str], float] | None = None  # the last told, and when

    @property
    def log_file(self) -> Path:
        return self.controller.recovery.log_file

    def call(self, action: Callable[..., Any], *args: Any, what: str = "") -> Any:
        """``action(*args)``; an exception it raises is reported, logged and survived."""
        try:
            return action(*args)
        except Exception as exc:  # the window must outlive any defect behind a click
            self.report(exc, what or _name_of(action))
            return None

    def run_callbacks(self, jobs: Iterable[Any] | None) -> None:
        """Dear PyGui's ``run_callbacks``, each callback guarded on its own."""
        for job in jobs or ():
            callback = job[0]
            if callback is None:
                continue
            # positional parameters only: Dear PyGui's own count gave a keyword-only
            # parameter (``Editor.run``'s ``preview``) the sender, a TypeError per click
            count = sum(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                for p in inspect.signature(callback).parameters.values()
            )
            self.call(callback, *job[1 : count + 1], what=_label_of(job[1]) or _name_of(callback))

    def report(self, exc: BaseException, what: str) -> None:
        self.caught.append(exc)
        repeated = (what, str(exc))
        now = time.monotonic()
        if self._last is not None and self._last[0] == repeated and now - self._last[1] < REPEAT_S:
            return  # the same defect every frame: told, logged and saved once is enough
        self._last = (repeated, now)
        node = _safe(self.focus)
        saved = _safe(self.controller.autosave)
        log = self._log(exc, what, node, saved)
        where = f" on node {node}" if node else ""
        kept = f"; work autosaved to {saved}" if saved else ""
        details = f"; details in {log}" if log else ""
        self.say(f"{what} failed{where}: {exc}{kept}{details}")

    def _log(self, exc: BaseException, what: str, node: str | None, saved: Any) -> Path | None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        entry = f"--- {stamp} {what} (node: {node or '-'}; autosaved: {saved or '-'})\n{text}\n"
        try:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            with self.log_file.open("a", encoding="utf-8") as log:
                log.write(entry)
        except OSError:
            return None
        return self.log_file


def _label_of(sender: Any) -> str:
    """The clicked item's label ("Add starred as layers"), if it has one."""
    try:
        label = dpg.get_item_label(sender) if dpg.does_item_exist(sender) else ""
    except Exception:
        return ""
    return f'"{label}"' if label else ""


def _name_of(callback: Any) -> str:
    """A readable name for what was clicked: the method's name, or "an action"."""
    name = getattr(callback, "__name__", "")
    return name.strip("_").replace("_", " ") if name and name != "<lambda>" else "an action"


def _safe(call: Callable[[], Any]) -> Any:
    """The report must not fail in turn: a helper that raises gives nothing."""
    try:
        return call()
    except Exception:
        return None
