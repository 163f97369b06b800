"""Style transfer on the CPU at small sizes: the torch port against onnxruntime, the fast
engine's controls, tiling, and the Gatys engine with a random VGG-19 written by the test."""

from __future__ import annotations

import urllib.error

import numpy as np
import pytest
import torch

from stylegraph.graph.context import CancelToken
from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph
from stylegraph.nodes.functional.colour import match_colour_linear, rgb_to_yiq
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize
from stylegraph.nodes.models import fast_style, magenta, vgg
from stylegraph.nodes.models.gatys import GatysSettings, StyleSet, _gram, gatys
from stylegraph.nodes.models.onnx_weights import dequantised_model
from tests.helpers import run_node

CPU = torch.device("cpu")


def _session(model):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model, options)


def test_torch_port_matches_onnxruntime_on_the_384_graph(images, starry):
    """Same network, same weights: onnxruntime runs the exported graph with its int8
    rounding taken out, so any difference is a porting error."""
    content = resize(read_image(images / "content" / "tubingen.jpg"), 384, 384)
    style = resize(starry, 256, 256)
    folder = magenta.model_dir()
    vec = _session(dequantised_model(folder / "arbitrary_predict.onnx")).run(
        None, {"style_image": style[None]}
    )[0]
    ref = _session(dequantised_model(folder / "arbitrary_transform.onnx")).run(
        None, {"content_image": content[None], "mobilenet_conv/Conv/BiasAdd": vec}
    )[0][0]
    with torch.no_grad():
        ours_vec = magenta.load_predictor("cpu")(torch.from_numpy(style).permute(2, 0, 1)[None])
        ours = fast_style.render(content, ours_vec, CPU)[0]
    assert np.abs(ours_vec.numpy().ravel() - vec.ravel()).max() < 1e-4
    assert np.abs(ours - ref).mean() < 1e-4


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape", [(1, 256, 256), (2, 129, 200), (1, 37, 64)])
def test_packed_predictor_matches_the_plain_pass(starry, shape, threads):
    """The CPU fast path (oneDNN, weights packed per shape and thread count, the picture
    turned 180 degrees so every 'SAME' pad is symmetric) against the plain module pass,
    which runs when the input needs gradients. Odd sizes cover both stride-2 pad cases."""
    batch, height, width = shape
    style = torch.from_numpy(resize(starry, height, width)).permute(2, 0, 1)[None]
    style = (
        style.expand(batch, -1, -1, -1).contiguous()
        * torch.linspace(0.6, 1, batch)[:, None, None, None]
    )
    original = style.clone()
    predictor = magenta.load_predictor("cpu")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            packed = predictor(style)
        plain = predictor(style.clone().requires_grad_(True)).detach()
    finally:
        torch.set_num_threads(before)
    assert (tuple(style.shape), threads) in predictor._packed
    assert torch.equal(style, original)  # residual sums are written in place, never here
    assert packed.shape == (batch, magenta.STYLE_DIM)
    assert (packed - plain).abs().max() < 1e-5


def test_int8_graph_differs_only_by_its_activation_rounding(images, starry):
    """The shipped graph rounds every activation to int8; against it, the float port's
    mean absolute difference is about 0.04 (recorded here so a regression shows)."""
    content = resize(read_image(images / "content" / "tubingen.jpg"), 384, 384)
    style = resize(starry, 256, 256)
    folder = magenta.model_dir()
    vec = _session(str(folder / "arbitrary_predict.onnx")).run(None, {"style_image": style[None]})[
        0
    ]
    ref = _session(str(folder / "arbitrary_transform.onnx")).run(
        None, {"content_image": content[None], "mobilenet_conv/Conv/BiasAdd": vec}
    )[0][0]
    with torch.no_grad():
        ours_vec = magenta.load_predictor("cpu")(torch.from_numpy(style).permute(2, 0, 1)[None])
    ours = fast_style.render(content, ours_vec, CPU)[0]
    assert np.abs(ours - ref).mean() < 0.05


def test_builtin_26_styles_match_onnxruntime_at_odd_sizes(photo):
    content = np.ascontiguousarray(photo[:75, :101])
    weights = np.zeros(26, np.float32)
    weights[[3, 12]] = 0.5
    ref = _session(str(magenta.model_dir() / "multistyle26.onnx"))
    padded = np.pad(content, ((0, 1), (0, 3), (0, 0)), mode="reflect")
    expected = ref.run(None, {"image": padded.transpose(2, 0, 1)[None], "style_weights": weights})[
        0
    ][0].transpose(1, 2, 0)[:75, :101]
    ours = fast_style.stylize_builtin(content, weights, CPU)
    assert ours.shape == (75, 101, 3)
    assert np.abs(ours - expected).mean() < 1e-4


