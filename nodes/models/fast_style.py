"""Fast arbitrary style transfer (Ghiasi et al. 2017) and the 26 built-in styles (Dumoulin
et al. 2017) on numpy images: float32 H x W x 3, values 0..1, in and out."""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from stylegraph.graph.context import is_out_of_memory
from stylegraph.nodes.functional.colour import RGB_TO_YIQ, YIQ_TO_RGB, luminance_transfer
from stylegraph.nodes.functional.resize import fit_longest_side, resize, resized_rows
from stylegraph.nodes.functional.style_blend import parse_style_blend
from stylegraph.nodes.models.device import (
    image_to_tensor,
    large_blocks_returned,
    release_free_memory,
)
from stylegraph.nodes.models.magenta import (
    BUILTIN_STYLES,
    Stages,
    load_multistyle,
    load_predictor,
    load_transformer,
    moments,
)
from stylegraph.nodes.models.tiling import memory_budget

Progress = Callable[[float], None]


def _no_progress(fraction: float) -> None:
    return None


STAGES = 14  # instance-normalised layers in a pass: a whole-image pass reports after each


def _run_stages(stages: Stages, progress: Progress) -> torch.Tensor:
    """A whole-image pass, layer by layer, reporting after each layer: the editor's
    progress bar moves during a render instead of sitting at 0 % until it ends (and a
    cancel stops the pass within a layer)."""
    layer = 0
    try:
        request = next(stages)
        while True:
            layer += 1
            progress(min(0.95, layer / STAGES))
            request = stages.send(moments(request[1]))
    except StopIteration as finished:
        return finished.value


def parse_builtin(spec: str) -> np.ndarray:
    """'7' or '3:0.5,12:0.5' -> 26 weights summing to 1 (see ``parse_style_blend``)."""
    return np.asarray(parse_style_blend(spec, BUILTIN_STYLES), np.float32)


