"""Your own photos and traces, measured exactly as the shipped ones are.

``python -m benchmarks.masks --traced DIR`` adds a "traced" section: every photo in DIR
that has traces beside it, scored by the same row functions, with the same targets, as
the benchmark's own photos. So a photo nobody here has seen is measured the same way.

A photo ``NAME.jpg`` (or .png, .tif, .webp, ...) is traced by either or both of:

- mask pictures ``NAME.subject.png``, ``NAME.person.png``, ``NAME.sky.png``,
  ``NAME.eyes.png``, ``NAME.irises.png``: white (128 and over) inside, black outside, at
  the photo's size. A sky picture that is black all over says "this photo has no sky" (the
  sky mask must then be empty, with one warning).
- ``NAME.json`` in the repository's trace format (tests/data/*/README.md): ``size``
  [width, height], ``polygons`` with ``subject``, ``person``, ``sky``, ``eyes`` (each a
  list of polygons in px, ``KEY_cut`` taken away, ``KEY_ignore`` left out of the measure)
  and ``irises`` (circles: ``centre``, ``radius``); ``"no_sky": true``; and ``strokes``,
  the quick selection's strokes as a user draws them (``points`` as fractions of the
  width and height, ``mode`` "keep" or "remove", ``size`` the brush as a share of the
  picture, 0.03 unless given), scored against ``strokes_select`` ("subject" unless only
  a person is traced). Its ``image`` names the photo when the stems differ.

Rows: subject -> mask.subject (IoU >= 0.85); person -> mask.subject (>= 0.95); eyes and
irises -> mask.face (eyes IoU >= 0.8, outlines within 2 px); sky -> mask.sky (>= 0.9, or
empty on a photo without sky); strokes -> mask.paint's quick selection (>= 0.9).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.masks_scenes import no_sky_row, object_row, quick_row, sky_row
from stylegraph.nodes.functional.image_io import read_image
from tests import references

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")
PARTS = ("subject", "person", "eyes", "irises", "sky")
BRUSH = 0.03


class TraceError(ValueError):
    """A trace that cannot be read against its photo; the message names the file."""


def _mask_picture(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A traced mask picture as bool H x W (white inside)."""
    with Image.open(path) as picture:
        mask = np.asarray(picture.convert("L")) >= 128
    if mask.shape != shape:
        raise TraceError(
            f"{path.name}: {mask.shape[1]}x{mask.shape[0]} px, "
            f"but its photo is {shape[1]}x{shape[0]} px"
        )
    return mask


def traces(source: Path | None, photo_path: Path, shape: tuple[int, int]) -> dict:
    """The traces of the photo at ``photo_path`` (its JSON ``source``, if any, and the
    mask pictures beside it): part -> (truth, ignore), bool H x W each, plus "strokes" and
    "strokes_select" where the JSON gives them."""
    found: dict = {}
    empty = np.zeros(shape, bool)
    if source is not None:
        data = json.loads(source.read_text())
        width, height = data.get("size", (shape[1], shape[0]))
        if (height, width) != shape:
            raise TraceError(
                f"{source.name}: traced at {width}x{height} px, "
                f"but its photo is {shape[1]}x{shape[0]} px"
            )
        polygons = data.get("polygons", {})
        polygons = polygons if isinstance(polygons, dict) else {"subject": polygons}
        for part in ("subject", "person", "sky", "eyes"):
            if part in polygons:
                found[part] = references.reference(source, part)
        if "irises" in polygons and "eyes" in polygons:
            found["irises"] = (references.irises(data), empty)
        if data.get("no_sky"):
            found["sky"] = (empty, empty)
        if "strokes" in data:
            found["strokes"] = [{"size": BRUSH, **stroke} for stroke in data["strokes"]]
            found["strokes_select"] = data.get("strokes_select")
    stem = photo_path.with_suffix("")
    for part in PARTS:
        picture = Path(f"{stem}.{part}.png")
        if picture.is_file():
            found[part] = (_mask_picture(picture, shape), empty)
    if "strokes" in found:
        select = found["strokes_select"] or ("subject" if "subject" in found else "person")
        if select not in ("subject", "person") or select not in found:
            raise TraceError(
                f"{source.name}: the strokes select {select!r}, "
                "but no subject or person of that name is traced"
            )
        found["strokes_select"] = select
    return found


def traced_photos(folder: Path) -> list[tuple[Path, Path | None]]:
    """The photos in ``folder`` that have traces beside them, each with its JSON (the
    one of the same stem, or the one whose ``image`` names it), or None."""
    named = {}
    for source in sorted(folder.glob("*.json")):
        named.setdefault(json.loads(source.read_text()).get("image"), source)
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in PHOTO_SUFFIXES or path.name.count(".") > 1:
            continue
        stem = path.with_suffix("")
        source = stem.with_suffix(".json") if stem.with_suffix(".json").is_file() else None
        source = source or named.get(path.name)
        if source is not None or any(Path(f"{stem}.{part}.png").is_file() for part in PARTS):
            found.append((path, source))
    return found


def measure_folder(registry, folder: Path, people_row) -> dict:
    """Every traced photo in ``folder``: one row per kind of trace it has, made by the
    benchmark's own row functions (``people_row`` is benchmarks.masks')."""
    if not folder.is_dir():
        raise TraceError(f"--traced {folder}: not a folder")
    results: dict = {}
    for photo_path, source in traced_photos(folder):
        image = read_image(photo_path)
        found = traces(source, photo_path, image.shape[:2])
        rows: dict = {}
        if "subject" in found:
            rows["subject"] = object_row(registry, image, *found["subject"], tuned=False)
        if "person" in found or "eyes" in found:
            person, eyes, irises = (found.get(part, (None,))[0] for part in PARTS[1:4])
            ignore = found.get("person", (None, None))[1]
            rows["people"] = people_row(
                registry, image, person, eyes, irises, tuned=False, person_ignore=ignore
            )
        if "sky" in found:
            truth, ignore = found["sky"]
            rows["sky"] = (
                sky_row(registry, image, truth, ignore, tuned=False)
                if truth.any()
                else no_sky_row(registry, image, tuned=False)
            )
        if "strokes" in found:
            truth, ignore = found[found["strokes_select"]]
            rows["quick_selection"] = quick_row(
                registry, image, found["strokes"], truth, ignore, tuned=False
            )
        results[photo_path.name] = rows
    return results
