"""Packs: a preset and every file it names, in one zip to hand to someone else.

A ``.sgpack`` holds ``preset.json`` and one ``files/<sha256>.<ext>`` entry per painting, mask
or model file the preset uses, with the preset rewritten to name those entries and a
``files`` table keeping each file's original name. Packing twice gives identical bytes
(fixed timestamps, sorted entries, fixed modes).

Opening a pack treats it as data from a stranger. Its zip directory is checked before a byte
is decompressed (entry names, types, declared sizes, compression ratios, duplicates); then
only ``preset.json`` is read, as JSON, and an entry it does not use is refused; then each
file it uses is decompressed into a staging folder with its bytes counted against the caps
and its sha256 checked against its name. Nothing reaches the destination until every entry
has passed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import stat
import zipfile
import zlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from stylegraph.graph.atomic import (
    atomic_write_bytes,
    done_partial,
    first_missing,
    fsync_dir,
    mark_partial,
    new_temp_dir,
    replace_with,
    temp_file_beside,
)
from stylegraph.graph.cache import default_cache_dir
from stylegraph.graph.files import file_refs, missing_files, resolve_ref
from stylegraph.graph.preset import (
    GraphInput,
    Preset,
    PresetError,
    load_preset,
    preset_from_dict,
    preset_to_dict,
)
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import ParamType
from stylegraph.graph.validate import ValidationError, check

PACK_SUFFIX = ".sgpack"
PRESET_ENTRY = "preset.json"
FILE_ENTRY = re.compile(r"files/(?P<sha>[0-9a-f]{64})\.(?P<ext>[a-z0-9]{1,10})")

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_UNIX = 3
_CHUNK = 1 << 20
_RATIO_FLOOR = 1 << 16  # below this size a high ratio cannot hurt anyone
_DAMAGED = (zipfile.BadZipFile, EOFError, zlib.error)  # what a corrupt entry raises on read
_LONGER = "refused: it decompresses to more bytes than its header declares"


@dataclass(frozen=True)
class Limits:
    """What a pack may hold. One entry fits a VGG-19 weights file (548 MB) with room; files
    are stored uncompressed, so only preset.json legitimately compresses at all."""

    entry_bytes: int = 1 << 30
    total_bytes: int = 2 << 30
    preset_bytes: int = 4 << 20
    entries: int = 10_000
    ratio: float = 100.0


class PackError(PresetError):
    """A pack refused or unusable; each problem names its entry (``$``: the whole pack)."""


@dataclass(frozen=True)
class PackedFile:
    """One file written into a pack: where it came from and which params use it."""

    entry: str
    source: Path
    uses: tuple[str, ...]


def is_pack(path: Path | str) -> bool:
    return Path(path).suffix.lower() == PACK_SUFFIX


def default_pack_dir() -> Path:
    """Where opened packs keep their files: keyed by content hash, so packs share them."""
    return default_cache_dir() / "packs"


def load_preset_or_pack(path: Path | str, registry: Registry) -> Preset:
    """What the command line and the editor open: a preset file, or a pack, whose files
    are then kept in ``default_pack_dir()``."""
    if is_pack(path):
        return open_pack(path, registry, default_pack_dir())
    return load_preset(path, registry)


def preset_from_recipe(recipe: Any, registry: Registry, base_dir: Path, source: str) -> Preset:
    """The preset inside the recipe that Save Image embeds in an output image."""
    preset = recipe.get("preset") if isinstance(recipe, dict) else None
    if not isinstance(preset, dict):
        raise PresetError(source, [("$.preset", "the embedded recipe has no preset")])
    return preset_from_dict(preset, registry, base_dir, source)


def write_pack(
    preset: Preset,
    out_path: Path | str,
    *,
    with_inputs: bool | Collection[str] = False,
    limits: Limits | None = None,
) -> list[PackedFile]:
    """Write ``preset`` and the files it names to ``out_path``, atomically. The files of its
    named inputs (the photo a receiver brings) are left out, and those params emptied,
    unless ``with_inputs`` is True or names them (``["style"]``: the painting goes, the
    photo stays home). A pack a receiver would refuse under ``limits`` (default: the
    defaults) is not written."""
    out_path = Path(out_path)
    folder = out_path.absolute().parent
    if not folder.is_dir():
        why = "is not a folder" if os.path.lexists(folder) else "does not exist"
        raise PackError(str(out_path), [("$", f"cannot write the pack: {folder} {why}")])
    data = copy.deepcopy(preset_to_dict(preset))
    left_out = {(b.node, b.param) for b in left_for_receiver(preset, with_inputs).values()}
    for node_id, param_name in left_out:
        param = preset.graph.node_type(node_id).param(param_name)
        if param is not None and param.type == ParamType.FILE:
            data["nodes"][node_id]["params"][param_name] = ""
        elif param is not None and param.type == ParamType.FILE_LIST:
            data["nodes"][node_id]["params"][param_name] = []

    missing = missing_files(preset.graph, preset.base_dir, skip=left_out)
    if missing:
        raise ValidationError(missing)

    sources: dict[str, Path] = {}
    uses: dict[str, list[str]] = {}
    for ref in file_refs(preset.graph):
        if (ref.node_id, ref.param) in left_out:
            continue
        source = resolve_ref(ref, preset.base_dir)
        entry = f"files/{_sha256_file(source)}.{_extension(source)}"
        sources[entry] = source
        uses.setdefault(entry, []).append(f"{ref.node_id}.{ref.param}")
        params = data["nodes"][ref.node_id]["params"]
        if ref.index is None:
            params[ref.param] = entry
        else:
            params[ref.param][ref.index] = entry
    sizes = {entry: source.stat().st_size for entry, source in sources.items()}
    data["files"] = {
        entry: {"name": sources[entry].name, "bytes": sizes[entry]} for entry in sorted(sources)
    }
    preset_bytes = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    _refuse_what_a_receiver_would(
        str(out_path), sources, sizes, len(preset_bytes), limits or Limits()
    )

    with temp_file_beside(out_path) as (fh, tmp), zipfile.ZipFile(fh, "w") as zf:
        for name in sorted([PRESET_ENTRY, *sources]):
            if name == PRESET_ENTRY:
                zf.writestr(_zip_info(name, zipfile.ZIP_DEFLATED), preset_bytes, compresslevel=9)
            else:
                _copy_into(zf, name, sources[name], str(out_path))
    replace_with(tmp, out_path)
    return [PackedFile(e, sources[e], tuple(uses[e])) for e in sorted(sources)]


def left_for_receiver(preset: Preset, with_inputs: bool | Collection[str]) -> dict[str, GraphInput]:
    """The named inputs a pack leaves empty: all of them, none (True), or all but those
    named."""
    if with_inputs is True:
        return {}
    kept = set() if with_inputs is False else set(with_inputs)
    unknown = sorted(kept - set(preset.inputs))
    if unknown:
        known = ", ".join(sorted(preset.inputs)) or "none"
        raise KeyError(f"the preset has no input {unknown[0]!r} (its inputs: {known})")
    return {name: b for name, b in preset.inputs.items() if name not in kept}


def _refuse_what_a_receiver_would(
    pack_name: str,
    sources: dict[str, Path],
    sizes: dict[str, int],
    preset_size: int,
    limits: Limits,
) -> None:
    """A pack over the limits could be made but not opened: say so while packing."""
    problems = [
        (str(sources[entry]), f"{size} bytes, over the limit of {limits.entry_bytes} for one file")
        for entry, size in sorted(sizes.items())
        if size > limits.entry_bytes
    ]
    total = sum(sizes.values()) + preset_size
    if total > limits.total_bytes:
        problems.append(("$", f"{total} bytes in all, over the limit of {limits.total_bytes}"))
    if problems:
        raise PackError(pack_name, problems)


def open_pack(
    path: Path | str, registry: Registry, workdir: Path | str, *, limits: Limits = Limits()
) -> Preset:
    """The pack's preset, ready to run: its files verified and placed in ``workdir/files``,
    its base_dir ``workdir``, and loaded through the preset loader's checks. A pack may only
    name files it holds; the receiver's own files come later, through ``set_input``."""
    path, workdir = Path(path), Path(workdir).absolute()
    with _open_zip(path) as zf:
        _raw, data, entries = _check(zf, path, limits)
        preset = _checked_preset(data, entries, registry, workdir, path)
        _extract(zf, path, list(entries.values()), workdir, limits)
    return preset