def _square_crop(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


class StyleVectorCache:
    """Style vectors by the painting's pixels, size and device: a sweep of one painting over
    many photos, or a preset re-run on a new photo, predicts the painting's vector once."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[tuple, torch.Tensor] = OrderedDict()

    @staticmethod
    def key(style: np.ndarray, size: int, device: torch.device) -> tuple:
        rgb = np.ascontiguousarray(style[..., :3], np.float32)
        digest = hashlib.blake2b(rgb.tobytes(), digest_size=16).hexdigest()
        return digest, rgb.shape, size, str(device)

    def get(self, key: tuple) -> torch.Tensor | None:
        vector = self._vectors.get(key)
        if vector is None:
            self.misses += 1
            return None
        self.hits += 1
        self._vectors.move_to_end(key)
        return vector

    def put(self, key: tuple, vector: torch.Tensor) -> None:
        self._vectors[key] = vector
        while len(self._vectors) > self.capacity:
            self._vectors.popitem(last=False)

    def clear(self) -> None:
        self._vectors.clear()
        self.hits = self.misses = 0


STYLE_VECTORS = StyleVectorCache()


@torch.no_grad()
def style_vectors(styles: Sequence[np.ndarray], size: int, device: torch.device) -> torch.Tensor:
    """N style images -> N x 100 style vectors. Each is centre-cropped square and resized to
    ``size`` (256 is what the predictor was trained at); greyscale styles work as they are
    (RGB with equal channels). Vectors already predicted come from ``STYLE_VECTORS``.
    Each is predicted on its own, so the same painting gives bit-identical vectors (and
    renders) whatever else is in the sweep, in this process or on a cluster worker."""
    keys = [StyleVectorCache.key(s, size, device) for s in styles]
    found = [STYLE_VECTORS.get(key) for key in keys]
    missing = [i for i, vector in enumerate(found) if vector is None]
    if missing:
        predictor = load_predictor(str(device))
        for i in missing:  # one at a time: a painting's vector never depends on its company
            square = np.ascontiguousarray(_square_crop(styles[i][..., :3]))
            found[i] = predictor(image_to_tensor(resize(square, size, size, "area"), device))
            STYLE_VECTORS.put(keys[i], found[i])
    return torch.cat(found)


def _pad_to_multiple(x: torch.Tensor, multiple: int = 4) -> torch.Tensor:
    height, width = x.shape[-2:]
    ph, pw = (-height) % multiple, (-width) % multiple
    if ph or pw:
        mode = "reflect" if min(height, width) > max(ph, pw) else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x


# The transformers' 9 px reflect-padded convolutions and two stride-2 steps need about this
# many px on each side; smaller images are enlarged by whole pixels and averaged back.
MIN_SIDE = 16


# Peak bytes per rendered pixel (per style in a batch) of a whole-image pass on the CPU,
# measured with ru_maxrss at 1024-4096 px; the budget divided by this sizes the tiles.
ARBITRARY_BYTES_PER_PIXEL = 280
BUILTIN_BYTES_PER_PIXEL = 700
# What all tiles of a tiled pass hold while paused at its largest norm layer, per pixel:
# above the budget, the passes recompute those features instead (``low_memory``).
PAUSED_BYTES_PER_PIXEL = 40


def auto_tile(height: int, width: int, batch: int, bytes_per_pixel: int, budget: int) -> int:
    """0 (the whole image) when it fits ``budget`` bytes, else the largest tile side (px,
    a multiple of 4, with its ``TILE_MARGIN`` of context) that does."""
    if height * width * batch * bytes_per_pixel <= budget:
        return 0
    side = int(math.sqrt(budget / (batch * bytes_per_pixel))) - 2 * TILE_MARGIN
    return max(64, side - side % 4)


# Context px around each tile: more than the transformers' receptive fields (54 px for
# the arbitrary network: 4 + 1 + 2 + 10 x 4 + 2 + 1 + 4; 62 for the built-in one),
# so a tile's core matches a whole-image pass run with the same statistics.
TILE_MARGIN = 64


def _aligned_window(y0: int, y1: int, margin: int, length: int) -> tuple[int, int]:
    """[y0 - margin, y1 + margin) clipped to the image, starting on a multiple of 4 so that
    the network's stride-2 steps and 2x upsamplings line up with a whole-image pass."""
    start = max(0, y0 - margin)
    return start - start % 4, min(length, y1 + margin)


def _piece(content: np.ndarray, box: tuple, margin: int, device) -> tuple[torch.Tensor, tuple]:
    y0, y1, x0, x1 = box
    ry0, ry1 = _aligned_window(y0, y1, margin, content.shape[0])
    rx0, rx1 = _aligned_window(x0, x1, margin, content.shape[1])
    tensor = torch.from_numpy(np.ascontiguousarray(content[ry0:ry1, rx0:rx1]))
    return _pad_to_multiple(tensor.permute(2, 0, 1)[None].to(device)), (ry0, rx0)


def _crop(features: torch.Tensor, box: tuple, origin: tuple, scale: float) -> torch.Tensor:
    y0, y1, x0, x1 = box
    oy, ox = origin
    return features[
        :,
        :,
        round((y0 - oy) * scale) : round((y1 - oy) * scale),
        round((x0 - ox) * scale) : round((x1 - ox) * scale),
    ]


def _core_boxes(height: int, width: int, tile: int) -> list[tuple[int, int, int, int]]:
    return [
        (y0, min(y0 + tile, height), x0, min(x0 + tile, width))
        for y0 in range(0, height, tile)
        for x0 in range(0, width, tile)
    ]


def _accumulate(sums: list, features: torch.Tensor, box: tuple, origin: tuple, width: int):
    """Adds the core's per-channel sum, sum of squares and pixel count to ``sums``: float32
    reductions that make no copy of the features (a float64 one took a fifth of a tiled
    pass), added up over the tiles in float64."""
    core = _crop(features, box, origin, features.shape[-1] / width)
    sums[0] = sums[0] + core.sum(dim=(2, 3), keepdim=True).double()
    norm = torch.linalg.vector_norm(core, dim=(2, 3), keepdim=True).double()
    sums[1] = sums[1] + norm.pow(2)
    sums[2] += core.shape[-1] * core.shape[-2]


@dataclass
class TiledOutput:
    """Where a tiled pass writes (None: a new array at its first finished tile), and
    whether it has begun to."""

    array: np.ndarray | None
    written: bool = False


def _one_tiled_pass(
    network: Callable[[torch.Tensor], Stages],
    content: np.ndarray,
    tile: int,
    device,
    progress: Progress,
    out: TiledOutput,
    low_memory: bool = False,
) -> np.ndarray:
    """B x H x W x 3 in one pass over tiles of ``tile`` px that share whole-image statistics.

    All tiles' passes run together, layer by layer: each is paused at a norm layer until
    every tile has added its core to that layer's sums, then all resume with the whole-image
    mean and variance. Nothing is recomputed (the old scheme re-ran every tile up to each of
    the 13 layers, 2.2x the time); the memory cost is what the paused tiles hold. Each tile
    runs with ``TILE_MARGIN`` px of context and keeps its core, so tiles meet without seams
    and match a whole-image pass to float rounding. Sums are float64.

    ``out.array`` (B x H x W x 3), if set, receives the result; it may be ``content``
    itself (B = 1): every piece is cut in the first layer, before any tile is written.
    ``low_memory`` hands the heap's free pages back after each layer (at the cost of
    faulting them in again)."""
    height, width = content.shape[:2]
    boxes = _core_boxes(height, width, tile)
    passes: list = [None] * len(boxes)
    origins: list = [None] * len(boxes)
    widths: list = [0] * len(boxes)
    moment = None
    layer = 0
    while moment is None or passes[0] is not None:
        sums: list = [0.0, 0.0, 0]
        for n, stages in enumerate(passes):
            try:
                if moment is None:  # each tile's piece is cut when its pass starts
                    piece, origins[n] = _piece(content, boxes[n], TILE_MARGIN, device)
                    widths[n] = piece.shape[-1]
                    stages = passes[n] = network(piece)
                    del piece
                    _, features = next(stages)
                else:
                    _, features = stages.send(moment)
            except StopIteration as finished:
                rendered = _crop(finished.value, boxes[n], origins[n], 1.0).clamp(0, 1)
                if out.array is None:
                    out.array = np.empty((rendered.shape[0], height, width, 3), np.float32)
                y0, y1, x0, x1 = boxes[n]
                out.written = True
                out.array[:, y0:y1, x0:x1] = rendered.permute(0, 2, 3, 1).cpu().numpy()
                passes[n] = None
                continue
            _accumulate(sums, features, boxes[n], origins[n], widths[n])
            del features
        if passes[0] is not None:
            mean = sums[0] / sums[2]
            moment = (mean.float(), (sums[1] / sums[2] - mean.pow(2)).clamp_min(0).float())
            layer += 1
            if low_memory:
                release_free_memory()
            progress(min(0.95, layer / STAGES))
    return out.array


def _render_tiles(
    network: Callable[[torch.Tensor], Stages],
    content: np.ndarray,
    tile: int,
    device,
    progress: Progress,
    in_place: bool = False,
    low_memory: bool = False,
) -> np.ndarray:
    """``_one_tiled_pass``; an out-of-memory error halves the tile size and the pass starts
    again, as many times as needed down to 64 px tiles. ``in_place`` writes the result over
    ``content`` (one style), saving a picture's worth of memory; then a retry is only
    possible while no tile has been written."""
    while True:
        out = TiledOutput(content[None] if in_place else None)
        try:
            return _one_tiled_pass(network, content, tile, device, progress, out, low_memory)
        except (torch.OutOfMemoryError, RuntimeError) as exc:
            overwritten = in_place and out.written
            if not is_out_of_memory(exc) or tile <= 64 or overwritten:
                raise
            if device.type == "cuda":
                torch.cuda.empty_cache()
            tile = max(64, tile // 2 - tile // 2 % 4)


@torch.no_grad()
def _render(
    network: Callable[[torch.Tensor, bool], Stages],
    content: np.ndarray,
    batch: int,
    device,
    tile: int,
    bytes_per_pixel: int,
    progress: Progress,
    budget: int | None,
    in_place: bool = False,
) -> list[np.ndarray]:
    """``content`` (H x W x 3) through ``network``, whole or tiled; B images of H x W x 3.

    ``tile`` 0 picks the whole image if it fits the memory ``budget`` (None: from free
    memory), else the largest tile that fits. Images under ``MIN_SIDE`` px are enlarged by
    whole pixels first and averaged back, so tiny inputs work. ``in_place``: the caller
    reads ``content`` no more, so a tiled pass of one style may write its result there."""
    height, width = content.shape[:2]
    factor = math.ceil(MIN_SIDE / min(height, width))
    if factor > 1:
        content = np.repeat(np.repeat(content, factor, axis=0), factor, axis=1)
    padded_h, padded_w = height * factor, width * factor
    budget = memory_budget(device) if budget is None else budget
    if tile <= 0:
        tile = auto_tile(padded_h, padded_w, batch, bytes_per_pixel, budget)
    # Paused tiles keeping their full-size features take about this much per pixel.
    low_memory = padded_h * padded_w * batch * PAUSED_BYTES_PER_PIXEL > budget
    images = None
    if tile <= 0 or max(padded_h, padded_w) <= tile:
        try:
            x = _pad_to_multiple(image_to_tensor(content, device))
            out = _run_stages(network(x.expand(batch, -1, -1, -1), False), progress)
            images = out[:, :, :padded_h, :padded_w].clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()
            progress(1.0)
        except (torch.OutOfMemoryError, RuntimeError) as exc:
            if not is_out_of_memory(exc):
                raise
            half = max(padded_h, padded_w) // 2
            tile = half - half % 4
    if images is None:
        in_place = (
            in_place
            and factor == batch == 1
            and content.dtype == np.float32
            and content.flags.c_contiguous
        )
        with large_blocks_returned() if low_memory else contextlib.nullcontext():
            images = _render_tiles(
                lambda x: network(x, low_memory),
                content,
                tile,
                device,
                progress,
                in_place,
                low_memory,
            )
    if factor > 1:
        images = images.reshape(batch, height, factor, width, factor, 3).mean(axis=(2, 4))
    return [np.ascontiguousarray(image, np.float32) for image in images]


def render(
    content: np.ndarray,
    vectors: torch.Tensor,
    device: torch.device,
    tile: int = 0,
    progress: Progress = _no_progress,
    budget: int | None = None,
    in_place: bool = False,
) -> list[np.ndarray]:
    """Render ``content`` once per style vector (B x 100), all in one batch, whole or in
    tiles (``tile`` px; 0: automatic, see ``_render``, also for ``in_place``)."""
    transformer = load_transformer(str(device))
    vectors = vectors.to(device)
    return _render(
        lambda x, low_memory: transformer.stages(x, vectors, low_memory),
        content[..., :3],
        vectors.shape[0],
        device,
        tile,
        ARBITRARY_BYTES_PER_PIXEL,
        progress,
        budget,
        in_place,
    )


ENLARGERS = ("lanczos", "realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3")


def enlarge(image: np.ndarray, height: int, width: int, method: str, device) -> np.ndarray:
    """``image`` brought to ``height`` x ``width``: Lanczos, or a packaged Real-ESRGAN model
    (as many 4x passes as needed, then resampled to the exact size)."""
    if method == "lanczos" or (image.shape[0] >= height and image.shape[1] >= width):
        return resize(image, height, width, "lanczos")  # clipped to 0..1 already
    from stylegraph.nodes.models.upscale import load_model, upscale_rgb

    model = load_model(method, str(device), False)
    while image.shape[0] < height or image.shape[1] < width:
        image = upscale_rgb(image, model, device)
    return np.clip(resize(image, height, width, "area"), 0, 1)


DETAIL_BAND_BYTES = 32 << 20  # one band of rows of the blurred photo, 3 float32 channels


def restore_detail(painted: np.ndarray, photo: np.ndarray, small: tuple, amount: float):
    """Adds back ``amount`` of the photo's fine luminance detail: what a trip through the
    ``small`` size (height, width) takes out of it, so the strokes stay large while edges
    and texture of the subject come back sharp. Chroma stays the painting's.

    Written over ``painted``, a band of rows at a time: adding to YIQ's Y alone adds the
    same amount to R, G and B (the first column of YIQ -> RGB), so no full-size YIQ or
    blurred copy of an 8192 px picture is ever made."""
    if amount <= 0:
        return painted
    shrunk = np.clip(resize(photo, *small, "area"), 0, 1)
    luma = RGB_TO_YIQ[0]
    to_rgb = YIQ_TO_RGB[:, 0]
    height, width = photo.shape[:2]
    rows = max(1, DETAIL_BAND_BYTES // (12 * width))
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        blurred = resized_rows(shrunk, height, width, top, bottom)
        detail = (photo[top:bottom, :, :3] - blurred) @ luma
        band = painted[top:bottom]
        band += (amount * detail)[..., None] * to_rgb
        np.clip(band, 0, 1, out=band)
    return painted


def at_stroke_scale(
    content: np.ndarray,
    paint: Callable[[np.ndarray], np.ndarray],
    stroke_scale: float,
    method: str,
    detail: float,
    device,
) -> np.ndarray:
    """``paint`` (an H x W x 3 -> H x W x 3 stylisation) with strokes ``stroke_scale`` times
    their native size: painted at 1/stroke_scale of the size, brought back by ``method``,
    with ``detail`` of the photo's fine luminance detail restored. 1 is ``paint(content)``."""
    painted = paint(stroke_canvas(content, stroke_scale))
    return finish_strokes(painted, content, stroke_scale, method, detail, device)


def stroke_canvas(content: np.ndarray, stroke_scale: float) -> np.ndarray:
    """The picture the network paints: ``content``, shrunk by ``stroke_scale`` above 1."""
    if stroke_scale <= 1:
        return content
    height, width = content.shape[:2]
    small = (max(1, round(height / stroke_scale)), max(1, round(width / stroke_scale)))
    return np.clip(resize(content, *small, "area"), 0, 1)


def finish_strokes(
    painted: np.ndarray,
    content: np.ndarray,
    stroke_scale: float,
    method: str,
    detail: float,
    device,
) -> np.ndarray:
    """A render of ``stroke_canvas(content, stroke_scale)`` brought back to the content's
    size by ``method``, with ``detail`` of the photo's fine luminance detail restored."""
    if stroke_scale <= 1:
        return painted
    out = enlarge(painted, *content.shape[:2], method, device)
    return restore_detail(out, content, painted.shape[:2], detail)


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
    progress: Progress = _no_progress,
    stroke_scale: float = 1.0,
    enlarge_with: str = "lanczos",
    detail: float = 0.0,
    budget: int | None = None,
) -> np.ndarray:
    """One render of ``content`` in a blend of ``styles``.

    Styles are mixed by their style vectors, weighted by ``weights``. ``strength``
    interpolates between the content's own style vector (0: close to the photo) and the
    style's (1). ``output_size`` is the longest side in px (0: the content's size).
    ``stroke_scale`` > 1 paints larger strokes (see ``at_stroke_scale``).
    """
    size = fit_longest_side(*content.shape[:2], output_size) if output_size else content.shape[:2]
    with _returning_large_blocks(size, device, budget):
        content = resize(content[..., :3], *size) if output_size else content[..., :3]

        def paint(image: np.ndarray) -> np.ndarray:
            vector = blended_vector(image, styles, device, weights, strength, style_size)
            # A picture made here and read no more after painting takes the result in its
            # place (600 MB less at 8192 px): the stroke canvas, or the enlarged photo
            # unless its colours are kept.
            in_place = image is not content or (bool(output_size) and not keep_colours)
            return render(image, vector, device, tile, progress, budget, in_place)[0]

        out = at_stroke_scale(content, paint, stroke_scale, enlarge_with, detail, device)
        return luminance_transfer(content, out) if keep_colours else out


def _returning_large_blocks(size: tuple, device, budget: int | None):
    """``large_blocks_returned`` around a CPU render so large that its tiles must pause
    in low-memory mode (about 4000 px and up): its resizes, enlargement and detail steps
    free large arrays of many sizes too. Below that, the page faults it costs (2048 px
    took twice as long) buy nothing the memory needs."""
    budget = memory_budget(device) if budget is None else budget
    if device.type != "cpu" or size[0] * size[1] * PAUSED_BYTES_PER_PIXEL <= budget:
        return contextlib.nullcontext()
    return large_blocks_returned()


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


def stylize_builtin(
    content: np.ndarray,
    weights: np.ndarray,
    device: torch.device,
    strength: float = 1.0,
    output_size: int = 0,
    keep_colours: bool = False,
    tile: int = 0,
    progress: Progress = _no_progress,
    stroke_scale: float = 1.0,
    enlarge_with: str = "lanczos",
    detail: float = 0.0,
    budget: int | None = None,
) -> np.ndarray:
    """``content`` in a blend of the 26 built-in styles (``weights``, summing to 1)."""
    if output_size:
        content = resize(content[..., :3], *fit_longest_side(*content.shape[:2], output_size))
    content = content[..., :3]
    model = load_multistyle(str(device))
    w = torch.from_numpy(np.asarray(weights, np.float32))[None].to(device)

    def paint(image: np.ndarray) -> np.ndarray:
        out = _render(
            lambda x, low_memory: model.stages(x, w, low_memory),
            image,
            1,
            device,
            tile,
            BUILTIN_BYTES_PER_PIXEL,
            progress,
            budget,
        )[0]
        return image + (out - image) * strength

    out = at_stroke_scale(content, paint, stroke_scale, enlarge_with, detail, device)
    return luminance_transfer(content, out) if keep_colours else np.ascontiguousarray(out)