@pytest.mark.parametrize(("height", "width"), [(37, 53), (64, 33), (50, 50)])
def test_any_size_comes_back_at_that_size(registry, photo, starry, height, width, images):
    content = np.ascontiguousarray(photo[:height, :width])
    for engine in ("fast", "builtin"):
        out, _ = run_node(
            registry, "style.transfer", {"content": content, "style1": starry}, {"engine": engine}
        )
        assert out["image"].shape == (height, width, 3)


def test_output_size_sets_the_longest_side(registry, photo, starry):
    out, _ = run_node(
        registry, "style.transfer", {"content": photo, "style1": starry}, {"output_size": 200}
    )
    assert out["image"].shape == (150, 200, 3)


def test_strength_moves_from_the_photo_towards_the_style(photo, starry):
    """Strength 0 renders with the photo's own style vector: the network's reconstruction
    of the photo (mean difference about 0.10 for this distilled network), against about
    0.15 at full strength."""
    distance = {
        s: np.abs(fast_style.stylize(photo, [starry], CPU, strength=s) - photo).mean()
        for s in (0.0, 0.5, 1.0)
    }
    assert distance[0.0] < distance[0.5] < distance[1.0]
    assert distance[0.0] < 0.11
    assert distance[0.0] < 0.75 * distance[1.0]


def test_style_blend_weights_mix_style_vectors(photo, starry, scream):
    only_a = fast_style.stylize(photo, [starry, scream], CPU, weights=[1, 0])
    np.testing.assert_allclose(only_a, fast_style.stylize(photo, [starry], CPU), atol=1e-5)
    only_b = fast_style.stylize(photo, [starry, scream], CPU, weights=[0, 2])
    np.testing.assert_allclose(only_b, fast_style.stylize(photo, [scream], CPU), atol=1e-5)
    both = fast_style.stylize(photo, [starry, scream], CPU, weights=[1, 1])
    assert np.abs(both - only_a).mean() > 0.01 and np.abs(both - only_b).mean() > 0.01
    with pytest.raises(ValueError, match="non-negative and not all zero"):
        fast_style.stylize(photo, [starry], CPU, weights=[0])


def test_tiled_rendering_matches_the_whole_image(images, starry):
    """Tiles share statistics measured over every tile's core, and keep cores that saw
    more context than the network's receptive field: the whole picture, to rounding. (Sides
    are multiples of 4: the whole-image pass also counts its padding in the statistics.)"""
    content = resize(read_image(images / "content" / "tubingen.jpg"), 300, 408)
    vectors = fast_style.style_vectors([starry], 256, CPU)
    whole = fast_style.render(content, vectors, CPU)[0]
    tiled = fast_style.render(content, vectors, CPU, tile=160)[0]
    assert np.abs(tiled - whole).max() < 1e-4


def test_batch_renders_equal_single_renders(photo, starry, scream):
    vectors = fast_style.style_vectors([starry, scream], 256, CPU)
    batch = fast_style.render(photo, vectors, CPU)
    for i in range(2):
        single = fast_style.render(photo, vectors[i : i + 1], CPU)[0]
        np.testing.assert_allclose(batch[i], single, atol=1e-5)


def test_greyscale_style_and_rgba_content(registry, photo, images):
    rgba = np.concatenate([photo, np.full((*photo.shape[:2], 1), 0.5, np.float32)], axis=2)
    brick = read_image(images / "styles" / "brick.png")
    out, _ = run_node(
        registry,
        "style.transfer",
        {"content": rgba},
        {"style_files": [str(images / "styles" / "brick.png")]},
    )
    assert out["image"].shape == (*photo.shape[:2], 4)
    np.testing.assert_allclose(out["image"][..., 3], 0.5, atol=1e-6)
    assert brick.shape[2] == 3


def test_keep_original_colours_keeps_the_photos_chroma(registry, photo, starry):
    out, _ = run_node(
        registry, "style.transfer", {"content": photo, "style1": starry}, {"colour": "original"}
    )
    from stylegraph.nodes.functional.colour import rgb_to_lab

    np.testing.assert_allclose(
        rgb_to_lab(out["image"])[..., 1:].mean((0, 1)),
        rgb_to_lab(photo)[..., 1:].mean((0, 1)),
        atol=2.0,
    )


