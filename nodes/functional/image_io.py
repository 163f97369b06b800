"""Reading and writing image files into and out of the float32 0..1 contract."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from stylegraph.graph.atomic import done_partial, fsync_dir, new_temp_file, public_mode

_EXIF_ORIENTATION = 0x0112

_ORIENT: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}


class ImageReadError(ValueError):
    pass


def _png_is_16bit_colour(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(26)
    if len(head) < 26 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    bit_depth, colour_type = struct.unpack(">BB", head[24:26])
    return bit_depth == 16 and colour_type in (2, 6)


def _tiff_is_16bit_colour(im: Image.Image) -> bool:
    bits = getattr(im, "tag_v2", {}).get(258)
    return isinstance(bits, tuple) and len(bits) >= 3 and bits[0] == 16


def _decode_with_opencv(path: Path) -> np.ndarray:
    raw = np.fromfile(path, dtype=np.uint8)
    data = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
    if data is None:
        raise ImageReadError(f"{path}: cannot decode the image data")
    code = cv2.COLOR_BGRA2RGBA if data.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(data, code).astype(np.float32) / 65535.0


def _decode_with_pillow(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        grey = np.asarray(im, dtype=np.uint16).astype(np.float32) / 65535.0
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "I":
        grey = np.asarray(im, dtype=np.int64)
        scale = 65535.0 if grey.max(initial=0) > 255 else 255.0
        return np.repeat((np.clip(grey, 0, scale) / scale).astype(np.float32)[..., None], 3, 2)
    if mode == "F":
        grey = np.clip(np.asarray(im, dtype=np.float32), 0.0, 1.0)
        return np.repeat(grey[..., None], 3, axis=2)
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        mode == "P" and "transparency" in im.info
    )
    if mode == "L" or mode == "1":
        grey = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
        return np.repeat(grey[..., None], 3, axis=2)
    data = np.asarray(im.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32)
    return data / 255.0


def read_image(path: str | Path, max_megapixels: float = 100.0) -> np.ndarray:
    """Decode ``path`` to float32 RGB or RGBA in 0..1, applying EXIF orientation.

    Greyscale becomes RGB; 16-bit data keeps its precision. Refuses images whose pixel count
    is over ``max_megapixels`` before decoding them, so a huge file cannot exhaust memory.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    limit = int(max_megapixels * 1_000_000)
    previous_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our own limit below, with a clearer message
    try:
        with Image.open(path) as im:
            width, height = im.size
            if width * height > limit:
                raise ImageReadError(
                    f"{path}: {width}x{height} is {width * height / 1e6:.1f} megapixels, over "
                    f"the limit of {max_megapixels:g}; raise max_megapixels if you have the "
                    "memory for it"
                )
            orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
            if (im.format == "PNG" and _png_is_16bit_colour(path)) or (
                im.format == "TIFF" and _tiff_is_16bit_colour(im)
            ):
                data = _decode_with_opencv(path)
            else:
                im.load()
                data = _decode_with_pillow(im)
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not an image file stylegraph can read") from None
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read the image: {exc}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit
    data = _ORIENT.get(orientation, _ORIENT[1])(data)
    return np.ascontiguousarray(data, dtype=np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def flatten_alpha(image: np.ndarray, background: float = 1.0) -> np.ndarray:
    """Composite RGBA over a flat background (white by default) for formats with no alpha."""
    if image.shape[2] != 4:
        return image
    alpha = image[..., 3:4]
    return image[..., :3] * alpha + background * (1.0 - alpha)


FORMATS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "webp": "WEBP"}
EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif", "webp": ".webp"}


def encode_to_temp(
    image: np.ndarray, directory: Path, fmt: str, quality: int, save_args: dict
) -> Path:
    """Encode into a hidden temp file in ``directory``; the caller renames it into place."""
    if fmt == "jpeg":
        image = flatten_alpha(image)
    pixels = to_uint8(image)
    pil = Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB")
    args = dict(save_args)
    if fmt in ("jpeg", "webp"):
        args["quality"] = quality
    if fmt == "tiff":
        args["compression"] = "tiff_lzw"
    fd, tmp = new_temp_file(directory, ".stylegraph-", EXTENSIONS[fmt])
    try:
        with os.fdopen(fd, "wb") as fh:
            pil.save(fh, format=FORMATS[fmt], **args)
            fh.flush()
            os.fsync(fh.fileno())  # whole on disk before it gets its final name
        os.chmod(tmp, public_mode())  # mkstemp's 0600 would keep the output from others
    except BaseException:
        tmp.unlink(missing_ok=True)
        done_partial(tmp)
        raise
    return tmp


def place_file(tmp: Path, target: Path, overwrite: bool) -> Path:
    """Move ``tmp`` to ``target``; without ``overwrite``, take the first free numbered name
    (``name-0001.png``, ...). Linking fails on an existing name, so two runs writing at once
    never replace each other's file."""
    if overwrite:
        try:
            os.replace(tmp, target)
        finally:
            done_partial(tmp)
        fsync_dir(target.parent)
        return target
    candidates = [target] + [
        target.with_name(f"{target.stem}-{n:04d}{target.suffix}") for n in range(1, 10000)
    ]
    try:
        for candidate in candidates:
            try:
                os.link(tmp, candidate)
                fsync_dir(candidate.parent)
                return candidate
            except FileExistsError:
                continue
            except OSError:  # file systems without hard links
                if not candidate.exists():
                    os.replace(tmp, candidate)
                    return candidate
        raise FileExistsError(f"{target}: all 10,000 numbered names are taken")
    finally:
        tmp.unlink(missing_ok=True)
        done_partial(tmp)
