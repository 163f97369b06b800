"""A small PSD reader written for the tests from Adobe's "Photoshop File Formats
Specification", independent of psd-tools (which writes the files under test): no code is
shared, so a bug in the writer cannot hide behind the same bug in the reader.

It reads what the layered export writes: an RGB document of 8 or 16 bits, its layer
records (name, blend key, opacity, visibility, user mask), their channels (raw, RLE or
ZIP) and the merged image.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class PsdLayer:
    name: str
    blend_key: bytes
    opacity: int  # 0..255
    visible: bool
    rect: tuple[int, int, int, int]  # top, left, bottom, right
    mask_rect: tuple[int, int, int, int] | None
    channels: dict[int, np.ndarray] = field(default_factory=dict)  # id -> H x W, 0..1


@dataclass
class PsdFile:
    width: int
    height: int
    depth: int
    layers: list[PsdLayer]  # bottom to top
    merged: np.ndarray  # H x W x C, 0..1


class _Cursor:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError("truncated PSD")
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack(">" + fmt, self.take(struct.calcsize(">" + fmt)))


def unpackbits(data: bytes, size: int) -> bytes:
    """PackBits (Apple TN1023), as PSD's RLE uses it."""
    out = bytearray()
    i = 0
    while len(out) < size:
        n = data[i] - 256 if data[i] > 127 else data[i]
        i += 1
        if n >= 0:
            out += data[i : i + n + 1]
            i += n + 1
        elif n != -128:
            out += bytes([data[i]]) * (1 - n)
            i += 1
    return bytes(out[:size])


def _decode(compression: int, data: bytes, rows: int, cols: int, depth: int, channels: int = 1):
    """``channels`` planes of rows x cols from one compressed block, as 0..1 floats."""
    bpp = depth // 8
    row_bytes = cols * bpp
    if compression == 0:
        raw = data[: rows * row_bytes * channels]
    elif compression == 1:
        counts = struct.unpack(f">{rows * channels}H", data[: 2 * rows * channels])
        pos, raw = 2 * rows * channels, b""
        for count in counts:
            raw += unpackbits(data[pos : pos + count], row_bytes)
            pos += count
    elif compression == 2:
        raw = zlib.decompress(data)
    else:
        raise ValueError(f"compression {compression} is not read by this test reader")
    dtype = ">u1" if depth == 8 else ">u2"
    plane = np.frombuffer(raw, dtype).reshape(channels, rows, cols)
    return plane.astype(np.float64) / float((1 << depth) - 1)


def _layer_records(cur: _Cursor, count: int) -> list[tuple[PsdLayer, list[tuple[int, int]]]]:
    records = []
    for _ in range(count):
        top, left, bottom, right = cur.unpack("4i")
        (nchannels,) = cur.unpack("H")
        channel_info = [cur.unpack("hI") for _ in range(nchannels)]
        signature, key = cur.take(4), cur.take(4)
        assert signature == b"8BIM", signature
        opacity, _clipping, flags, _filler = cur.unpack("4B")
        (extra_length,) = cur.unpack("I")
        end = cur.pos + extra_length
        (mask_length,) = cur.unpack("I")
        mask_rect = None
        if mask_length:
            mask_data = cur.take(mask_length)
            mask_rect = struct.unpack(">4i", mask_data[:16])
        (ranges_length,) = cur.unpack("I")
        cur.take(ranges_length)
        (name_length,) = cur.unpack("B")
        name = cur.take(name_length).decode("mac_roman")
        cur.take((4 - (name_length + 1) % 4) % 4)
        while cur.pos + 12 <= end:
            signature, tag = cur.take(4), cur.take(4)
            if signature not in (b"8BIM", b"8B64"):
                break
            (length,) = cur.unpack("I")
            block = cur.take(length)
            if tag == b"luni":
                (chars,) = struct.unpack(">I", block[:4])
                name = block[4 : 4 + 2 * chars].decode("utf-16-be")
            cur.pos += length % 2
        cur.pos = end
        layer = PsdLayer(
            name, key, opacity, not flags & 0x02, (top, left, bottom, right), mask_rect
        )
        records.append((layer, channel_info))
    return records


def read_psd(path: Path) -> PsdFile:
    data = Path(path).read_bytes()
    cur = _Cursor(data)
    signature, version = cur.take(4), cur.unpack("H")[0]
    assert signature == b"8BPS" and version == 1, (signature, version)
    cur.take(6)
    channels, height, width, depth, mode = cur.unpack("HIIHH")
    assert mode == 3, f"colour mode {mode} is not RGB"
    for _ in range(2):  # colour mode data, image resources
        (length,) = cur.unpack("I")
        cur.take(length)
    (section_length,) = cur.unpack("I")
    image_data_at = cur.pos + section_length
    (info_length,) = cur.unpack("I")
    layers: list[PsdLayer] = []
    if info_length:
        (count,) = cur.unpack("h")
        records = _layer_records(cur, abs(count))
        for layer, channel_info in records:
            top, left, bottom, right = layer.rect
            for channel_id, length in channel_info:
                block = cur.take(length)
                (compression,) = struct.unpack(">H", block[:2])
                if channel_id == -2:
                    mtop, mleft, mbottom, mright = layer.mask_rect
                    rows, cols = mbottom - mtop, mright - mleft
                else:
                    rows, cols = bottom - top, right - left
                layer.channels[channel_id] = _decode(compression, block[2:], rows, cols, depth)[0]
            layers.append(layer)
    cur.pos = image_data_at
    (compression,) = cur.unpack("H")
    merged = _decode(compression, data[cur.pos :], height, width, depth, channels)
    return PsdFile(width, height, depth, layers, np.moveaxis(merged, 0, -1))
