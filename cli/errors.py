"""How the command line words what went wrong: a usage error printed without a traceback,
and a user's text quoted on one readable line."""

from __future__ import annotations

import re

from stylegraph.graph.spec import short_path


class UsageError(Exception):
    """A mistake in the command line or its files; printed without a traceback."""


def _shorten_long_words(text: str, longest: int = 200) -> str:
    """A message stays readable when it quotes a path of thousands of characters."""
    return re.sub(rf"\S{{{longest},}}", lambda m: short_path(m.group(0)), text)


def one_line(text: str) -> str:
    """A message quoting a user's path or text, as one readable line: control characters
    (a newline, a form feed in a file name) written as escapes, long words shortened."""
    escaped = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: repr(m.group())[1:-1], text)
    return _shorten_long_words(escaped)
