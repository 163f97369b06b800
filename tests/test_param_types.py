"""Param values have one set of rules, Param.check, wherever they come from: a preset file,
`--set`, a pack or the editor. JSON has one number type, so a whole-number float (6.0) for
an int param is that int; 6.5 is refused naming node, param and value. `validate` checks
what a run checks (a node type's checks across params included) before any work, so a
preset that validates never fails on its params. And the smaller messages: numbers shown
short, every spelling of NaN alike, a blank file name refused, a missing pack folder named,
a run that writes nothing leaving no folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stylegraph.cli import main
from stylegraph.graph.model import Graph, GraphError
from stylegraph.graph.preset import load_preset
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.recipe_metadata import read_recipe
from stylegraph.presets import shipped_presets

FACET = shipped_presets()["facet-base"]


def _facet_base(tmp_path: Path, photo: Path, **params: dict) -> Path:
    """facet-base on ``photo`` at 96 px, with ``params`` (node id -> params) written into
    the file as given."""
    data = json.loads(FACET.read_text())
    data["nodes"]["photo"]["params"]["path"] = str(photo)
    data["nodes"]["shrink"]["params"]["longest_side"] = 96
    for node_id, values in params.items():
        data["nodes"][node_id]["params"].update(values)
    path = tmp_path / "facet.json"
    path.write_text(json.dumps(data))
    return path


def _run(preset: Path, out: Path, *sets: str) -> list[str]:
    argv = ["run", str(preset), "--out", str(out), "--quiet", "--no-disk-cache"]
    for assignment in sets:
        argv += ["--set", assignment]
    return argv


def test_whole_number_floats_in_a_preset_file_are_ints(images, tmp_path, capsys, registry):
    photo = images / "content" / "chelsea.png"
    preset = _facet_base(
        tmp_path,
        photo,
        facet={"spatial_radius": 6.0},
        dry_brush={"brush_size": 3.0},
        denoise={"search_radius": 4.0},
    )
    assert main(["validate", str(preset)]) == 0
    assert main(_run(preset, tmp_path / "out")) == 0, capsys.readouterr().err
    picture = tmp_path / "out" / "facet-base.png"
    assert read_image(picture).shape == (64, 96, 3)
    recipe = read_recipe(picture)["preset"]["nodes"]
    assert recipe["facet"]["params"]["spatial_radius"] == 6
    assert isinstance(recipe["facet"]["params"]["spatial_radius"], int)
    loaded = load_preset(preset, registry).graph.node("dry_brush").params["brush_size"]
    assert (loaded, type(loaded)) == (3, int)


def test_a_fraction_for_an_int_param_is_refused_naming_node_param_and_value(
    images, tmp_path, capsys
):
    preset = _facet_base(
        tmp_path, images / "content" / "chelsea.png", facet={"spatial_radius": 6.5}
    )
    message = (
        "node 'facet' (filter.facet), param 'spatial_radius': expected a whole number, got 6.5"
    )
    assert main(["validate", str(preset)]) == 1
    assert capsys.readouterr().err == f"{preset}: {message}\n"
    assert main(_run(preset, tmp_path / "out")) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not (tmp_path / "out").exists()
    # the same rule for --set: 6.0 is 6, 6.5 refused in the same words
    good = _facet_base(tmp_path, images / "content" / "chelsea.png")
    assert main(_run(good, tmp_path / "set", "facet.spatial_radius=6.0")) == 0
    assert main(_run(good, tmp_path / "set", "facet.spatial_radius=6.5")) == 2
    assert capsys.readouterr().err == f"error: --set facet.spatial_radius: {message}\n"


def test_the_editor_and_every_caller_store_the_normalised_value(registry):
    graph = Graph(registry)
    graph.add_node("filter.facet", "facet", {"spatial_radius": 8.0})
    assert type(graph.node("facet").params["spatial_radius"]) is int
    graph.set_param("facet", "pyramid_levels", 2.0)  # the editor's edits go through here
    levels = graph.node("facet").params["pyramid_levels"]
    assert (levels, type(levels)) == (2, int)
    with pytest.raises(GraphError) as caught:
        graph.set_param("facet", "pyramid_levels", 2.5)
    assert str(caught.value) == (
        "node 'facet' (filter.facet), param 'pyramid_levels': expected a whole number, got 2.5"
    )


def test_deep_style_takes_whole_number_floats_for_seed_and_history(images, tmp_path, capsys):
    data = json.loads(shipped_presets()["deep-style"].read_text())
    data["nodes"]["photo"]["params"]["path"] = str(images / "content" / "chelsea.png")
    data["nodes"]["paint"]["params"].update(
        style_files=[str(images / "styles" / "starry_night.jpg")],
        output_size=48.0,
        scales=[],
        scale_iterations=[],
        iterations=2.0,
        seed=6.0,
        lbfgs_history=5.0,
    )
    preset = tmp_path / "deep.json"
    preset.write_text(json.dumps(data))
    assert main(["validate", str(preset)]) == 0
    assert main(_run(preset, tmp_path / "out")) == 0, capsys.readouterr().err
    assert read_image(tmp_path / "out" / "deep-style.png").shape == (32, 48, 3)


def test_validate_refuses_scale_lists_the_run_would_refuse(images, tmp_path, capsys):
    data = json.loads(shipped_presets()["deep-style"].read_text())
    data["nodes"]["paint"]["params"]["scale_iterations"] = [300, 150]
    preset = tmp_path / "deep.json"
    preset.write_text(json.dumps(data))
    message = (
        "node 'paint' (style.transfer), param 'scale_iterations': give one whole number of "
        "iterations per scale (3 scales), got [300, 150]"
    )
    assert main(["validate", str(preset)]) == 1
    assert capsys.readouterr().err == f"{preset}: {message}\n"
    sets = [f"content={images / 'content' / 'chelsea.png'}"]
    sets.append(f"style={images / 'styles' / 'starry_night.jpg'}")
    assert main(_run(preset, tmp_path / "out", *sets)) == 2
    assert capsys.readouterr().err == f"error: {message}\n"  # before any node ran


@pytest.mark.parametrize(
    ("scales", "message"),
    [
        ("[64, 32]", "must ascend, coarse to fine (e.g. [256, 512]), got [64, 32]"),
        ("[32, 32]", "must ascend, coarse to fine (e.g. [256, 512]), got [32, 32]"),
        ("[32.5, 64]", "give whole numbers of pixels, got [32.5, 64]"),
    ],
)
def test_scales_must_ascend_in_whole_pixels(images, tmp_path, capsys, scales, message):
    argv = [
        "run",
        "deep-style",
        "--set",
        f"content={images / 'content' / 'chelsea.png'}",
        "--set",
        f"style={images / 'styles' / 'starry_night.jpg'}",
        "--set",
        f"paint.scales={scales}",
        "--set",
        "paint.scale_iterations=[2, 2]",
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: node 'paint' (style.transfer), param 'scales': {message}\n"
    )


def test_a_huge_number_is_shown_short(images, tmp_path, capsys):
    preset = _facet_base(tmp_path, images / "content" / "chelsea.png")
    assert main(_run(preset, tmp_path / "out", "shrink.longest_side=1e308")) == 2
    assert capsys.readouterr().err == (
        "error: --set shrink.longest_side: node 'shrink' (image.resize), param "
        "'longest_side': 1e+308 is above the maximum 32768\n"
    )
    data = json.loads(preset.read_text())
    data["nodes"]["shrink"]["params"]["longest_side"] = 10**400
    preset.write_text(json.dumps(data))
    assert main(["validate", str(preset)]) == 1
    assert capsys.readouterr().err == (
        f"{preset}: node 'shrink' (image.resize), param 'longest_side': a number of 401 "
        "digits is above the maximum 32768\n"
    )


@pytest.mark.parametrize("param", ["shrink.longest_side", "denoise.strength"])
def test_every_spelling_of_nan_gets_one_message(images, tmp_path, capsys, param):
    preset = _facet_base(tmp_path, images / "content" / "chelsea.png")
    said = set()
    for spelling in ("nan", "NaN", "NAN", "-nan"):
        assert main(_run(preset, tmp_path / "out", f"{param}={spelling}")) == 2
        said.add(capsys.readouterr().err.split(": ")[-1])
    kind = "a whole number" if param == "shrink.longest_side" else "a finite number"
    assert said == {f"expected {kind}, got nan\n"}


@pytest.mark.parametrize("name", [" ", "   ", "\t"])
def test_a_blank_file_name_is_refused(images, tmp_path, capsys, name):
    preset = _facet_base(tmp_path, images / "content" / "chelsea.png")
    assert main(_run(preset, tmp_path / "out", f"save.filename={name}")) == 2
    assert capsys.readouterr().err == (
        f"error: --set save.filename: node 'save' (image.save), param 'filename': {name!r} "
        "is blank: give a file name\n"
    )
    assert not (tmp_path / "out").exists()


def test_pack_names_the_missing_folder(tmp_path, capsys):
    target = tmp_path / "nodir" / "p.sgpack"
    assert main(["pack", "facet-base", "-o", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"error: {target}: 1 problem(s)\n  $: cannot write the pack: {target.parent} does "
        "not exist\n"
    )
    assert not target.parent.exists()


def test_an_out_path_too_long_to_write_in_leaves_no_folders(images, tmp_path, capsys):
    """Each folder fits, the file's temp name does not: the run fails naming the path and
    removes the 20-odd folders it made."""
    preset = _facet_base(tmp_path, images / "content" / "chelsea.png")
    out = str(tmp_path / "long")
    while len(out) + 195 < 4088:
        out += "/" + "d" * 194
    out += "/" + "e" * (4088 - len(out) - 1)
    assert len(out) == 4088
    assert main(_run(preset, Path(out))) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: node 'save' (image.save): cannot write into ")
    assert "File name too long" in err
    assert not (tmp_path / "long").exists()


def test_a_pack_carries_the_whole_number(images, tmp_path, capsys):
    """A preset with 6.0 packed, unpacked and run: the pack's preset holds the int 6."""
    import zipfile

    preset = _facet_base(
        tmp_path, images / "content" / "chelsea.png", facet={"spatial_radius": 6.0}
    )
    assert main(["pack", str(preset), "-o", str(tmp_path / "p.sgpack"), "--with-inputs"]) == 0
    packed = json.loads(zipfile.ZipFile(tmp_path / "p.sgpack").read("preset.json"))
    radius = packed["nodes"]["facet"]["params"]["spatial_radius"]
    assert (radius, type(radius)) == (6, int)
    assert main(_run(tmp_path / "p.sgpack", tmp_path / "out")) == 0, capsys.readouterr().err
    assert read_image(tmp_path / "out" / "facet-base.png").shape == (64, 96, 3)
