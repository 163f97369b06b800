"""One-line texts that must fit their room (the status line, the viewer's info line)."""

from __future__ import annotations

CHAR_PX = 7.5  # px per character of the 14 px font at UI scale 1


def elide(message: str, room: int) -> str:
    """``message`` on one line of at most ``room`` characters, cut with "..." at the end."""
    line = " ".join(message.split())
    return line if len(line) <= room else line[: max(0, room - 3)].rstrip() + "..."


def room_for(width: float, scale: float) -> int:
    """How many characters fit in ``width`` px at UI ``scale``."""
    return max(20, int(width / (CHAR_PX * scale)))
