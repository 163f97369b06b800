"""Gatys et al.'s optimisation-based style transfer on VGG-19 ("Deep Style"), as
jcjohnson/neural-style runs it, with the colour and spatial controls of Gatys et al. 2017,
"Controlling Perceptual Factors in Neural Style Transfer".

neural-style's recipe, so its users' weights strike the same balance here:
- the image optimised is in the networks' common input space (``vgg.to_pixels``: RGB 0..255
  minus the mean pixel), which is where neural-style's step sizes, noise and TV weight live;
- content loss: weight x mean squared difference of the features (relu4_2 by default);
- style loss, per layer: weight x mean squared difference of Gram matrices, each Gram divided
  by C x H x W of its layer; several styles blend their Grams by weights summing to 1;
- total variation: weight x half the sum of squared right and down differences (neural-style
  applies exactly this gradient);
- ``normalize_gradients``: each loss's gradient at its layer divided by its L1 norm;
- L-BFGS with full steps and no line search (one network pass per iteration), 100 corrections,
  never stopping early; or Adam;
- init 'noise': Gaussian noise of std 0.001 around the mean pixel (neural-style's ``-init
  random``); 'content': the photo (``-init image``); 'fast': the fast engine's render of the
  same pair (Magenta's arbitrary stylisation network, a fraction of a second), which starts
  the optimisation with the painting's colours and textures already laid over the photo, so
  that far fewer iterations reach neural-style's losses.

Images are float32 H x W x 3 numpy arrays, values 0..1. A batch renders several independent
style sets at once (one optimisation, one network pass per step), sharing the photo's
features.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from stylegraph.nodes.functional.colour import match_colour_linear, rgb_to_yiq, yiq_to_rgb
from stylegraph.nodes.functional.resize import fit_longest_side, resize, resize_mask
from stylegraph.nodes.models import banded_pass
from stylegraph.nodes.models.device import release_free_memory
from stylegraph.nodes.models.lbfgs import LeanLBFGS
from stylegraph.nodes.models.vgg import LAYER_NAMES, VGGFeatures, from_pixels, to_pixels

COLOUR_MODES = ("none", "luminance", "histogram", "original")
OPTIMISERS = ("lbfgs", "adam")
INITS = ("noise", "content", "fast")
PRECISIONS = ("float32", "bfloat16")

# L-BFGS keeps two image-sized vectors per correction: at print sizes 100 of them would not
# fit, so the history shrinks to as many as this many bytes hold in float32 (neural-style's
# own 3620 px stage asks for 5), and is kept in bfloat16 there, in half of it (``_history``).
# At 512 px the full 100 fit in float32 (0.63 GB for a square picture); at 4:3, 35 at 1024
# px and 8 at 2048 px, in bfloat16.
HISTORY_BYTES = 640 << 20


@dataclass(frozen=True)
class GatysSettings:
    content_layers: tuple[str, ...] = ("relu4_2",)
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    content_weight: float = 5.0
    style_weight: float = 100.0
    tv_weight: float = 0.001
    init: str = "noise"
    optimiser: str = "lbfgs"
    iterations: int = 1000  # at the first (or only) scale
    refine_iterations: int = 200  # at each finer scale after the first
    learning_rate: float = 10.0  # Adam's, in pixel values 0..255; L-BFGS takes full steps
    lbfgs_history: int = 100
    normalize_gradients: bool = False
    seed: int = 0
    style_scale: float = 1.0
    colour: str = "none"
    scales: tuple[int, ...] = ()  # longest sides, coarse to fine; () = the output size only
    # Iterations per scale, coarse to fine (neural-style's multi-scale script: 1000, 500, 200,
    # 100); () = ``iterations`` at the first scale and ``refine_iterations`` at each finer one.
    scale_iterations: tuple[int, ...] = ()
    # The network's arithmetic. 'bfloat16' runs the VGG-19 pass in bfloat16 (far faster on
    # a CPU with AMX or an AMD EPYC, slower on Intel's AVX-512 BF16 alone: measured by
    # ``device.bfloat16_is_fast``); the image, the Grams and the losses stay float32.
    precision: str = "float32"

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("colour", self.colour, COLOUR_MODES),
            ("optimiser", self.optimiser, OPTIMISERS),
            ("init", self.init, INITS),
            ("precision", self.precision, PRECISIONS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")
        unknown = [n for n in (*self.content_layers, *self.style_layers) if n not in LAYER_NAMES]
        if unknown:
            raise ValueError(
                f"unknown VGG-19 layers: {', '.join(unknown)} (use names such as relu4_2)"
            )
        if self.scale_iterations and len(self.scale_iterations) != max(1, len(self.scales)):
            raise ValueError(
                f"scale_iterations lists {len(self.scale_iterations)} counts for "
                f"{max(1, len(self.scales))} scales: give one per scale"
            )
        if any(n < 1 for n in self.scale_iterations):
            raise ValueError("scale_iterations: every count must be at least 1")


class TooSmall(ValueError):
    """A scale or a painting too small for the deepest layer's poolings."""


