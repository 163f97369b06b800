"""A user's path as the shell would read it, and the one rule for the paths in FILE and
FILE_LIST params: ``~`` expanded, then relative to the preset's folder. The engine's cache
keys, the recipe a picture carries, packs, validation and the editor all go through
``file_path`` and ``with_paths``, so the file a recipe names is the file that was read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stylegraph.graph.spec import ParamType


def home_expanded(value: str | os.PathLike[str]) -> Path:
    """``~`` and ``~user`` replaced by the home folder. A ``~name`` naming no user stays as
    it is, as in a shell: ``Path.expanduser`` raises instead, which turned a file param set
    to ``~0`` into an error that named no param."""
    return Path(os.path.expanduser(os.fspath(value)))


def file_path(value: str, base_dir: Path) -> Path:
    """The file a FILE or FILE_LIST entry names: ``~`` expanded, a relative path taken
    relative to ``base_dir`` (the preset's folder), an absolute one as it is."""
    return base_dir / home_expanded(value)


def paths_in(param_type: ParamType, value: Any) -> list[tuple[int | None, str]]:
    """The non-empty paths a param value holds, each with its place in a FILE_LIST (None
    for a FILE); nothing for other param types."""
    if param_type == ParamType.FILE and isinstance(value, str) and value:
        return [(None, value)]
    if param_type == ParamType.FILE_LIST and isinstance(value, list):
        return [(i, v) for i, v in enumerate(value) if isinstance(v, str) and v]
    return []


def with_paths(param_type: ParamType, value: Any, change: Callable[[str], Any]) -> Any:
    """``value`` with each path ``paths_in`` finds replaced by ``change(path)``; values of
    other param types, and empty entries, as they are."""
    found = paths_in(param_type, value)
    if param_type == ParamType.FILE:
        return change(value) if found else value
    if not found:
        return value
    out = list(value)
    for index, path in found:
        out[index] = change(path)
    return out
