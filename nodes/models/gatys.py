"""Gatys et al.'s optimisation-based style transfer on VGG-19 ("Deep Style"), with the
options of jcjohnson/neural-style and the colour and spatial controls of Gatys et al. 2017,
"Controlling Perceptual Factors in Neural Style Transfer".

Losses are normalised as in neural-style (content: mean squared feature difference; style:
mean squared difference of Gram matrices divided by C x H x W), so its defaults carry over:
content weight 5, style weight 100, TV weight 0.001.

Images are float32 H x W x 3 numpy arrays, values 0..1. A batch renders several independent
style sets at once (one optimisation, one GPU pass per step).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from stylegraph.nodes.functional.colour import (
    luminance_transfer,
    match_colour_linear,
    rgb_to_yiq,
    yiq_to_rgb,
)
from stylegraph.nodes.functional.resize import fit_longest_side, resize, resize_mask
from stylegraph.nodes.models.vgg import LAYER_NAMES, Normalised

COLOUR_MODES = ("none", "luminance", "histogram", "original")
OPTIMISERS = ("lbfgs", "adam")
INITS = ("content", "noise")


@dataclass(frozen=True)
class GatysSettings:
    content_layers: tuple[str, ...] = ("relu4_2",)
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    content_weight: float = 5.0
    style_weight: float = 100.0
    tv_weight: float = 0.001
    init: str = "content"
    optimiser: str = "lbfgs"
    iterations: int = 300
    refine_iterations: int = 100  # at each finer scale after the first
    learning_rate: float = 0.02  # Adam's; L-BFGS takes full steps
    seed: int = 0
    style_scale: float = 1.0
    colour: str = "none"
    scales: tuple[int, ...] = ()  # longest sides, coarse to fine; () = the output size only

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("colour", self.colour, COLOUR_MODES),
            ("optimiser", self.optimiser, OPTIMISERS),
            ("init", self.init, INITS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")
        unknown = [n for n in (*self.content_layers, *self.style_layers) if n not in LAYER_NAMES]
        if unknown:
            raise ValueError(
                f"unknown VGG-19 layers: {', '.join(unknown)} (use names such as relu4_2)"
            )


@dataclass
class StyleSet:
    """What one render of the batch imitates: styles blended by weight, or each confined to
    its mask (spatial control) when masks are given."""

    styles: Sequence[np.ndarray]
    weights: Sequence[float] = ()
    masks: Sequence[np.ndarray | None] = ()
    losses: list[float] = field(default_factory=list)


Progress = Callable[[float], None]


def _tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image[..., :3])).permute(2, 0, 1)[None].to(device)


def _gram(features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Channel correlations, averaged over (masked) pixels: B x C x C."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    if mask is None:
        return flat @ flat.transpose(1, 2) / (c * h * w)
    m = F.interpolate(mask[None, None], size=(h, w), mode="bilinear", align_corners=False).reshape(
        1, 1, h * w
    )
    flat = flat * m
    return flat @ flat.transpose(1, 2) / (c * m.pow(2).sum().clamp_min(1e-6))


def _tv(x: torch.Tensor) -> torch.Tensor:
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).pow(2).mean() + (
        x[:, :, :, 1:] - x[:, :, :, :-1]
    ).pow(2).mean()


def _prepare_styles(
    content: np.ndarray, style_set: StyleSet, settings: GatysSettings
) -> list[np.ndarray]:
    side = max(16, round(max(content.shape[:2]) * settings.style_scale))
    prepared = []
    for style in style_set.styles:
        style = resize(style[..., :3], *fit_longest_side(*style.shape[:2], side))
        if settings.colour == "histogram":
            style = match_colour_linear(style, content)
        elif settings.colour == "luminance":
            style = _luminance_matched(style, content)
        prepared.append(style)
    return prepared


def _grey(image: np.ndarray) -> np.ndarray:
    return np.repeat(rgb_to_yiq(image)[..., :1], 3, axis=2).astype(np.float32)


def _luminance_matched(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The style's luminance, shifted and scaled to the content's mean and spread."""
    ys, yc = rgb_to_yiq(style)[..., 0], rgb_to_yiq(content)[..., 0]
    y = (ys - ys.mean()) * (yc.std() / max(float(ys.std()), 1e-6)) + yc.mean()
    return np.repeat(np.clip(y, 0, 1)[..., None], 3, axis=2).astype(np.float32)


def _targets(
    vgg: Normalised,
    content: np.ndarray,
    style_sets: Sequence[StyleSet],
    settings: GatysSettings,
    device: torch.device,
):
    content_in = _grey(content) if settings.colour == "luminance" else content
    with torch.no_grad():
        content_features = vgg(_tensor(content_in, device), set(settings.content_layers))
        per_set = []
        height, width = content.shape[:2]
        for style_set in style_sets:
            styles = _prepare_styles(content, style_set, settings)
            weights = np.asarray(list(style_set.weights) + [1.0] * len(styles), np.float64)
            weights = weights[: len(styles)] / weights[: len(styles)].sum()
            masks = list(style_set.masks) + [None] * len(styles)
            entries = []
            for style, weight, mask in zip(styles, weights, masks, strict=False):
                features = vgg(_tensor(style, device), set(settings.style_layers))
                grams = {name: _gram(f)[0] for name, f in features.items()}
                m = None
                if mask is not None:
                    m = torch.from_numpy(resize_mask(mask, height, width)).to(device)
                entries.append((grams, float(weight), m))
            per_set.append(entries)
    return content_features, per_set


