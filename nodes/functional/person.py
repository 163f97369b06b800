"""People in a photo as a soft mask, from MediaPipe's selfie segmentation model.

The model (``selfie_segmentation``, 256 x 256 RGB in 0..1) gives each pixel the chance
that it belongs to a person: hair, clothes, hands and what they hold. The photo is
resized to the model's square as it is (no letterbox: the model was trained on whole
frames). Where the model is unsure (at 256 px it gives the camera a man holds to his eye
0.3-0.6), ``cut_person`` cuts its answer along the photo's edges, so a region closed by a
strong outline goes wholly to the person or wholly away; the answer is then brought back
to the photo's size along its edges by the guided filter, as the subject mask's cut is.

Whether a photo *shows* people is decided by ``shows_people``: a face found by the face
models. The segmentation model alone cannot tell: it calls three quarters of a photo of
a cat a person with 0.9 confidence. Someone seen only from behind is not found this way;
a param forcing the person model serves that photo.

Ranges: image float32 H x W x 3 in 0..1 (H x W grey accepted); masks float32 H x W 0..1.
"""

from __future__ import annotations

import cv2
import numpy as np

from stylegraph.nodes.functional.faces import as_rgb, find_faces
from stylegraph.nodes.models.mediapipe import interpreter


def person_probability(image: np.ndarray) -> np.ndarray:
    """The model's chance of a person at each pixel of its 256 x 256 answer (float32)."""
    model = interpreter("selfie_segmentation")
    height, width = model.input_size
    picture = cv2.resize(as_rgb(image), (width, height), interpolation=cv2.INTER_AREA)
    (answer,) = model.invoke(picture)
    return np.clip(answer[0, :, :, 0], 0.0, 1.0).astype(np.float32)


def shows_people(image: np.ndarray) -> bool:
    """True when the face models find a face in the photo."""
    return bool(find_faces(image))


# --- cut along the photo's edges ---------------------------------------------------------

CUT_SMOOTHNESS = 100.0  # the outline's price per px of weak edge, in units of the model's log-odds
CUT_ITERATIONS = 500
_TAU, _SIGMA = 5.0, 0.025  # primal and dual steps (tau x sigma <= 1/8, the gradient's bound)
_HINT_COST = 10.0  # a hinted pixel's data term: far above any price its outline could have


def edge_weights(image: np.ndarray) -> np.ndarray:
    """The price per px of an outline through each pixel (float32 H x W, 0..1): 1 where
    the photo is flat, towards 0 across a strong edge, exp(-beta x the squared CIELAB
    step to the right and down neighbours (the larger)), beta from the photo's mean
    squared step as in GrabCut (Rother et al. 2004)."""
    lab = cv2.cvtColor(np.ascontiguousarray(image, np.float32), cv2.COLOR_RGB2Lab)
    right = ((lab[:, 1:] - lab[:, :-1]) ** 2).sum(axis=2)
    down = ((lab[1:] - lab[:-1]) ** 2).sum(axis=2)
    mean = (right.sum() + down.sum()) / max(1, right.size + down.size)
    step = np.zeros(image.shape[:2], np.float32)
    step[:, :-1] = right
    step[:-1] = np.maximum(step[:-1], down)
    return np.exp(-step / max(2.0 * mean, 1e-12)).astype(np.float32)


def cut_person(
    image: np.ndarray,
    probability: np.ndarray,
    keep: np.ndarray | None = None,
    remove: np.ndarray | None = None,
) -> np.ndarray:
    """The person model's answer (``probability``, H x W 0..1 at ``image``'s size) made
    to follow the photo's edges: what the model is unsure of (the camera a man holds to
    his eye, at 0.3-0.6) goes wholly to the side its strong outline closes it into,
    instead of being split where the answer happens to cross 0.5.

    A minimum cut of E(u) = sum log((1 - p) / p) u + CUT_SMOOTHNESS x sum w |grad u|
    (``w`` from ``edge_weights``), solved in its continuous form (u in 0..1, Chambolle
    and Pock's primal-dual iterations, from the model's own reading) and read at 0.5,
    which gives a minimum cut of the binary problem (Chan, Esedoglu and Nikolova 2006).
    Hints (bool H x W) are fixed: keep 1, remove 0. Returns the probability where the
    cut agrees with it (its soft edge kept for the guided filter), the cut (0 or 1)
    where it does not; float32 H x W."""
    p = np.clip(probability.astype(np.float32), 0.01, 0.99)
    data = np.log((1.0 - p) / p) / np.float32(CUT_SMOOTHNESS)
    if keep is not None:
        data[keep] = -_HINT_COST
    if remove is not None:
        data[remove] = _HINT_COST
    weight = np.maximum(edge_weights(image), 1e-6)
    u = (probability >= 0.5).astype(np.float32)
    extrapolated = u.copy()
    dual_x, dual_y = np.zeros_like(u), np.zeros_like(u)
    divergence = np.zeros_like(u)
    tau, sigma = np.float32(_TAU), np.float32(_SIGMA)
    for _ in range(CUT_ITERATIONS):
        dual_x[:, :-1] += sigma * (extrapolated[:, 1:] - extrapolated[:, :-1])
        dual_y[:-1] += sigma * (extrapolated[1:] - extrapolated[:-1])
        scale = np.maximum(1.0, np.sqrt(dual_x * dual_x + dual_y * dual_y) / weight)
        dual_x /= scale
        dual_y /= scale
        divergence[:] = dual_x
        divergence[:, 1:] -= dual_x[:, :-1]
        divergence += dual_y
        divergence[1:] -= dual_y[:-1]
        following = np.clip(u - tau * (data - divergence), 0.0, 1.0)
        extrapolated = 2.0 * following - u
        u = following
    cut = u >= 0.5
    answer = probability.astype(np.float32).copy()
    disagree = cut != (probability >= 0.5)
    answer[disagree] = cut[disagree]
    if keep is not None:
        answer[keep] = 1.0
    if remove is not None:
        answer[remove] = 0.0
    return answer
