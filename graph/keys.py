"""Cache keys: a node's key hashes its type id, version, params and the keys of its inputs,
so one change re-keys exactly that node and what lies downstream of it."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stylegraph.graph.paths import file_path, with_paths
from stylegraph.graph.spec import NodeType


def not_a_regular_file(path: str) -> str | None:
    """Why ``path`` cannot be an input file, or None. Only regular files are read: a
    folder, a device such as /dev/zero (endless), a named pipe (blocks until written to) or
    a socket is refused before anything opens it. A missing file is left to the node."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"{path} is a folder, not a file"
    kind = "named pipe" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
    return f"{path} is a {kind}, not a regular file"


class FileDigests:
    """Content hashes of input files, re-read only when a file's size or mtime changes."""

    def __init__(self) -> None:
        self._memo: dict[str, tuple[tuple[int, int, int], str]] = {}

    def digest(self, path: str) -> str:
        try:
            found = os.stat(path)
        except (OSError, ValueError):
            return f"missing:{path}"
        if not stat.S_ISREG(found.st_mode):  # never open a pipe or read an endless device
            return f"irregular:{path}"
        stamp = (found.st_mtime_ns, found.st_size, found.st_ino)
        memo = self._memo.get(path)
        if memo is not None and memo[0] == stamp:
            return memo[1]
        sha = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                sha.update(chunk)
        digest = f"sha256:{sha.hexdigest()}"
        self._memo[path] = (stamp, digest)
        return digest


def resolve_paths(node_type: NodeType, params: Mapping[str, Any], base_dir: Path) -> dict:
    """Relative input-file params are relative to ``base_dir`` (the preset's folder)."""
    resolved = dict(params)
    for param in node_type.params:
        if param.name in resolved:
            resolved[param.name] = with_paths(
                param.type, resolved[param.name], lambda v: str(file_path(v, base_dir))
            )
    return resolved


def node_key(
    node_type: NodeType,
    params: Mapping[str, Any],
    input_keys: Mapping[str, str],
    digests: FileDigests,
) -> str:
    """``params`` must already be resolved; files are keyed by content, not by name."""
    keyed: dict[str, Any] = {}
    for name, value in params.items():
        param = node_type.param(name)
        keyed[name] = value if param is None else with_paths(param.type, value, digests.digest)
    payload = json.dumps(
        [node_type.type_id, node_type.version, keyed, sorted(input_keys.items())],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
