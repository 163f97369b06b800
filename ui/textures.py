"""Pictures for the screen: outputs shrunk to what the window can show, uploaded once.

Dear PyGui re-uploads dynamic textures every frame, so every picture here is a static
texture made when its content changes and deleted when it is replaced."""

from __future__ import annotations

import dearpygui.dearpygui as dpg
import numpy as np

from stylegraph.nodes.functional.resize import fit_longest_side, resize

REGISTRY = "textures"


def ensure_registry() -> None:
    if not dpg.does_item_exist(REGISTRY):
        dpg.add_texture_registry(tag=REGISTRY)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A node output (image or mask) as H x W x 3 float32, for display only."""
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2).astype(np.float32, copy=False)
    return np.ascontiguousarray(image[..., :3], np.float32)


def shrink(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-resampled copy at exactly ``height`` x ``width`` (never enlarged by area)."""
    rgb = as_rgb(image)
    if rgb.shape[:2] == (height, width):
        return rgb
    method = "area" if height <= rgb.shape[0] else "nearest"
    return resize(rgb, height, width, method)


def upload(rgb: np.ndarray) -> int | str:
    """A static RGBA texture of an H x W x 3 picture."""
    ensure_registry()
    height, width = rgb.shape[:2]
    rgba = np.ones((height, width, 4), np.float32)
    rgba[..., :3] = np.clip(rgb, 0.0, 1.0)
    return dpg.add_static_texture(width, height, rgba.ravel(), parent=REGISTRY)


def thumbnail(image: np.ndarray, longest: int) -> tuple[int | str, int, int]:
    """A texture of ``image`` fitted into ``longest`` px; returns (texture, width, height)."""
    height, width = fit_longest_side(*image.shape[:2], longest)
    return upload(shrink(image, height, width)), width, height


def release(texture: int | str | None) -> None:
    if texture is not None and dpg.does_item_exist(texture):
        dpg.delete_item(texture)
