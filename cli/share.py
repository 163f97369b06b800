"""Sharing recipes: ``recipe`` prints the preset an output image carries, ``pack`` bundles
a preset (or an image's recipe) with its files, ``unpack`` extracts one for editing, and
``cache`` shows or clears the on-disk results (and unpacked files)."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from stylegraph.cli.errors import UsageError
from stylegraph.cli.presets import load_preset
from stylegraph.graph.cache import DiskCache, default_cache_dir
from stylegraph.graph.registry import Registry
from stylegraph.jobs.pack import left_for_receiver, preset_from_recipe, unpack, write_pack


def cmd_recipe(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe

    try:
        recipe = read_recipe(args.image)
    except RecipeError as exc:
        raise UsageError(str(exc)) from None
    preset = recipe.get("preset")
    if not isinstance(preset, dict):
        raise UsageError(f"{args.image}: the embedded recipe has no preset")
    print(json.dumps(preset, indent=2, ensure_ascii=False))
    return 0


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")


def cmd_pack(args: argparse.Namespace, registry: Registry) -> int:
    source = Path(args.source)
    if source.suffix.lower() in IMAGE_SUFFIXES:
        from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe

        try:
            recipe = read_recipe(source)
        except RecipeError as exc:
            raise UsageError(str(exc)) from None
        preset = preset_from_recipe(recipe, registry, source.resolve().parent, str(source))
    else:
        preset, _ = load_preset(args.source, registry)
    with_inputs = True if args.with_inputs else (args.with_input or False)
    try:
        left = left_for_receiver(preset, with_inputs)
    except KeyError as exc:
        raise UsageError(f"--with-input: {exc.args[0]}") from None
    packed = write_pack(preset, args.output, with_inputs=with_inputs)
    for item in packed:
        print(f"{item.entry}  {item.source}  ({', '.join(item.uses)})")
    if left:
        print(f"left for the receiver: {', '.join(left)}")
    print(f"wrote {args.output}")
    return 0


def cmd_unpack(args: argparse.Namespace, registry: Registry) -> int:
    print(unpack(args.pack, args.dest))
    return 0


def cmd_cache(args: argparse.Namespace, registry: Registry) -> int:
    from stylegraph.nodes.models.gram_cache import MAX_BYTES, gram_cache_dir

    disk = DiskCache(default_cache_dir())
    grams = _files(gram_cache_dir())
    if args.action == "clear":
        from stylegraph.jobs.pack import default_pack_dir

        packs = default_pack_dir()
        unpacked = len(_files(packs))
        shutil.rmtree(packs, ignore_errors=True)
        for path in grams:
            path.unlink(missing_ok=True)
        print(
            f"removed {disk.clear()} cached results and {unpacked} unpacked files from "
            f"{disk.root}, and {len(grams)} paintings' Grams from {gram_cache_dir()}"
        )
        return 0
    info = disk.info()
    report = {
        "path": info.path,
        "entries": info.entries,
        "bytes": info.nbytes,
        "max_bytes": info.max_bytes,
        "grams": {
            "path": str(gram_cache_dir()),
            "entries": len(grams),
            "bytes": sum(path.stat().st_size for path in grams),
            "max_bytes": MAX_BYTES,
        },
    }
    print(json.dumps(report, indent=2))
    return 0


def _files(folder: Path) -> list[Path]:
    """The files below ``folder``; none when it does not exist."""
    return [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
