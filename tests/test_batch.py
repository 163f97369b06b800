"""`stylegraph batch`: items and names, shared and batched work, resume, fault isolation."""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from stylegraph.cli import main
from stylegraph.jobs.items import BatchError, expand_items, merge_axes
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.recipe_metadata import read_recipe
from stylegraph.presets import shipped_presets
from tests.helpers import batch_killed_after_first_item

SMALL = ["--set", "paint.output_size=96"]


def _batch(args: list[str], capsys) -> tuple[int, list[dict], str]:
    """Run `stylegraph batch ... --json` in this process: exit code, item lines, stderr."""
    code = main(["batch", *args, "--json", "--no-disk-cache"])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")]
    return code, lines, captured.err


def _summary(lines: list[dict]) -> dict:
    return next(line["summary"] for line in lines if "summary" in line)


@pytest.fixture
def styles(images: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "styles"
    folder.mkdir()
    for name in ("starry_night.jpg", "the_scream.jpg", "shipwreck.jpg"):
        shutil.copy(images / "styles" / name, folder / name)
    return folder


def test_cross_product_counts_and_names(tmp_path: Path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a cat.png", "b.jpg", "notes.md"):
        (photos / name).write_bytes(b"")
    listing = tmp_path / "styles.txt"
    listing.write_text("# paintings\nx/starry night.jpg\n\ny/starry night.jpg\nz/scream.png\n")
    axes = merge_axes([f"content={photos}", f"style={listing}"])
    items = expand_items(axes, "{style}-{content}")
    assert len(items) == 2 * 3
    assert [i.name for i in items] == [
        "starry-night-a-cat",
        "starry-night-a-cat-2",
        "scream-a-cat",
        "starry-night-b",
        "starry-night-b-2",
        "scream-b",
    ]
    assert items[4].values["style"] == (tmp_path / "y" / "starry night.jpg").resolve()
    globbed = merge_axes([f"content={photos}/*.jpg", f"content={photos}/a*"])
    assert [p.name for p in globbed[0].paths] == ["b.jpg", "a cat.png"]
    with pytest.raises(BatchError, match=r"--name '\{painting\}': no --over input 'painting'"):
        expand_items(axes, "{painting}")
    with pytest.raises(BatchError, match="--over style: no file, folder or glob match"):
        merge_axes([f"style={tmp_path}/missing.jpg"])


def test_dry_run_lists_items_and_runs_nothing(images, styles, tmp_path, capsys, monkeypatch):
    from stylegraph.graph.engine import Engine

    monkeypatch.setattr(Engine, "run", lambda *a, **k: pytest.fail("the dry run ran a graph"))
    out = tmp_path / "out"
    content = images / "content" / "chelsea.png"
    code = main(
        [
            "batch",
            "quick-stylize",
            "--over",
            f"content={content}",
            "--over",
            f"style={styles}",
            "--out",
            str(out),
            "--dry-run",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split(":")[0] for line in lines] == [
        "chelsea_shipwreck",
        "chelsea_starry_night",
        "chelsea_the_scream",
    ]
    assert lines[0].endswith(f"-> {out / 'chelsea_shipwreck.png'}")
    assert not out.exists()
    code = main(["batch", "quick-stylize", "--over", f"painting={styles}", "--dry-run"])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: --over painting: the preset has no input 'painting' (inputs: content, style)\n"
    )


def test_shared_upstream_runs_once_per_photo_and_styles_batch(
    images, styles, tmp_path, capsys, monkeypatch
):
    from stylegraph.nodes.models import fast_style

    passes = []
    real_render = fast_style.render
    monkeypatch.setattr(
        fast_style,
        "render",
        lambda content, vectors, *a, **k: (
            passes.append(len(vectors)) or real_render(content, vectors, *a, **k)
        ),
    )
    photos = [images / "content" / "chelsea.png", images / "content" / "coffee.png"]
    code, lines, _ = _batch(
        [
            "fusion",
            "--over",
            f"content={photos[0]}",
            "--over",
            f"content={photos[1]}",
            "--over",
            f"style={styles}",
            "--set",
            "shrink.longest_side=64",
            "--out",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    summary = _summary(lines)
    assert code == 0 and summary["done"] == 6
    runs = summary["node_runs"]
    for upstream in ("photo", "shrink", "denoise", "facet", "dry_brush"):
        assert runs[upstream] == 2, upstream  # once per photo, not once per item
    assert runs["render"] == 6 and runs["save"] == 6
    assert passes == [3, 3]  # one batched forward pass of three paintings per photo
    assert summary["batched_calls"] == 2


def test_batched_renders_match_single_runs(images, styles, tmp_path, capsys):
    content = images / "content" / "chelsea.png"
    code, _, _ = _batch(
        [
            "quick-stylize",
            "--over",
            f"content={content}",
            "--over",
            f"style={styles}",
            *SMALL,
            "--out",
            str(tmp_path / "batch"),
        ],
        capsys,
    )
    assert code == 0
    style = styles / "the_scream.jpg"
    assert (
        main(
            [
                "run",
                "quick-stylize",
                "--set",
                f"content={content}",
                "--set",
                f"style={style}",
                *SMALL,
                "--out",
                str(tmp_path / "single"),
                "--quiet",
                "--no-disk-cache",
            ]
        )
        == 0
    )
    batched = read_image(tmp_path / "batch" / "chelsea_the_scream.png")
    single = read_image(tmp_path / "single" / "quick-stylize.png")
    assert np.abs(batched - single).max() <= 2 / 255
    recipe = read_recipe(tmp_path / "batch" / "chelsea_the_scream.png")
    assert recipe["inputs"] == {"content": str(content), "style": [str(style)]}


def test_changed_param_renders_again(images, styles, tmp_path, capsys):
    args = ["quick-stylize", "--over", f"content={images / 'content' / 'chelsea.png'}"]
    args += ["--over", f"style={styles}", *SMALL, "--out", str(tmp_path / "out")]
    assert _summary(_batch(args, capsys)[1])["done"] == 3
    again = _summary(_batch(args, capsys)[1])
    assert (again["done"], again["skipped"]) == (0, 3)
    changed = _summary(_batch([*args, "--set", "paint.strength=0.5"], capsys)[1])
    assert (changed["done"], changed["skipped"]) == (3, 0)
    recipe = read_recipe(tmp_path / "out" / "chelsea_shipwreck.png")
    assert recipe["preset"]["nodes"]["paint"]["params"]["strength"] == 0.5


def test_corrupt_style_fails_that_item_only(images, styles, tmp_path, capsys):
    (styles / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    code, lines, err = _batch(
        [
            "quick-stylize",
            "--over",
            f"content={images / 'content' / 'chelsea.png'}",
            "--over",
            f"style={styles}",
            *SMALL,
            "--out",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    summary = _summary(lines)
    assert code == 1
    assert summary["done"] == 3
    assert list(summary["failed"]) == ["chelsea_broken"]
    assert "broken.jpg" in summary["failed"]["chelsea_broken"]
    assert "failed chelsea_broken: node 'paint' (style.transfer): param 'style_files'" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "chelsea_shipwreck.png",
        "chelsea_starry_night.png",
        "chelsea_the_scream.png",
    ]


def test_out_of_memory_retries_on_smaller_tiles(images, styles, tmp_path, capsys, monkeypatch):
    import torch

    from stylegraph.nodes.models import fast_style

    real_render = fast_style.render

    def render(content, vectors, device, tile=0, *args, **kwargs):
        if tile == 0:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 8 GiB")
        return real_render(content, vectors, device, tile, *args, **kwargs)

    monkeypatch.setattr(fast_style, "render", render)
    code, lines, _ = _batch(
        [
            "quick-stylize",
            "--over",
            f"content={images / 'content' / 'chelsea.png'}",
            "--over",
            f"style={styles / 'shipwreck.jpg'}",
            "--over",
            f"style={styles / 'the_scream.jpg'}",
            *SMALL,
            "--out",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    assert code == 0 and _summary(lines)["done"] == 2
    recipe = read_recipe(tmp_path / "out" / "chelsea_shipwreck.png")
    assert recipe["preset"]["nodes"]["paint"]["params"]["tile_size"] == 512


def test_resume_after_kill_9(images, styles, tmp_path, capsys):
    """Killed mid-batch: only whole files under final names; the killed batch's temp files
    lie beside the outputs (same file system), none in the system's temp folder, and the
    next batch clears them as it resumes."""
    out = tmp_path / "out"
    photos = [images / "content" / n for n in ("chelsea.png", "coffee.png", "astronaut.png")]
    args = ["fusion", *(f"--over=content={p}" for p in photos), f"--over=style={styles}"]
    args += ["--set", "shrink.longest_side=160", "--out", str(out)]
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    first = batch_killed_after_first_item(args, TMPDIR=str(system_temp))
    assert first["status"] == "done"
    pictures = [p for p in out.iterdir() if p.suffix == ".png" and not p.name.startswith(".")]
    assert 1 <= len(pictures) < 9, "the kill should land mid-batch"
    for path in pictures:  # whole files only under final names
        assert read_recipe(path)["inputs"]["style"]
    whole = [p for p in pictures if all(p.with_suffix(s).is_file() for s in (".psd", ".ora"))]
    assert not [p.name for p in system_temp.iterdir() if "stylegraph" in p.name]
    [staging] = [p for p in out.iterdir() if p.name.startswith(".stylegraph-batch-")]
    assert staging.is_dir()
    code, lines, _ = _batch(args, capsys)
    summary = _summary(lines)
    assert code == 0
    assert summary["skipped"] == len(whole)  # an item is done when all three files are
    assert summary["done"] == 9 - len(whole)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{c}_{s}{suffix}"
        for c in ("astronaut", "chelsea", "coffee")
        for s in ("shipwreck", "starry_night", "the_scream")
        for suffix in (".png", ".psd", ".ora")
    )


def test_cluster_without_ray_says_what_to_install(images, styles, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    code = main(
        [
            "batch",
            "quick-stylize",
            "--over",
            f"content={images / 'content' / 'chelsea.png'}",
            "--over",
            f"style={styles}",
            "--out",
            str(tmp_path),
            "--cluster",
            "local",
        ]
    )
    assert code == 2
    assert 'pip install "stylegraph[cluster]"' in capsys.readouterr().err


def test_sheet_labels_every_render(images, styles, tmp_path, capsys):
    out = tmp_path / "out"
    _batch(
        [
            "quick-stylize",
            "--over",
            f"content={images / 'content' / 'chelsea.png'}",
            "--over",
            f"style={styles}",
            *SMALL,
            "--out",
            str(out),
        ],
        capsys,
    )
    assert main(["sheet", str(out)]) == 0
    sheet = read_image(Path(capsys.readouterr().out.strip()))
    from stylegraph.jobs.sheet import label_for

    assert label_for(out / "chelsea_the_scream.png") == "chelsea / the_scream"
    assert sheet.shape[1] > 2 * 96  # two columns of three renders
    assert sheet.shape[0] > 96


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("ray") is None,
    reason='Ray is not installed (pip install "stylegraph[cluster]")',
)
def test_cluster_local_matches_local_run(images, styles, tmp_path, capsys):
    photos = [images / "content" / "chelsea.png", images / "content" / "coffee.png"]
    args = ["quick-stylize", *(f"--over=content={p}" for p in photos)]
    args += [
        f"--over=style={styles / 'shipwreck.jpg'}",
        f"--over=style={styles / 'the_scream.jpg'}",
    ]
    args += SMALL
    assert _batch([*args, "--out", str(tmp_path / "local")], capsys)[0] == 0
    import ray

    try:
        code, lines, _ = _batch(
            [*args, "--out", str(tmp_path / "ray"), "--cluster", "local"], capsys
        )
    finally:
        ray.shutdown()
    assert code == 0 and _summary(lines)["done"] == 4
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "ray").iterdir()) and len(names) == 4
    for name in names:
        local, remote = tmp_path / "local" / name, tmp_path / "ray" / name
        assert np.array_equal(read_image(local), read_image(remote)), name
        assert read_recipe(local) == read_recipe(remote)


def test_a_pack_runs_as_a_batch_with_the_painting_it_carries(images, tmp_path, capsys):
    """A recipe someone sent (painting inside, photo left out) swept over your photos."""
    pack = tmp_path / "starry.sgpack"
    painting = images / "styles" / "starry_night.jpg"
    preset = tmp_path / "mine.json"
    data = json.loads(shipped_presets()["quick-stylize"].read_text())
    data["nodes"]["paint"]["params"]["style_files"] = [str(painting)]
    preset.write_text(json.dumps(data))
    assert main(["pack", str(preset), "-o", str(pack), "--with-input", "style"]) == 0
    capsys.readouterr()
    photos = [images / "content" / "chelsea.png", images / "content" / "coffee.png"]
    listing = tmp_path / "photos.txt"
    listing.write_text("\n".join(map(str, photos)))
    out = tmp_path / "out"
    code = main(
        ["batch", str(pack), "--over", f"content={listing}", "--out", str(out), "--dry-run"]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["chelsea", "coffee"]
    sets = ["--set", "paint.output_size=64", "--json"]
    assert main(["batch", str(pack), "--over", f"content={listing}", "--out", str(out), *sets]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["chelsea.png", "coffee.png"]


def test_each_item_keeps_its_layered_files_under_its_name(images, tmp_path, capsys):
    """fusion writes a PNG, a PSD and an ORA per run; a batch keeps all three per item,
    named after the item, lists them in the report, and skips an item only when all three
    are there."""
    photos = [images / "content" / "chelsea.png", images / "content" / "coffee.png"]
    out = tmp_path / "out"
    args = [
        "fusion",
        *(f"--over=content={p}" for p in photos),
        f"--over=style={images / 'styles' / 'starry_night.jpg'}",
        "--set",
        "shrink.longest_side=64",
        "--out",
        str(out),
    ]
    code, lines, _ = _batch(args, capsys)
    assert code == 0
    items = {line["item"]: line for line in lines if "item" in line}
    expected = {}
    for stem in ("chelsea_starry_night", "coffee_starry_night"):
        expected[stem] = [str(out / f"{stem}{suffix}") for suffix in (".png", ".psd", ".ora")]
        assert items[stem]["status"] == "done"
        assert items[stem]["outputs"] == expected[stem]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        Path(path).name for paths in expected.values() for path in paths
    )
    from tests.psd_reader import read_psd

    psd = read_psd(out / "coffee_starry_night.psd")
    png = read_image(out / "coffee_starry_night.png")
    assert (psd.height, psd.width) == png.shape[:2] and len(psd.layers) >= 2
    assert zipfile.ZipFile(out / "coffee_starry_night.ora").read("mimetype") == (
        b"image/openraster"
    )
    # resume: all there, all skipped; a missing ORA renders that item again
    (out / "chelsea_starry_night.ora").unlink()
    code, lines, _ = _batch(args, capsys)
    statuses = {line["item"]: line["status"] for line in lines if "item" in line}
    assert statuses == {"chelsea_starry_night": "done", "coffee_starry_night": "skipped"}
    assert (out / "chelsea_starry_night.ora").is_file()
