"""The fast and builtin engines at the edges: tiny inputs, stroke scale, the style-vector
cache, automatic tiles under a memory budget and out-of-memory recovery."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from stylegraph.nodes.functional.colour import luminance_transfer
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize
from stylegraph.nodes.models import fast_style, magenta
from stylegraph.nodes.models.upscale import EMBEDDED
from stylegraph.nodes.neural._shared import STROKE_PARAMS
from tests.helpers import run_node

CPU = torch.device("cpu")


@pytest.mark.parametrize(("height", "width"), [(1, 1), (4, 4), (3, 17)])
@pytest.mark.parametrize("engine", ["fast", "builtin"])
def test_tiny_inputs_come_back_at_their_size(registry, photo, starry, engine, height, width):
    content = np.ascontiguousarray(photo[:height, :width])
    out, _ = run_node(
        registry, "style.transfer", {"content": content, "style1": starry}, {"engine": engine}
    )
    image = out["image"]
    assert image.shape == (height, width, 3)
    assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1


@pytest.mark.parametrize("engine", ["fast", "builtin"])
def test_stroke_scale_one_is_todays_render(registry, photo, starry, engine):
    inputs = {"content": photo, "style1": starry}
    default, _ = run_node(registry, "style.transfer", inputs, {"engine": engine})
    one, _ = run_node(registry, "style.transfer", inputs, {"engine": engine, "stroke_scale": 1.0})
    assert np.array_equal(one["image"], default["image"])
    if engine == "fast":
        vector = fast_style.style_vectors([starry], 256, CPU)
        assert np.array_equal(one["image"], fast_style.render(photo, vector, CPU)[0])


@pytest.mark.parametrize("engine", ["fast", "builtin"])
def test_stroke_scale_matches_downscale_stylise_upscale(registry, photo, starry, engine):
    params = {"engine": engine, "output_size": 160, "stroke_scale": 2.5}
    out, _ = run_node(registry, "style.transfer", {"content": photo, "style1": starry}, params)
    assert out["image"].shape == (120, 160, 3)
    big, _ = run_node(registry, "image.resize", {"image": photo}, {"longest_side": 160})
    small, _ = run_node(
        registry,
        "image.resize",
        {"image": big["image"]},
        {"mode": "exact", "width": 64, "height": 48, "method": "area"},
    )
    painted, _ = run_node(
        registry,
        "style.transfer",
        {"content": small["image"], "style1": starry},
        {"engine": engine},
    )
    manual, _ = run_node(
        registry,
        "image.resize",
        {"image": painted["image"]},
        {"mode": "exact", "width": 160, "height": 120, "method": "lanczos"},
    )
    expected = np.clip(manual["image"], 0, 1)
    assert np.abs(out["image"] - expected).mean() < 2e-3


def _edge_agreement(image: np.ndarray, photo: np.ndarray) -> float:
    lap = [cv2.Laplacian(np.ascontiguousarray(i.mean(axis=2)), cv2.CV_32F) for i in (image, photo)]
    return float(np.corrcoef(lap[0].ravel(), lap[1].ravel())[0, 1])


def test_detail_brings_back_the_photos_fine_edges(photo, starry):
    plain = fast_style.stylize(photo, [starry], CPU, stroke_scale=3)
    detailed = fast_style.stylize(photo, [starry], CPU, stroke_scale=3, detail=1.0)
    assert _edge_agreement(detailed, photo) > _edge_agreement(plain, photo) + 0.1
    assert detailed.shape == photo.shape and detailed.min() >= 0 and detailed.max() <= 1


def test_stroke_enlargers_are_lanczos_and_the_packaged_models():
    choices = next(p for p in STROKE_PARAMS if p.name == "stroke_enlarge").choices
    assert tuple(choices) == fast_style.ENLARGERS
    assert set(choices) - {"lanczos"} <= set(EMBEDDED)


def test_a_sweep_predicts_each_paintings_vector_once(registry, photo, starry, images):
    scream = read_image(images / "styles" / "the_scream.jpg")
    fast_style.STYLE_VECTORS.clear()
    for n, content in enumerate((photo, np.ascontiguousarray(photo[::-1]))):
        run_node(
            registry,
            "style.sweep",
            {"content": content, "style1": starry, "style2": scream},
            {"thumbnail": 64},
        )
        assert fast_style.STYLE_VECTORS.misses == 2
        assert fast_style.STYLE_VECTORS.hits == 2 * n


def test_automatic_tiles_under_a_small_budget_give_the_whole_picture(images, starry):
    content = resize(read_image(images / "content" / "tubingen.jpg"), 240, 320)
    vector = fast_style.style_vectors([starry], 256, CPU)
    budget = 200 * 200 * fast_style.ARBITRARY_BYTES_PER_PIXEL
    assert fast_style.auto_tile(240, 320, 1, fast_style.ARBITRARY_BYTES_PER_PIXEL, budget) > 0
    whole = fast_style.render(content, vector, CPU, budget=1 << 40)[0]
    tiled = fast_style.render(content, vector, CPU, budget=budget)[0]
    assert np.abs(tiled - whole).mean() < 0.005


def test_builtin_engine_renders_in_tiles(images):
    content = resize(read_image(images / "content" / "tubingen.jpg"), 240, 320)
    weights = fast_style.parse_builtin("7")
    whole = fast_style.stylize_builtin(content, weights, CPU)
    tiled = fast_style.stylize_builtin(content, weights, CPU, tile=128)
    assert np.abs(tiled - whole).mean() < 0.005


def test_out_of_memory_on_the_first_tile_goes_on_with_smaller_tiles(images, starry, monkeypatch):
    content = resize(read_image(images / "content" / "tubingen.jpg"), 240, 320)
    vector = fast_style.style_vectors([starry], 256, CPU)
    whole = fast_style.render(content, vector, CPU, budget=1 << 40)[0]
    real = fast_style._piece
    sizes = []

    def first_fails(content, box, *rest):
        sizes.append(max(box[1] - box[0], box[3] - box[2]))
        if len(sizes) == 1:
            raise RuntimeError("DefaultCPUAllocator: not enough memory: out of memory")
        return real(content, box, *rest)

    monkeypatch.setattr(fast_style, "_piece", first_fails)
    tiled = fast_style.render(content, vector, CPU, tile=160)[0]
    assert sizes[0] == 160 and max(sizes[1:]) == 80
    assert np.abs(tiled - whole).mean() < 0.005


def test_stroke_scale_can_enlarge_with_a_packaged_real_esrgan_model(photo, starry):
    lanczos = fast_style.stylize(photo, [starry], CPU, stroke_scale=2)
    esrgan = fast_style.stylize(
        photo, [starry], CPU, stroke_scale=2, enlarge_with="realesr-animevideov3"
    )
    assert esrgan.shape == photo.shape and esrgan.min() >= 0 and esrgan.max() <= 1
    assert 0 < np.abs(esrgan - lanczos).mean() < 0.05


def test_low_memory_tiles_recompute_the_expand_layers_and_match(images, starry, monkeypatch):
    """Under a budget too small even for the paused tiles' features, every expand layer
    pauses holding only the residual output and is recomputed on resuming: the picture is
    the whole-image one to float rounding."""
    content = resize(read_image(images / "content" / "tubingen.jpg"), 240, 320)
    vector = fast_style.style_vectors([starry], 256, CPU)
    budget = 2 << 20
    assert budget < 240 * 320 * fast_style.PAUSED_BYTES_PER_PIXEL
    recomputing = []
    real = magenta.ArbitraryTransformer._expand_recomputing

    def counted(self, x, style):
        recomputing.append(x.shape)
        return (yield from real(self, x, style))

    monkeypatch.setattr(magenta.ArbitraryTransformer, "_expand_recomputing", counted)
    whole = fast_style.render(content, vector, CPU, budget=1 << 40)[0]
    assert not recomputing
    tiled = fast_style.render(content, vector, CPU, budget=budget)[0]
    assert len(recomputing) > 1
    assert np.abs(tiled - whole).max() < 1e-5


def test_a_tiled_render_writes_into_a_picture_nobody_reads_again(images, starry):
    """``in_place`` puts the result where the content was (600 MB less at 8192 px); the
    picture is the same as a render into new memory."""
    content = resize(read_image(images / "content" / "tubingen.jpg"), 240, 320)
    vector = fast_style.style_vectors([starry], 256, CPU)
    budget = 200 * 200 * fast_style.ARBITRARY_BYTES_PER_PIXEL
    fresh = fast_style.render(content, vector, CPU, budget=budget)[0]
    scratch = content.copy()
    in_place = fast_style.render(scratch, vector, CPU, budget=budget, in_place=True)[0]
    assert np.shares_memory(in_place, scratch) and not np.shares_memory(fresh, content)
    assert np.array_equal(in_place, fresh)


def test_keeping_the_photos_colours_reads_the_photo_not_the_render(images, starry):
    """stylize renders over its own enlarged photo only when it does not need the photo
    afterwards: with the photo's colours kept, the luminance transfer still sees it."""
    photo = read_image(images / "content" / "tubingen.jpg")
    budget = 200 * 200 * fast_style.ARBITRARY_BYTES_PER_PIXEL
    kept = fast_style.stylize(
        photo, [starry], CPU, output_size=320, keep_colours=True, budget=budget
    )
    enlarged = resize(photo, 240, 320)
    vector = fast_style.style_vectors([starry], 256, CPU)
    painted = fast_style.render(enlarged, vector, CPU, budget=budget)[0]
    assert np.abs(kept - luminance_transfer(enlarged, painted)).max() < 1e-5


