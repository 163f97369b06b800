"""The recipe (preset + resolved input values) carried inside every saved image.

PNG keeps it as a compressed iTXt chunk; JPEG in a comment segment, WebP in an XMP packet and
TIFF in its ImageDescription tag, each as zlib-compressed base64 text behind a marker.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

PNG_KEY = "stylegraph:recipe"
MARKER = "stylegraph-recipe:zlib+base64:"
_XMP_TEMPLATE = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:stylegraph="https://stylegraph.invalid/ns/1.0/" '
    'stylegraph:recipe="{payload}"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
_JPEG_COMMENT_LIMIT = 65533


class RecipeError(ValueError):
    pass


def _packed(recipe_json: str) -> str:
    return MARKER + base64.b64encode(zlib.compress(recipe_json.encode("utf-8"), 9)).decode()


def _unpacked(text: str) -> str | None:
    match = re.search(re.escape(MARKER) + r"([A-Za-z0-9+/=]+)", text)
    if match is None:
        return None
    return zlib.decompress(base64.b64decode(match.group(1))).decode("utf-8")


def save_args_for(fmt: str, recipe_json: str) -> dict[str, Any]:
    """Extra Pillow ``save`` arguments that embed the recipe in format ``fmt``."""
    if fmt == "png":
        info = PngImagePlugin.PngInfo()
        info.add_itxt(PNG_KEY, recipe_json, zip=True)
        return {"pnginfo": info}
    packed = _packed(recipe_json)
    if fmt == "jpeg":
        if len(packed) > _JPEG_COMMENT_LIMIT:
            raise RecipeError("the recipe is too large for a JPEG comment; save as PNG")
        return {"comment": packed.encode("ascii")}
    if fmt == "webp":
        return {"xmp": _XMP_TEMPLATE.format(payload=packed).encode("utf-8")}
    if fmt == "tiff":
        return {"tiffinfo": {270: packed}}
    raise ValueError(f"unknown format {fmt!r}")


def read_recipe(path: str | Path) -> dict[str, Any]:
    """The recipe embedded in an image written by Save Image."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            texts = [getattr(im, "text", {}).get(PNG_KEY)] if im.format == "PNG" else []
            for key in ("comment", "xmp"):
                value = im.info.get(key)
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                texts.append(value)
            if im.format == "TIFF":
                texts.append(im.tag_v2.get(270))
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such file") from None
    except OSError as exc:
        raise RecipeError(f"{path}: cannot read the image: {exc}") from None
    for text in texts:
        if not text:
            continue
        recipe_json = text if text.lstrip().startswith("{") else _unpacked(text)
        if recipe_json is not None:
            return json.loads(recipe_json)
    raise RecipeError(f"{path}: carries no stylegraph recipe")
