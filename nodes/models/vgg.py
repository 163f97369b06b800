"""VGG-19 features for the Gatys engine, with torchvision's ImageNet weights.

The weights are downloaded by torchvision on first use (with a progress bar) into torch's
hub cache; a weights file can also be given. Offline and without weights, loading fails with
a message that says how to get them, and the fast engine keeps working.
"""

from __future__ import annotations

import os
import urllib.error
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

# torchvision's vgg19().features, by index: the names neural-style uses.
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

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGGWeightsMissing(RuntimeError):
    """The VGG-19 weights could not be found or downloaded."""


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
            f"the Gatys engine needs VGG-19 ImageNet weights and could not download them "
            f"({exc}). Fetch {weights_url()} on a connected machine and put it at "
            f"{hub_path()}, or set the node's 'vgg_weights' param to the file. The fast "
            "engine needs no download."
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


class Normalised(nn.Module):
    """ImageNet normalisation in front of the features, so inputs are plain 0..1 RGB."""

    def __init__(self, features: nn.Sequential) -> None:
        super().__init__()
        self.features = features
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, layers: set[str]) -> dict[str, torch.Tensor]:
        out = {}
        x = (x - self.mean) / self.std
        for name, layer in zip(LAYER_NAMES, self.features, strict=False):
            x = layer(x)
            if name in layers:
                out[name] = x
                if len(out) == len(layers):
                    break
        return out


@lru_cache(maxsize=2)
def load_vgg19(weights: str, device: str, pooling: str = "max") -> Normalised:
    """VGG-19 features, frozen, on ``device``. ``weights`` is a file path, or '' for
    torchvision's ImageNet weights (downloaded once into the hub cache)."""
    from torchvision.models import vgg19

    state = _read_state_dict(Path(weights)) if weights else _download_state_dict()
    model = vgg19(weights=None)
    if not any(key.startswith("features.") for key in state):
        state = {f"features.{key}": value for key, value in state.items()}
    state = {k: v for k, v in state.items() if k.startswith("features.")}
    missing, _ = model.load_state_dict(state, strict=False)
    if any(key.startswith("features.") for key in missing):
        raise VGGWeightsMissing(
            f"{weights or hub_path()}: not a VGG-19 state dict (missing {missing[0]})"
        )
    features = model.features
    if pooling == "avg":
        features = nn.Sequential(
            *[
                nn.AvgPool2d(2, 2) if isinstance(layer, nn.MaxPool2d) else layer
                for layer in features
            ]
        )
    for i, layer in enumerate(features):
        if isinstance(layer, nn.ReLU):
            features[i] = nn.ReLU(inplace=False)
    net = Normalised(features).eval().requires_grad_(False).to(device)
    if device.startswith("cuda"):
        net = net.to(memory_format=torch.channels_last)
    return net
