"""When the editor draws a frame: only when something changed, input arrived or a run is
in progress. Dear PyGui draws every frame from scratch (under software OpenGL about 35 ms
of CPU for the fusion graph), so a window that drew as fast as it could burnt a whole core
doing nothing.

Dear PyGui reads input only while it draws a frame, so an idle window needs another way
to hear the artist: on X11 a second connection to the display listens for the window's
pointer, key, expose and resize events and wakes the loop at once; elsewhere the idle
window draws a few frames a second, enough to notice input and go back to full speed.
Even on X11 the idle window draws one frame a second: the window manager's close request
is a message to the window's own connection, which no other connection can hear."""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Callable
from typing import Any

ACTIVE_FPS = 60.0  # the most frames a second while the artist works
RUN_FPS = 20.0  # while only a run's progress changes the window
IDLE_FPS_BLIND = 4.0  # idle, without a way to hear input between frames
IDLE_FPS_HEARING = 1.0  # idle with X11Wake: for the close request it cannot hear
HOLD_S = 1.0  # s of full speed after the last input or change: hovers, tooltips, menus
TICK_S = 0.05  # s between the idle loop's looks at timers and the run's queue


class X11Wake:
    """Input events of this process's window, heard on a second X connection. Pointer
    motion, key, expose, focus and resize events may be selected by any number of
    clients; button presses may not (and while a button is down the window's own
    connection has the pointer to itself), so those come as XInput2 raw button events on
    the root window: a click anywhere wakes the editor for a moment, which costs a few
    frames, where a missed click on it would be lost."""

    def __init__(self, display: Any, window: Any) -> None:
        self.display = display
        self.window = window
        self.fd = display.fileno()

    @classmethod
    def attach(cls, pid: int | None = None) -> X11Wake | None:
        """The wake for process ``pid``'s window (this one by default); None without an
        X display, python-xlib or a window yet."""
        if not os.environ.get("DISPLAY"):
            return None
        try:
            from Xlib import X, display
        except ImportError:
            return None
        try:
            screen = display.Display()
        except Exception:  # any failure to reach X means no wake, not no editor
            return None
        window = _window_of(screen, pid or os.getpid())
        if window is None:
            screen.close()
            return None
        window.change_attributes(
            event_mask=X.PointerMotionMask
            | X.KeyPressMask
            | X.KeyReleaseMask
            | X.ButtonReleaseMask
            | X.ExposureMask
            | X.StructureNotifyMask
            | X.FocusChangeMask
            | X.EnterWindowMask
        )
        with contextlib.suppress(Exception):  # a server without XInput2: motion still wakes
            from Xlib.ext import xinput

            screen.screen().root.xinput_select_events(
                [(xinput.AllMasterDevices, xinput.RawButtonPressMask)]
            )
        screen.sync()
        return cls(screen, window)

    def wait(self, seconds: float) -> bool:
        """Block up to ``seconds`` for input; True when some arrived."""
        heard = False
        while self.display.pending_events():
            self.display.next_event()
            heard = True
        if heard:
            return True
        readable, _, _ = select.select([self.fd], [], [], max(0.0, seconds))
        if not readable:
            return False
        while self.display.pending_events():
            self.display.next_event()
            heard = True
        return heard

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.display.close()


def _window_of(screen: Any, pid: int) -> Any:
    """The top-level window whose _NET_WM_PID is ``pid`` (GLFW sets it)."""
    from Xlib import X

    net_wm_pid = screen.intern_atom("_NET_WM_PID")
    pending = [screen.screen().root]
    while pending:
        window = pending.pop()
        with contextlib.suppress(Exception):
            owner = window.get_full_property(net_wm_pid, X.AnyPropertyType)
            if owner is not None and list(owner.value) == [pid]:
                return window
            pending.extend(window.query_tree().children)
    return None


class FramePacer:
    """``wait_for_frame`` returns when the next frame should be drawn: soon after the
    last one while the artist works or a run goes on, otherwise not until input arrives
    (or, without a way to hear it, a few times a second). ``tick`` runs meanwhile, every
    ``TICK_S``; it returns True when it changed something that must be shown."""

    def __init__(self, wake: X11Wake | None, clock: Callable[[], float] = time.monotonic):
        self.wake = wake
        self.clock = clock
        self.active_until = clock() + HOLD_S
        self.last_frame = 0.0
        self.frames = 0

    def poke(self) -> None:
        """Something happened: draw at full speed for a while."""
        self.active_until = self.clock() + HOLD_S

    def wait_for_frame(
        self,
        tick: Callable[[], bool],
        running: Callable[[], bool],
        eager: Callable[[], bool] = lambda: False,
    ) -> None:
        """``eager``: frames now without the cap (keys are arriving, one a frame)."""
        while True:
            now = self.clock()
            if now < self.active_until:
                if not eager():
                    self._sleep_until(self.last_frame + 1.0 / ACTIVE_FPS)
                break
            if running():
                self._sleep_until(self.last_frame + 1.0 / RUN_FPS)
                break
            idle_fps = IDLE_FPS_BLIND if self.wake is None else IDLE_FPS_HEARING
            if now - self.last_frame >= 1.0 / idle_fps:
                break
            if self._heard(TICK_S):
                self.poke()
                break
            if tick():
                self.poke()
                break
        self.last_frame = self.clock()
        self.frames += 1

    def _heard(self, seconds: float) -> bool:
        if self.wake is None:
            time.sleep(seconds)
            return False
        return self.wake.wait(seconds)

    def _sleep_until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0:
            if self.wake is not None and self.wake.wait(delay):
                self.poke()
            elif self.wake is None:
                time.sleep(delay)

    def close(self) -> None:
        if self.wake is not None:
            self.wake.close()
