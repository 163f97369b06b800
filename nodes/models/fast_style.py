"""Fast arbitrary style transfer (Ghiasi et al. 2017) and the 26 built-in styles (Dumoulin
et al. 2017) on numpy images: float32 H x W x 3, values 0..1, in and out."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from stylegraph.nodes.functional.colour import luminance_transfer
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from stylegraph.nodes.models.device import image_to_tensor
from stylegraph.nodes.models.magenta import (
    BUILTIN_STYLES,
    ArbitraryTransformer,
    StatsNeeded,
    load_multistyle,
    load_predictor,
    load_transformer,
)
from stylegraph.nodes.models.tiling import feather_mask, tile_starts

Progress = Callable[[float], None]


def _no_progress(fraction: float) -> None:
    return None


def parse_builtin(spec: str) -> np.ndarray:
    """'7' or '3:0.5,12:0.5' -> 26 weights summing to 1."""
    weights = np.zeros(BUILTIN_STYLES, np.float32)
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        index, _, weight = part.partition(":")
        try:
            i, w = int(index), float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"{spec!r} is not a style list such as 7 or 3:0.5,12:0.5") from None
        if not 0 <= i < BUILTIN_STYLES:
            raise ValueError(f"built-in style {i} does not exist (0 to {BUILTIN_STYLES - 1})")
        if w < 0:
            raise ValueError(f"style weight {w} is negative")
        weights[i] += w
    if weights.sum() <= 0:
        raise ValueError(f"{spec!r} selects no built-in style")
    return weights / weights.sum()


def _square_crop(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


@torch.no_grad()
def style_vectors(styles: Sequence[np.ndarray], size: int, device: torch.device) -> torch.Tensor:
    """N style images -> N x 100 style vectors. Each is centre-cropped square and resized to
    ``size`` (256 is what the predictor was trained at); greyscale styles work as they are
    (RGB with equal channels)."""
    predictor = load_predictor(str(device))
    batch = torch.cat(
        [
            image_to_tensor(
                resize(np.ascontiguousarray(_square_crop(s[..., :3])), size, size, "area"), device
            )
            for s in styles
        ]
    )
    return predictor(batch)


def _pad_to_multiple(x: torch.Tensor, multiple: int = 4) -> tuple[torch.Tensor, int, int]:
    height, width = x.shape[-2:]
    ph, pw = (-height) % multiple, (-width) % multiple
    if ph or pw:
        mode = "reflect" if min(height, width) > max(ph, pw) else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, height, width


def _cores(starts: list[int], tile: int, length: int) -> dict[int, tuple[int, int]]:
    """Split [0, length) among tiles at the middle of each overlap, so that every pixel lies
    in exactly one tile's core: start -> (core start, core end)."""
    ends = [min(start + tile, length) for start in starts]
    cuts = [0] + [(nxt + end) // 2 for nxt, end in zip(starts[1:], ends[:-1], strict=True)]
    cuts.append(length)
    return {start: (cuts[i], cuts[i + 1]) for i, start in enumerate(starts)}


# How far (input px) a feature deep in the transformer sees: the widened tiles used to
# measure statistics carry this much extra image so that tile borders do not leak in.
_RECEPTIVE_MARGIN = 96


def _measure_stats(
    transformer: ArbitraryTransformer,
    x: torch.Tensor,
    vectors: torch.Tensor,
    ys: list[int],
    xs: list[int],
    tile: int,
    progress: Progress,
) -> dict:
    """Whole-image instance-norm statistics, measured over the tiles one layer at a time.
    Each pixel is counted once, in its tile's core; cores are widened by the receptive
    margin while measuring, so the result matches a whole-image pass closely."""
    height, width = x.shape[-2:]
    batch = vectors.shape[0]
    margin = _RECEPTIVE_MARGIN
    row_cores, column_cores = _cores(ys, tile, height), _cores(xs, tile, width)
    boxes = [(*row_cores[y0], *column_cores[x0]) for y0 in ys for x0 in xs]
    stats: dict = {}
    layers = 13
    for layer in range(layers):
        total = squares = None
        count = 0
        name = ""
        for cy0, cy1, cx0, cx1 in boxes:
            ey0, ey1 = max(0, cy0 - margin), min(height, cy1 + margin)
            ex0, ex1 = max(0, cx0 - margin), min(width, cx1 + margin)
            ey0, ex0 = ey0 - ey0 % 4, ex0 - ex0 % 4
            ey1, ex1 = ey1 + (-(ey1 - ey0)) % 4, ex1 + (-(ex1 - ex0)) % 4
            piece = x[:, :, ey0:ey1, ex0:ex1].expand(batch, -1, -1, -1)
            try:
                transformer(piece, vectors, stats=stats)
                return stats
            except StatsNeeded as needed:
                name, features = needed.name, needed.features
            scale = features.shape[-1] / (ex1 - ex0)
            core = features[
                :,
                :,
                round((cy0 - ey0) * scale) : round((cy1 - ey0) * scale),
                round((cx0 - ex0) * scale) : round((cx1 - ex0) * scale),
            ].double()
            part_sum = core.sum(dim=(2, 3), keepdim=True)
            part_sq = core.pow(2).sum(dim=(2, 3), keepdim=True)
            total = part_sum if total is None else total + part_sum
            squares = part_sq if squares is None else squares + part_sq
            count += core.shape[-1] * core.shape[-2]
        mean = total / count
        stats[name] = (mean.float(), (squares / count - mean.pow(2)).clamp_min(0).float())
        progress(0.5 * (layer + 1) / layers)
    return stats


@torch.no_grad()
def render(
    content: np.ndarray,
    vectors: torch.Tensor,
    device: torch.device,
    tile: int = 0,
    overlap: int = 64,
    progress: Progress = _no_progress,
    exact_stats: bool = True,
) -> list[np.ndarray]:
    """Render ``content`` once per style vector (B x 100), all in one batch.

    With ``tile`` > 0 and an image larger than a tile, the image is rendered in overlapping
    tiles blended with feathered seams. Every tile is normalised with the same whole-image
    instance-norm statistics: measured over the tiles layer by layer (``exact_stats``, several times
    the work) or taken from one pass over the image shrunk to tile size (quick, approximate).
    """
    transformer = load_transformer(str(device))
    x, height, width = _pad_to_multiple(image_to_tensor(content, device))
    vectors = vectors.to(device)
    batch = vectors.shape[0]
    padded_h, padded_w = x.shape[-2:]
    if tile <= 0 or max(padded_h, padded_w) <= tile:
        out = transformer(x.expand(batch, -1, -1, -1), vectors)
        progress(1.0)
    else:
        tile = max(16, tile - tile % 4)
        overlap = min(overlap - overlap % 4, tile // 2)
        ys = tile_starts(padded_h, tile, overlap, align=4)
        xs = tile_starts(padded_w, tile, overlap, align=4)
        boxes = [
            (y0, min(y0 + tile, padded_h), x0, min(x0 + tile, padded_w)) for y0 in ys for x0 in xs
        ]
        if exact_stats:
            stats = _measure_stats(transformer, x, vectors, ys, xs, tile, progress)
        else:
            proxy_h, proxy_w = fit_longest_side(padded_h, padded_w, tile)
            proxy = F.interpolate(
                x, size=(max(4, proxy_h - proxy_h % 4), max(4, proxy_w - proxy_w % 4)), mode="area"
            )
            stats = {}
            transformer(proxy.expand(batch, -1, -1, -1), vectors, record=stats)
        out = torch.zeros(batch, 3, padded_h, padded_w, device=device)
        weight = torch.zeros(1, 1, padded_h, padded_w, device=device)
        for done, (y0, y1, x0, x1) in enumerate(boxes, start=1):
            piece = x[:, :, y0:y1, x0:x1].expand(batch, -1, -1, -1)
            rendered = transformer(piece, vectors, stats=stats)
            mask = feather_mask(y0, y1, x0, x1, padded_h, padded_w, overlap)
            mask = mask.to(device)[None, None]
            out[:, :, y0:y1, x0:x1] += rendered * mask
            weight[:, :, y0:y1, x0:x1] += mask
            base = 0.5 if exact_stats else 0.0
            progress(base + (1 - base) * done / len(boxes))
        out = out / weight
    images = out[:, :, :height, :width].clamp(0, 1).permute(0, 2, 3, 1).float().cpu().numpy()
    return [np.ascontiguousarray(image) for image in images]


def stylize(
    content: np.ndarray,
    styles: Sequence[np.ndarray],
    device: torch.device,
    weights: Sequence[float] | None = None,
    strength: float = 1.0,
    style_size: int = 256,
    output_size: int = 0,
    keep_colours: bool = False,
    tile: int = 0,
    overlap: int = 64,
    progress: Progress = _no_progress,
) -> np.ndarray:
    """One render of ``content`` in a blend of ``styles``.

    Styles are mixed by their style vectors, weighted by ``weights``. ``strength``
    interpolates between the content's own style vector (0: close to the photo) and the
    style's (1). ``output_size`` is the longest side in px (0: the content's size).
    """
    if output_size:
        content = resize(content[..., :3], *fit_longest_side(*content.shape[:2], output_size))
    vector = blended_vector(content, styles, device, weights, strength, style_size)
    out = render(content[..., :3], vector, device, tile, overlap, progress)[0]
    return luminance_transfer(content[..., :3], out) if keep_colours else out


def blended_vector(
    content: np.ndarray,
    styles: Sequence[np.ndarray],
    device: torch.device,
    weights: Sequence[float] | None = None,
    strength: float = 1.0,
    style_size: int = 256,
) -> torch.Tensor:
    """The 1 x 100 style vector of one render: ``styles`` mixed by ``weights``, pulled
    towards ``content``'s own vector below full ``strength``. Several of these stacked render
    in one batched pass (batch sweeps)."""
    if not styles:
        raise ValueError("at least one style image is needed")
    weights = list(weights or [])
    weights += [1.0] * (len(styles) - len(weights))
    mix = torch.tensor(weights[: len(styles)], dtype=torch.float32, device=device)
    if (mix < 0).any() or mix.sum() <= 0:
        raise ValueError("style weights must be non-negative and not all zero")
    vectors = style_vectors(list(styles), style_size, device)
    vector = (vectors * (mix / mix.sum())[:, None]).sum(dim=0, keepdim=True)
    if strength < 1.0:
        own = style_vectors([content], style_size, device)
        vector = strength * vector + (1.0 - strength) * own
    return vector


@torch.no_grad()
def stylize_builtin(
    content: np.ndarray,
    weights: np.ndarray,
    device: torch.device,
    strength: float = 1.0,
    output_size: int = 0,
    keep_colours: bool = False,
) -> np.ndarray:
    """``content`` in a blend of the 26 built-in styles (``weights``, summing to 1)."""
    if output_size:
        content = resize(content[..., :3], *fit_longest_side(*content.shape[:2], output_size))
    model = load_multistyle(str(device))
    x, height, width = _pad_to_multiple(image_to_tensor(content, device))
    w = torch.from_numpy(np.asarray(weights, np.float32))[None].to(device)
    out = model(x, w)[0, :, :height, :width].clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    rgb = content[..., :3]
    out = rgb + (out - rgb) * strength
    return luminance_transfer(rgb, out) if keep_colours else np.ascontiguousarray(out)
