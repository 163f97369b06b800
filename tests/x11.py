"""What a window manager does to the editor's window, for tests under Xvfb (which has no
window manager): the title bar's close button is only an X11 ClientMessage, WM_PROTOCOLS
with WM_DELETE_WINDOW, sent to the client window; GLFW (under Dear PyGui) answers it
itself. Sending exactly that message is the close a user's click would give."""

from __future__ import annotations

from collections.abc import Iterator

from Xlib import X, display, protocol
from Xlib.xobject.drawable import Window


def _windows(window: Window) -> Iterator[Window]:
    yield window
    for child in window.query_tree().children:
        yield from _windows(child)


def find_window(screen: display.Display, pid: int) -> Window | None:
    """The top-level window of process ``pid`` that takes WM_DELETE_WINDOW (GLFW sets
    _NET_WM_PID and WM_PROTOCOLS on it, as every client a WM can close does)."""
    net_wm_pid = screen.intern_atom("_NET_WM_PID")
    delete = screen.intern_atom("WM_DELETE_WINDOW")
    for window in _windows(screen.screen().root):
        owner = window.get_full_property(net_wm_pid, X.AnyPropertyType)
        if owner is None or list(owner.value) != [pid]:
            continue
        if delete in (window.get_wm_protocols() or []):
            return window
    return None


def close_window(display_name: str, pid: int) -> None:
    """Ask process ``pid``'s window to close, as a window manager's close button does."""
    screen = display.Display(display_name)
    try:
        window = find_window(screen, pid)
        if window is None:
            raise LookupError(f"process {pid} has no window that takes WM_DELETE_WINDOW")
        message = protocol.event.ClientMessage(
            window=window,
            client_type=screen.intern_atom("WM_PROTOCOLS"),
            data=(32, [screen.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]),
        )
        window.send_event(message, event_mask=X.NoEventMask)
        # a round trip, not flush(): a flush then close sometimes leaves the request unsent
        # (seen with X RECORD under Xvfb), and the window would never hear of the close
        screen.sync()
    finally:
        screen.close()
