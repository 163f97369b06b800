"""The photo's main subject as a soft mask, with no network and no download.

Content photos for painting have "a strong single subject" (a portrait, a still life), near
the middle, against a background that reaches the frame. So:

1. **Saliency** at a working size of about 200 px: a colour's likelihood of being the
   subject's is how much of its weight lies near the middle of the picture (weighted by
   a centre prior) rather than along the frame (its top, left and right strips; the
   bottom one counts less, since a portrait's subject often stands on it), in a coarse
   CIELAB histogram (few lightness bins, so a backdrop lit unevenly is one colour). The
   frame's model is made a second time from the frame pixels the first found unlike the
   middle, so a subject that fills the frame's edges does not count as background.
   Times a wide centre prior, this is the saliency map, 0..1.
2. **GrabCut** (OpenCV; Rother et al. 2004) seeded from that map (``seed_labels``):
   salient pixels are "probably subject", the rest "probably background", the heart of
   the salient region "surely subject", and the frame's strips "surely background" where
   their colour is far more the frame's than the middle's. Painted hints override: *keep*
   pixels are surely subject, *remove* pixels surely background. GrabCut then fits
   colour models to both and cuts along the photo's edges.
   On a photo with a sky (``sky.sky_region``: a thin tower, a rocket, a statue against
   it) the sky is surely background and not salient, however central; unless it is
   nearly the whole picture (a blurred clock on a plain wall reads as one smooth sky)
   or the photo has no colour (a grey cat's smooth fur would read as sky).
   Where the shipped VGG-19 is installed (``object_features``), places whose deep
   features are like the frame's (a wall lit brighter behind the subject, shelves
   beside it) are never "surely subject", and on colour photos the cut is kept only
   where a second GrabCut, run in a picture of features and colour together, agrees
   (a saucer the table's colour, which colour alone cannot cut off).
3. **Clean-up** (``clean_cut``): the biggest piece and any at least a third of its size,
   or, given a keep hint, the pieces it touches; holes filled unless a remove hint is in
   them.
4. **Refinement**: the cut, made at the working size, is brought to the photo's size by
   the fast guided filter with the photo as guide, so its edge follows the full-size
   photo's edges; ``feather`` softens it.

Photos without colour (a black-and-white print, saved as grey or as RGB: ``is_grey``)
have one Lab bin for everything; their histogram bins are lightness times texture
instead, so a smooth sky, a grainy lawn and a dark coat are still told apart.

Photos of things (``object_mask``, the "object" method, which "auto" uses where no face
is found): U^2-Net-p (``nodes/models/u2net``, a network trained on the 10,553 photos of
DUTS-TR with their salient objects outlined by hand) gives each pixel a probability of
belonging to the photo's salient object at 320 x 320. Brought to a working size of 320 px
in the photo's proportions, read at 0.5, cleaned as above (with a keep hint, the pieces
it touches are kept besides the object) and refined to the photo's edges by the same
guided filter. With painted hints it is cut again by GrabCut from that answer (keep
pixels surely object, remove pixels surely background, the rest "probably" as the
network says), so the edge can move along the photo's where a hint calls for it.
Without hints the network's cut is kept, and only added to: against a plain background
(``plain_background``: a sky, a wall, a blurred room, under a fifth of it on edges),
GrabCut may add the faint part of the answer that joins the cut (``grown_cut``: the
network gives a rocket's launch mount or a cat's chest 0.1-0.3) where its colour is the
object's. In clutter (a garage's shelves) the answer is kept as it is: a GrabCut re-cut
there took in shelves beside the motorcycle of benchmarks/masks_scenes.py, whatever its
seeds. The network learnt from colour photos:
on a photo without colour where it finds under 5 % of the picture (a grey cat: one eye's
highlight), "auto" uses the colour method instead. The colour method below stays as the
"colour" method.

Photos of people: ``select_subject`` (the node's entry) uses MediaPipe's person model
(``person_mask``) where the face models find a face, as Photoshop's Select Subject
knows people; colour contrast with the frame cannot tell a dark suit from a dark
backdrop. The model's answer is cut along the photo's edges (``person.cut_person``: what
a person holds joins them), with what the salient-object network calls background heard
as a second opinion against it (a crowd behind two men, a table before a group), and
refined to the photo's edges by the same guided filter.

Limits: one subject near the middle is the case served. A landscape without one gives
whatever its middle holds; a background object of the subject's colours that touches it
(a black table beside a black helmet) may be taken in; keep and remove hints correct it.

Ranges: image float32 H x W x 3/4 in 0..1; ``tightness`` 0..1 (0.5 neutral: lower takes
more of what is only a little salient, higher less); ``feather`` 0..1 (0: an edge about
one px wide, 1: a soft edge a few percent of the picture wide); hint masks H x W in 0..1
(above 0.5 counts). The result is float32 H x W in 0..1.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from stylegraph.nodes.functional.cut_pieces import clean_cut, grabcut_from_seeds
from stylegraph.nodes.functional.faces import Face, as_rgb, find_faces
from stylegraph.nodes.functional.guided import refine_to
from stylegraph.nodes.functional.object_features import (
    feature_picture,
    features,
    frame_contrast,
)
from stylegraph.nodes.functional.person import cut_person, person_probability
from stylegraph.nodes.functional.sky import gradient, sky_region
from stylegraph.nodes.models import u2net

WORK_SIZE = 200  # px along the longest side where saliency and GrabCut run
_L_BINS = 4  # histogram bins for lightness
_AB_BINS = 24  # histogram bins for each of Lab's colour axes, over -64..64
GRABCUT_ITERATIONS = 3
GREY_CHROMA = 4.0  # Lab chroma under which a photo counts as having no colour
_GREY_L_BINS = 16  # lightness bins for a photo without colour
_TEXTURE_BINS = 6  # texture bins for a photo without colour
PRIOR_SPREAD = 0.5
SKY_IS_ALL = 0.95  # share of the picture over which a sky says nothing about a subject
SURE_UNLIKE_FRAME = 0.6  # deep contrast with the frame under which nothing is surely subject
LIKELY_UNLIKE_FRAME = 0.25  # ... under which nothing starts as probably subject


def _working_size(height: int, width: int) -> tuple[int, int]:
    scale = min(1.0, WORK_SIZE / max(height, width))
    return max(8, round(height * scale)), max(8, round(width * scale))


def _centre_prior(height: int, width: int, spread: float) -> np.ndarray:
    """A Gaussian over the frame, centred a little above the middle (where subjects
    sit), ``spread`` the standard deviation as a fraction of each side."""
    y = (np.arange(height, dtype=np.float32) + 0.5) / height - 0.48
    x = (np.arange(width, dtype=np.float32) + 0.5) / width - 0.5
    return np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2 * spread**2)).astype(np.float32)


def _frame_weights(height: int, width: int) -> np.ndarray:
    """Weights of the frame's strips (6 % of the shorter side): top, left and right 1,
    bottom 0.3 (a standing subject is often cut by it)."""
    band = max(2, round(0.06 * min(height, width)))
    weights = np.zeros((height, width), np.float32)
    weights[-band:, :] = 0.3
    weights[:band, :] = 1.0
    weights[:, :band] = 1.0
    weights[:, -band:] = 1.0
    return weights


def _colour_index(image: np.ndarray) -> np.ndarray:
    """Each pixel's bin in a coarse CIELAB histogram: few lightness bins and more for
    the two colour axes, so a backdrop lit brighter behind the subject still counts as
    one colour while an orange suit and a grey wall do not. A photo without colour
    (``is_grey``) is binned by lightness and texture instead (``_grey_index``)."""
    lab = cv2.cvtColor(np.ascontiguousarray(image[..., :3], np.float32), cv2.COLOR_RGB2Lab)
    if is_grey(lab):
        return _grey_index(lab[..., 0])
    light = np.clip(lab[..., 0] * (_L_BINS / 100.0), 0, _L_BINS - 1).astype(np.int32)
    a = np.clip((lab[..., 1] + 64.0) * (_AB_BINS / 128.0), 0, _AB_BINS - 1).astype(np.int32)
    b = np.clip((lab[..., 2] + 64.0) * (_AB_BINS / 128.0), 0, _AB_BINS - 1).astype(np.int32)
    return (light * _AB_BINS + a) * _AB_BINS + b


def is_grey(lab: np.ndarray) -> bool:
    """True when a CIELAB picture has no colour to speak of: 99 % of its pixels within
    ``GREY_CHROMA`` of grey (a black-and-white photo, saved as grey or as RGB)."""
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    return float(np.percentile(chroma, 99)) < GREY_CHROMA


def _grey_index(lightness: np.ndarray) -> np.ndarray:
    """Bins for a photo without colour: ``_GREY_L_BINS`` of lightness times
    ``_TEXTURE_BINS`` of texture (the lightness's standard deviation over 5 x 5 px, in
    octaves from 1 to 16 units), so a smooth grey sky, a grainy lawn and a dark coat of
    similar lightness are told apart as colours would tell them."""
    light = np.clip(lightness * (_GREY_L_BINS / 100.0), 0, _GREY_L_BINS - 1).astype(np.int32)
    mean = cv2.blur(lightness, (5, 5))
    spread = np.sqrt(np.maximum(cv2.blur(lightness * lightness, (5, 5)) - mean * mean, 0.0))
    texture = np.clip(np.floor(np.log2(np.maximum(spread, 1.0))) + 1, 0, _TEXTURE_BINS - 1)
    return light * _TEXTURE_BINS + texture.astype(np.int32)


def _likelihood(index: np.ndarray, centre: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Per pixel, the share of its colour's weight that lies in the middle rather than
    along the frame (0..1), from the two weight maps."""
    bins = _L_BINS * _AB_BINS**2
    flat = index.ravel()
    in_centre = np.bincount(flat, centre.ravel(), bins)
    in_frame = np.bincount(flat, frame.ravel(), bins)
    in_centre /= max(in_centre.sum(), 1e-9)
    in_frame /= max(in_frame.sum(), 1e-9)
    floor = 0.2 / bins  # a colour seen in neither place is neither's
    return ((in_centre + floor) / (in_centre + in_frame + 2 * floor))[index].astype(np.float32)