def smallest_side(settings: GatysSettings) -> int:
    """The shortest side the deepest layer used still sees as at least one pixel: each
    pooling before it halves the image (relu5_1 sits after four: 16 px)."""
    poolings = [
        sum(1 for name in LAYER_NAMES[: LAYER_NAMES.index(layer)] if name.startswith("pool"))
        for layer in (*settings.content_layers, *settings.style_layers)
    ]
    return 2 ** max(poolings, default=0)


@dataclass
class StyleSet:
    """What one render of the batch imitates: styles blended by weight, or each confined to
    its mask (spatial control) when masks are given. ``losses`` receives the total loss of
    every iteration."""

    styles: Sequence[np.ndarray]
    weights: Sequence[float] = ()
    masks: Sequence[np.ndarray | None] = ()
    losses: list[float] = field(default_factory=list)


Progress = Callable[[float], None]


def _tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """H x W x 3 image 0..1 -> 1 x 3 x H x W in the networks' pixel space."""
    rgb = torch.from_numpy(np.ascontiguousarray(image[..., :3], dtype=np.float32))
    return to_pixels(rgb.permute(2, 0, 1)[None]).to(device)


# Columns of B x C x N features multiplied at a time in float32 by ``_Correlations``.
_CHUNK_BYTES = 32 << 20


