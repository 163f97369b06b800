"""A quick selection made from the painter's strokes alone, as Photoshop's Quick
Selection makes it: no saliency, no guess of a subject.

Keep strokes mark what belongs to the selection, remove strokes what does not. Colour
alone cannot tell a red motorcycle from the red crate behind it after one stroke each,
so the selection learns from the strokes what the marked things *are*:

1. **Features**: at a working size of about 320 px, each pixel's features from the
   decoder of U^2-Net-p (``u2net.decoder_features``: 64 channels at each of its three
   finest scales, brought to the working size), each scale's block scaled to a mean
   length of 1. The photo's colour is not among them: beside the network's features it
   drew the cut to what merely shares the stroke's colour (a lamp's glow by a white
   rocket, a clock's grey rim left with the grey wall); the colour has its say in the
   steps below, along the photo's edges. The network only describes; its saliency
   output is not read. They are
   worked out once per photo (``_photo_features`` keeps the last photo's), so each
   new stroke costs only the steps below.
2. **Strokes' cores**: only where a stroke covers fully counts (a rough stroke's soft
   rim often spills over the object's edge). With no remove stroke, the frame's strips
   away from the keep strokes stand for what is not wanted.
3. **A classifier fitted to the strokes**: logistic regression (bounded Newton steps,
   ridge ``RIDGE``, the two sides weighted equally however much each stroke covers) of
   "kept" on the features of the keep strokes' pixels against the remove strokes'.
   Its probability over the whole photo says which places are like what was kept.
4. **The photo's edges**: that probability, guided-filtered by the photo
   (``guided.guided_upsample`` at the working size), so it stops at colour edges rather
   than at the network's soft 8 px cells; 0.5 and above is selected, but below
   ``SURE`` only where the keep strokes are also nearer than the remove strokes along
   the photo's colours (``nearer_keep``: geodesic distances, a path's length growing
   with the square of each colour step, so crossing an edge is long), as Quick
   Selection grows from the brush up to the photo's edges. A second object like the
   kept one but not stroked, or a glow beside a rocket the features blur into it, is
   not reached across its edge.
5. **Clean-up**: only the pieces a keep stroke touches, their holes filled unless a
   remove stroke lies in them; brought to the photo's size along its edges by the
   guided filter (``guided.refine_to``).

More strokes refine: each adds pixels the classifier must get right, and a keep stroke
on a piece adds that piece; the mask.paint node's erase strokes then take away from the
selection. Ranges: image float32 H x W x 3/4 in 0..1; keep/remove float32 H x W in 0..1
(full coverage counts). The result is float32 H x W in 0..1.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

from stylegraph.nodes.functional.cut_pieces import clean_cut
from stylegraph.nodes.functional.faces import as_rgb
from stylegraph.nodes.functional.guided import guided_upsample, refine_to
from stylegraph.nodes.models import u2net

WORK_SIZE = 320  # px along the longest side where the cut is made
RIDGE = 0.02  # the classifier's ridge against its mean loss over the strokes' pixels
NEWTON_STEPS = 30  # bounded Newton steps (Boehning's): cheap, each lowers the loss
SAMPLES = 1000  # stroke pixels per side the classifier is fitted on, at most
COLOUR_WEIGHT = 0.25  # the colour's share beside each of the network's three scales
STROKE_COLOUR = 0.0  # the colour's share in the quick selection's own features
SMOOTHING = 1.5  # working px: the Gaussian taken over the photo before paths are priced
EDGE_COST = 5.0  # px of path length per squared Lab unit of colour difference crossed
SURE = 0.7  # kept without the paths' say from this probability up
EDGE_RADIUS = 8  # working px: the guided filter's window that snaps to the photo's edges
EDGE_EPS = 1e-3  # keeps edges of a contrast above about 0.03 of the photo's range

_last: list = [None]  # the last photo's (key, features): a painter's strokes reuse them


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


def _scale_into(out: np.ndarray, block: np.ndarray, length: float) -> None:
    """Write ``block`` (N x C) into ``out`` (N x C, a slice of the feature array),
    centred and scaled to a mean length of ``length``, in place (the arrays are tens of
    megabytes: each pass over them counts)."""
    np.subtract(block, block.mean(axis=0), out=out)
    mean_length = np.sqrt(np.einsum("ij,ij->", out, out, dtype=np.float64) / len(out))
    out *= np.float32(length / (mean_length + 1e-6))


def pixel_features(rgb: np.ndarray, small: np.ndarray, colour: float = COLOUR_WEIGHT) -> np.ndarray:
    """Each working pixel's features (float32 (H * W) x 195 for ``small``, the photo at
    the working size; x 192 when ``colour`` is 0): the network's decoder features at
    three scales brought to the working size, each scale's block scaled to a mean length
    of 1 so none outweighs the others, and the CIELAB colour scaled to a mean length of
    ``colour``."""
    height, width = small.shape[:2]
    found = u2net.decoder_features(rgb)
    channels = sum(f.shape[0] for f in found) + (3 if colour > 0 else 0)
    features = np.empty((height * width, channels), np.float32)
    start = 0
    for block in found:
        resized = cv2.resize(
            np.ascontiguousarray(block.transpose(1, 2, 0)),
            (width, height),
            interpolation=cv2.INTER_LINEAR,
        ).reshape(height * width, -1)
        _scale_into(features[:, start : start + block.shape[0]], resized, 1.0)
        start += block.shape[0]
    if colour > 0:
        lab = cv2.cvtColor(np.ascontiguousarray(small, np.float32), cv2.COLOR_RGB2Lab)
        _scale_into(features[:, start:], lab.reshape(height * width, 3), colour)
    return features


def _photo_features(rgb: np.ndarray, small: np.ndarray) -> np.ndarray:
    """``pixel_features``, worked out again only when the photo changes: the painter
    asks for a new cut at each stroke on the same photo. The photo is known by its
    size and a hash of its working-size copy (hashing a 6000 px photo at each stroke
    would cost more than the cut)."""
    key = (
        hashlib.blake2b(np.ascontiguousarray(small).tobytes(), digest_size=16).digest(),
        rgb.shape,
        small.shape,
    )
    entry = _last[0]
    if entry is None or entry[0] != key:
        entry = (key, pixel_features(rgb, small, STROKE_COLOUR))
        _last[0] = entry  # one assignment: a reader in another thread sees old or new
    return entry[1]


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


def _sample(where: np.ndarray, count: int) -> np.ndarray:
    """Up to ``count`` of the flat indices where ``where`` holds, evenly spread (the
    same strokes give the same fit)."""
    found = np.flatnonzero(where)
    if found.size <= count:
        return found
    return found[np.linspace(0, found.size - 1, count).round().astype(int)]


def fit_strokes(features: np.ndarray, kept: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Logistic regression weights (the last one the bias) for "kept" from the features
    of the keep pixels (flat indices ``kept``) against those of the remove pixels, on
    the mean loss with ridge ``RIDGE``, each side weighing half however many pixels it
    has (so a short stroke is not outweighed by the ridge or a long one). Fitted by
    Boehning's bounded Newton steps: the Hessian's bound (a quarter of the weighted
    Gram matrix, plus the ridge) is inverted once and each of ``NEWTON_STEPS`` steps is
    two matrix-vector products, each lowering the loss."""
    rows = np.concatenate([kept, removed])
    x = np.concatenate([features[rows], np.ones((rows.size, 1), np.float32)], axis=1)
    x = x.astype(np.float64)
    y = np.concatenate([np.ones(kept.size), np.zeros(removed.size)])
    weight = np.where(y > 0, 0.5 / kept.size, 0.5 / removed.size)
    ridge = np.full(x.shape[1], RIDGE)
    ridge[-1] = 1e-6
    bound = np.linalg.inv(0.25 * (x.T @ (x * weight[:, None])) + np.diag(ridge))
    w = np.zeros(x.shape[1])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        w -= bound @ (x.T @ (weight * (p - y)) + ridge * w)
    return w