def unpack(
    path: Path | str,
    dest_dir: Path | str,
    registry: Registry | None = None,
    *,
    limits: Limits = Limits(),
) -> Path:
    """Extract a pack for editing into a new or empty folder; returns its preset.json, which
    loads like any preset (its files are relative to it). A pack that running it would
    refuse (a preset naming a file the pack does not hold, such as ``/etc/passwd``, or a
    save path leaving the output folder) is refused here too, by the same checks against
    ``registry`` (default: the shipped node types) and the engine's graph check, and a
    refused pack leaves nothing behind: no file, and no folder this call created."""
    path, dest = Path(path), Path(dest_dir)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise PackError(str(dest), [("$", "not an empty folder; unpack into a new one")])
    if registry is None:
        from stylegraph.nodes import default_registry

        registry = default_registry()
    created = first_missing(dest.absolute())
    if created is not None:
        mark_partial(created)  # an interrupted unpack leaves no folder behind
    try:
        with _open_zip(path) as zf:
            raw, data, entries = _check(zf, path, limits)
            check(_checked_preset(data, entries, registry, dest.absolute(), path).graph)
            dest.mkdir(parents=True, exist_ok=True)
            _extract(zf, path, list(entries.values()), dest, limits)
        atomic_write_bytes(dest / PRESET_ENTRY, raw)
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        if created is not None:
            done_partial(created)
    return dest / PRESET_ENTRY


