"""The Gatys losses' gradient at print sizes in bands of rows, in bounded memory.

A whole-image pass keeps every activation of VGG-19 for its backward pass: about 700 bytes
a pixel in bfloat16, 2.2 GB at 2048 x 1536, and as much again in the backward pass's
temporaries. The style loss needs the whole image's Grams, but a Gram is a sum over
positions (G = F F^T / N), so two passes give the same gradient in a band's memory:

1. per band of rows, a forward pass without autograd over the band and a halo around it:
   the band's share of each Gram and of the content loss, summed into the losses and dL/dG;
2. per band again, a forward and backward pass over the band and its halo, of
   the surrogate sum_L <dL/dG_L, F_L F_L^T> (+ the content term) over the band's own rows
   of each layer: its gradient on the image is the band's share of dL/dx, since
   dL/dF = (dL/dG + dL/dG^T) F / N row by row.

The halo (80 px) covers relu5_1's receptive field (156 px across), and bands start on the
deepest pooling's 16 px grid, so a band's own rows of every layer see exactly what the
whole image's do. Total variation is cheap on the image and is differentiated whole.

Only for the plain losses: masked styles and ``normalize_gradients`` (each gradient divided
by its whole layer's L1 norm) take the whole-image pass."""

from __future__ import annotations

import torch

from stylegraph.nodes.models.device import release_free_memory
from stylegraph.nodes.models.vgg import LAYER_NAMES, VGGFeatures

# Pixels of the image a band may cover, halo not counted: about 0.7 KB of activations kept
# per pixel in bfloat16, and the backward pass's temporaries as much again. Measured at
# 2048 x 1536 px: bands of 1 M px peaked at 4.25 GB, of 512 K px at 3.24 GB (3 iterations).
BAND_PIXELS = 1 << 19
HALO = 80  # px, at least half of relu5_1's receptive field (156 px), a multiple of GRID
GRID = 16  # the deepest layer's pooling: 4 poolings of 2


def _factor(layer: str) -> int:
    """How many image rows one row of ``layer`` spans."""
    return 2 ** sum(1 for name in LAYER_NAMES[: LAYER_NAMES.index(layer)] if name[:4] == "pool")


