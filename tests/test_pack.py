"""Packs: a recipe with its files in one zip, and the checks that make a stranger's pack safe."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from stylegraph.cli import main
from stylegraph.graph.atomic import public_mode
from stylegraph.graph.preset import PresetError, load_preset, preset_from_dict, preset_to_dict
from stylegraph.graph.validate import ValidationError
from stylegraph.jobs.pack import Limits, PackError, open_pack, unpack, write_pack
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.presets import shipped_presets


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fusion(registry, images: Path):
    preset = load_preset(shipped_presets()["fusion"], registry)
    preset.set_input("content", str(images / "content" / "chelsea.png"))
    preset.set_input("style", [str(images / "styles" / "starry_night.jpg")])
    return preset


def test_pack_then_unpack_gives_back_every_file_byte_for_byte(registry, images, tmp_path):
    preset = _fusion(registry, images)
    photo = (images / "content" / "chelsea.png").read_bytes()
    painting = (images / "styles" / "starry_night.jpg").read_bytes()

    packed = write_pack(preset, tmp_path / "a.sgpack", with_inputs=True)
    write_pack(preset, tmp_path / "b.sgpack", with_inputs=True)

    assert (tmp_path / "a.sgpack").read_bytes() == (tmp_path / "b.sgpack").read_bytes()
    assert stat.S_IMODE((tmp_path / "a.sgpack").stat().st_mode) == public_mode()
    assert [(p.entry, p.uses) for p in packed] == sorted(
        [
            (f"files/{_sha(photo)}.png", ("photo.path",)),
            (f"files/{_sha(painting)}.jpg", ("render.style_files",)),
        ]
    )
    with zipfile.ZipFile(tmp_path / "a.sgpack") as zf:
        assert zf.namelist() == sorted([*(p.entry for p in packed), "preset.json"])
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        inner = zf.read("preset.json")

    preset_json = unpack(tmp_path / "a.sgpack", tmp_path / "out")
    assert preset_json.read_bytes() == inner
    assert (tmp_path / "out" / f"files/{_sha(photo)}.png").read_bytes() == photo
    assert (tmp_path / "out" / f"files/{_sha(painting)}.jpg").read_bytes() == painting
    data = json.loads(inner)
    assert data["files"][f"files/{_sha(painting)}.jpg"] == {
        "name": "starry_night.jpg",
        "bytes": len(painting),
    }
    again = load_preset(preset_json, registry)
    assert again.input_values() == {
        "content": f"files/{_sha(photo)}.png",
        "style": [f"files/{_sha(painting)}.jpg"],
    }
    assert str(images) not in inner.decode()


def _run(*args: str) -> int:
    return main(["run", *args, "--quiet", "--no-disk-cache"])


def test_a_pack_made_from_an_output_image_reruns_pixel_identical_elsewhere(
    images, tmp_path, monkeypatch, capsys
):
    photo = images / "content" / "chelsea.png"
    first = tmp_path / "first"
    assert _run("facet-base", "--set", f"content={photo}", "--set", "shrink.longest_side=96",
                "--out", str(first)) == 0  # fmt: skip
    original = read_image(first / "facet-base.png")

    pack = tmp_path / "facet.sgpack"
    assert main(["pack", str(first / "facet-base.png"), "-o", str(pack), "--with-inputs"]) == 0
    entry = f"files/{_sha(photo.read_bytes())}.png"
    assert capsys.readouterr().out == f"{entry}  {photo}  (photo.path)\nwrote {pack}\n"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(pack, elsewhere / "facet.sgpack")
    monkeypatch.chdir(elsewhere)
    assert _run("facet.sgpack", "--out", "again") == 0
    np.testing.assert_array_equal(read_image(elsewhere / "again" / "facet-base.png"), original)


def test_by_default_the_photo_stays_out_and_the_receiver_sets_their_own(images, tmp_path, capsys):
    photo = images / "content" / "coffee.png"
    first = tmp_path / "first"
    assert _run("facet-base", "--set", f"content={photo}", "--set", "shrink.longest_side=80",
                "--out", str(first)) == 0  # fmt: skip
    pack = tmp_path / "facet.sgpack"
    assert main(["pack", str(first / "facet-base.png"), "-o", str(pack)]) == 0
    assert capsys.readouterr().out == f"left for the receiver: content\nwrote {pack}\n"
    with zipfile.ZipFile(pack) as zf:
        assert zf.namelist() == ["preset.json"]
        assert json.loads(zf.read("preset.json"))["nodes"]["photo"]["params"]["path"] == ""

    assert _run(str(pack), "--set", f"content={photo}", "--out", str(tmp_path / "again")) == 0
    np.testing.assert_array_equal(
        read_image(tmp_path / "again" / "facet-base.png"), read_image(first / "facet-base.png")
    )


# --- a stranger's pack -------------------------------------------------------------------

PAINTING = b"pretend this is a painting"
ENTRY = f"files/{_sha(PAINTING)}.png"


def _preset_json(path: str = ENTRY, type_id: str = "image.load") -> bytes:
    nodes = {"load": {"type": type_id, "params": {"path": path}}}
    return json.dumps({"format": "stylegraph.preset", "version": 1, "nodes": nodes}).encode()


def _info(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def _zip(
    path: Path,
    entries: list[tuple[zipfile.ZipInfo | str, bytes]],
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            info = _info(name) if isinstance(name, str) else name
            info.compress_type = compression
            zf.writestr(info, data)
    return path


def _good() -> list[tuple[zipfile.ZipInfo | str, bytes]]:
    return [("preset.json", _preset_json()), (ENTRY, PAINTING)]


def _refused(pack: Path, limits: Limits | None = None) -> str:
    dest = pack.parent / "dest"
    dest.mkdir()
    with pytest.raises(PackError) as caught:
        unpack(pack, dest, limits=limits or Limits())
    assert list(dest.iterdir()) == []
    return str(caught.value)


def _one(pack: Path, where: str, message: str) -> str:
    return f"{pack}: 1 problem(s)\n  {where}: {message}"


def test_a_good_pack_unpacks(tmp_path):
    preset_json = unpack(_zip(tmp_path / "p.sgpack", _good()), tmp_path / "dest")
    assert (tmp_path / "dest" / ENTRY).read_bytes() == PAINTING
    assert preset_json.read_bytes() == _preset_json()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../x", "refused: the path leaves the pack ('..')"),
        ("files/../../x", "refused: the path leaves the pack ('..')"),
        ("/etc/cron.d/x", "refused: the path is absolute"),
        ("C:/Windows/x", "refused: the path has a drive letter"),
        ("files\\x", "refused: the path contains a backslash"),
        ("files/notes.txt", "refused: a pack holds only preset.json and files/<sha256>.<ext>"),
        (f"files/{_sha(b'other')}.png", "refused: preset.json does not use this entry"),
    ],
)
def test_an_entry_outside_the_pack_layout_is_refused_before_extraction(tmp_path, name, message):
    pack = _zip(tmp_path / "p.sgpack", [*_good(), (name, b"payload")])
    assert _refused(pack) == _one(pack, name, message)


def test_a_symlink_entry_is_refused(tmp_path):
    link = _info(ENTRY, stat.S_IFLNK | 0o777)
    pack = _zip(tmp_path / "p.sgpack", [("preset.json", _preset_json()), (link, b"/etc/passwd")])
    assert _refused(pack) == _one(pack, ENTRY, "refused: a symbolic link")


def test_duplicate_names_are_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        pack = _zip(tmp_path / "p.sgpack", [*_good(), (ENTRY, b"a second painting")])
    assert _refused(pack) == _one(pack, ENTRY, "refused: the pack holds 2 entries of this name")


def test_an_oversize_entry_and_an_oversize_total_are_refused(tmp_path):
    pack = _zip(tmp_path / "p.sgpack", _good())
    size = len(PAINTING)
    assert _refused(pack, Limits(entry_bytes=size - 1)) == _one(
        pack, ENTRY, f"refused: {size} bytes uncompressed, over the limit of {size - 1}"
    )
    shutil.rmtree(tmp_path / "dest")
    total = size + len(_preset_json())
    assert _refused(pack, Limits(total_bytes=100)) == _one(
        pack, "$", f"refused: {total} bytes uncompressed in all, over the limit of 100"
    )


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path):
    zeros = bytes(4 << 20)
    entry = f"files/{_sha(zeros)}.png"
    pack = _zip(
        tmp_path / "p.sgpack",
        [("preset.json", _preset_json(entry)), (entry, zeros)],
        compression=zipfile.ZIP_DEFLATED,
    )
    with zipfile.ZipFile(pack) as zf:
        packed = zf.getinfo(entry).compress_size
    assert _refused(pack) == _one(
        pack,
        entry,
        f"refused: {packed} bytes would expand to {4 << 20}, a ratio only a zip bomb has",
    )


def _understate_size(pack: Path, entry: str, declared: int) -> None:
    """Rewrite the uncompressed size an entry declares, in its local and central headers."""
    data = bytearray(pack.read_bytes())
    with zipfile.ZipFile(pack) as zf:
        local = zf.getinfo(entry).header_offset
    struct.pack_into("<I", data, local + 22, declared)
    central = 0
    name = entry.encode()
    while (central := data.find(b"PK\x01\x02", central)) != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_len]) == name:
            struct.pack_into("<I", data, central + 24, declared)
        central += 4
    pack.write_bytes(bytes(data))


def test_an_entry_that_inflates_past_its_declared_size_is_refused(tmp_path):
    """A header that understates the size slips past the ratio check; decompression stops at
    the declared size, the entry's CRC then fails, and nothing lands."""
    zeros = bytes(4 << 20)
    entry = f"files/{_sha(zeros)}.png"
    pack = _zip(
        tmp_path / "p.sgpack",
        [("preset.json", _preset_json(entry)), (entry, zeros)],
        compression=zipfile.ZIP_DEFLATED,
    )
    _understate_size(pack, entry, 1000)
    assert _refused(pack) == _one(pack, entry, f"refused: damaged (Bad CRC-32 for file {entry!r})")


