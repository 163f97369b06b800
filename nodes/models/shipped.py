"""Model files kept in the repository (nodes/models/mediapipe, nodes/models/u2net), read
only after their SHA-256 matches the one recorded beside the code: a file damaged on disk
or replaced gives an error naming it, never a wrong mask."""

from __future__ import annotations

import hashlib
from pathlib import Path


class ModelFileError(RuntimeError):
    """A shipped model file is missing or not the file this version was tested with."""


def verified_bytes(path: Path, sha256: str) -> bytes:
    """The content of the model file at ``path``, after checking it against ``sha256``."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(
            f"model file {path} cannot be read ({exc.strerror or exc}); reinstall stylegraph"
        ) from exc
    digest = hashlib.sha256(content).hexdigest()
    if digest != sha256:
        raise ModelFileError(
            f"model file {path} is damaged or replaced: its SHA-256 is {digest}, "
            f"expected {sha256}; reinstall stylegraph"
        )
    return content
