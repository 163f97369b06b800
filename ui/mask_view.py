"""A person or face-part mask shown over the photo it was found on: the viewer shows the
photo with the mask's white tinted, so "eyes" or "person" reads at a glance as *where*
on the sitter, which a black picture with two white slivers does not.

The tint is also the mask painter's overlay. The last few results are kept, so the
viewer, which asks for its pictures (the shown one and the one compared) every frame,
gets the same arrays back until a mask or a photo changes: it redraws only then."""

from __future__ import annotations

import numpy as np

TINT = np.array([1.0, 0.25, 0.2], np.float32)  # a mask's colour over a picture
TINT_STRENGTH = 0.55
OVER_PHOTO = ("mask.subject", "mask.face")  # node types whose mask is shown over the photo
KEPT = 8  # results kept


def tinted(mask: np.ndarray, picture: np.ndarray) -> np.ndarray:
    """``mask``'s white tinted over ``picture``'s colour channels (the painter's overlay
    view, and a person or face-part mask over its photo)."""
    amount = (TINT_STRENGTH * np.clip(mask, 0.0, 1.0))[..., None]
    return (picture[..., :3] * (1.0 - amount) + TINT * amount).astype(np.float32)


class MaskOverPhoto:
    """``mask`` (H x W, 0..1) tinted over ``photo`` (H x W x 3/4, 0..1), cached."""

    def __init__(self) -> None:
        # (id(mask), id(photo)) -> (mask, photo, shown); the arrays are held so that
        # their ids cannot be reused by new ones while kept
        self._kept: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def __call__(self, mask: np.ndarray, photo: np.ndarray) -> np.ndarray:
        key = (id(mask), id(photo))
        if key in self._kept:
            return self._kept[key][2]
        shown = tinted(mask, photo)
        if len(self._kept) >= KEPT:
            self._kept.pop(next(iter(self._kept)))
        self._kept[key] = (mask, photo, shown)
        return shown