def bands(height: int, width: int, band_pixels: int | None = None) -> list[tuple[int, int]]:
    """(first row, end row) of each band of at most ``band_pixels`` (``BAND_PIXELS``), on
    the pooling grid; one band up to twice that, where the halos would cost more than the
    memory saved."""
    band_pixels = band_pixels or BAND_PIXELS
    if height * width <= 2 * band_pixels:  # one pass up to 1 M px (1024 x 768 fits)
        return [(0, height)]
    rows = max(GRID, band_pixels // width // GRID * GRID)
    return [(top, min(height, top + rows)) for top in range(0, height, rows)]


def gradient_band_pixels(height: int, width: int, precision: str) -> int | None:
    """The band size for the gradient's pass at this size and arithmetic (None: the
    default, ``BAND_PIXELS``). Up to 2 x ``BAND_PIXELS`` the image is one pass either way
    (1024 x 768 in float32 peaked at 3.1 GB). Beyond, each band runs with a halo of
    ``HALO`` rows above and below, so fewer, larger bands repeat less work: bfloat16's
    bands cover twice ``BAND_PIXELS`` where that still makes three bands or more (at 2048 x
    1536 px three bands run 1.21x the image's rows, six 1.52x: 32.9 s an iteration against
    38.5 s, 3.29 GB peak for that scale against 2.50 GB, on an AMD EPYC). float32's
    activations take twice bfloat16's bytes, so its bands cover half of ``BAND_PIXELS``:
    the 2048 px preset in float32 with bands of ``BAND_PIXELS`` peaked at 4.36 GB."""
    pixels = height * width
    if pixels <= 2 * BAND_PIXELS:
        return None
    if precision == "bfloat16":
        return 2 * BAND_PIXELS if pixels > 4 * BAND_PIXELS else None
    return BAND_PIXELS // 2


def _spans(height: int, width: int, band_pixels: int | None) -> list[tuple]:
    """Per band: its first and end rows, the first and end rows of its crop (the band and
    its halo, within the image), and whether it is the last."""
    spans = bands(height, width, band_pixels)
    return [
        (top, end, max(0, top - HALO), min(height, end + HALO), index == len(spans) - 1)
        for index, (top, end) in enumerate(spans)
    ]


def _own_rows(feature: torch.Tensor, layer: str, top: int, end: int, first: int, last: bool):
    """The rows of a band's ``feature`` that belong to the band (it starts at ``first``)."""
    s = _factor(layer)
    stop = feature.shape[2] if last else (end - first) // s
    return feature[:, :, (top - first) // s : stop]


def _band_features(vgg: VGGFeatures, x: torch.Tensor, layers: set[str], band_pixels=None):
    """(layer, band's first row, end row, last band?, the band's own rows of the layer),
    band by band and shallow to deep; nothing is kept between them."""
    for top, end, first, stop, last in _spans(x.shape[2], x.shape[3], band_pixels):
        for name, f in vgg.each(x[:, :, first:stop], layers):
            yield name, top, end, last, _own_rows(f, name, top, end, first, last)
            del f


def grams(vgg: VGGFeatures, x: torch.Tensor, layers: set[str]) -> dict[str, torch.Tensor]:
    """The Grams of an image's features (B x C x C, divided by C x H x W as
    ``gatys._gram``), without autograd, band by band at print sizes: a 2048 px painting's
    float32 pass otherwise peaks at 3 GB."""
    from stylegraph.nodes.models.gatys import _Correlations

    raws: dict[str, torch.Tensor] = {}
    positions: dict[str, int] = {}
    with torch.no_grad():
        for name, _, _, _, own in _band_features(vgg, x, layers):
            b, c, h, w = own.shape
            product = _Correlations.apply(own.reshape(b, c, h * w))
            raws[name] = raws[name] + product if name in raws else product
            positions[name] = positions.get(name, 0) + h * w
    return {name: raw / (raw.shape[1] * positions[name]) for name, raw in raws.items()}


def features(vgg: VGGFeatures, x: torch.Tensor, layers: set[str]) -> dict[str, torch.Tensor]:
    """An image's features at ``layers``, as ``vgg(x, layers)`` gives them, without
    autograd, band by band at print sizes (for the photo's content features); float32
    whatever arithmetic the pass ran in, as the losses compare in float32."""
    parts: dict[str, list[torch.Tensor]] = {}
    with torch.no_grad():
        for name, _, _, _, own in _band_features(vgg, x, layers):
            parts.setdefault(name, []).append(own)
    return {
        name: (torch.cat(rows, dim=2) if len(rows) > 1 else rows[0]).float()
        for name, rows in parts.items()
    }


def losses_and_gradient(
    vgg: VGGFeatures,
    x: torch.Tensor,
    targets,
    settings,
    band_pixels: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per batch element (content, style, total variation) losses, as ``gatys._losses``
    gives them, with their gradient on ``x`` left in ``x.grad`` (the whole-image pass's,
    to within rounding). ``targets`` must hold unmasked Grams (``targets.grams``)."""
    from stylegraph.nodes.models.gatys import _Correlations, _tv, network_arithmetic

    height = x.shape[2]
    style_layers = list(settings.style_layers) if settings.style_weight > 0 else []
    content_layers = list(settings.content_layers) if settings.content_weight > 0 else []
    layers = set(style_layers) | set(content_layers)
    batch = x.shape[0]
    # pass 1, band by band without autograd: the losses and their gradient with respect to
    # each Gram (every block a band's size, so the heap reuses the same blocks throughout)
    raws: dict[str, torch.Tensor] = {}
    positions: dict[str, int] = {}
    content = x.new_zeros(batch)
    with torch.no_grad(), network_arithmetic(x.device, settings.precision):
        for name, top, end, last, own in _band_features(vgg, x.detach(), layers, band_pixels):
            with torch.autocast(x.device.type, enabled=False):  # the losses in float32
                if name in content_layers:
                    target = _own_rows(targets.content[name], name, top, end, 0, last)
                    numel = targets.content[name][0].numel()
                    squared = (own - target).pow(2).sum(dim=(1, 2, 3))
                    content = content + settings.content_weight * squared / numel
                if name in style_layers:
                    b, c, h, w = own.shape
                    product = _Correlations.apply(own.reshape(b, c, h * w))
                    raws[name] = raws[name] + product if name in raws else product
                    positions[name] = positions.get(name, 0) + h * w
            del own
    release_free_memory()  # see pass 2
    style = x.new_zeros(batch)
    for name in style_layers:
        raw = raws[name].requires_grad_(True)
        size = raw.shape[1] * positions[name]
        diff = (raw / size - targets.grams[name]).pow(2).mean(dim=(1, 2))
        style = style + settings.style_weight * diff
    if style_layers:
        style.sum().backward()
    # pass 2: each band's share of dL/dx
    gradient = torch.zeros_like(x)
    for top, end, first, stop, last in _spans(height, x.shape[3], band_pixels):
        piece = x.detach()[:, :, first:stop].requires_grad_(True)
        with network_arithmetic(x.device, settings.precision):
            features = vgg(piece, layers)
        surrogate = piece.new_zeros(())
        for name in style_layers:
            own = _own_rows(features[name], name, top, end, first, last)
            b, c, h, w = own.shape
            product = _Correlations.apply(own.reshape(b, c, h * w))
            surrogate = surrogate + (product * raws[name].grad).sum()
        for name in content_layers:
            own = _own_rows(features[name], name, top, end, first, last)
            target = _own_rows(targets.content[name], name, top, end, 0, last)
            numel = targets.content[name][0].numel()
            squared = (own - target).pow(2).sum()
            surrogate = surrogate + settings.content_weight * squared / numel
        del features
        surrogate.backward()
        gradient[:, :, first:stop] += piece.grad
        del piece, surrogate
        # What the band freed goes back to the system: malloc's heap cannot place the next
        # band's blocks in the holes this one left between the blocks still in use, so kept
        # it grew to 3.1 GB around 1.5 GB in use (at 2048 px, in the first iteration; 3.37
        # -> 2.91 GB peak over 3 iterations). Costs a page fault per page the next band
        # touches again: 2.5 M faults, 5 s of system time an iteration, 1.03x its time.
        release_free_memory()
    tv = x.new_zeros(batch)
    if settings.tv_weight > 0:
        image = x.detach().requires_grad_(True)
        tv = settings.tv_weight * _tv(image)
        tv.sum().backward()
        gradient += image.grad
    x.grad = gradient
    return content, style.detach(), tv.detach()