def test_missing_style_and_bad_builtin_spec_are_named(registry, photo, tmp_path):
    from stylegraph.graph.context import NodeError

    with pytest.raises(NodeError, match="no style image: set param 'style_files'"):
        run_node(registry, "style.transfer", {"content": photo})
    with pytest.raises(NodeError, match="param 'builtin_styles': built-in style 30 does not"):
        run_node(
            registry,
            "style.transfer",
            {"content": photo},
            {"engine": "builtin", "builtin_styles": "30"},
        )
    with pytest.raises(NodeError, match=r"param 'style_files': .*nope.jpg: no such file"):
        run_node(
            registry,
            "style.transfer",
            {"content": photo},
            {"style_files": [str(tmp_path / "nope.jpg")]},
        )


def test_sweep_makes_a_contact_sheet(registry, photo, images):
    files = [
        str(images / "styles" / n) for n in ("starry_night.jpg", "gravel.png", "shipwreck.jpg")
    ]
    out, _ = run_node(
        registry,
        "style.sweep",
        {"content": photo},
        {"style_files": files, "thumbnail": 64, "columns": 2, "batch": 2},
    )
    sheet = out["sheet"]
    assert sheet.shape == (2 * (48 + 22 + 8) + 8, 2 * (64 + 8) + 8, 3)


# -- Gatys ----------------------------------------------------------------------------------


@pytest.fixture
def random_vgg(tmp_path, monkeypatch):
    """A randomly initialised VGG-19 saved where torchvision keeps downloaded weights, so the
    real loading code runs without a network."""
    from torchvision.models import vgg19

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = vgg.hub_path()
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(vgg19(weights=None).state_dict(), path)
    vgg.load_vgg19.cache_clear()
    yield path
    vgg.load_vgg19.cache_clear()


def test_vgg_loads_from_the_hub_cache_and_from_a_file(random_vgg, tmp_path):
    net = vgg.load_vgg19(vgg.TORCHVISION, "cpu")
    features = net(torch.rand(1, 3, 32, 32), {"relu1_1", "relu4_2"})
    assert features["relu4_2"].shape == (1, 512, 4, 4)
    only_features = {
        k[len("features.") :]: v
        for k, v in torch.load(random_vgg).items()
        if k.startswith("features.")
    }
    torch.save(only_features, tmp_path / "mine.pth")
    other = vgg.load_vgg19(str(tmp_path / "mine.pth"), "cpu")
    torch.testing.assert_close(
        other(torch.ones(1, 3, 16, 16), {"relu2_1"})["relu2_1"],
        net(torch.ones(1, 3, 16, 16), {"relu2_1"})["relu2_1"],
    )


def test_offline_without_weights_says_how_to_get_them(
    registry, tmp_path, monkeypatch, photo, starry
):
    from stylegraph.graph.context import NodeError

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    vgg.load_vgg19.cache_clear()

    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(NodeError) as err:
        run_node(
            registry,
            "style.transfer",
            {"content": photo, "style1": starry},
            {"engine": "gatys", "iterations": 2, "vgg": "torchvision"},
        )
    message = str(err.value)
    assert "needs VGG-19 ImageNet weights and could not download them" in message
    assert "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth" in message
    assert str(tmp_path / "empty" / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth") in message
    assert "The fast engine needs no download." in message
    out, _ = run_node(registry, "style.transfer", {"content": photo, "style1": starry})
    assert out["image"].shape == photo.shape
    with pytest.raises(NodeError, match="nope.pth: no such VGG-19 weights file"):
        run_node(
            registry,
            "style.transfer",
            {"content": photo, "style1": starry},
            {"engine": "gatys", "vgg_weights": str(tmp_path / "nope.pth")},
        )


def _small(photo):
    return np.ascontiguousarray(resize(photo, 40, 56))


def test_gatys_loss_decreases_and_the_seed_decides_the_result(photo, starry):
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = _small(photo)
    for optimiser in ("lbfgs", "adam"):
        settings = GatysSettings(
            iterations=25, optimiser=optimiser, init="noise", seed=3, learning_rate=10.0
        )
        first, again = StyleSet([starry]), StyleSet([starry])
        a = gatys(content, [first], net, settings, 0, CPU)[0]
        b = gatys(content, [again], net, settings, 0, CPU)[0]
        assert first.losses[-1] < 0.7 * first.losses[0], optimiser
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)  # float32's run-to-run noise
        other = gatys(
            content,
            [StyleSet([starry])],
            net,
            GatysSettings(
                iterations=25, optimiser=optimiser, init="noise", seed=4, learning_rate=10.0
            ),
            0,
            CPU,
        )[0]
        # neural-style's noise is faint (std 0.001 of 255), but 25 iterations part the seeds'
        # renders far beyond that noise (0.6-0.9 at some pixel)
        assert np.abs(other - a).max() > 0.05


