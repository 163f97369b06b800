"""The contact sheet of a batch's output folder: every render, labelled with the inputs
that made it (read from its embedded recipe), for the curation step."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from stylegraph.graph.atomic import atomic_write_bytes
from stylegraph.jobs.items import IMAGE_SUFFIXES, BatchError
from stylegraph.nodes.functional.contact_sheet import contact_sheet, grid_columns, thumbnail
from stylegraph.nodes.functional.image_io import ImageReadError, read_image, to_uint8
from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe

SHEET_NAME = "contact-sheet.jpg"
THUMBNAIL = 256


def label_for(path: Path) -> str:
    """The stems of the named inputs in the image's recipe, else the file's stem."""
    try:
        inputs = read_recipe(path).get("inputs", {})
    except (RecipeError, ValueError):
        return path.stem
    stems = []
    for value in inputs.values():
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, str) and entry:
                stems.append(Path(entry).stem)
    return " / ".join(stems) or path.stem


def write_sheet(folder: Path, out: Path | None = None) -> Path:
    """Write the sheet of every image in ``folder`` (not a previous sheet) as a JPEG."""
    out = out or folder / SHEET_NAME
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and p.name != out.name and not p.name.startswith(".")
    )
    thumbs, labels = [], []
    for path in paths:
        try:
            thumbs.append(thumbnail(read_image(path), THUMBNAIL))
        except ImageReadError:
            continue
        labels.append(label_for(path))
    if not thumbs:
        raise BatchError(f"{folder}: no images to put on a contact sheet")
    sheet = contact_sheet(thumbs, labels, grid_columns(len(thumbs)))
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(sheet)).save(buffer, format="JPEG", quality=90)
    atomic_write_bytes(out, buffer.getvalue())
    return out
