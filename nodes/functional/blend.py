"""Blend modes and alpha compositing after the W3C Compositing and Blending Level 1 spec,
plus Photoshop's extra modes.

All inputs are float32 in 0..1. ``Cb`` is the backdrop (base) colour, ``Cs`` the source (top)
colour, as in the spec.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Array = np.ndarray


def _multiply(cb: Array, cs: Array) -> Array:
    return cb * cs


def _screen(cb: Array, cs: Array) -> Array:
    return cb + cs - cb * cs


def _hard_light(cb: Array, cs: Array) -> Array:
    return np.where(cs <= 0.5, _multiply(cb, 2 * cs), _screen(cb, 2 * cs - 1))


def _overlay(cb: Array, cs: Array) -> Array:
    return _hard_light(cs, cb)


def _color_dodge(cb: Array, cs: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.minimum(1.0, cb / (1.0 - cs))
    return np.where(cb == 0, 0.0, np.where(cs >= 1, 1.0, quotient))


def _color_burn(cb: Array, cs: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = 1.0 - np.minimum(1.0, (1.0 - cb) / cs)
    return np.where(cb >= 1, 1.0, np.where(cs <= 0, 0.0, quotient))


def _soft_light(cb: Array, cs: Array) -> Array:
    d = np.where(cb <= 0.25, ((16 * cb - 12) * cb + 4) * cb, np.sqrt(cb))
    return np.where(cs <= 0.5, cb - (1 - 2 * cs) * cb * (1 - cb), cb + (2 * cs - 1) * (d - cb))


def _vivid_light(cb: Array, cs: Array) -> Array:
    return np.where(cs <= 0.5, _color_burn(cb, 2 * cs), _color_dodge(cb, 2 * (cs - 0.5)))


def _pin_light(cb: Array, cs: Array) -> Array:
    return np.where(cs <= 0.5, np.minimum(cb, 2 * cs), np.maximum(cb, 2 * cs - 1))


def _divide(cb: Array, cs: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.minimum(1.0, cb / cs)
    return np.where(cs <= 0, np.where(cb > 0, 1.0, 0.0), quotient)


SEPARABLE: dict[str, Callable[[Array, Array], Array]] = {
    "normal": lambda cb, cs: cs,
    "multiply": _multiply,
    "screen": _screen,
    "overlay": _overlay,
    "darken": np.minimum,
    "lighten": np.maximum,
    "color-dodge": _color_dodge,
    "color-burn": _color_burn,
    "hard-light": _hard_light,
    "soft-light": _soft_light,
    "difference": lambda cb, cs: np.abs(cb - cs),
    "exclusion": lambda cb, cs: cb + cs - 2 * cb * cs,
    "linear-dodge": lambda cb, cs: np.minimum(1.0, cb + cs),
    "linear-burn": lambda cb, cs: np.maximum(0.0, cb + cs - 1),
    "vivid-light": _vivid_light,
    "linear-light": lambda cb, cs: np.clip(cb + 2 * cs - 1, 0.0, 1.0),
    "pin-light": _pin_light,
    "hard-mix": lambda cb, cs: (cb + cs >= 1.0).astype(np.float32),
    "subtract": lambda cb, cs: np.maximum(0.0, cb - cs),
    "divide": _divide,
}


# Non-separable modes (W3C section 10.3), on whole colours (last axis = RGB).
def _lum(c: Array) -> Array:
    return (0.3 * c[..., 0] + 0.59 * c[..., 1] + 0.11 * c[..., 2])[..., None]


def _clip_color(c: Array) -> Array:
    lum = _lum(c)
    n = c.min(axis=-1, keepdims=True)
    x = c.max(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n < 0, lum + (c - lum) * lum / (lum - n), c)
        return np.where(x > 1, lum + (c - lum) * (1 - lum) / (x - lum), c)


def _set_lum(c: Array, lum: Array) -> Array:
    return _clip_color(c + (lum - _lum(c)))


def _sat(c: Array) -> Array:
    return c.max(axis=-1, keepdims=True) - c.min(axis=-1, keepdims=True)


def _set_sat(c: Array, s: Array) -> Array:
    """Scale the colour so that max - min = s, keeping the order of its channels."""
    cmin = c.min(axis=-1, keepdims=True)
    span = _sat(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (c - cmin) * s / span
    return np.where(span > 0, out, 0.0)


def _darker_color(cb: Array, cs: Array) -> Array:
    return np.where(cs.sum(-1, keepdims=True) < cb.sum(-1, keepdims=True), cs, cb)


def _lighter_color(cb: Array, cs: Array) -> Array:
    return np.where(cs.sum(-1, keepdims=True) > cb.sum(-1, keepdims=True), cs, cb)


NON_SEPARABLE: dict[str, Callable[[Array, Array], Array]] = {
    "hue": lambda cb, cs: _set_lum(_set_sat(cs, _sat(cb)), _lum(cb)),
    "saturation": lambda cb, cs: _set_lum(_set_sat(cb, _sat(cs)), _lum(cb)),
    "color": lambda cb, cs: _set_lum(cs, _lum(cb)),
    "luminosity": lambda cb, cs: _set_lum(cb, _lum(cs)),
    "darker-color": _darker_color,
    "lighter-color": _lighter_color,
}

MODES: tuple[str, ...] = tuple(SEPARABLE) + tuple(NON_SEPARABLE)


def blend_colors(cb: Array, cs: Array, mode: str) -> Array:
    """B(Cb, Cs): the mixed colour before compositing, for RGB arrays of equal shape."""
    if mode in SEPARABLE:
        return SEPARABLE[mode](cb, cs)
    if mode in NON_SEPARABLE:
        return NON_SEPARABLE[mode](cb, cs)
    raise ValueError(f"unknown blend mode {mode!r}")


def _split(image: Array) -> tuple[Array, Array]:
    if image.shape[2] == 4:
        return image[..., :3], image[..., 3:4]
    return image, np.ones((*image.shape[:2], 1), np.float32)


def composite(
    base: Array,
    top: Array,
    mode: str = "normal",
    opacity: float = 1.0,
    mask: Array | None = None,
) -> Array:
    """Blend ``top`` over ``base`` (same H x W) and composite source-over.

    Follows W3C: Cs' = (1 - ab) Cs + ab B(Cb, Cs); co = as Cs' + (1 - as) ab Cb;
    ao = as + ab (1 - as). ``opacity`` and ``mask`` (H x W) scale the top's alpha. The result
    has an alpha channel when the base has one; over an opaque base it is opaque RGB.
    """
    cb, ab = _split(base)
    cs, as_ = _split(top)
    as_ = as_ * opacity
    if mask is not None:
        as_ = as_ * mask[..., None]
    mixed = np.clip(blend_colors(cb, cs, mode), 0.0, 1.0)
    cs_prime = (1 - ab) * cs + ab * mixed
    co = as_ * cs_prime + (1 - as_) * ab * cb
    ao = as_ + ab * (1 - as_)
    with np.errstate(divide="ignore", invalid="ignore"):
        colour = np.where(ao > 0, co / ao, 0.0)
    colour = np.clip(colour, 0.0, 1.0).astype(np.float32)
    if base.shape[2] == 4:
        return np.concatenate([colour, ao.astype(np.float32)], axis=2)
    return colour


def place(top: Array, height: int, width: int, x: int, y: int) -> Array:
    """``top`` on a transparent canvas of height x width with its corner at (x, y)."""
    canvas = np.zeros((height, width, 4), np.float32)
    rgba = (
        top
        if top.shape[2] == 4
        else np.concatenate([top, np.ones((*top.shape[:2], 1), np.float32)], axis=2)
    )
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(height, y + top.shape[0]), min(width, x + top.shape[1])
    if y1 > y0 and x1 > x0:
        canvas[y0:y1, x0:x1] = rgba[y0 - y : y1 - y, x0 - x : x1 - x]
    return canvas
