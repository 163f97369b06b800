"""A user's path as the shell would read it."""

from __future__ import annotations

import os
from pathlib import Path


def home_expanded(value: str | os.PathLike[str]) -> Path:
    """``~`` and ``~user`` replaced by the home folder. A ``~name`` naming no user stays as
    it is, as in a shell: ``Path.expanduser`` raises instead, which turned a file param set
    to ``~0`` into an error that named no param."""
    return Path(os.path.expanduser(os.fspath(value)))