def colour_likelihood(image: np.ndarray) -> np.ndarray:
    """How much more a pixel's colour belongs to the middle than to the frame, 0..1.
    The frame's model is made twice: the second time from the frame's pixels that the
    first found unlike the middle, so a subject that fills the frame's edges (a cat's
    fur along three sides) does not count its own colours as background."""
    height, width = image.shape[:2]
    index = _colour_index(image)
    centre = _centre_prior(height, width, 0.2)
    frame = _frame_weights(height, width)
    first = _likelihood(index, centre, frame)
    background_like = frame * (first < 0.5)
    if background_like.sum() < 0.1 * frame.sum():  # hardly any background reaches the frame
        return first
    return _likelihood(index, centre, background_like)


def saliency(likelihood: np.ndarray) -> np.ndarray:
    """How likely each pixel is to be the subject's, 0..1: its colour's likelihood
    (``colour_likelihood``) times a wide centre prior."""
    height, width = likelihood.shape
    return likelihood * _centre_prior(height, width, PRIOR_SPREAD)


def seed_labels(
    salient: np.ndarray,
    likelihood: np.ndarray,
    tightness: float = 0.5,
    keep: np.ndarray | None = None,
    remove: np.ndarray | None = None,
    unlike_frame: np.ndarray | None = None,
) -> np.ndarray:
    """GrabCut's starting labels (uint8 GC_* codes) from the saliency map, the colour
    likelihood, the hints (bool maps at the same size, or None) and how unlike the
    frame's surfaces each place is to VGG-19 (``object_features.frame_contrast``, or
    None):

    - surely subject: where the saliency, averaged over a tenth of the picture, is at
      least 0.7 (the heart of the subject), and under a keep hint;
    - probably subject: saliency at least 0.2 + 0.3 x tightness;
    - surely background: the frame's outer 2 % (not the bottom) where the colour is
      far more the frame's than the middle's (likelihood under 0.2), and under a
      remove hint;
    - probably background: the rest;
    - where the network finds a place much like the frame (``unlike_frame`` under
      ``SURE_UNLIKE_FRAME``), "surely subject" becomes "probably subject", and under
      ``LIKELY_UNLIKE_FRAME`` "probably subject" becomes "probably background" (hints
      still win).
    """
    height, width = salient.shape
    level = 0.2 + 0.3 * tightness
    labels = np.where(salient >= level, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    band = max(1, round(0.02 * min(height, width)))
    frame = np.zeros((height, width), bool)
    frame[:band, :] = frame[:, :band] = frame[:, -band:] = True
    labels[frame & (likelihood < 0.2)] = cv2.GC_BGD
    size = max(1, round(0.1 * min(height, width))) | 1
    labels[cv2.blur(salient, (size, size)) >= 0.7] = cv2.GC_FGD
    if unlike_frame is not None:
        labels[(labels == cv2.GC_FGD) & (unlike_frame < SURE_UNLIKE_FRAME)] = cv2.GC_PR_FGD
        labels[(labels == cv2.GC_PR_FGD) & (unlike_frame < LIKELY_UNLIKE_FRAME)] = cv2.GC_PR_BGD
    if remove is not None:
        labels[remove] = cv2.GC_BGD
    if keep is not None:
        labels[keep] = cv2.GC_FGD
    return labels


def _hint(hint: np.ndarray | None, height: int, width: int) -> np.ndarray | None:
    """A hint mask (H x W, counted where 0.5 and above) at the working size: a working
    pixel is hinted when a quarter of it is, so a thin stroke is not lost."""
    if hint is None:
        return None
    marked = (np.asarray(hint, np.float32) >= 0.5).astype(np.float32)
    small = cv2.resize(marked, (width, height), interpolation=cv2.INTER_AREA)
    found = small >= 0.25
    return found if found.any() else None


def subject_mask(
    image: np.ndarray,
    tightness: float = 0.5,
    feather: float = 0.2,
    keep: np.ndarray | None = None,
    remove: np.ndarray | None = None,
) -> np.ndarray:
    """The main subject of ``image`` as a soft mask (float32 H x W, 0..1); see the
    module's docstring for the method and the ranges."""
    if not 0.0 <= tightness <= 1.0:
        raise ValueError(f"tightness must be between 0 and 1, got {tightness}")
    if not 0.0 <= feather <= 1.0:
        raise ValueError(f"feather must be between 0 and 1, got {feather}")
    rgb = np.ascontiguousarray(image[..., :3], np.float32)
    height, width = rgb.shape[:2]
    small_h, small_w = _working_size(height, width)
    small = cv2.resize(rgb, (small_w, small_h), interpolation=cv2.INTER_AREA)
    keep_small = _hint(keep, small_h, small_w)
    remove_small = _hint(remove, small_h, small_w)
    likelihood = colour_likelihood(small)
    salient = saliency(likelihood)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab)
    sky = None if is_grey(lab) else sky_region(small)  # without colour, fur reads as sky
    if sky is not None and sky.mean() < SKY_IS_ALL:  # a thing against the sky: background
        salient = salient * ~sky
        remove_small = sky if remove_small is None else remove_small | sky
    found = features(small)
    unlike_frame = None if found is None else frame_contrast(found, small_h, small_w)
    labels = seed_labels(salient, likelihood, tightness, keep_small, remove_small, unlike_frame)
    cut = grabcut_from_seeds(small, labels, GRABCUT_ITERATIONS)
    if found is not None and not is_grey(lab):  # the subject is where colour and texture agree
        cut &= grabcut_from_seeds(feature_picture(small, found), labels, GRABCUT_ITERATIONS)
    cut = clean_cut(cut, keep_small, remove_small)
    return refine_to(rgb, cut.astype(np.float32), feather)