def test_a_file_whose_hash_does_not_match_its_name_is_refused_and_nothing_lands(registry, tmp_path):
    pack = _zip(tmp_path / "p.sgpack", [("preset.json", _preset_json()), (ENTRY, b"tampered")])
    expected = _one(
        pack, ENTRY, f"refused: its content's sha256 is {_sha(b'tampered')}, not its name's"
    )
    assert _refused(pack) == expected
    workdir = tmp_path / "work"
    with pytest.raises(PackError) as caught:
        open_pack(pack, registry, workdir)
    assert str(caught.value) == expected
    assert list(workdir.iterdir()) == []


def test_a_pack_may_not_point_its_preset_at_files_of_the_receiver(registry, tmp_path):
    pack = _zip(tmp_path / "p.sgpack", [("preset.json", _preset_json("/etc/hostname"))])
    with pytest.raises(PackError) as caught:
        open_pack(pack, registry, tmp_path / "work")
    assert str(caught.value) == _one(
        pack, "$.nodes.load.params.path", "refused: '/etc/hostname' is not in the pack"
    )
    assert not (tmp_path / "work").exists()


# --- what a receiver lacks ---------------------------------------------------------------


def test_an_unknown_node_type_is_named(registry, tmp_path, capsys):
    pack = _zip(tmp_path / "p.sgpack", [("preset.json", _preset_json("", "magic.paint"))])
    assert main(["validate", str(pack)]) == 2
    assert capsys.readouterr().err == (
        f"error: {pack}: 2 problem(s)\n"
        "  $.nodes: unknown node types: magic.paint\n"
        "  $.nodes.load.type: unknown node type 'magic.paint'\n"
    )