def _loss(
    vgg: Normalised, x: torch.Tensor, content_features, per_set, settings: GatysSettings
) -> torch.Tensor:
    layers = set(settings.content_layers) | set(settings.style_layers)
    features = vgg(x, layers)
    loss = x.new_zeros(x.shape[0])
    for name in settings.content_layers:
        diff = (features[name] - content_features[name]).pow(2)
        loss = loss + settings.content_weight * diff.mean(dim=(1, 2, 3))
    for b, entries in enumerate(per_set):
        masked = any(m is not None for _, _, m in entries)
        for name in settings.style_layers:
            f = features[name][b : b + 1]
            if masked:
                for grams, _, mask in entries:
                    g = _gram(f, mask)[0]
                    loss[b] = loss[b] + settings.style_weight * (g - grams[name]).pow(2).mean()
            else:
                target = sum(weight * grams[name] for grams, weight, _ in entries)
                g = _gram(f)[0]
                loss[b] = loss[b] + settings.style_weight * (g - target).pow(2).mean()
    return loss + settings.tv_weight * torch.stack([_tv(x[b : b + 1]) for b in range(len(x))])


def _optimise(
    vgg: Normalised,
    init: torch.Tensor,
    content: np.ndarray,
    style_sets: Sequence[StyleSet],
    settings: GatysSettings,
    iterations: int,
    device: torch.device,
    progress: Progress,
) -> torch.Tensor:
    content_features, per_set = _targets(vgg, content, style_sets, settings, device)
    x = init.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    done = 0

    def evaluate() -> torch.Tensor:
        nonlocal done
        optimiser.zero_grad()
        losses = _loss(vgg, x, content_features, per_set, settings)
        total = losses.sum()
        total.backward()
        for style_set, value in zip(style_sets, losses.detach().cpu().tolist(), strict=True):
            style_set.losses.append(value)
        done += 1
        progress(min(1.0, done / iterations))
        return total

    if settings.optimiser == "lbfgs":
        optimiser = torch.optim.LBFGS(
            [x],
            lr=1.0,
            max_iter=iterations,
            max_eval=iterations,
            history_size=50,
            tolerance_grad=1e-9,
            tolerance_change=1e-12,
        )
        optimiser.step(evaluate)
    else:
        optimiser = torch.optim.Adam([x], lr=settings.learning_rate)
        for _ in range(iterations):
            optimiser.step(evaluate)
    return x.detach().clamp_(0, 1)


def _initial(content: torch.Tensor, batch: int, settings: GatysSettings) -> torch.Tensor:
    if settings.init == "noise":
        generator = torch.Generator().manual_seed(settings.seed)
        noise = torch.rand((batch, *content.shape[1:]), generator=generator)
        return noise.to(content.device)
    return content.expand(batch, -1, -1, -1).clone()


def gatys(
    content: np.ndarray,
    style_sets: Sequence[StyleSet],
    vgg: Normalised,
    settings: GatysSettings,
    output_size: int,
    device: torch.device,
    progress: Progress = lambda f: None,
) -> list[np.ndarray]:
    """One render per style set, optimised together. Coarse to fine when ``settings.scales``
    lists several sizes: each scale starts from the previous result, upsampled."""
    torch.manual_seed(settings.seed)
    scales = list(settings.scales) or [output_size or max(content.shape[:2])]
    x: torch.Tensor | None = None
    steps = [settings.iterations] + [settings.refine_iterations] * (len(scales) - 1)
    total, finished = sum(steps), 0
    for scale, iterations in zip(scales, steps, strict=True):
        photo = resize(content[..., :3], *fit_longest_side(*content.shape[:2], scale))
        working = _grey(photo) if settings.colour == "luminance" else photo
        target = _tensor(working, device)
        if x is None:
            init = _initial(target, len(style_sets), settings)
        else:
            init = F.interpolate(
                x, size=target.shape[-2:], mode="bicubic", align_corners=False
            ).clamp(0, 1)

        def scaled(fraction: float, start: int = finished, n: int = iterations) -> None:
            progress((start + fraction * n) / total)

        x = _optimise(vgg, init, photo, style_sets, settings, iterations, device, scaled)
        finished += iterations
    outputs = []
    for image in x.permute(0, 2, 3, 1).cpu().numpy():
        image = np.ascontiguousarray(image, dtype=np.float32)
        if settings.colour == "luminance":
            yiq = rgb_to_yiq(photo)
            yiq[..., 0] = image[..., 0]
            image = yiq_to_rgb(yiq)
        elif settings.colour == "original":
            image = luminance_transfer(photo, image)
        outputs.append(image)
    return outputs