OBJECT_WORK_SIZE = 320  # px along the longest side where the object network's answer is cut
OBJECT_LEVEL = 0.5  # the network's probability read as the object's edge
FAINT_LEVEL = 0.05  # the network's probability over which a place may still be the object's
GROW_LIMIT = 4.0  # times the cut: a faint part larger than this is not grown from it
CLEAR_PEAK = 0.9  # the network's strongest answer under which no subject is clear
EDGE_STEP = 3.0  # Lab units per working px over which a background pixel lies on an edge
PLAIN_BACKGROUND = 0.2  # share of the background on edges under which it counts as plain


GREY_OBJECT_MIN_SHARE = 0.05  # on a grey photo, a smaller object hands over to the colour method
# Below this longest side ``auto`` leaves the object network out: enlarged to its 320 px
# input, a small photo is too soft for it. Measured on chelsea / astronaut (seen photos):
# object IoU 0.04 / 0.61 at 128 px and 0.36 / 0.91 at 160 px, against 0.95 / 0.93 at 200
# px; the colour method holds 0.86-0.89 at every size.
OBJECT_MIN_SIDE = 200


def object_probability(rgb: np.ndarray) -> np.ndarray:
    """The network's probability of each pixel belonging to the salient object of ``rgb``
    (H x W x 3, 0..1), at the object method's working size (320 px along the longest
    side, in the photo's proportions), float32 0..1."""
    height, width = rgb.shape[:2]
    scale = min(1.0, OBJECT_WORK_SIZE / max(height, width))
    small_h, small_w = max(8, round(height * scale)), max(8, round(width * scale))
    return cv2.resize(
        u2net.salient_probability(rgb), (small_w, small_h), interpolation=cv2.INTER_LINEAR
    )


