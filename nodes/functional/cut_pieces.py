"""The pieces a selection keeps: shared by the subject mask and the quick selection, which
both cut a working-size picture into pieces and must choose the subject's among them.

Ranges: bool H x W masks in, a bool H x W mask out.
"""

from __future__ import annotations

import cv2
import numpy as np


def clean_cut(
    cut: np.ndarray, keep: np.ndarray | None = None, remove: np.ndarray | None = None
) -> np.ndarray:
    """The subject's pieces of a cut (bool H x W), their holes filled: with a keep hint,
    the pieces it touches (a quick selection of one thing); without, the biggest piece
    and any at least a third of its size. A hole a remove hint touches stays open."""
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(cut.astype(np.uint8), None, 8)
    if count <= 1:
        return cut
    touched = set() if keep is None else {int(i) for i in np.unique(pieces[keep]) if i}
    if touched:
        chosen = touched
    else:
        areas = stats[1:, cv2.CC_STAT_AREA]
        chosen = {int(i) + 1 for i in np.flatnonzero(areas >= areas.max() / 3)}
    kept = np.isin(pieces, sorted(chosen))
    # Holes: the pieces of what is left that do not reach the frame.
    outside = (~kept).astype(np.uint8)
    _, holes = cv2.connectedComponents(outside, None, 4)
    open_ = [holes[0], holes[-1], holes[:, 0], holes[:, -1]]
    if remove is not None:
        open_.append(holes[remove])
    return kept | (outside.astype(bool) & ~np.isin(holes, np.unique(np.concatenate(open_))))
