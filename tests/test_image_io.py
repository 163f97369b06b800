"""Load Image and Save Image: formats, orientation, bit depths, limits, never overwriting."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph
from stylegraph.nodes.functional.image_io import ImageReadError, read_image
from stylegraph.nodes.functional.recipe_metadata import RecipeError, read_recipe


def _gradient(height=6, width=9) -> np.ndarray:
    """A smooth, asymmetric test picture (lossy codecs keep it close)."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [
            x * 255 // max(width - 1, 1),
            y * 255 // max(height - 1, 1),
            (x + y) * 127 // max(height + width - 2, 1),
        ],
        axis=2,
    )
    return rgb.astype(np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillows_transpose(tmp_path, orientation):
    path = tmp_path / f"o{orientation}.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(_gradient()).save(path, exif=exif, quality=100)
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im).convert("RGB"), np.float32) / 255
    np.testing.assert_array_equal(read_image(path), expected)


def test_greyscale_becomes_rgb(tmp_path):
    path = tmp_path / "grey.png"
    Image.fromarray(np.array([[0, 128, 255]], np.uint8), "L").save(path)
    image = read_image(path)
    assert image.shape == (1, 3, 3) and image.dtype == np.float32
    np.testing.assert_allclose(image[0, 1], [128 / 255] * 3)


def test_rgba_and_palette_transparency_keep_alpha(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 3] = [[0, 64], [128, 255]]
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_allclose(read_image(tmp_path / "a.png")[..., 3], rgba[..., 3] / 255)
    pal = Image.new("P", (2, 1))
    pal.putpalette([255, 0, 0, 0, 255, 0])
    pal.putpixel((1, 0), 1)
    pal.info["transparency"] = 0
    pal.save(tmp_path / "p.png", transparency=0)
    image = read_image(tmp_path / "p.png")
    assert image.shape == (1, 2, 4)
    np.testing.assert_allclose(image[0, :, 3], [0.0, 1.0])


def test_16_bit_png_keeps_its_precision(tmp_path):
    import cv2

    values = np.array([[0, 1, 257, 65535]], np.uint16)
    colour = np.stack([values, values // 2, 65535 - values], axis=2)
    cv2.imwrite(str(tmp_path / "c16.png"), colour[..., ::-1])  # OpenCV writes BGR
    image = read_image(tmp_path / "c16.png")
    np.testing.assert_allclose(image[0, :, 0], values[0] / 65535, atol=1e-7)
    np.testing.assert_allclose(image[0, :, 2], (65535 - values[0]) / 65535, atol=1e-7)
    Image.fromarray(values).save(tmp_path / "g16.png")
    grey = read_image(tmp_path / "g16.png")
    np.testing.assert_allclose(grey[0, :, 1], values[0] / 65535, atol=1e-7)
    assert grey[0, 1, 0] > 0, "1/65535 survives instead of rounding to 0 as 8 bits would"


def test_the_pixel_limit_refuses_before_decoding(tmp_path):
    Image.new("RGB", (3000, 2000)).save(tmp_path / "big.png")
    with pytest.raises(ImageReadError) as err:
        read_image(tmp_path / "big.png", max_megapixels=5)
    assert str(err.value) == (
        f"{tmp_path / 'big.png'}: 3000x2000 is 6.0 megapixels, over the limit of 5; raise "
        "max_megapixels if you have the memory for it"
    )


def test_missing_and_non_image_files_name_the_file(tmp_path):
    with pytest.raises(ImageReadError, match=r"nope.png: no such file"):
        read_image(tmp_path / "nope.png")
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(ImageReadError, match=r"notes.png: not an image file"):
        read_image(tmp_path / "notes.png")


def _save_graph(registry, source, **save_params) -> Graph:
    g = Graph(registry)
    g.add_node("image.load", "load", {"path": str(source)})
    g.add_node("image.save", "save", save_params)
    g.connect("load", "image", "save", "image")
    return g


def test_save_never_overwrites_silently(registry, tmp_path):
    source = tmp_path / "in.png"
    Image.fromarray(_gradient()).save(source)
    out = tmp_path / "out"
    g = _save_graph(registry, source, filename="render")
    engine = Engine()
    paths = [engine.run(g, output_dir=out).outputs["save"]["path"] for _ in range(3)]
    assert [p.split("/")[-1] for p in paths] == ["render.png", "render-0001.png", "render-0002.png"]
    g.set_param("save", "overwrite", True)
    (out / "render.png").write_bytes(b"old")
    assert engine.run(g, output_dir=out).outputs["save"]["path"] == str(out / "render.png")
    assert (out / "render.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(out.glob(".stylegraph-*")), "no temp files are left behind"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff", "webp"])
def test_every_format_round_trips_pixels_and_recipe(registry, tmp_path, fmt):
    source = tmp_path / "in.png"
    pixels = _gradient(16, 16)
    Image.fromarray(pixels).save(source)
    g = _save_graph(registry, source, format=fmt, quality=100)
    recipe = '{"format": "stylegraph.recipe", "preset": {"nodes": {}}, "inputs": {}}'
    report = Engine().run(g, output_dir=tmp_path / "out", recipe=recipe)
    written = report.outputs["save"]["path"]
    assert read_recipe(written)["format"] == "stylegraph.recipe"
    back = read_image(written)
    tolerance = 1e-6 if fmt in ("png", "tiff") else 0.05
    assert np.abs(back - pixels / 255).max() <= tolerance


def test_jpeg_flattens_alpha_with_a_warning(registry, tmp_path):
    source = tmp_path / "in.png"
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(source)
    report = Engine().run(_save_graph(registry, source, format="jpeg"), output_dir=tmp_path)
    assert report.nodes["save"].warnings == [
        "JPEG has no transparency: the image was flattened onto white"
    ]
    assert read_image(report.outputs["save"]["path"]).min() > 0.95


def test_a_file_without_recipe_says_so(tmp_path):
    Image.new("RGB", (2, 2)).save(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match="plain.png: carries no stylegraph recipe"):
        read_recipe(tmp_path / "plain.png")


def test_load_failure_is_a_node_error_naming_the_file(registry, tmp_path):
    report = Engine().run(_save_graph(registry, tmp_path / "gone.jpg"), output_dir=tmp_path)
    assert report.nodes["load"].status == Status.FAILED
    assert report.nodes["load"].error == (
        f"node 'load' (image.load): {tmp_path / 'gone.jpg'}: no such file"
    )


def test_real_photo_loads(images):
    photo = read_image(images / "content" / "tubingen.jpg")
    assert photo.shape == (768, 1024, 3)
    assert 0.0 <= photo.min() < photo.max() <= 1.0
    texture = read_image(images / "styles" / "brick.png")
    assert texture.shape == (512, 512, 3)