class _Correlations(torch.autograd.Function):
    """``flat @ flat^T`` (B x C x C, float32) whose backward is one product, ``(g + g^T) @
    flat``, where autograd's takes two and adds them: on the CPU the Grams' backward took a
    third of an iteration's matrix products and image-sized additions.

    bfloat16 features are multiplied in float32 a slice of columns at a time and kept as
    they are for the backward pass (the network keeps them anyway): a float32 copy of every
    style layer was 1.6 GB of a 2048 px pass."""

    @staticmethod
    def forward(ctx, flat: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(flat)
        b, c, n = flat.shape
        wide = torch.promote_types(flat.dtype, torch.float32)
        step = max(1, _CHUNK_BYTES // (4 * b * c))
        gram = flat.new_zeros((b, c, c), dtype=wide)
        for start in range(0, n, step):
            part = flat[:, :, start : start + step].to(wide)
            gram.baddbmm_(part, part.transpose(1, 2))
        return gram

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (flat,) = ctx.saved_tensors
        b, c, n = flat.shape
        step = max(1, _CHUNK_BYTES // (4 * b * c))
        both = grad + grad.transpose(1, 2)
        out = torch.empty_like(flat)
        for start in range(0, n, step):
            out[:, :, start : start + step] = both @ flat[:, :, start : start + step].to(both.dtype)
        return out


def _gram(features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Channel correlations divided by C x H x W (neural-style's normalisation): B x C x C.
    With a mask, over the masked pixels, divided by C x (sum of squared mask weights)."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    if mask is None:
        return _Correlations.apply(flat) / (c * h * w)
    m = F.interpolate(mask[None, None], size=(h, w), mode="bilinear", align_corners=False).reshape(
        1, 1, h * w
    )
    flat = flat * m
    return _Correlations.apply(flat) / (c * m.pow(2).sum().clamp_min(1e-6))


def _tv(x: torch.Tensor) -> torch.Tensor:
    """Per batch element: half the sum of squared differences to the right and down
    neighbours over the top-left (H-1) x (W-1) pixels, whose gradient is neural-style's."""
    corner = x[:, :, :-1, :-1]
    right = corner - x[:, :, :-1, 1:]
    down = corner - x[:, :, 1:, :-1]
    return 0.5 * (right.pow(2) + down.pow(2)).sum(dim=(1, 2, 3))


class _NormalisedGradient(torch.autograd.Function):
    """Identity forward; backward divides the gradient of one weighted loss, per batch
    element, by its L1 norm, keeping the weight (neural-style's ``-normalize_gradients``)."""

    @staticmethod
    def forward(ctx, features: torch.Tensor, weight: float) -> torch.Tensor:
        ctx.weight = weight
        return features.view_as(features)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        raw = grad / ctx.weight
        norm = raw.abs().sum(dim=tuple(range(1, raw.dim())), keepdim=True)
        return ctx.weight * raw / (norm + 1e-8), None


def _grey(image: np.ndarray) -> np.ndarray:
    return np.repeat(rgb_to_yiq(image)[..., :1], 3, axis=2).astype(np.float32)


def _luminance_matched(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The style's luminance, shifted and scaled to the content's mean and spread."""
    ys, yc = rgb_to_yiq(style)[..., 0], rgb_to_yiq(content)[..., 0]
    y = (ys - ys.mean()) * (yc.std() / max(float(ys.std()), 1e-6)) + yc.mean()
    return np.repeat(np.clip(y, 0, 1)[..., None], 3, axis=2).astype(np.float32)


def _prepared_style(style: np.ndarray, content: np.ndarray, settings: GatysSettings) -> np.ndarray:
    """The painting at ``style_scale`` x the render's longest side (neural-style's
    ``-style_scale``), recoloured as the colour mode asks."""
    side = max(16, round(max(content.shape[:2]) * settings.style_scale))
    height, width = fit_longest_side(*style.shape[:2], side)
    # A thin painting is widened just enough for the deepest layer: Grams do not depend on
    # the size, only on the texture the network sees.
    least = smallest_side(settings)
    if min(height, width) < least:
        grow = least / min(height, width)
        height, width = max(least, round(height * grow)), max(least, round(width * grow))
    style = resize(style[..., :3], height, width)
    if settings.colour == "histogram":
        return match_colour_linear(style, content)
    if settings.colour == "luminance":
        return _luminance_matched(style, content)
    return style


@dataclass
class Targets:
    """What the render is compared with at one scale, computed once before optimising:
    the photo's content features and, per batch element, the blended style Grams (B x C x C
    per layer) or, for masked sets, each style's Grams with its mask."""

    content: dict[str, torch.Tensor]
    grams: dict[str, torch.Tensor] | None
    blended: list[dict[str, torch.Tensor]]
    masked: list[list[tuple[dict[str, torch.Tensor], torch.Tensor | None]] | None]


class GramCache:
    """A painting's style Grams, and a photo's content features, kept between renders on one
    network, so that a sweep or a batch over many photos computes each painting's Grams (and
    each photo's features) once per size rather than once per render. Keyed by the pixels as
    the network sees them (after scaling and recolouring) and the layers; least recently used
    entries go first past ``max_bytes``. ``hits`` and ``misses`` count the Gram lookups. A
    subclass may look further on a miss (``compute``: the disk cache in gram_cache.py)."""

    def __init__(self, max_bytes: int = 128 << 20) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple, dict[str, torch.Tensor]] = OrderedDict()
        self._bytes = 0

    def grams(
        self,
        vgg: VGGFeatures,
        style: np.ndarray,
        layers: set[str],
        device: torch.device,
        precision: str = "float32",
    ) -> dict[str, torch.Tensor]:
        pixels = np.ascontiguousarray(style, dtype=np.float32)
        key = _cache_key("grams", pixels, layers, device, precision)
        found = self._recent(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        grams = self.compute(vgg, pixels, layers, device, key, precision)
        self._keep(key, grams)
        return grams

    def compute(
        self,
        vgg: VGGFeatures,
        pixels: np.ndarray,
        layers: set[str],
        device: torch.device,
        key: tuple,
        precision: str = "float32",
    ) -> dict[str, torch.Tensor]:
        """The Grams of a painting not in memory."""
        return _style_grams(vgg, pixels, layers, device, precision)

    def features(
        self,
        vgg: VGGFeatures,
        image: np.ndarray,
        layers: set[str],
        device: torch.device,
        precision: str = "float32",
    ) -> dict[str, torch.Tensor]:
        """A photo's content features, computed once per size for all the paintings."""
        pixels = np.ascontiguousarray(image, dtype=np.float32)
        key = _cache_key("features", pixels, layers, device, precision)
        found = self._recent(key)
        if found is not None:
            return found
        features = _content_features(vgg, pixels, layers, device, precision)
        self._keep(key, features)
        return features

    def _recent(self, key: tuple) -> dict[str, torch.Tensor] | None:
        """The entry under ``key``, marked as the most recently used, or None."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def _keep(self, key: tuple, tensors: dict[str, torch.Tensor]) -> None:
        self._entries[key] = tensors
        self._bytes += sum(t.numel() * t.element_size() for t in tensors.values())
        while self._bytes > self.max_bytes and len(self._entries) > 1:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= sum(t.numel() * t.element_size() for t in dropped.values())


def network_arithmetic(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The VGG-19 pass in ``precision``: 'bfloat16' runs it under autocast (the Grams and
    losses built on it stay float32), for the render's iterations and for its targets
    alike, so that both round the same way and the targets cost half as much where
    bfloat16 is fast (a 2048 px painting's Grams and photo's features: 17 s against 34 s
    on an AMD EPYC)."""
    return torch.autocast(device.type, torch.bfloat16, enabled=precision == "bfloat16")


def _cache_key(
    kind: str, pixels: np.ndarray, layers: set[str], device: torch.device, precision: str
) -> tuple:
    """What a cached Gram or feature depends on. float32's keys are as they were before
    precision was part of them, so Grams kept on disk by earlier versions are found."""
    digest = hashlib.blake2b(pixels.tobytes(), digest_size=16).digest()
    if precision != "float32":
        kind = f"{kind} in {precision}"
    return (kind, digest, pixels.shape, tuple(sorted(layers)), str(device))


def _content_features(
    vgg: VGGFeatures,
    photo: np.ndarray,
    layers: set[str],
    device: torch.device,
    precision: str = "float32",
) -> dict[str, torch.Tensor]:
    with network_arithmetic(device, precision):
        return banded_pass.features(vgg, _tensor(photo, device), layers)


def _style_grams(
    vgg: VGGFeatures,
    style: np.ndarray,
    layers: set[str],
    device: torch.device,
    precision: str = "float32",
) -> dict[str, torch.Tensor]:
    with network_arithmetic(device, precision):
        grams = banded_pass.grams(vgg, _tensor(style, device), layers)
    return {name: gram[0] for name, gram in grams.items()}


def _targets(
    vgg: VGGFeatures,
    content: np.ndarray,
    style_sets: Sequence[StyleSet],
    settings: GatysSettings,
    device: torch.device,
    progress: Progress,
    cache: GramCache | None = None,
) -> Targets:
    layers = set(settings.style_layers)
    content_in = _grey(content) if settings.colour == "luminance" else content
    height, width = content.shape[:2]
    blended: list[dict[str, torch.Tensor]] = []
    masked: list = []
    with torch.no_grad():
        content_layers = set(settings.content_layers)
        content_features = (
            cache.features(vgg, content_in, content_layers, device, settings.precision)
            if cache is not None
            else _content_features(vgg, content_in, content_layers, device, settings.precision)
        )
        for style_set in style_sets:
            progress(0.0)  # a chance to cancel between paintings
            styles = [_prepared_style(s, content, settings) for s in style_set.styles]
            weights = np.asarray(list(style_set.weights) + [1.0] * len(styles), np.float64)
            weights = weights[: len(styles)]
            if weights.sum() <= 0:
                raise ValueError("the style weights must not all be 0")
            weights = weights / weights.sum()
            masks = list(style_set.masks) + [None] * len(styles)
            grams = [
                cache.grams(vgg, style, layers, device, settings.precision)
                if cache is not None
                else _style_grams(vgg, style, layers, device, settings.precision)
                for style in styles
            ]
            if any(m is not None for m in masks[: len(styles)]):
                masked.append(
                    [
                        (g, None if m is None else torch.from_numpy(resize_mask(m, height, width)))
                        for g, m in zip(grams, masks, strict=False)
                    ]
                )
                blended.append({})
            else:
                masked.append(None)
                blended.append(
                    {
                        name: sum(float(w) * g[name] for g, w in zip(grams, weights, strict=True))
                        for name in layers
                    }
                )
    stacked = None
    if all(entry is None for entry in masked):
        stacked = {name: torch.stack([b[name] for b in blended]) for name in layers}
    masked = [
        None if entry is None else [(g, None if m is None else m.to(device)) for g, m in entry]
        for entry in masked
    ]
    return Targets(content_features, stacked, blended, masked)


def _weighted(features: torch.Tensor, weight: float, settings: GatysSettings) -> torch.Tensor:
    if settings.normalize_gradients:  # the norms in float32, as the losses
        return _NormalisedGradient.apply(features.float(), weight)
    return features


def _losses(
    vgg: VGGFeatures, x: torch.Tensor, targets: Targets, settings: GatysSettings
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per batch element: (content, style, total variation) losses, weighted."""
    layers = set(settings.content_layers) | set(settings.style_layers)
    with network_arithmetic(x.device, settings.precision):
        features = vgg(x, layers)
    content = x.new_zeros(x.shape[0])
    style = x.new_zeros(x.shape[0])
    if settings.content_weight > 0:
        for name in settings.content_layers:
            f = _weighted(features[name], settings.content_weight, settings)
            diff = (f - targets.content[name]).pow(2).mean(dim=(1, 2, 3))
            content = content + settings.content_weight * diff
    if settings.style_weight > 0:
        for name in settings.style_layers:
            f = _weighted(features[name], settings.style_weight, settings)
            if targets.grams is not None:
                diff = (_gram(f) - targets.grams[name]).pow(2).mean(dim=(1, 2))
                style = style + settings.style_weight * diff
                continue
            per_element = []
            for b, entry in enumerate(targets.masked):
                if entry is None:
                    g = _gram(f[b : b + 1])[0]
                    per_element.append((g - targets.blended[b][name]).pow(2).mean())
                    continue
                total = x.new_zeros(())
                for grams, mask in entry:
                    g = _gram(f[b : b + 1], mask)[0]
                    total = total + (g - grams[name]).pow(2).mean()
                per_element.append(total)
            style = style + settings.style_weight * torch.stack(per_element)
    tv = settings.tv_weight * _tv(x) if settings.tv_weight > 0 else x.new_zeros(x.shape[0])
    return content, style, tv


def _print_size(settings: GatysSettings, numel: int) -> bool:
    """Whether neural-style's L-BFGS history would not fit in ``HISTORY_BYTES`` in float32:
    from 1024 px up (4:3), not at 512 px."""
    return settings.lbfgs_history * 2 * 4 * numel > HISTORY_BYTES


def _history(settings: GatysSettings, numel: int) -> tuple[int, torch.dtype]:
    """How many L-BFGS corrections to keep, and in what: neural-style's count in float32
    where it fits in ``HISTORY_BYTES`` (512 px: its steps unchanged); at print sizes, as
    many as fit in float32, kept in bfloat16 in half those bytes (8 at 2048 px: 0.3 GB)."""
    if not _print_size(settings, numel):
        return settings.lbfgs_history, torch.float32
    return max(1, HISTORY_BYTES // (2 * 4 * numel)), torch.bfloat16


def _optimise(
    vgg: VGGFeatures,
    init: torch.Tensor,
    targets: Targets,
    style_sets: Sequence[StyleSet],
    settings: GatysSettings,
    iterations: int,
    progress: Progress,
) -> torch.Tensor:
    x = init.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    done = 0
    print_size = _print_size(settings, x.numel())
    band_pixels = banded_pass.gradient_band_pixels(x.shape[2], x.shape[3], settings.precision)
    banded = (  # print sizes: the gradient band by band, in bounded memory
        targets.grams is not None
        and not settings.normalize_gradients
        and len(banded_pass.bands(x.shape[2], x.shape[3], band_pixels)) > 1
    )

    def evaluate() -> torch.Tensor:
        nonlocal done
        x.grad = None
        if banded:
            content, style, tv = banded_pass.losses_and_gradient(
                vgg, x, targets, settings, band_pixels
            )
        else:
            content, style, tv = _losses(vgg, x, targets, settings)
        losses = content + style + tv
        total = losses.sum()
        if not banded:
            total.backward()
            if print_size:  # as the banded pass after each band (banded_pass.py)
                release_free_memory()
        for style_set, value in zip(style_sets, losses.detach().cpu().tolist(), strict=True):
            style_set.losses.append(value)
        done += 1
        progress(min(1.0, done / iterations))  # where a cancel stops the run
        return total

    if settings.optimiser == "lbfgs":
        # torch.optim.LBFGS's steps (full, never stopping early: neural-style's tolX =
        # tolFun = -1) in buffers allocated once, so the history does not churn the heap
        LeanLBFGS(x, *_history(settings, x.numel())).step(evaluate, iterations)
    else:
        optimiser = torch.optim.Adam([x], lr=settings.learning_rate)
        for _ in range(iterations):
            optimiser.step(evaluate)
    return x.detach()


def _fast_renders(
    photo: np.ndarray, style_sets: Sequence[StyleSet], settings: GatysSettings, device
) -> torch.Tensor:
    """The fast engine's render of ``photo`` in each style set's paintings (blended by the
    set's weights; masks are the optimisation's business), in pixel space: B x 3 x H x W."""
    from stylegraph.nodes.models.fast_style import stylize

    renders = []
    for style_set in style_sets:
        weights = list(style_set.weights)[: len(style_set.styles)] or None
        styles = list(style_set.styles)
        if settings.colour == "histogram":  # the paintings as the optimisation sees them
            styles = [match_colour_linear(style[..., :3], photo) for style in styles]
        render = stylize(photo, styles, device, weights)
        if settings.colour == "luminance":
            render = _grey(render)
        renders.append(_tensor(render, device))
    return torch.cat(renders)


def _initial(
    content: torch.Tensor,
    photo: np.ndarray,
    style_sets: Sequence[StyleSet],
    settings: GatysSettings,
    device: torch.device,
) -> torch.Tensor:
    """The first scale's start in pixel space: neural-style's noise of std 0.001 about the
    mean pixel (from a generator seeded by ``settings.seed``), the photo, or the fast
    engine's render."""
    batch = len(style_sets)
    if settings.init == "noise":
        generator = torch.Generator().manual_seed(settings.seed)
        noise = torch.randn((batch, *content.shape[1:]), generator=generator) * 0.001
        return noise.to(content.device)
    if settings.init == "fast":
        return _fast_renders(photo, style_sets, settings, device)
    return content.expand(batch, -1, -1, -1).clone()


def _clamped(pixels: torch.Tensor) -> torch.Tensor:
    """Pixel-space values limited to what a saved image can hold (0..255 before the mean)."""
    return to_pixels(from_pixels(pixels).clamp(0.0, 1.0))


def plan(settings: GatysSettings, output_size: int, content_shape: tuple[int, ...]) -> list:
    """(longest side, iterations) per scale, coarse to fine."""
    scales = list(settings.scales) or [output_size or max(content_shape[:2])]
    steps = list(settings.scale_iterations) or (
        [settings.iterations] + [settings.refine_iterations] * (len(scales) - 1)
    )
    return list(zip(scales, steps, strict=True))


def gatys(
    content: np.ndarray,
    style_sets: Sequence[StyleSet],
    vgg: VGGFeatures,
    settings: GatysSettings,
    output_size: int,
    device: torch.device,
    progress: Progress = lambda f: None,
    grams: GramCache | None = None,
) -> list[np.ndarray]:
    """One render per style set, optimised together. Coarse to fine when ``settings.scales``
    lists several sizes (neural-style's multi-scale scripts): each scale starts from the
    previous result, enlarged bilinearly, and compares with the photo and the paintings at
    its own size. A non-zero ``output_size`` is the result's longest side (the last scale's
    render is resized to it when they differ). ``progress`` is called once per iteration;
    raising there (a cancel) stops the run within that iteration. ``grams`` keeps the
    paintings' Grams for the next render on the same network."""
    stages = plan(settings, output_size, content.shape)
    least = smallest_side(settings)
    for scale, _ in stages:
        shape = fit_longest_side(*content.shape[:2], scale)
        if min(shape) < least:
            raise TooSmall(
                f"at {scale} px the photo is {shape[1]} x {shape[0]} px, too small for the "
                f"layers used (the shorter side needs at least {least} px)"
            )
    total, finished = sum(n for _, n in stages), 0
    x: torch.Tensor | None = None
    photo = content[..., :3]
    for scale, iterations in stages:
        photo = resize(content[..., :3], *fit_longest_side(*content.shape[:2], scale))

        def scaled(fraction: float, start: int = finished, n: int = iterations) -> None:
            progress((start + fraction * n) / total)

        targets = _targets(vgg, photo, style_sets, settings, device, scaled, grams)
        working = _grey(photo) if settings.colour == "luminance" else photo
        target = _tensor(working, device)
        if x is None:
            init = _initial(target, photo, style_sets, settings, device)
        else:
            init = _clamped(
                F.interpolate(x, size=target.shape[-2:], mode="bilinear", align_corners=False)
            )
        x = _optimise(vgg, init, targets, style_sets, settings, iterations, scaled)
        del targets, init
        # The heap keeps freed blocks for reuse, but the next scale's are larger: what this
        # scale freed (its L-BFGS history, activations) goes back to the system rather than
        # staying resident beside them (the 2048 px preset peaked at 5.2 GB without this).
        release_free_memory()
        finished += iterations
    if x is None:
        raise ValueError("no scales to render")
    renders = [_finished(image, photo, settings) for image in from_pixels(x).clamp(0, 1)]
    if output_size and max(renders[0].shape[:2]) != output_size:
        # output_size is the picture's size, whatever the scales: a coarser last scale
        # is enlarged to it
        size = fit_longest_side(*content.shape[:2], output_size)
        renders = [resize(render, *size) for render in renders]
    return renders


def _finished(image: torch.Tensor, photo: np.ndarray, settings: GatysSettings) -> np.ndarray:
    """A render as H x W x 3 float32 0..1, with the photo's colours when asked: its YIQ
    chrominance under the render's luma (neural-style's ``-original_colors 1`` takes YUV's U
    and V, the same chrominance plane in other axes)."""
    out = np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy(), dtype=np.float32)
    if settings.colour in ("luminance", "original"):
        yiq = rgb_to_yiq(photo)
        yiq[..., 0] = rgb_to_yiq(out)[..., 0]
        out = yiq_to_rgb(yiq)
    return out


def style_losses(
    vgg: VGGFeatures,
    render: np.ndarray,
    photo: np.ndarray,
    painting: np.ndarray | StyleSet,
    settings: GatysSettings,
    device: torch.device,
) -> dict[str, float]:
    """How a finished render scores against ``photo`` and ``painting`` (one painting, or a
    style set's paintings blended by its weights) at the render's own size, with the
    settings' layers, weights and style scale: {'content', 'style', 'tv'}. The photo and the
    paintings are sized as a render of that size would see them."""
    photo = resize(photo[..., :3], *render.shape[:2])
    if isinstance(painting, StyleSet):
        style_set = StyleSet(list(painting.styles), list(painting.weights), list(painting.masks))
    else:
        style_set = StyleSet([painting])
    with torch.no_grad():
        targets = _targets(vgg, photo, [style_set], settings, device, lambda f: None)
        content, style, tv = _losses(vgg, _tensor(render, device), targets, settings)
    return {"content": float(content[0]), "style": float(style[0]), "tv": float(tv[0])}
