"""Durable file writes: a crash or power cut leaves the old file or the new one, never a
partial one, and a new file gets the mode any program would give it.

``tempfile.mkstemp`` creates files 0600 so that nobody else can read a half-written
temp file; renamed into place, that private mode would stay on a painter's output. The
final mode is therefore set from the process umask (0644 under the usual 022) before the
rename, unless the caller asks for a private file (cache entries).

Every temp file and staging folder in use is listed in one registry, so that a process told
to stop (Ctrl+C, SIGTERM) while a write is under way can remove them before it exits:
``forget_partial_files`` takes the registry's lock for good, so no new one starts after it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

_partial: set[Path] = set()
_partial_lock = threading.Lock()


def mark_partial(path: Path) -> None:
    """``path`` (a temp file or staging folder) is not whole yet; ``done_partial`` when it is
    renamed into place or removed. Blocks for good once ``forget_partial_files`` has run."""
    with _partial_lock:
        _partial.add(Path(path))


def done_partial(path: Path) -> None:
    with _partial_lock:
        _partial.discard(Path(path))


_new_folders: set[Path] = set()


def watch_new_folder(folder: Path) -> Path | None:
    """Note the outermost of ``folder`` and its parents that does not exist yet, so that
    ``forget_partial_files`` removes it if it is still empty then; returns it (None when
    ``folder`` exists)."""
    made = first_missing(Path(folder).absolute())
    if made is not None:
        with _partial_lock:
            _new_folders.add(made)
    return made


def forget_partial_files() -> list[Path]:
    """Remove every temp file and staging folder still in use, then the watched new folders
    left empty, and let no new one start (the lock is never released): for a process about
    to exit while another thread writes. Returns what was removed."""
    _partial_lock.acquire()
    removed = _remove_partial()
    for folder in sorted(_new_folders):
        removed += remove_empty_folders(folder)
    return removed


def remove_partial_files() -> list[Path]:
    """Remove the temp files and staging folders still listed, for a command that stopped
    on a signal in its own thread: one that landed between a temp file's making and the
    ``try`` that removes it on failure leaves it listed. Returns what was removed."""
    with _partial_lock:
        return _remove_partial()


def _remove_partial() -> list[Path]:
    removed = []
    for path in sorted(_partial):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        removed.append(path)
    _partial.clear()
    return removed


_MAIN_THREAD = threading.main_thread().ident
_listing_depth = 0  # in the main thread: a temp file being made and listed
_when_listed: list[Callable[[], None]] = []


@contextlib.contextmanager
def _listing() -> Iterator[None]:
    """Marks the making and listing of a temp file in the main thread, where signal
    handlers run: a handler that would raise there asks ``run_when_listed`` to raise once
    the file is listed, so that no signal leaves a file made but unlisted."""
    global _listing_depth
    if threading.get_ident() != _MAIN_THREAD:
        yield
        return
    _listing_depth += 1
    try:
        yield
    finally:
        _listing_depth -= 1
        if not _listing_depth and _when_listed:
            calls = list(_when_listed)
            _when_listed.clear()
            for call in calls:
                call()


def run_when_listed(call: Callable[[], None]) -> bool:
    """For a signal handler: when the main thread is making and listing a temp file, run
    ``call`` (which may raise) as soon as it is listed and return True; else False."""
    if _listing_depth and threading.get_ident() == _MAIN_THREAD:
        _when_listed.append(call)
        return True
    return False


def first_missing(folder: Path) -> Path | None:
    """The outermost of ``folder`` and its parents that does not exist yet (what making
    ``folder`` would create), or None when it exists."""
    missing = None
    while not os.path.lexists(folder):
        missing = folder
        if folder.parent == folder:
            break
        folder = folder.parent
    return missing


def remove_empty_folders(top: Path) -> list[Path]:
    """Remove ``top`` and the folders under it that hold no file, deepest first (a folder
    with a file in it, at any depth, stays); returns the folders removed."""
    top = Path(top)
    if not top.is_dir() or top.is_symlink():
        return []
    removed = []
    for root, dirs, _files in os.walk(top, topdown=False):
        for name in dirs:
            folder = Path(root) / name
            with contextlib.suppress(OSError):
                folder.rmdir()
                removed.append(folder)
    with contextlib.suppress(OSError):
        top.rmdir()
        removed.append(top)
    return removed


@contextlib.contextmanager
def partial_path(path: Path) -> Iterator[Path]:
    """Hold ``path`` in the registry for the block."""
    mark_partial(path)
    try:
        yield path
    finally:
        done_partial(path)


def new_temp_file(directory: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """``tempfile.mkstemp`` in ``directory``, the file listed as partial (under the lock,
    so a stopping process either sees it or keeps it from being made)."""
    with _listing(), _partial_lock:
        fd, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
        _partial.add(Path(name))
    return fd, Path(name)


def new_temp_dir(directory: Path | None, prefix: str) -> Path:
    """``tempfile.mkdtemp``, the folder listed as partial until ``done_partial``."""
    with _listing(), _partial_lock:
        path = Path(tempfile.mkdtemp(dir=directory, prefix=prefix))
        _partial.add(path)
    return path


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
    fd, tmp = new_temp_file(path.parent, f".{path.name}.", suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh, tmp
            fh.flush()
            os.fsync(fh.fileno())
        if not private:
            os.chmod(tmp, public_mode())
    except BaseException:
        tmp.unlink(missing_ok=True)
        done_partial(tmp)
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
    finally:
        done_partial(tmp)
    fsync_dir(path.parent)


def atomic_write_text(path: Path | str, text: str, *, private: bool = False) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), private=private)
