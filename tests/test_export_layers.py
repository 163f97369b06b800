"""Layered export: the fusion preset's layer stack written as PSD (by psd-tools) and
OpenRaster (by stylegraph), read back by readers that share no code with the writers:
tests/psd_reader.py for PSD, zipfile + ElementTree + Pillow/libpng for OpenRaster."""

from __future__ import annotations

import io
import os
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from stylegraph.graph.engine import Engine
from stylegraph.graph.layers import Layer, LayerStack
from stylegraph.graph.model import Graph
from stylegraph.graph.preset import load_preset
from stylegraph.graph.spec import NodeType, Port, PortType
from stylegraph.nodes.compose.layer_stack import layer_names
from stylegraph.nodes.functional.blend import composite
from stylegraph.nodes.functional.ora import write_ora
from stylegraph.nodes.functional.psd import write_psd
from stylegraph.presets import shipped_presets
from tests.psd_reader import read_psd

STEP = 1 / 255
NAMES = ["base", "render", "sharp_photo"]  # the ids of the nodes feeding the stack


@pytest.fixture(scope="module")
def engine() -> Engine:
    """One engine for the module: the neural render runs once, later runs re-blend."""
    return Engine()


def run_fusion(engine, images, out: Path, registry, **params):
    """The shipped fusion preset at 64 px on a real photo and painting; ``params`` are
    ``node.param`` settings. Returns the run report."""
    preset = load_preset(shipped_presets()["fusion"], registry)
    graph = preset.graph
    graph.set_param("photo", "path", str(images / "content" / "chelsea.png"))
    graph.set_param("render", "style_files", [str(images / "styles" / "starry_night.jpg")])
    graph.set_param("shrink", "longest_side", 64)
    for name, value in params.items():
        node_id, param = name.split("__")
        graph.set_param(node_id, param, value)
    report = engine.run(graph, output_dir=out, base_dir=preset.base_dir)
    assert report.ok, {n: r.error for n, r in report.nodes.items() if r.error}
    return report


def read_ora(path: Path) -> dict:
    """A plain OpenRaster reader: entries, stack.xml (bottom to top) and decoded PNGs."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        files = {info.filename: archive.read(info) for info in infos}
    root = ET.fromstring(files["stack.xml"])
    layers = [dict(el.attrib) for el in reversed(root.find("stack").findall("layer"))]
    return {"infos": infos, "files": files, "root": root, "layers": layers}


def png_bit_depth(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">B", data[24:25])[0]


def decode_png(data: bytes) -> np.ndarray:
    """0..1 floats; 8-bit through Pillow, 16-bit through libpng (Pillow has no 16-bit RGB)."""
    if png_bit_depth(data) == 8:
        return np.asarray(Image.open(io.BytesIO(data)), np.float64) / 255
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    code = cv2.COLOR_BGRA2RGBA if raw.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(raw, code).astype(np.float64) / 65535


def psd_pixels(layer) -> np.ndarray:
    return np.stack([layer.channels[c] for c in (0, 1, 2, -1)], axis=2)


def rgba(pixels: np.ndarray) -> np.ndarray:
    if pixels.shape[2] == 4:
        return pixels
    return np.concatenate([pixels, np.ones((*pixels.shape[:2], 1), pixels.dtype)], axis=2)


def recomposite(layers: list[tuple[np.ndarray, str, float, bool, np.ndarray | None]]):
    """Stack layers read back from a file with stylegraph's own compositing."""
    out = layers[0][0].astype(np.float32)[..., :3]
    for pixels, mode, opacity, visible, mask in layers[1:]:
        if visible:
            m = None if mask is None else mask.astype(np.float32)
            out = composite(out, pixels.astype(np.float32), mode, opacity, m)
    return out


PSD_MODES = {b"norm": "normal", b"mul ": "multiply", b"sLit": "soft-light", b"vLit": "vivid-light"}
ORA_MODES = {
    "svg:src-over": "normal",
    "svg:multiply": "multiply",
    "svg:soft-light": "soft-light",
}