def test_a_newer_format_version_says_to_upgrade(registry, tmp_path):
    data = json.loads(_preset_json(""))
    data["version"] = 2
    pack = _zip(tmp_path / "p.sgpack", [("preset.json", json.dumps(data).encode())])
    with pytest.raises(PresetError) as caught:
        open_pack(pack, registry, tmp_path / "work")
    assert str(caught.value) == _one(
        pack,
        "$.version",
        "this preset is format version 2, made by a newer stylegraph; this one reads versions "
        "up to 1. Upgrade stylegraph to open it",
    )


def test_a_missing_file_is_named_by_node_param_and_path(registry, images, tmp_path, capsys):
    preset = _fusion(registry, images)
    gone = tmp_path / "gone.jpg"
    preset.set_input("style", [str(gone)])
    with pytest.raises(ValidationError) as caught:
        write_pack(preset, tmp_path / "x.sgpack", with_inputs=True)
    assert str(caught.value) == "node 'render' (style.transfer), param 'style_files': " + (
        f"file not found: {gone}"
    )
    assert not (tmp_path / "x.sgpack").exists()
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps(preset_to_dict(preset)))
    assert main(["validate", str(recipe)]) == 1
    assert capsys.readouterr().err == (
        f"{recipe}: node 'render' (style.transfer), param 'style_files': file not found: {gone}\n"
    )