def kept_probability(features: np.ndarray, kept: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Each working pixel's probability (float32 H x W, 0..1) of being like the keep
    strokes' pixels rather than the remove strokes' (bool H x W), by ``fit_strokes``."""
    height, width = kept.shape
    w = fit_strokes(features, _sample(kept, SAMPLES), _sample(removed, SAMPLES))
    logit = features @ w[:-1].astype(np.float32) + np.float32(w[-1])
    probability = 1.0 / (1.0 + np.exp(-np.clip(logit, -30.0, 30.0)))
    return probability.reshape(height, width).astype(np.float32)


def nearer_keep(small: np.ndarray, kept: np.ndarray, away: np.ndarray) -> np.ndarray:
    """Where a path to a keep stroke crosses less edge than one to a remove stroke
    (bool H x W at the working size), as Quick Selection grows a selection from the
    brush up to the photo's edges."""
    lab = cv2.cvtColor(np.ascontiguousarray(small, np.float32), cv2.COLOR_RGB2Lab)
    lab = cv2.GaussianBlur(lab, (0, 0), SMOOTHING)
    return geodesic_distance(lab, kept) < geodesic_distance(lab, away)


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
    away = removed if removed is not None else _frame(small_h, small_w) & ~kept
    if not away.any():
        cut = np.ones((small_h, small_w), bool)
    else:
        features = _photo_features(rgb, small)
        probability = kept_probability(features, kept, away)
        snapped = guided_upsample(small, probability, EDGE_RADIUS, EDGE_EPS)
        cut = ((snapped >= 0.5) & (nearer_keep(small, kept, away) | (snapped >= SURE))) | kept
        if removed is not None:
            cut &= ~removed
    cut = clean_cut(cut, kept, removed)
    return refine_to(rgb, cut.astype(np.float32), feather)