def test_fusion_exported_as_psd_and_ora_reads_back_layer_by_layer(
    engine, images, registry, tmp_path
):
    report = run_fusion(engine, images, tmp_path, registry, fuse__modes=["multiply", "soft-light"])
    stack: LayerStack = report.outputs["fuse"]["layers"]
    flat = report.outputs["fuse"]["image"]
    assert stack.merged is flat
    written = report.outputs["layers"]
    assert written == {"psd": str(tmp_path / "fusion.psd"), "ora": str(tmp_path / "fusion.ora")}
    assert (tmp_path / "fusion.png").exists()

    psd = read_psd(tmp_path / "fusion.psd")
    assert (psd.width, psd.height, psd.depth) == (64, 43, 8)
    assert [layer.name for layer in psd.layers] == NAMES
    assert [layer.blend_key for layer in psd.layers] == [b"norm", b"mul ", b"sLit"]
    assert [layer.opacity for layer in psd.layers] == [255, 204, 128]
    assert [layer.visible for layer in psd.layers] == [True, True, True]
    assert [-2 in layer.channels for layer in psd.layers] == [False, True, True]
    for read, layer in zip(psd.layers, stack.layers, strict=True):
        np.testing.assert_allclose(psd_pixels(read), rgba(layer.pixels), atol=STEP / 2 + 1e-6)
        if layer.mask is not None:
            assert read.mask_rect == (0, 0, 43, 64)
            np.testing.assert_allclose(read.channels[-2], layer.mask, atol=STEP / 2 + 1e-6)
    np.testing.assert_allclose(psd.merged, flat, atol=STEP / 2 + 1e-6)
    rebuilt = recomposite(
        [
            (psd_pixels(r), PSD_MODES[r.blend_key], r.opacity / 255, r.visible, r.channels.get(-2))
            for r in psd.layers
        ]
    )
    np.testing.assert_allclose(rebuilt, flat, atol=STEP)

    ora = read_ora(tmp_path / "fusion.ora")
    first = ora["infos"][0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert ora["files"]["mimetype"] == b"image/openraster"
    assert ora["root"].attrib["w"] == "64" and ora["root"].attrib["h"] == "43"
    layers = ora["layers"]
    assert [a["name"] for a in layers] == [
        "base",
        "render",
        "render mask",
        "sharp_photo",
        "sharp_photo mask",
    ]
    assert [a["composite-op"] for a in layers] == [
        "svg:src-over",
        "svg:multiply",
        "svg:src-over",
        "svg:soft-light",
        "svg:src-over",
    ]
    assert [float(a["opacity"]) for a in layers] == [1.0, 0.8, 1.0, 0.5, 1.0]
    visibility = ["visible", "visible", "hidden", "visible", "hidden"]
    assert [a["visibility"] for a in layers] == visibility
    pixels = [decode_png(ora["files"][a["src"]]) for a in layers]
    base, render, render_mask, sharp, sharp_mask = pixels
    np.testing.assert_allclose(base, stack.layers[0].pixels, atol=STEP / 2 + 1e-6)
    for read, mask_layer, layer in (
        (render, render_mask, stack.layers[1]),
        (sharp, sharp_mask, stack.layers[2]),
    ):
        # the mask is the layer's alpha (the stack's layers are opaque) and a hidden layer
        np.testing.assert_allclose(read[..., :3], layer.pixels, atol=STEP / 2 + 1e-6)
        np.testing.assert_allclose(read[..., 3], layer.mask, atol=STEP / 2 + 1e-6)
        np.testing.assert_allclose(mask_layer, layer.mask, atol=STEP / 2 + 1e-6)
    merged = decode_png(ora["files"]["mergedimage.png"])
    np.testing.assert_allclose(merged, flat, atol=STEP / 2 + 1e-6)
    thumb = Image.open(io.BytesIO(ora["files"]["Thumbnails/thumbnail.png"]))
    assert thumb.size == (64, 43)
    rebuilt = recomposite(
        [
            (
                p,
                ORA_MODES[a["composite-op"]],
                float(a["opacity"]),
                a["visibility"] == "visible",
                None,
            )
            for p, a in zip(pixels, layers, strict=True)
        ]
    )
    np.testing.assert_allclose(rebuilt, flat, atol=STEP)


def test_hidden_layers_and_names_are_kept_and_the_merged_image_leaves_hidden_ones_out(
    engine, images, registry, tmp_path
):
    report = run_fusion(
        engine,
        images,
        tmp_path,
        registry,
        fuse__visibility=["visible", "hidden"],
        fuse__names=["paper", "", "edges"],
    )
    flat = report.outputs["fuse"]["image"]
    stack = report.outputs["fuse"]["layers"]
    without_edges = composite(
        stack.layers[0].pixels, stack.layers[1].pixels, "normal", 0.8, stack.layers[1].mask
    )
    np.testing.assert_array_equal(flat, without_edges)

    psd = read_psd(tmp_path / "fusion.psd")
    assert [layer.name for layer in psd.layers] == ["paper", "render", "edges"]
    assert [layer.visible for layer in psd.layers] == [True, True, False]
    np.testing.assert_allclose(psd.merged, flat, atol=STEP / 2 + 1e-6)
    np.testing.assert_allclose(
        psd_pixels(psd.layers[2]), rgba(stack.layers[2].pixels), atol=STEP / 2 + 1e-6
    )

    ora = read_ora(tmp_path / "fusion.ora")
    assert [(a["name"], a["visibility"]) for a in ora["layers"]] == [
        ("paper", "visible"),
        ("render", "visible"),
        ("render mask", "hidden"),
        ("edges", "hidden"),
        ("edges mask", "hidden"),
    ]
    np.testing.assert_allclose(
        decode_png(ora["files"]["mergedimage.png"]), flat, atol=STEP / 2 + 1e-6
    )


def test_a_mode_openraster_lacks_is_baked_with_a_warning_naming_the_layer(
    engine, images, registry, tmp_path
):
    report = run_fusion(
        engine,
        images,
        tmp_path,
        registry,
        fuse__modes=["vivid-light", "multiply"],
        layers__ora_modes="baked",
    )
    flat = report.outputs["fuse"]["image"]
    stack = report.outputs["fuse"]["layers"]
    assert report.nodes["layers"].warnings == [
        "layer 'render': OpenRaster has no vivid-light blend mode, so it was baked into the "
        "layer's pixels (Normal mode, same look; it will not follow edits to the layers below)"
    ]
    ora = read_ora(tmp_path / "fusion.ora")
    ops = [a["composite-op"] for a in ora["layers"] if a["visibility"] == "visible"]
    assert ops == ["svg:src-over", "svg:src-over", "svg:multiply"]
    pixels = [decode_png(ora["files"][a["src"]]) for a in ora["layers"]]
    render = pixels[1][..., :3]
    assert np.abs(render - stack.layers[1].pixels).max() > 0.1  # the mode is in the pixels
    rebuilt = recomposite(
        [
            (
                p,
                {"svg:src-over": "normal", "svg:multiply": "multiply"}[a["composite-op"]],
                float(a["opacity"]),
                a["visibility"] == "visible",
                None,
            )
            for p, a in zip(pixels, ora["layers"], strict=True)
        ]
    )
    np.testing.assert_allclose(rebuilt, flat, atol=STEP)  # baked in Normal: the same picture

    psd = read_psd(tmp_path / "fusion.psd")  # Photoshop has the mode: kept live
    assert [layer.blend_key for layer in psd.layers] == [b"norm", b"vLit", b"mul "]
    np.testing.assert_allclose(
        psd_pixels(psd.layers[1]), rgba(stack.layers[1].pixels), atol=STEP / 2 + 1e-6
    )


def test_krita_names_carry_the_modes_openraster_lacks_with_a_warning(
    engine, images, registry, tmp_path
):
    report = run_fusion(
        engine, images, tmp_path, registry, fuse__modes=["linear-light"], layers__format="ora"
    )
    assert report.outputs["layers"] == {"psd": "", "ora": str(tmp_path / "fusion.ora")}
    assert not (tmp_path / "fusion.psd").exists()
    assert report.nodes["layers"].warnings == [
        "layer 'render': OpenRaster has no linear-light blend mode; it was written as "
        "krita:linear light, which Krita reads and other programs may show as Normal "
        "(ora_modes 'baked' keeps the look everywhere)"
    ]
    ora = read_ora(tmp_path / "fusion.ora")
    assert ora["layers"][1]["composite-op"] == "krita:linear light"


def test_16_bit_export_keeps_16_bits_in_both_formats(engine, images, registry, tmp_path):
    report = run_fusion(engine, images, tmp_path, registry, layers__depth="16-bit")
    stack = report.outputs["fuse"]["layers"]
    flat = report.outputs["fuse"]["image"]
    step16 = 1 / 65535

    psd = read_psd(tmp_path / "fusion.psd")
    assert psd.depth == 16
    for read, layer in zip(psd.layers, stack.layers, strict=True):
        np.testing.assert_allclose(psd_pixels(read), rgba(layer.pixels), atol=step16 / 2 + 1e-7)
        if layer.mask is not None:  # psd-tools takes masks with 8 bits of precision
            np.testing.assert_allclose(read.channels[-2], layer.mask, atol=STEP / 2 + 1e-6)
    np.testing.assert_allclose(psd.merged, flat, atol=step16 / 2 + 1e-7)
    assert np.abs(psd.merged - flat).max() < STEP / 8  # finer than any 8-bit file could be

    ora = read_ora(tmp_path / "fusion.ora")
    for attrs in ora["layers"]:
        assert png_bit_depth(ora["files"][attrs["src"]]) == 16
    assert png_bit_depth(ora["files"]["mergedimage.png"]) == 16
    base = decode_png(ora["files"][ora["layers"][0]["src"]])
    np.testing.assert_allclose(base, stack.layers[0].pixels, atol=step16 / 2 + 1e-7)
    merged = decode_png(ora["files"]["mergedimage.png"])
    np.testing.assert_allclose(merged, flat, atol=step16 / 2 + 1e-7)


def test_files_are_0644_under_umask_022_and_never_overwritten(engine, images, registry, tmp_path):
    previous = os.umask(0o022)
    try:
        run_fusion(engine, images, tmp_path, registry)
        first = {name: (tmp_path / name).read_bytes() for name in ("fusion.psd", "fusion.ora")}
        report = run_fusion(engine, images, tmp_path, registry, fuse__opacities=[0.3, 0.3])
    finally:
        os.umask(previous)
    assert report.outputs["layers"] == {
        "psd": str(tmp_path / "fusion-0001.psd"),
        "ora": str(tmp_path / "fusion-0001.ora"),
    }
    for name, data in first.items():
        assert (tmp_path / name).read_bytes() == data
    for name in ("fusion.psd", "fusion.ora", "fusion-0001.psd", "fusion-0001.ora"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]

    # The layers take the picture's name (fusion-0002.png); that PSD name is someone else's,
    # so the pair moves on together, keeping the picture's number in front.
    (tmp_path / "fusion-0002.psd").write_bytes(b"someone else's")
    report = run_fusion(engine, images, tmp_path, registry)
    assert report.outputs["save"]["path"] == str(tmp_path / "fusion-0002.png")
    assert report.outputs["layers"] == {
        "psd": str(tmp_path / "fusion-0002-0001.psd"),
        "ora": str(tmp_path / "fusion-0002-0001.ora"),
    }
    assert (tmp_path / "fusion-0002.psd").read_bytes() == b"someone else's"


def _two_photo_stack(registry, base_id: str, top_id: str, photo: Path) -> Graph:
    graph = Graph(registry)
    for node_id in (base_id, top_id):
        graph.add_node("image.load", node_id, {"path": str(photo)})
    graph.add_node("image.layer_stack", "stack", {"modes": ["screen"]})
    graph.connect(base_id, "image", "stack", "base")
    graph.connect(top_id, "image", "stack", "layer1")
    return graph


def test_layer_names_follow_the_upstream_node_ids_and_re_key_the_cache(registry, images):
    photo = images / "content" / "coffee.png"
    engine = Engine()
    first = engine.run(_two_photo_stack(registry, "photo", "paint", photo))
    stack = first.outputs["stack"]["layers"]
    assert [layer.name for layer in stack.layers] == ["photo", "paint"]
    assert stack.describe()["layers"][1] == {
        "name": "paint",
        "mode": "screen",
        "opacity": 1.0,
        "visible": True,
        "channels": 3,
        "mask": False,
    }
    assert not stack.merged.flags.writeable and not stack.layers[1].pixels.flags.writeable

    again = engine.run(_two_photo_stack(registry, "photo", "paint", photo))
    assert again.nodes["stack"].status.value == "cached"
    renamed = engine.run(_two_photo_stack(registry, "paper", "glaze", photo))
    assert renamed.nodes["stack"].status.value == "ran"  # same pixels, other names
    assert [layer.name for layer in renamed.outputs["stack"]["layers"].layers] == [
        "paper",
        "glaze",
    ]


def test_names_fall_back_to_layer_numbers_and_repeated_names_are_numbered():
    ports = ["base", "layer1", "layer2", "layer3"]
    assert layer_names(ports, {}, []) == ["Base", "Layer 1", "Layer 2", "Layer 3"]
    sources = {"base": "shrink", "layer1": "shrink", "layer2": "render"}
    assert layer_names(ports, sources, ["", "", "", "render"]) == [
        "shrink",
        "shrink 2",
        "render",
        "render 2",
    ]


def test_a_layers_output_is_refused_the_disk_cache():
    with pytest.raises(ValueError, match="a layers output is never cached on disk"):
        NodeType(
            "test.layers",
            "Layers",
            "test",
            "",
            lambda ctx, inputs, params: {},
            outputs=(Port("layers", PortType.LAYERS),),
            persistent_cache=True,
        )


def test_transparent_stacks_keep_alpha_in_layers_and_psd_flattens_its_merged_image(tmp_path):
    rng = np.random.default_rng(7)
    base = rng.random((9, 14, 4), dtype=np.float32)
    top = rng.random((9, 14, 4), dtype=np.float32)
    merged = composite(base, top, "screen", 0.7)
    layers = [Layer("paper", base), Layer("glaze", top, "screen", 0.7)]
    with open(tmp_path / "t.psd", "wb") as fh:
        write_psd(fh, layers, merged)
    with open(tmp_path / "t.ora", "wb") as fh:
        write_ora(fh, layers, merged)

    psd = read_psd(tmp_path / "t.psd")
    np.testing.assert_allclose(psd_pixels(psd.layers[1]), top, atol=STEP / 2 + 1e-6)
    alpha = merged[..., 3:4]
    on_white = merged[..., :3] * alpha + (1 - alpha)
    np.testing.assert_allclose(psd.merged, on_white, atol=STEP / 2 + 1e-6)

    ora = read_ora(tmp_path / "t.ora")
    np.testing.assert_allclose(
        decode_png(ora["files"][ora["layers"][1]["src"]]), top, atol=STEP / 2 + 1e-6
    )
    np.testing.assert_allclose(
        decode_png(ora["files"]["mergedimage.png"]), merged, atol=STEP / 2 + 1e-6
    )


def test_a_canvas_over_the_psd_limit_is_refused_with_the_size():
    tall = np.zeros((30001, 1, 3), np.float32)
    with pytest.raises(ValueError, match=r"^1x30001 is over the PSD limit of 30000 px a side$"):
        write_psd(io.BytesIO(), [Layer("base", tall)], tall)