def plain_background(small: np.ndarray, probability: np.ndarray) -> bool:
    """True when what the network leaves out (under ``FAINT_LEVEL``) is plain: under
    ``PLAIN_BACKGROUND`` of it lies on an edge (Lab gradient over ``EDGE_STEP``). Against a
    plain background (a sky, a wall, a blurred room: 0-11 % on edges) the colours of
    object and background are told apart well enough to cut between them; in clutter (a
    garage's shelves: 34 %) they are not. ``small`` float32 RGB 0..1 at the answer's size."""
    background = probability < FAINT_LEVEL
    if not background.any():
        return False
    steps = gradient(cv2.cvtColor(small, cv2.COLOR_RGB2Lab))
    return float((steps[background] > EDGE_STEP).mean()) < PLAIN_BACKGROUND


def grown_cut(small: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """The network's cut (``OBJECT_LEVEL``) with what GrabCut adds to it from the faint
    part of its answer that joins it (over ``FAINT_LEVEL``, connected to the cut): the
    cut surely object, that faint part probably object, the rest surely background. The
    network gives a launch mount under a rocket or a cat's chest 0.1-0.3; their colour
    and the photo's edges decide. GrabCut only adds: the network's cut stays. A faint
    part over ``GROW_LIMIT`` times the cut (a grey clock face on a grey wall: 8 times) is
    no object's margin but a network unsure of everything, and GrabCut over it took
    0.5 s: the cut is kept as it is (the rocket's faint part is 0.9 times its cut,
    Chelsea's 0.2)."""
    cut = probability >= OBJECT_LEVEL
    _, pieces = cv2.connectedComponents((probability >= FAINT_LEVEL).astype(np.uint8), None, 8)
    joined = np.isin(pieces, np.unique(pieces[cut])) & (pieces > 0)
    faint = int((joined & ~cut).sum())
    if not cut.any() or faint == 0 or faint > GROW_LIMIT * cut.sum():
        return cut
    labels = np.full(cut.shape, cv2.GC_BGD, np.uint8)
    labels[joined] = cv2.GC_PR_FGD
    labels[cut] = cv2.GC_FGD
    return grabcut_from_seeds(small, labels, GRABCUT_ITERATIONS)


def object_mask(
    image: np.ndarray,
    feather: float = 0.2,
    keep: np.ndarray | None = None,
    remove: np.ndarray | None = None,
    probability: np.ndarray | None = None,
) -> np.ndarray:
    """The main object of ``image`` as a soft mask (float32 H x W, 0..1) from the
    salient-object network (``probability``: its answer from ``object_probability``
    when already at hand); see the module's docstring."""
    if not 0.0 <= feather <= 1.0:
        raise ValueError(f"feather must be between 0 and 1, got {feather}")
    rgb = as_rgb(image)
    if probability is None:
        probability = object_probability(rgb)
    small_h, small_w = probability.shape
    cut = probability >= OBJECT_LEVEL
    keep_small = _hint(keep, small_h, small_w)
    remove_small = _hint(remove, small_h, small_w)
    small = cv2.resize(rgb, (small_w, small_h), interpolation=cv2.INTER_AREA)
    if keep_small is not None or remove_small is not None:
        labels = np.where(cut, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        if remove_small is not None:
            labels[remove_small] = cv2.GC_BGD
        if keep_small is not None:
            labels[keep_small] = cv2.GC_FGD
        cut = grabcut_from_seeds(small, labels, GRABCUT_ITERATIONS)
    elif plain_background(small, probability):
        cut = grown_cut(small, probability)
    kept = clean_cut(cut, None, remove_small)  # the object, also where a keep hint adds to it
    if keep_small is not None:
        kept |= clean_cut(cut, keep_small, remove_small)
    return refine_to(rgb, kept.astype(np.float32), feather)


PERSON_WORK_SIZE = 256  # px along the longest side where the person model's answer is refined
METHODS = ("auto", "person", "object", "colour")


def person_mask(
    image: np.ndarray,
    feather: float = 0.2,
    keep: np.ndarray | None = None,
    remove: np.ndarray | None = None,
    salient: np.ndarray | None = None,
    faces: list[Face] | None = None,
) -> np.ndarray:
    """The people in ``image`` as a soft mask (float32 H x W, 0..1): the person model's
    answer (``person.person_probability``) at about 256 px in the photo's proportions,
    cut along the photo's edges there with the hints fixed (``person.cut_person``: what
    a person holds joins them), the salient-object network's "background" heard as a
    second opinion where that network sees a clear subject (peak over ``CLEAR_PEAK``: a
    112 px face crop it finds nothing in, peak 0.54, is left to the person model), then
    brought to the photo's size along its edges as the colour method's cut is.
    ``salient`` and ``faces``: that network's answer (``object_probability``) and the
    faces found (``faces.find_faces``, which the person model's squares follow) when
    already at hand."""
    rgb = as_rgb(image)
    if faces is None:
        faces = find_faces(rgb)
    probability = person_probability(rgb, faces)
    if salient is None:
        salient = object_probability(rgb)
    height, width = rgb.shape[:2]
    scale = min(1.0, PERSON_WORK_SIZE / max(height, width))
    small_h, small_w = max(8, round(height * scale)), max(8, round(width * scale))
    small = cv2.resize(probability, (small_w, small_h), interpolation=cv2.INTER_LINEAR)
    photo = cv2.resize(rgb, (small_w, small_h), interpolation=cv2.INTER_AREA)
    opinion = None
    if salient.max() >= CLEAR_PEAK:
        opinion = cv2.resize(salient, (small_w, small_h), interpolation=cv2.INTER_LINEAR)
    keep_small = _hint(keep, small_h, small_w)
    remove_small = _hint(remove, small_h, small_w)
    return refine_to(rgb, cut_person(photo, small, keep_small, remove_small, opinion), feather)


def select_subject(
    image: np.ndarray,
    method: str = "auto",
    tightness: float = 0.5,
    feather: float = 0.2,
    keep: np.ndarray | None = None,
    remove: np.ndarray | None = None,
    warnings: list[str] | None = None,
) -> tuple[np.ndarray, str]:
    """Photoshop's Select Subject: the person model where the photo shows people, the
    salient-object network (``object_mask``) otherwise; ``method`` "person", "object"
    or "colour" (``subject_mask``) forces one. Returns the mask and the method used.
    ``tightness`` only steers the colour method. ``warnings``, when given, is told when
    "auto" finds no clear subject (``unclear_subject_warning``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    rgb = as_rgb(image)
    if method == "colour":
        return subject_mask(rgb, tightness, feather, keep, remove), "colour"
    if method == "object":
        return object_mask(rgb, feather, keep, remove), "object"
    if method == "person":
        return person_mask(rgb, feather, keep, remove), "person"
    small = max(rgb.shape[:2]) < OBJECT_MIN_SIDE  # without a face: the colour method's
    with ThreadPoolExecutor(1) as pool:  # both branches hear the network: it runs meanwhile
        answer = None if small else pool.submit(object_probability, rgb)
        faces = find_faces(rgb)
        probability = None if answer is None else answer.result()
    if faces:
        return person_mask(rgb, feather, keep, remove, probability, faces), "person"
    if probability is None:
        return subject_mask(rgb, tightness, feather, keep, remove), "colour"
    if _object_too_small_for_grey(rgb, probability):
        return subject_mask(rgb, tightness, feather, keep, remove), "colour"
    if warnings is not None and probability.max() < CLEAR_PEAK:
        warnings.append(unclear_subject_warning(float(probability.max())))
    return object_mask(rgb, feather, keep, remove, probability), "object"


def unclear_subject_warning(peak: float) -> str:
    """What a photo without a clear subject is told: the network's strongest answer
    under ``CLEAR_PEAK`` (a landscape, a street, a building filling the frame: 0.57-0.64;
    a small bird on bark 0.73; the photos here where it finds the subject: 0.95 and over),
    so the mask holds a fragment or nothing, and what to do about it."""
    return (
        f"no clear subject in the photo (the object network is at most {peak:.0%} sure "
        "anywhere): the mask holds only what it is surest of; link keep strokes on the "
        "subject, or choose method 'colour'"
    )


def _object_too_small_for_grey(rgb: np.ndarray, probability: np.ndarray) -> bool:
    """True for a photo without colour where the network finds under
    ``GREY_OBJECT_MIN_SHARE`` of the picture. The network learnt from colour photos: on
    a grey Chelsea it takes one eye's highlight (2 % of the picture) for the object,
    while the colour method's lightness-and-texture bins find the cat; on the grey
    clock it is right (IoU 0.90 against the colour method's 0.26). Chosen looking at
    those two photos."""
    small = cv2.resize(rgb, probability.shape[::-1], interpolation=cv2.INTER_AREA)
    if not is_grey(cv2.cvtColor(small, cv2.COLOR_RGB2Lab)):
        return False
    return float((probability >= OBJECT_LEVEL).mean()) < GREY_OBJECT_MIN_SHARE


def subject_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """The bounding box (x, y, w, h as fractions of the width and height) of the mask's
    pixels at 0.5 and above; the whole frame when there are none."""
    rows = np.flatnonzero((mask >= 0.5).any(axis=1))
    cols = np.flatnonzero((mask >= 0.5).any(axis=0))
    if not len(rows):
        return (0.0, 0.0, 1.0, 1.0)
    height, width = mask.shape
    x0, x1 = cols[0] / width, (cols[-1] + 1) / width
    y0, y1 = rows[0] / height, (rows[-1] + 1) / height
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