def test_gatys_batch_elements_optimise_their_own_styles(photo, starry, scream):
    """A batch is one optimisation of independent losses: each element's loss follows the
    loss of running it alone (pixels need not match bit for bit: float rounding in batched
    convolutions nudges Adam's first, sign-like steps)."""
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = _small(photo)
    settings = GatysSettings(iterations=8, optimiser="adam", learning_rate=10.0, init="content")
    together = [StyleSet([starry]), StyleSet([scream])]
    batch = gatys(content, together, net, settings, 0, CPU)
    for style, in_batch in ((starry, together[0]), (scream, together[1])):
        alone = StyleSet([style])
        gatys(content, [alone], net, settings, 0, CPU)
        np.testing.assert_allclose(in_batch.losses, alone.losses, rtol=0.1)
    assert np.abs(batch[0] - batch[1]).mean() > 1e-3


def test_gatys_multiscale_colour_and_masks(random_vgg, photo, starry, scream):
    net = vgg.load_vgg19(vgg.TORCHVISION, "cpu")
    content = resize(photo, 48, 64)
    settings = GatysSettings(iterations=4, refine_iterations=3, scales=(32, 64), colour="luminance")
    style_set = StyleSet([starry])
    out = gatys(content, [style_set], net, settings, 0, CPU)[0]
    assert out.shape == (48, 64, 3)
    assert len(style_set.losses) == 7, "4 iterations at 32 px, then 3 at 64 px"
    # Luminance-only transfer keeps the photo's chrominance (YIQ I and Q) exactly.
    np.testing.assert_allclose(rgb_to_yiq(out)[..., 1:], rgb_to_yiq(content)[..., 1:], atol=0.02)
    left = np.zeros((48, 64), np.float32)
    left[:, :32] = 1
    masked = StyleSet([starry, scream], masks=[left, 1 - left])
    out = gatys(content, [masked], net, GatysSettings(iterations=3), 0, CPU)[0]
    assert out.shape == (48, 64, 3)


def test_a_full_mask_gives_the_plain_gram_matrix():
    features = torch.rand(1, 4, 6, 5)
    torch.testing.assert_close(_gram(features, torch.ones(6, 5)), _gram(features))


def test_histogram_matching_moves_colour_mean_and_covariance(photo, starry):
    out = match_colour_linear(starry, photo)
    np.testing.assert_allclose(out.reshape(-1, 3).mean(0), photo.reshape(-1, 3).mean(0), atol=0.02)
    np.testing.assert_allclose(
        np.cov(out.reshape(-1, 3), rowvar=False),
        np.cov(photo.reshape(-1, 3), rowvar=False),
        atol=0.004,
    )


def test_cancelling_a_gatys_run_stops_it_mid_way(random_vgg, registry, photo, images):
    g = Graph(registry)
    g.add_node("image.load", "photo", {"path": str(images / "content" / "chelsea.png")})
    g.add_node("image.resize", "small", {"longest_side": 48})
    g.add_node(
        "style.transfer",
        "paint",
        {
            "engine": "gatys",
            "iterations": 500,
            "style_files": [str(images / "styles" / "starry_night.jpg")],
        },
    )
    g.connect("photo", "image", "small", "image")
    g.connect("small", "image", "paint", "content")
    token = CancelToken()
    seen = []

    def on_event(event):
        if event.kind == "progress" and event.node_id == "paint":
            seen.append(event.fraction)
            if len(seen) == 3:
                token.cancel()

    report = Engine().run(g, targets=["paint"], cancel=token, on_event=on_event)
    assert report.cancelled
    assert report.nodes["paint"].status == Status.CANCELLED
    assert len(seen) == 3 and seen[-1] < 0.01


def test_gatys_runs_leave_no_tensors_behind(random_vgg, photo, starry):
    """Repeated renders must not accumulate memory: count live tensors after each run."""
    import gc

    net = vgg.load_vgg19(vgg.TORCHVISION, "cpu")
    content = _small(photo)

    def live_tensors() -> int:
        gc.collect()
        # type(), not isinstance(): isinstance asks deprecated torch objects for their
        # __class__, which warns.
        return sum(1 for obj in gc.get_objects() if issubclass(type(obj), torch.Tensor))

    gatys(content, [StyleSet([starry])], net, GatysSettings(iterations=3), 0, CPU)
    baseline = live_tensors()
    for _ in range(3):
        gatys(content, [StyleSet([starry])], net, GatysSettings(iterations=3), 0, CPU)
    assert live_tensors() <= baseline


def test_gatys_settings_refuse_unknown_choices():
    with pytest.raises(ValueError, match="optimiser 'sgd' is not one of lbfgs, adam"):
        GatysSettings(optimiser="sgd")
    with pytest.raises(ValueError, match="unknown VGG-19 layers: relu9_9"):
        GatysSettings(style_layers=("relu9_9",))
