"""A disk cache of converted model weights (ncnn, ONNX, ... turned into torch tensors).

Converting a model can take seconds; the result is kept under ``converted_cache_dir()`` as a
safetensors file named by the model and the digest of its source, with the sha256 of that
file in a ``.sha256`` file beside it. A converted model changes every picture it touches and
a damaged one may not fail to load (a flipped byte in a weight, a NaN), so every load checks
the hash and that all weights are finite; a file that fails either is converted again with
one warning. The cache only saves time: a folder that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path

import torch

from stylegraph.graph.atomic import atomic_write_bytes

StateDict = dict[str, torch.Tensor]
Warn = Callable[[str], None]

HASH_SUFFIX = ".sha256"


class ConvertedModelWarning(UserWarning):
    """A converted model in the cache was damaged and has been converted again."""


class ConvertedModelError(ValueError):
    """A conversion produced weights that cannot be used (NaN or infinity)."""


# Where warnings go while a node loads a model: the node's ``ctx.warn``, so that the CLI and
# the editor show them with the run's other warnings. A context variable, so that each
# thread (the editor renders in one) has its own.
_relay: ContextVar[Warn | None] = ContextVar("converted_model_warnings", default=None)


def cache_subdir(name: str) -> Path:
    """``$STYLEGRAPH_CACHE_DIR/<name>`` if that variable is set, else ``<name>`` in the
    platform's user cache folder (``~/.cache/stylegraph/<name>`` on Linux)."""
    override = os.environ.get("STYLEGRAPH_CACHE_DIR")
    if override:
        return Path(override) / name
    import platformdirs

    return Path(platformdirs.user_cache_dir("stylegraph")) / name


def converted_cache_dir() -> Path:
    """Where converted models are kept: ``models`` in the cache folder."""
    return cache_subdir("models")


@contextmanager
def warnings_to(warn: Warn) -> Iterator[None]:
    """Send the warnings of ``cached_state_dict`` calls made inside the block to ``warn``
    (a node passes ``ctx.warn``) instead of Python's ``warnings`` module, which is where they
    go elsewhere (scripts, benchmarks) as a ``ConvertedModelWarning``."""
    token = _relay.set(warn)
    try:
        yield
    finally:
        _relay.reset(token)


def cached_state_dict(stem: str, source_digest: str, convert: Callable[[], StateDict]) -> StateDict:
    """The converted weights of one model, from the cache when it holds them intact.

    ``stem`` names the model (letters, digits, ``-`` and ``_``: it becomes a file name);
    ``source_digest`` is a digest of the files it is converted from (any short hex string),
    so a changed source is converted anew instead of matching a stale entry; ``convert`` does
    the conversion and is called only when the cache cannot answer. Its errors propagate.

    The file is ``converted_cache_dir() / f"{stem}-{source_digest}.safetensors"``:
    - missing, or present without its hash (written by an older version, or another process
      is writing it now): converted and written, silently;
    - empty, cut short, zeroed, altered in any byte (its sha256 differs from the one kept
      beside it), unreadable, or holding a NaN or infinity: converted again and rewritten
      with exactly one warning naming the file (see ``warnings_to``);
    - intact: loaded; ``convert`` is not called.

    Raises ``ConvertedModelError`` if ``convert`` itself returns a NaN or infinity, so a
    damaged source never reaches a picture.
    """
    path = converted_cache_dir() / f"{stem}-{source_digest}.safetensors"
    damage = None
    try:
        state, damage = _load_checked(path)
        if state is not None:
            return state
    except OSError:  # unreadable: convert below; the rewrite may not work either
        pass
    if damage is not None:
        _warn(f"the converted model {path} {damage}, so it was converted again")
        for stale in (path, _hash_path(path)):
            with suppress(OSError):
                stale.unlink(missing_ok=True)
    state = convert()
    bad = _non_finite(state)
    if bad:
        raise ConvertedModelError(
            f"{stem}: converting it gave NaN or infinity in {bad!r}; its source files are damaged"
        )
    _store(path, state)
    return state


def _hash_path(path: Path) -> Path:
    return path.with_name(path.name + HASH_SUFFIX)


def _load_checked(path: Path) -> tuple[StateDict | None, str | None]:
    """(weights, None) for an intact file; (None, why) for a damaged one; (None, None) for
    one that is missing or has no hash to check it against."""
    from safetensors.torch import load

    data = path.read_bytes() if path.is_file() else None
    if data is None:
        return None, None
    try:
        expected = _hash_path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None, None
    if not data:
        return None, "is empty"
    if hashlib.sha256(data).hexdigest() != expected:
        return None, "does not match the hash kept beside it (cut short or altered)"
    try:
        state = load(data)
    except Exception:  # any damage the hash could not see (a hash file rewritten too)
        return None, "cannot be read as safetensors"
    if _non_finite(state):
        return None, "holds NaN or infinity"
    return state, None


def _non_finite(state: StateDict) -> str | None:
    """The first tensor holding a NaN or infinity, by name, or None."""
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return name
    return None


def _store(path: Path, state: StateDict) -> None:
    """The weights, then their hash: a reader between the two sees no hash and converts
    quietly, never a false alarm."""
    from safetensors.torch import save

    data = save({k: v.contiguous() for k, v in state.items()})
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data, private=True)
        digest = hashlib.sha256(data).hexdigest()
        atomic_write_bytes(_hash_path(path), digest.encode("ascii"), private=True)


def _warn(message: str) -> None:
    relay = _relay.get()
    if relay is not None:
        relay(message)
    else:
        warnings.warn(message, ConvertedModelWarning, stacklevel=3)
