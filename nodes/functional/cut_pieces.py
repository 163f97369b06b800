"""Cutting a working-size picture, as the subject mask, the sky and the quick selection
all do: GrabCut from seed labels, and the pieces a selection keeps of a cut.

Ranges: pictures float32 H x W x 3 in 0..1; masks bool H x W.
"""

from __future__ import annotations

import cv2
import numpy as np

from stylegraph.nodes.functional.channels import to_u8


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


def grabcut_from_seeds(image: np.ndarray, labels: np.ndarray, iterations: int) -> np.ndarray:
    """GrabCut (``image`` float32 0..1 at the working size, ``labels`` uint8 GC_* codes)
    run from a mask of starting labels for ``iterations`` rounds; bool H x W, True where
    it finds the wanted side. Where the seeds hold none of it or nothing else there is
    nothing to cut between, so the seeds' own reading is returned."""
    wanted = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if wanted.all() or not wanted.any():
        return wanted
    pixels = cv2.cvtColor(to_u8(image[..., :3]), cv2.COLOR_RGB2BGR)
    mask = labels.copy()
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut seeds its colour models with k-means: same photo, same cut
    cv2.grabCut(pixels, mask, None, background, foreground, iterations, cv2.GC_INIT_WITH_MASK)
    return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))
