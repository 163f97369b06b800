"""Every image node on odd inputs: 1x1, greyscale, RGBA, 16-bit and 4000x3000."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from stylegraph.graph.spec import PortType
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.image_io import read_image
from tests.helpers import run_node

FILE_NODES = {"image.load", "image.save", "mask.load"}
SIZE_CHANGING = {"image.crop", "image.pad", "image.resize", "image.rotate90", "image.upscale"}
# Real-ESRGAN x4 of 4000x3000 is a 16000x12000 render: hours on a CPU. The upscale tests
# cover big images through tiling instead.
TOO_SLOW_FOR_4000x3000 = {"image.upscale"}


def _image_nodes() -> list[str]:
    return [
        t.type_id
        for t in default_registry()
        if t.type_id not in FILE_NODES
        and t.category != "neural"
        and any(p.type in (PortType.IMAGE, PortType.MASK) for p in t.inputs)
    ]


def _feed(type_id: str, image: np.ndarray) -> dict:
    node_type = default_registry().get(type_id)
    mask = np.ascontiguousarray(image[..., 0])
    inputs = {}
    for port in node_type.inputs:
        if port.optional or port.variadic:
            continue
        inputs[port.name] = image if port.type == PortType.IMAGE else mask
    if type_id == "image.layer_stack":
        inputs |= {"layer1": image, "mask1": mask, "layer2": image}
    return inputs


def _check(type_id: str, image: np.ndarray, registry) -> dict:
    outputs, _ = run_node(registry, type_id, _feed(type_id, image))
    for value in outputs.values():
        if isinstance(value, np.ndarray) and value.ndim >= 2:
            assert np.isfinite(value).all(), f"{type_id} produced NaN or inf"
            assert value.min() >= 0.0 and value.max() <= 1.0, f"{type_id} left 0..1"
            if type_id not in SIZE_CHANGING and type_id != "mask.shape":
                assert value.shape[:2] == image.shape[:2], type_id
    return outputs


@pytest.mark.parametrize("type_id", _image_nodes())
def test_one_pixel(type_id, registry):
    _check(type_id, np.full((1, 1, 3), 0.4, np.float32), registry)


@pytest.mark.parametrize("type_id", _image_nodes())
def test_greyscale_and_16_bit_files(type_id, registry, tmp_path):
    grey = np.linspace(0, 65535, 24 * 32).reshape(24, 32).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "g.png"), grey)
    colour = np.stack([grey, grey[::-1], grey[:, ::-1]], axis=2)
    cv2.imwrite(str(tmp_path / "c.png"), colour)
    for name in ("g.png", "c.png"):
        _check(type_id, read_image(tmp_path / name), registry)


@pytest.mark.parametrize("type_id", _image_nodes())
def test_rgba_keeps_its_alpha(type_id, registry):
    rng = np.random.default_rng(0)
    image = rng.random((20, 30, 4), dtype=np.float32)
    outputs = _check(type_id, image, registry)
    out = outputs.get("image")
    if out is not None and type_id not in SIZE_CHANGING | {"mask.to_image", "mask.apply_alpha"}:
        assert out.shape[2] == 4, f"{type_id} dropped the alpha channel"


@pytest.mark.parametrize("type_id", [t for t in _image_nodes() if t not in TOO_SLOW_FOR_4000x3000])
def test_a_4000x3000_photo(type_id, registry, images):
    photo = cv2.resize(
        read_image(images / "content" / "tubingen.jpg"),
        (4000, 3000),
        interpolation=cv2.INTER_LINEAR,
    )
    _check(type_id, photo, registry)
