"""A quick selection made from the painter's strokes alone, as Photoshop's Quick
Selection makes it: no saliency, no guess of a subject.

Keep strokes mark what belongs to the selection, remove strokes what does not. At a
working size of about 320 px:

1. **Strokes' cores**: only where a stroke covers fully counts (a rough stroke's soft
   rim often spills over the object's edge).
2. **Growing from the strokes**: each pixel's geodesic distance to the nearest keep
   stroke and to the nearest remove stroke (or, with no remove stroke, the frame's
   strips), a path's length growing with the square of each colour step it takes, so
   crossing an edge is long and a sky's slow gradient is not. The pixels the keep
   strokes reach first start "probably kept", the others "probably removed".
3. **GrabCut** (OpenCV) from those labels, the strokes' pixels fixed (keep: surely
   selected, remove: surely not): it fits colour mixtures to both and cuts along the
   photo's edges. It may drop what the keep strokes reached (a table the colour of the
   coffee beside the cup) but adds nothing they did not reach first.
4. **Clean-up**: only the pieces a keep stroke touches, their holes filled unless a
   remove stroke lies in them; brought to the photo's size along its edges by the
   guided filter (``guided.refine_to``).

More strokes refine: each adds fixed pixels and shortens the paths from its side; the
mask.paint node's erase strokes then take away from the selection. Ranges: image
float32 H x W x 3/4 in 0..1; keep/remove float32 H x W in 0..1 (full coverage counts).
The result is float32 H x W in 0..1.
"""

from __future__ import annotations

import cv2
import numpy as np

from stylegraph.nodes.functional.channels import to_u8
from stylegraph.nodes.functional.faces import as_rgb
from stylegraph.nodes.functional.guided import refine_to
from stylegraph.nodes.functional.subject import clean_cut

WORK_SIZE = 320  # px along the longest side where the cut is made
_ITERATIONS = 4
SMOOTHING = 0.8  # working px: the Gaussian taken over the photo before paths are priced
EDGE_COST = 5.0  # px of path length per squared Lab unit of colour difference crossed


def _working(image: np.ndarray, hint: np.ndarray | None) -> np.ndarray | None:
    """A hint's core at the working size (bool): where the stroke covers fully (its
    hard core; a rough stroke's soft rim often spills over the object's edge), a
    working pixel hinted when half of it is; a stroke too thin for that counts where
    it covers half. None when nothing is hinted."""
    if hint is None:
        return None
    height, width = image.shape[:2]
    hint = np.asarray(hint, np.float32)
    for level, share in ((0.99, 0.5), (0.5, 0.25)):
        marked = (hint >= level).astype(np.float32)
        found = cv2.resize(marked, (width, height), interpolation=cv2.INTER_AREA) >= share
        if found.any():
            return found
    return None


def _frame(height: int, width: int) -> np.ndarray:
    band = max(2, round(0.04 * min(height, width)))
    frame = np.zeros((height, width), bool)
    frame[:band, :] = frame[-band:, :] = frame[:, :band] = frame[:, -band:] = True
    return frame


def _step_costs(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cost of a step between vertical and between horizontal neighbours: one px
    plus ``EDGE_COST`` times the square of their colour difference (Lab units), so a
    path that crosses an edge is long while a sky's slow gradient costs next to
    nothing."""
    down = 1.0 + EDGE_COST * np.sum(np.diff(lab, axis=0) ** 2, axis=2)
    right = 1.0 + EDGE_COST * np.sum(np.diff(lab, axis=1) ** 2, axis=2)
    return down.astype(np.float32), right.astype(np.float32)


def geodesic_distance(lab: np.ndarray, seeds: np.ndarray, sweeps: int = 3) -> np.ndarray:
    """Each pixel's distance (px, edges counting as ``_step_costs`` says) to the nearest
    seed pixel along a path through the picture, by raster sweeps: down, up, right and
    left, each a loop over rows (or columns) done on whole rows at once; a few sweeps
    settle paths that turn."""
    down, right = _step_costs(lab)
    distance = np.where(seeds, 0.0, np.inf).astype(np.float32)
    height, width = seeds.shape
    for _ in range(sweeps):
        for row in range(1, height):
            np.minimum(distance[row], distance[row - 1] + down[row - 1], out=distance[row])
        for row in range(height - 2, -1, -1):
            np.minimum(distance[row], distance[row + 1] + down[row], out=distance[row])
        for col in range(1, width):
            np.minimum(
                distance[:, col], distance[:, col - 1] + right[:, col - 1], out=distance[:, col]
            )
        for col in range(width - 2, -1, -1):
            np.minimum(distance[:, col], distance[:, col + 1] + right[:, col], out=distance[:, col])
    return distance


def start_labels(
    image: np.ndarray, keep: np.ndarray, remove: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """GrabCut's starting labels (uint8 GC_* codes) from the strokes alone (bool maps at
    the working size; ``remove`` None: the frame's strips away from the keep strokes
    stand for the background, but are not fixed), and where the keep strokes are the
    nearer (bool): a pixel starts "probably kept" where a path to a keep stroke crosses
    less edge than one to a remove stroke, as Quick Selection grows a selection from
    the brush up to the photo's edges."""
    height, width = keep.shape
    lab = cv2.cvtColor(np.ascontiguousarray(image[..., :3], np.float32), cv2.COLOR_RGB2Lab)
    lab = cv2.GaussianBlur(lab, (0, 0), SMOOTHING)
    away = remove if remove is not None else _frame(height, width) & ~keep
    if not away.any():
        away = ~keep
    nearer_keep = geodesic_distance(lab, keep) < geodesic_distance(lab, away)
    labels = np.where(nearer_keep, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    if remove is not None:
        labels[remove] = cv2.GC_BGD
    labels[keep] = cv2.GC_FGD
    return labels, nearer_keep | keep


def quick_select(
    image: np.ndarray,
    keep: np.ndarray | None,
    remove: np.ndarray | None,
    feather: float = 0.1,
) -> np.ndarray:
    """The selection (float32 H x W, 0..1) that keep and remove strokes make on
    ``image``; see the module's docstring. No keep stroke: nothing is selected but
    what the strokes leave (an empty mask). Remove strokes alone select nothing."""
    rgb = as_rgb(image)
    height, width = rgb.shape[:2]
    scale = min(1.0, WORK_SIZE / max(height, width))
    small_h, small_w = max(1, round(height * scale)), max(1, round(width * scale))
    small = cv2.resize(rgb, (small_w, small_h), interpolation=cv2.INTER_AREA)
    kept = _working(small, keep)
    removed = _working(small, remove)
    if kept is None:
        return np.zeros((height, width), np.float32)
    if removed is not None:
        removed = removed & ~kept  # painted both ways: keep wins
        if not removed.any():
            removed = None
    labels, nearer_keep = start_labels(small, kept, removed)
    cut = nearer_keep
    if np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any() and min(small_h, small_w) >= 2:
        mask = labels.copy()
        background = np.zeros((1, 65), np.float64)
        foreground = np.zeros((1, 65), np.float64)
        pixels = cv2.cvtColor(to_u8(small), cv2.COLOR_RGB2BGR)
        cv2.setRNGSeed(0)  # same strokes, same cut
        cv2.grabCut(pixels, mask, None, background, foreground, _ITERATIONS, cv2.GC_INIT_WITH_MASK)
        cut = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)) & nearer_keep
    cut = clean_cut(cut, kept, removed)
    return refine_to(rgb, cut.astype(np.float32), feather)
