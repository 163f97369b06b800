"""Durable file writes: a crash or power cut leaves the old file or the new one, never a
partial one, and a new file gets the mode any program would give it.

``tempfile.mkstemp`` creates files 0600 so that nobody else can read a half-written
temp file; renamed into place, that private mode would stay on a painter's output. The
final mode is therefore set from the process umask (0644 under the usual 022) before the
rename, unless the caller asks for a private file (cache entries).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def current_umask() -> int:
    """The process umask. Reading it means setting it, so it is set straight back."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def public_mode() -> int:
    """The mode a plain ``open(path, "w")`` would create a file with."""
    return 0o666 & ~current_umask()


def fsync_dir(directory: Path) -> None:
    """Make a rename inside ``directory`` durable; a no-op where folders cannot be opened
    (Windows) or synced."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def temp_file_beside(
    path: Path, *, private: bool = False, suffix: str = ".tmp"
) -> Iterator[tuple[IO[bytes], Path]]:
    """A hidden temp file in ``path``'s folder, flushed, fsync'd and given its final mode
    when the block ends; removed if the block raises. The caller decides how it is moved
    into place (``os.replace``, or a link that refuses to overwrite)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh, tmp
            fh.flush()
            os.fsync(fh.fileno())
        if not private:
            os.chmod(tmp, public_mode())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path | str, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` through a synced temp file and a rename."""
    path = Path(path)
    with temp_file_beside(path, private=private) as (fh, tmp):
        fh.write(data)
    replace_with(tmp, path)


def replace_with(tmp: Path, path: Path) -> None:
    """Put the finished temp file ``tmp`` in ``path``'s place, durably; on failure the temp
    file goes and ``path`` is untouched."""
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path | str, text: str, *, private: bool = False) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), private=private)
