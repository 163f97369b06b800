"""People in a photo as a soft mask, from MediaPipe's selfie segmentation and body models.

The model (``selfie_segmentation``, 256 x 256 RGB in 0..1) gives each pixel the chance
that it belongs to a person: hair, clothes, hands and what they hold. It is a video-call
model, made for a person filling a square frame: a wide photo squeezed into its square
makes people thin and small, and its answer then spreads onto what lies between and
behind them (a crowd behind two men, the table before a group of six). So
``person_probability`` also runs it on squares of the photo's short side laid along its
long side, and the squares holding a found face answer for their part of the photo (no
letterbox: the model was trained on whole frames). BlazePose's segmentation (``bodies``)
looks at each person it finds in a crop of their own, where the selfie model sees a
footballer mid-kick or people before a bus thin and blurred into their surroundings;
a pixel takes the larger of the two answers. Where the model is unsure (at 256 px it gives the
camera a man holds to his eye 0.3-0.6), ``cut_person`` cuts its answer along the photo's
edges, so a region closed by a strong outline goes wholly to the person or wholly away;
what the salient-object network calls background counts there as a second opinion
against the person (its log-odds added to the model's). The answer is then brought back
to the photo's size along its edges by the guided filter, as the subject mask's cut is.

Whether a photo *shows* people is decided by ``shows_people``: a face found by the face
models. The segmentation model alone cannot tell: it calls three quarters of a photo of
a cat a person with 0.9 confidence. Someone seen only from behind is not found this way;
a param forcing the person model serves that photo.

Ranges: image float32 H x W x 3 in 0..1 (H x W grey accepted); masks float32 H x W 0..1.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from stylegraph.nodes.functional.bodies import body_probability
from stylegraph.nodes.functional.faces import Face, as_rgb, find_faces
from stylegraph.nodes.models.mediapipe import interpreter


def person_probability(image: np.ndarray, faces: list[Face] | None = None) -> np.ndarray:
    """The model's chance of a person at each pixel (float32, 0..1), in the photo's
    proportions with its short side at the model's 256 px.

    The whole photo squeezed into the model's square gives the answer; where ``faces``
    (``faces.find_faces``) are given and the photo is not square, the model also runs
    on ceil(long / short) squares of the short side evenly spaced along the long side,
    and each square holding a face's middle gives the answer over its part of the photo
    (the larger answer where two overlap: a square whose edge cuts a person is unsure
    there, the one holding them whole is not). A square without a face is left to the
    squeezed answer: the model finds a person in any square (three quarters of a
    square of a cat, at 0.9).

    Squeezed alone, a 16:9 frame's people come out thin, and the answer took in about
    13 % of the frame beyond two men (a crowd) and the table top before a group of six.
    Each person the body models find (``bodies.body_probability``) adds their own
    segmentation: a pixel takes the larger answer."""
    model = interpreter("selfie_segmentation")
    size = model.input_size[0]
    rgb = as_rgb(image)
    height, width = rgb.shape[:2]
    short, long = min(height, width), max(height, width)
    wide = width >= height
    scale = size / short
    length = max(size, round(long * scale))

    def answer_to(picture: np.ndarray) -> np.ndarray:
        squeezed = cv2.resize(picture, (size, size), interpolation=cv2.INTER_AREA)
        (found,) = model.invoke(squeezed)
        return np.clip(found[0, :, :, 0], 0.0, 1.0)

    whole = answer_to(rgb)
    answer = cv2.resize(whole.T if not wide else whole, (length, size))
    middles = [float(face.mesh[:, 0 if wide else 1].mean()) for face in faces or []]
    count = math.ceil(long / short - 1e-6)
    if count > 1 and middles:
        tiles = np.zeros_like(answer)
        covered = np.zeros(answer.shape, bool)
        for start in np.linspace(0, long - short, count).round().astype(int):
            if not any(start <= middle < start + short for middle in middles):
                continue
            square = rgb[:, start : start + short] if wide else rgb[start : start + short]
            tile = answer_to(square)
            tile = tile if wide else tile.T  # a tall photo's squares: rows as columns
            at = round(start * scale)
            place = tiles[:, at : at + size]
            np.maximum(place, tile[:, : place.shape[1]], out=place)
            covered[:, at : at + place.shape[1]] = True
        answer[covered] = tiles[covered]
    answer = answer if wide else np.ascontiguousarray(answer.T)
    meshes = [face.mesh for face in faces or []]
    return np.maximum(answer, body_probability(rgb, meshes, answer.shape))


def shows_people(image: np.ndarray) -> bool:
    """True when the face models find a face in the photo."""
    return bool(find_faces(image))


# --- cut along the photo's edges ---------------------------------------------------------

# The outline's price per px of weak edge, in units of the model's log-odds. Since the body
# models' answers joined the selfie model's, a dearer outline mostly cut away what a weak
# edge joins to a person (shoes on a dark pavement, cut at the strong edge of the ankle):
# over the nine tuned people photos the mean IoU was 0.873 at 200, 0.888 at 100, 0.897 at
# 50, 0.899 at 35 and 25, 0.895 at 15 (zidane's second man then leaks into the crowd).
CUT_SMOOTHNESS = 35.0
CUT_ITERATIONS = 300  # from the reading: the traced people's cuts as at 500 (200: camera 0.944)
_TAU, _SIGMA = 5.0, 0.025  # primal and dual steps (tau x sigma <= 1/8, the gradient's bound)
_HINT_COST = 10.0  # a hinted pixel's data term: far above any price its outline could have
SALIENT_FLOOR = 0.02  # the salient-object answer's floor: its "background" counts 3.9 at most


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
    salient: np.ndarray | None = None,
) -> np.ndarray:
    """The person model's answer (``probability``, H x W 0..1 at ``image``'s size) made
    to follow the photo's edges: what the model is unsure of (the camera a man holds to
    his eye, at 0.3-0.6) goes wholly to the side its strong outline closes it into,
    instead of being split where the answer happens to cross 0.5.

    A minimum cut of E(u) = sum log((1 - p) / p) u + CUT_SMOOTHNESS x sum w |grad u|
    (``w`` from ``edge_weights``), solved in its continuous form (u in 0..1, Chambolle
    and Pock's primal-dual iterations, from the model's own reading) and read at 0.5,
    which gives a minimum cut of the binary problem (Chan, Esedoglu and Nikolova 2006).
    Hints (bool H x W) are fixed: keep 1, remove 0.

    ``salient`` (H x W 0..1, the salient-object network's answer) is a second opinion,
    heard only where it calls a place background: its log-odds log((1 - s) / s), over 0
    there, are added to the data term, as two independent readers' evidence adds. Where
    the person model is sure (0.99: log-odds 4.6) one network's "background" (s at its
    floor 0.02: 3.9) does not overrule it; a crowd or a table it gives 0.6-0.9 goes. The
    network's "object" is not heard: it calls a bus behind two men salient.

    Returns the reading (the probability, or the two opinions' joint probability with
    ``salient``) where the cut agrees with it (its soft edge kept for the guided
    filter), the cut (0 or 1) where it does not; float32 H x W."""
    p = np.clip(probability.astype(np.float32), 0.01, 0.99)
    log_odds = np.log((1.0 - p) / p)
    reading = probability.astype(np.float32)
    if salient is not None:
        s = np.clip(salient.astype(np.float32), SALIENT_FLOOR, 1.0 - SALIENT_FLOOR)
        log_odds += np.maximum(np.log((1.0 - s) / s), 0.0)
        reading = (1.0 / (1.0 + np.exp(log_odds))).astype(np.float32)
    data = log_odds / np.float32(CUT_SMOOTHNESS)
    if keep is not None:
        data[keep] = -_HINT_COST
    if remove is not None:
        data[remove] = _HINT_COST
    weight = np.maximum(edge_weights(image), 1e-6)
    u = (reading >= 0.5).astype(np.float32)
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
    answer = reading.copy()
    disagree = cut != (reading >= 0.5)
    answer[disagree] = cut[disagree]
    if keep is not None:
        answer[keep] = 1.0
    if remove is not None:
        answer[remove] = 0.0
    return answer
