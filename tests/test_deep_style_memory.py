"""Deep Style at print size in bounded memory: the network's pooling keeps no indices, the
Grams read bfloat16 features without float32 copies, the gradient is the one the plain
layers give, the command line's worker thread allocates from the main heap, and its large
tensors lie in huge pages."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from stylegraph.nodes.models import banded_pass, vgg
from stylegraph.nodes.models import gatys as gatys_module
from stylegraph.nodes.models.gatys import GatysSettings, StyleSet, _Correlations, _losses, _targets
from stylegraph.nodes.models.heap import libc

CPU = torch.device("cpu")


def _with_ties(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """ReLU-like values on a coarse grid, so that many 2 x 2 windows hold equal maxima."""
    generator = torch.Generator().manual_seed(3)
    return (torch.randint(-2, 4, shape, generator=generator).clamp_min(0) / 2).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_max_pool_gives_nn_max_pool2d_result_and_gradient_ties_included(dtype):
    x = _with_ties((2, 5, 12, 16), dtype)
    grad = torch.randn(2, 5, 6, 8).to(dtype)
    ours = x.clone().requires_grad_(True)
    theirs = x.clone().requires_grad_(True)
    out = vgg.MaxPool()(ours)
    expected = nn.MaxPool2d(2, 2)(theirs)
    out.backward(grad)
    expected.backward(grad)
    assert torch.equal(out, expected)
    assert torch.equal(ours.grad, theirs.grad)


def _saved_bytes(function, *args) -> dict[torch.dtype, int]:
    """Bytes of the distinct storages autograd keeps for the backward pass, by dtype."""
    storages: dict[int, tuple[torch.dtype, int]] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = (tensor.dtype, storage.nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        function(*args)
    total: dict[torch.dtype, int] = {}
    for dtype, size in storages.values():
        total[dtype] = total.get(dtype, 0) + size
    return total


def test_max_pool_keeps_no_indices_for_its_backward_pass():
    x = torch.rand(1, 8, 32, 32, requires_grad=True)
    assert torch.int64 in _saved_bytes(lambda: nn.MaxPool2d(2, 2)(x * 1))
    assert torch.int64 not in _saved_bytes(lambda: vgg.MaxPool()(x * 1))


def test_correlations_of_bfloat16_features_in_slices_match_float32_copies(monkeypatch):
    """The Gram in float32 slices of columns, and its gradient, equal those of a float32
    copy of the features as autograd computes them, to within float32 rounding (the
    gradient then within one bfloat16 rounding, as the copy's backward rounds it)."""
    monkeypatch.setattr(gatys_module, "_CHUNK_BYTES", 4 * 2 * 6 * 7)  # 7 columns a slice
    generator = torch.Generator().manual_seed(5)
    features = torch.randn(2, 6, 50, generator=generator).to(torch.bfloat16)
    weight = torch.randn(2, 6, 6, generator=generator)
    ours = features.clone().requires_grad_(True)
    theirs = features.clone().requires_grad_(True)
    gram = _Correlations.apply(ours)
    copy = theirs.float()
    expected = copy @ copy.transpose(1, 2)
    (gram * weight).sum().backward()
    (expected * weight).sum().backward()
    assert gram.dtype == torch.float32
    torch.testing.assert_close(gram, expected, rtol=1e-5, atol=1e-5)
    assert ours.grad.dtype == torch.bfloat16
    torch.testing.assert_close(ours.grad.float(), theirs.grad.float(), rtol=2**-8, atol=1e-6)


@pytest.fixture(scope="module")
def network() -> vgg.VGGFeatures:
    return vgg.load_vgg19(vgg.ORIGINAL, "cpu")


def _plain_pooling(net: vgg.VGGFeatures) -> vgg.VGGFeatures:
    """The same network with torch's own max pooling."""
    layers = [nn.MaxPool2d(2, 2) if isinstance(m, vgg.MaxPool) else m for m in net.features]
    return vgg.VGGFeatures(nn.Sequential(*layers), net.scale.view(3), net.shift.view(3))


def _reference_losses(net, x, targets, settings):
    """The losses as they were computed before: every feature copied to float32 first."""
    layers = set(settings.content_layers) | set(settings.style_layers)
    with torch.autocast("cpu", torch.bfloat16, settings.precision == "bfloat16"):
        features = net(x, layers)
    features = {name: f.float() for name, f in features.items()}
    total = x.new_zeros(())
    for name in settings.content_layers:
        total = total + settings.content_weight * (
            (features[name] - targets.content[name]).pow(2).mean()
        )
    for name in settings.style_layers:
        f = features[name]
        b, c, h, w = f.shape
        flat = f.reshape(b, c, h * w)
        gram = flat @ flat.transpose(1, 2) / (c * h * w)
        total = total + settings.style_weight * (gram - targets.grams[name]).pow(2).mean()
    return total + settings.tv_weight * gatys_module._tv(x).sum()


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_the_image_gradient_is_the_plain_networks(network, precision):
    """Losses and their gradient on the image, through the lean pooling and Grams, against
    torch's pooling and float32 copies of the features: equal to within float rounding."""
    generator = torch.Generator().manual_seed(0)
    photo = torch.rand(48, 64, 3, generator=generator).numpy()
    painting = torch.rand(64, 64, 3, generator=generator).numpy()
    settings = GatysSettings(precision=precision)
    targets = _targets(network, photo, [StyleSet([painting])], settings, CPU, lambda f: None)
    start = vgg.to_pixels(torch.rand(1, 3, 48, 64, generator=generator))
    ours = start.clone().requires_grad_(True)
    theirs = start.clone().requires_grad_(True)
    total = sum(loss.sum() for loss in _losses(network, ours, targets, settings))
    expected = _reference_losses(_plain_pooling(network), theirs, targets, settings)
    total.backward()
    expected.backward()
    torch.testing.assert_close(total, expected, rtol=1e-4, atol=0.0)
    scale = theirs.grad.abs().max()
    assert (ours.grad - theirs.grad).abs().max() < 1e-3 * scale


def test_a_bfloat16_pass_keeps_under_half_the_bytes_per_pixel_it_kept(network):
    """What autograd keeps per pixel of a bfloat16 pass to relu5_1 (the difference between
    two sizes, so the network's weights drop out): the network's own activations only, no
    pooling indices and no float32 copies of the style layers."""
    settings = GatysSettings(precision="bfloat16")
    generator = torch.Generator().manual_seed(1)
    kept: dict[str, list[int]] = {"ours": [], "before": []}
    for side in (128, 256):
        photo = torch.rand(side, side, 3, generator=generator).numpy()
        targets = _targets(network, photo, [StyleSet([photo])], settings, CPU, lambda f: None)
        x = vgg.to_pixels(torch.rand(1, 3, side, side, generator=generator)).requires_grad_(True)
        ours = _saved_bytes(_losses, network, x, targets, settings)
        assert torch.int64 not in ours
        kept["ours"].append(sum(ours.values()))
        plain = _plain_pooling(network)
        before = _saved_bytes(_reference_losses, plain, x, targets, settings)
        kept["before"].append(sum(before.values()))
    per_pixel = {name: (big - small) / (256**2 - 128**2) for name, (small, big) in kept.items()}
    assert per_pixel["ours"] < 720
    assert per_pixel["ours"] < 0.5 * per_pixel["before"]


@pytest.mark.slow
@pytest.mark.skipif(libc() is None, reason="glibc's malloc only")
def test_a_worker_threads_large_blocks_are_reused_once_the_heap_is_shared():
    """Without ``share_main_heap`` a thread's 200 MB blocks are fresh pages every time (its
    own arena maps them apart); with it, once the heap has grown, they are reused (glibc
    still maps some afresh while it settles: a few of the first rounds here)."""
    script = textwrap.dedent(
        """
        import resource, sys, threading
        import torch
        from stylegraph.nodes.models.device import enable_fast_math
        from stylegraph.nodes.models.heap import share_main_heap
        if sys.argv[1] == "shared":
            assert share_main_heap()
        enable_fast_math()
        def work():
            for _ in range(4):  # the heap grows to its working size
                torch.empty(200 << 20, dtype=torch.uint8).fill_(1)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(16):
                torch.empty(200 << 20, dtype=torch.uint8).fill_(1)
            print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        """
    )
    small_pages = {**os.environ, "THP_MEM_ALLOC_ENABLE": "0"}  # faults counted in 4 KB pages
    faults = {
        mode: int(
            subprocess.run(
                [sys.executable, "-c", script, mode],
                capture_output=True,
                text=True,
                check=True,
                env=small_pages,
            ).stdout
        )
        for mode in ("own", "shared")
    }
    pages = (200 << 20) // 4096
    assert faults["own"] > 15 * pages
    assert faults["shared"] < 0.5 * faults["own"]


def test_bands_cover_the_image_on_the_pooling_grid():
    assert banded_pass.bands(768, 1024) == [(0, 768)]
    spans = banded_pass.bands(1365, 2048)
    assert spans[0][0] == 0 and spans[-1][1] == 1365
    assert all(end == next_top for (_, end), (next_top, _) in itertools.pairwise(spans))
    assert all(
        top % 16 == 0 and (end - top) * 2048 <= banded_pass.BAND_PIXELS for top, end in spans
    )


def test_past_one_pass_bfloat16_takes_few_large_bands_and_float32_small_ones():
    """Fewer bands repeat less of the halo; float32's activations take twice bfloat16's
    bytes, so its bands cover a quarter of bfloat16's pixels at 2048 px."""
    assert banded_pass.gradient_band_pixels(768, 1024, "float32") is None  # one pass
    assert banded_pass.gradient_band_pixels(768, 1024, "bfloat16") is None
    large = banded_pass.gradient_band_pixels(1536, 2048, "bfloat16")
    assert large == 2 * banded_pass.BAND_PIXELS
    assert len(banded_pass.bands(1536, 2048, large)) == 3
    half = banded_pass.gradient_band_pixels(1536, 2048, "float32")
    assert half == banded_pass.BAND_PIXELS // 2
    spans = banded_pass.bands(1536, 2048, half)
    assert len(spans) == 12 and all((end - top) * 2048 <= half for top, end in spans)


def test_a_picture_just_past_one_pass_keeps_bfloat16s_smaller_bands():
    """Between one and two large bands' pixels, large bands would run the picture whole or
    in two bands and a sliver: it keeps bands of ``BAND_PIXELS``."""
    height, width = 1200, 1600  # 1.9 M px
    assert banded_pass.gradient_band_pixels(height, width, "bfloat16") is None
    spans = banded_pass.bands(height, width)
    assert len(spans) == 4
    assert all((end - top) * width <= banded_pass.BAND_PIXELS for top, end in spans)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_the_banded_gradient_is_the_whole_images(network, precision):
    """Losses and gradient from five bands of 48 rows (halos of 80), against one
    whole-image pass: equal to within float32 rounding, or bfloat16's when the network
    runs in it; the last band is shorter and off the 16 px grid's end."""
    generator = torch.Generator().manual_seed(2)
    photo = torch.rand(216, 48, 3, generator=generator).numpy()
    painting = torch.rand(64, 64, 3, generator=generator).numpy()
    settings = GatysSettings(precision=precision)
    targets = _targets(network, photo, [StyleSet([painting])], settings, CPU, lambda f: None)
    start = vgg.to_pixels(torch.rand(2, 3, 216, 48, generator=generator))
    assert len(banded_pass.bands(216, 48, 48 * 48)) == 5
    whole = start.clone().requires_grad_(True)
    expected = _losses(network, whole, targets, settings)
    sum(loss.sum() for loss in expected).backward()
    banded = start.clone().requires_grad_(True)
    losses = banded_pass.losses_and_gradient(network, banded, targets, settings, 48 * 48)
    tolerance = 1e-4 if precision == "float32" else 2e-2
    for ours, theirs in zip(losses, expected, strict=True):
        torch.testing.assert_close(ours, theirs.detach(), rtol=tolerance, atol=0.0)
    scale = whole.grad.abs().max()
    assert (banded.grad - whole.grad).abs().max() < tolerance * scale


def test_grams_and_features_in_bands_are_the_whole_images(network, monkeypatch):
    """A painting's Grams and a photo's content features computed band by band (five bands
    of 48 rows here) equal one whole-image pass's, to within float32 rounding (oneDNN picks
    its algorithms by size, so ten layers deep the sums differ in their last digits)."""
    generator = torch.Generator().manual_seed(4)
    image = vgg.to_pixels(torch.rand(1, 3, 216, 48, generator=generator))
    layers = {"relu1_1", "relu3_1", "relu4_2", "relu5_1"}
    with torch.no_grad():
        whole = network(image, layers)
    monkeypatch.setattr(banded_pass, "BAND_PIXELS", 48 * 48)
    grams = banded_pass.grams(network, image, layers)
    features = banded_pass.features(network, image, layers)
    for name, f in whole.items():
        assert features[name].shape == f.shape
        assert (features[name] - f).abs().max() < 1e-3 * f.abs().max()
        gram = gatys_module._gram(f)
        assert (grams[name] - gram).abs().max() < 1e-3 * gram.abs().max()


def test_each_band_hands_back_what_it_freed(network, monkeypatch):
    """At print sizes malloc's heap cannot reuse the holes a band leaves for the next
    band's blocks: the pass gives the free pages back after pass 1 and after every band of
    pass 2, so that they are not held (the 2048 px scale's first iteration: 3.6 -> 2.9 GB)."""
    generator = torch.Generator().manual_seed(2)
    photo = torch.rand(216, 48, 3, generator=generator).numpy()
    painting = torch.rand(64, 64, 3, generator=generator).numpy()
    settings = GatysSettings()
    targets = _targets(network, photo, [StyleSet([painting])], settings, CPU, lambda f: None)
    released = []
    monkeypatch.setattr(banded_pass, "release_free_memory", lambda: released.append(1))
    x = vgg.to_pixels(torch.rand(1, 3, 216, 48, generator=generator)).requires_grad_(True)
    banded_pass.losses_and_gradient(network, x, targets, settings, 48 * 48)
    assert len(released) == len(banded_pass.bands(216, 48, 48 * 48)) + 1 == 6


def test_the_lbfgs_history_is_float32_at_512_px_and_bfloat16_where_it_is_capped():
    """neural-style's 100 corrections in float32 at the preset's 512 px (its steps as they
    were); at 1024 and 2048 px as many as HISTORY_BYTES holds in float32, kept in half."""
    settings = GatysSettings()
    for height, width in ((384, 512), (512, 512)):
        assert gatys_module._history(settings, 3 * height * width) == (100, torch.float32)
    for (height, width), count in (((768, 1024), 35), ((1536, 2048), 8)):
        numel = 3 * height * width
        assert gatys_module._history(settings, numel) == (count, torch.bfloat16)
        assert count * 2 * numel * 2 <= gatys_module.HISTORY_BYTES // 2


def _huge_pages_on_request() -> bool:
    """Linux gives transparent huge pages to memory that asks for them, and only to it."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as setting:
            return "[madvise]" in setting.read()
    except OSError:
        return False


@pytest.mark.skipif(not _huge_pages_on_request(), reason="needs Linux's THP in 'madvise' mode")
def test_the_command_lines_large_tensors_lie_in_huge_pages_unless_the_user_says_no():
    script = textwrap.dedent(
        """
        import contextlib, io
        from stylegraph.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["nodes", "image.blend"]) == 0
        import torch
        tensor = torch.ones(64 << 20)  # 256 MB
        with open("/proc/self/smaps_rollup") as rollup:
            line = next(line for line in rollup if line.startswith("AnonHugePages:"))
        print(int(line.split()[1]) // 1024)
        """
    )
    huge_mb = {}
    for setting in (None, "0"):
        env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
        if setting is not None:
            env["THP_MEM_ALLOC_ENABLE"] = setting
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
        )
        huge_mb[setting] = int(done.stdout.split()[-1])
    assert huge_mb[None] >= 200
    assert huge_mb["0"] == 0