def test_a_model_file_missing_from_a_pack_is_named_with_its_hash(registry, tmp_path):
    weights = tmp_path / "4x-Custom.pth"
    weights.write_bytes(b"not really weights")
    data = json.loads(_preset_json(""))
    data["nodes"]["up"] = {
        "type": "image.upscale",
        "params": {"model": "model-file", "model_file": str(weights)},
    }
    preset = preset_from_dict(data, registry, tmp_path)
    write_pack(preset, tmp_path / "full.sgpack")
    entry = f"files/{_sha(weights.read_bytes())}.pth"
    with zipfile.ZipFile(tmp_path / "full.sgpack") as zf:
        pack = _zip(tmp_path / "p.sgpack", [("preset.json", zf.read("preset.json"))])
    assert _refused(pack) == _one(
        pack,
        entry,
        f"node 'up' (image.upscale), param 'model_file' needs '4x-Custom.pth' "
        f"(sha256 {_sha(weights.read_bytes())}), which the pack does not hold",
    )


def test_unpack_wants_an_empty_folder(tmp_path):
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "mine.txt").write_text("keep")
    with pytest.raises(PackError) as caught:
        unpack(_zip(tmp_path / "p.sgpack", _good()), tmp_path / "dest")
    assert str(caught.value) == _one(
        tmp_path / "dest", "$", "not an empty folder; unpack into a new one"
    )
    assert os.listdir(tmp_path / "dest") == ["mine.txt"]


def test_a_pack_the_receiver_would_refuse_is_not_written(registry, images, tmp_path):
    preset = _fusion(registry, images)
    painting = images / "styles" / "starry_night.jpg"  # the photo is the smaller file
    size = painting.stat().st_size
    with pytest.raises(PackError) as caught:
        write_pack(
            preset, tmp_path / "x.sgpack", with_inputs=True, limits=Limits(entry_bytes=size - 1)
        )
    assert str(caught.value) == _one(
        tmp_path / "x.sgpack",
        str(painting),
        f"{size} bytes, over the limit of {size - 1} for one file",
    )
    assert list(tmp_path.iterdir()) == []


def test_with_input_packs_the_painting_and_leaves_the_photo_home(
    registry, images, tmp_path, capsys
):
    preset_file = tmp_path / "mine.json"
    preset_file.write_text(json.dumps(preset_to_dict(_fusion(registry, images))))
    pack = tmp_path / "starry.sgpack"
    assert main(["pack", str(preset_file), "-o", str(pack), "--with-input", "style"]) == 0
    painting = images / "styles" / "starry_night.jpg"
    entry = f"files/{_sha(painting.read_bytes())}.jpg"
    assert capsys.readouterr().out == (
        f"{entry}  {painting}  (render.style_files)\nleft for the receiver: content\nwrote {pack}\n"
    )
    assert main(["validate", str(pack)]) == 0
    assert capsys.readouterr().out == (
        f"{pack}: valid (15 nodes; inputs: content, style)\n"
        f"{pack}: a run needs content: --set content=PHOTO\n"
    )

    assert main(["pack", str(preset_file), "-o", str(pack), "--with-input", "sky"]) == 2
    assert capsys.readouterr().err == (
        "error: --with-input: the preset has no input 'sky' (its inputs: content, style)\n"
    )


def test_cache_clear_also_removes_the_files_of_opened_packs(tmp_path, capsys, monkeypatch):
    from stylegraph.jobs.pack import default_pack_dir

    monkeypatch.setenv("STYLEGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    kept = default_pack_dir() / "files" / ("0" * 64 + ".png")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"x")
    assert main(["cache", "clear"]) == 0
    assert capsys.readouterr().out == (
        f"removed 0 cached results and 1 unpacked files from {tmp_path / 'cache'}, "
        f"and 0 paintings' Grams from {tmp_path / 'cache' / 'grams'}\n"
    )
    assert not default_pack_dir().exists()