def test_out_of_memory_after_writing_in_place_is_not_retried_on_a_spoilt_photo(
    images, starry, monkeypatch
):
    """Once a tile has been written over the content, a retry would cut its pieces from the
    render: the error goes up instead (the node reports it; a batch retries the node)."""
    content = resize(read_image(images / "content" / "tubingen.jpg"), 240, 320)
    vector = fast_style.style_vectors([starry], 256, CPU)
    writes = []

    class SecondWriteFails(fast_style.TiledOutput):
        def __setattr__(self, name, value):
            if name == "written" and value:
                writes.append(self)
                if len(writes) == 2:
                    raise RuntimeError("DefaultCPUAllocator: not enough memory: out of memory")
            super().__setattr__(name, value)

    monkeypatch.setattr(fast_style, "TiledOutput", SecondWriteFails)
    with pytest.raises(RuntimeError, match="out of memory"):
        fast_style.render(content.copy(), vector, CPU, tile=160, in_place=True)
    assert len({id(out) for out in writes}) == 1  # no second pass was started
    writes.clear()
    retried = fast_style.render(content, vector, CPU, tile=160)[0]  # a new array: retried
    assert len({id(out) for out in writes}) == 2 and retried.shape == content.shape


def test_detail_is_the_yiq_luminance_formula_done_in_bands(images, monkeypatch):
    """Fine luminance detail goes back over the painting as YIQ's Y: painted in YIQ, plus
    ``amount`` x (Y of the photo - Y of its trip through the small size), back to RGB,
    clipped. Done in bands of rows over the painting, it matches that formula."""
    from stylegraph.nodes.functional.colour import rgb_to_yiq, yiq_to_rgb

    photo = resize(read_image(images / "content" / "tubingen.jpg"), 150, 200)
    painted = np.random.default_rng(1).random((150, 200, 3), dtype=np.float32)
    small = (60, 80)
    blurred = resize(np.clip(resize(photo, *small, "area"), 0, 1), 150, 200, "lanczos")
    yiq = rgb_to_yiq(painted)
    yiq[..., 0] += 0.7 * (rgb_to_yiq(photo)[..., 0] - rgb_to_yiq(blurred)[..., 0])
    expected = np.clip(yiq_to_rgb(yiq), 0, 1)
    monkeypatch.setattr(fast_style, "DETAIL_BAND_BYTES", 12 * 200 * 7)  # 7-row bands
    restored = fast_style.restore_detail(painted.copy(), photo, small, 0.7)
    assert np.abs(restored - expected).max() < 1e-5


def test_style_nodes_flush_denormals_only_while_they_run(registry, photo, starry, monkeypatch):
    """Denormal floats are many times slower on a CPU, and a real painting's vector makes
    some: the node flushes them to zero in its thread while it runs, and leaves that
    thread's arithmetic as IEEE-754 has it afterwards."""
    tiny = np.finfo(np.float32).smallest_subnormal
    seen = []
    real = fast_style.render

    def spy(*args, **kwargs):
        seen.append(float(np.float32(tiny) * np.float32(1.0)))
        return real(*args, **kwargs)

    monkeypatch.setattr(fast_style, "render", spy)
    run_node(registry, "style.transfer", {"content": photo, "style1": starry}, {})
    assert seen == [0.0]
    assert np.float32(tiny) * np.float32(1.0) == tiny