def _checked_preset(
    data: dict[str, Any],
    entries: dict[str, zipfile.ZipInfo],
    registry: Registry,
    base_dir: Path,
    path: Path,
) -> Preset:
    """What running the pack checks before anything is extracted: the preset loader's
    checks (node types, params, output folders), and that it names only files it holds."""
    preset = preset_from_dict(data, registry, base_dir, str(path))
    outside = [
        (
            f"$.nodes.{ref.node_id}.params.{ref.param}",
            f"refused: {ref.value!r} is not in the pack",
        )
        for ref in file_refs(preset.graph)
        if ref.value not in entries
    ]
    if outside:
        raise PackError(str(path), outside)
    return preset


def _sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _extension(path: Path) -> str:
    """Kept because loaders pick a format by it (``.safetensors`` vs ``.pth``)."""
    ext = path.suffix[1:].lower()
    return ext if re.fullmatch(r"[a-z0-9]{1,10}", ext) else "bin"


def _zip_info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = compress_type
    info.create_system = _UNIX
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _copy_into(zf: zipfile.ZipFile, entry: str, source: Path, pack_name: str) -> None:
    """Stored, not deflated: paintings and weights barely compress, and a reader can then
    refuse any entry that claims a high ratio."""
    info = _zip_info(entry, zipfile.ZIP_STORED)
    size = source.stat().st_size
    sha = hashlib.sha256()
    with (
        source.open("rb") as src,
        zf.open(info, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as dst,
    ):
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            sha.update(chunk)
            dst.write(chunk)
    if entry != f"files/{sha.hexdigest()}.{_extension(source)}":
        raise PackError(pack_name, [(entry, f"{source} changed while it was being packed")])


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise PackError(str(path), [("$", "no such file")]) from None
    except OSError as exc:
        raise PackError(str(path), [("$", f"cannot read the file: {exc.strerror}")]) from None
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise PackError(str(path), [("$", "not a stylegraph pack (not a zip file)")]) from None


def _entry_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Why one directory entry is refused, judged from the zip directory alone."""
    name = info.filename
    mode = info.external_attr >> 16
    if name.startswith("/"):
        return "refused: the path is absolute"
    if re.match(r"[A-Za-z]:", name):
        return "refused: the path has a drive letter"
    if "\\" in name:
        return "refused: the path contains a backslash"
    if ".." in name.split("/"):
        return "refused: the path leaves the pack ('..')"
    if stat.S_ISLNK(mode):
        return "refused: a symbolic link"
    if info.is_dir() or (stat.S_IFMT(mode) and not stat.S_ISREG(mode)):
        return "refused: not a plain file"
    if info.flag_bits & 0x1:
        return "refused: encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return "refused: compressed with a method packs do not use"
    if name != PRESET_ENTRY and not FILE_ENTRY.fullmatch(name):
        return "refused: a pack holds only preset.json and files/<sha256>.<ext>"
    limit = limits.preset_bytes if name == PRESET_ENTRY else limits.entry_bytes
    if info.file_size > limit:
        return f"refused: {info.file_size} bytes uncompressed, over the limit of {limit}"
    if info.file_size > _RATIO_FLOOR and info.file_size > limits.ratio * info.compress_size:
        return (
            f"refused: {info.compress_size} bytes would expand to {info.file_size}, "
            "a ratio only a zip bomb has"
        )
    return None


def _directory_problems(infos: list[zipfile.ZipInfo], limits: Limits) -> list[tuple[str, str]]:
    if len(infos) > limits.entries:
        return [("$", f"refused: {len(infos)} entries, over the limit of {limits.entries}")]
    counts = Counter(info.filename for info in infos)
    problems = [
        (name, f"refused: the pack holds {count} entries of this name")
        for name, count in counts.items()
        if count > 1
    ]
    for info in infos:
        problem = _entry_problem(info, limits)
        if problem is not None and counts[info.filename] == 1:
            problems.append((info.filename, problem))
    total = sum(info.file_size for info in infos)
    if total > limits.total_bytes:
        problems.append(
            (
                "$",
                f"refused: {total} bytes uncompressed in all, over the limit of "
                f"{limits.total_bytes}",
            )
        )
    if PRESET_ENTRY not in counts:
        problems.append((PRESET_ENTRY, "the pack has no preset.json"))
    return problems


def _references(data: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """Pack entries named by the preset's params, each with one (node, type, param) using
    it. Read without the registry, so unpacking needs no node types."""
    refs: dict[str, tuple[str, str, str]] = {}
    nodes = data.get("nodes")
    for node_id, spec in (nodes if isinstance(nodes, dict) else {}).items():
        params = spec.get("params") if isinstance(spec, dict) else None
        for name, value in (params if isinstance(params, dict) else {}).items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and FILE_ENTRY.fullmatch(item):
                    refs.setdefault(item, (node_id, str(spec.get("type")), name))
    return refs


def _check(
    zf: zipfile.ZipFile, path: Path, limits: Limits
) -> tuple[bytes, dict[str, Any], dict[str, zipfile.ZipInfo]]:
    """Everything that can be judged before a file entry is decompressed: the directory,
    then preset.json and the entries it uses. Returns preset.json's bytes, its parsed data
    and the entries to extract."""
    source = str(path)
    infos = zf.infolist()
    problems = _directory_problems(infos, limits)
    if problems:
        raise PackError(source, problems)
    by_name = {info.filename: info for info in infos}
    raw = _read_all(zf, by_name[PRESET_ENTRY], source, limits.preset_bytes)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PackError(source, [(PRESET_ENTRY, "not valid UTF-8 JSON")]) from None
    if not isinstance(data, dict):
        raise PackError(source, [(PRESET_ENTRY, "not a stylegraph preset")])
    refs = _references(data)
    names = data.get("files") if isinstance(data.get("files"), dict) else {}
    problems = [
        (name, "refused: preset.json does not use this entry")
        for name in sorted(by_name)
        if name != PRESET_ENTRY and name not in refs
    ]
    for entry, (node_id, type_id, param) in sorted(refs.items()):
        if entry not in by_name:
            info = names.get(entry)
            original = info.get("name") if isinstance(info, dict) else None
            problems.append(
                (
                    entry,
                    f"node {node_id!r} ({type_id}), param {param!r} needs "
                    f"{original or PurePosixPath(entry).name!r} "
                    f"(sha256 {FILE_ENTRY.fullmatch(entry)['sha']}), which the pack does not hold",
                )
            )
    if problems:
        raise PackError(source, problems)
    return raw, data, {name: by_name[name] for name in sorted(refs)}


def _read_all(zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, limit: int) -> bytes:
    chunks = []
    size = 0
    try:
        with _entry_reader(zf, info, source) as fh:
            while chunk := fh.read(_CHUNK):
                size += len(chunk)
                if size > min(limit, info.file_size):
                    raise PackError(source, [(info.filename, _LONGER)])
                chunks.append(chunk)
    except _DAMAGED as exc:
        raise PackError(source, [(info.filename, f"refused: damaged ({exc})")]) from None
    return b"".join(chunks)


def _entry_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> IO[bytes]:
    try:
        return zf.open(info)
    except (zipfile.BadZipFile, ValueError, NotImplementedError) as exc:
        raise PackError(source, [(info.filename, f"refused: damaged ({exc})")]) from None


def _extract(
    zf: zipfile.ZipFile, path: Path, infos: list[zipfile.ZipInfo], target: Path, limits: Limits
) -> None:
    """Decompress into a staging folder inside ``target``, counting bytes against the caps
    as they come and hashing them; move the files into ``target/files`` only when every
    one has passed."""
    source = str(path)
    target.mkdir(parents=True, exist_ok=True)
    staging = new_temp_dir(target, ".sgpack-")
    try:
        total = 0
        problems = []
        for info in infos:
            sha = hashlib.sha256()
            size = 0
            problem = None
            try:
                with (
                    _entry_reader(zf, info, source) as src,
                    (staging / _base(info)).open("wb") as out,
                ):
                    while chunk := src.read(_CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if size > min(info.file_size, limits.entry_bytes) or (
                            total > limits.total_bytes
                        ):
                            problem = _LONGER
                            break
                        sha.update(chunk)
                        out.write(chunk)
            except _DAMAGED as exc:
                problem = f"refused: damaged ({exc})"
            expected = FILE_ENTRY.fullmatch(info.filename)["sha"]
            if problem is None and sha.hexdigest() != expected:
                problem = f"refused: its content's sha256 is {sha.hexdigest()}, not its name's"
            if problem is not None:
                problems.append((info.filename, problem))
        if problems:
            raise PackError(source, problems)
        files_dir = target / "files"
        files_dir.mkdir(exist_ok=True)
        for info in infos:
            os.replace(staging / _base(info), files_dir / _base(info))
        fsync_dir(files_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        done_partial(staging)


def _base(info: zipfile.ZipInfo) -> str:
    return PurePosixPath(info.filename).name
