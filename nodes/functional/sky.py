"""The sky of a photo as a soft mask: sky and clouds, not what stands in front of it.

A sky is first found without a model, as the smooth region that reaches the top of
the picture, then grown over what smoothness misses. At a working size of about 256 px:

1. **Smooth**: the CIELAB picture, stars and grain taken out by a 3 x 3 median, then
   its gradient (Sobel, all three channels, units of L per px). Sky and clouds change
   slowly; roofs, branches, towers and people have edges. Pixels under a gradient
   threshold are smooth.
2. **Reaching the top**: the smooth pieces that touch the top rows (3 % of the
   height), each kept when it is sky-like: it fills at least 3 % of the top rows'
   width, its colour there is not that of a wall, a table or leaves (``sky_like``:
   not warm and dark, not green), and a grey piece is featureless (mean gradient
   under ``GREY_TEXTURE``): an overcast sky is (the cameraman's: 0.14), a mottled
   studio backdrop (the astronaut's: 0.49) or a wall (0.31) is not; nor does a grey
   sky fill over ``BACKDROP_BOTTOM`` of the bottom row, as the white paper under a
   still life or a product shot's backdrop does (55-70 %; no overcast sky seen: 0).
3. **Holes**: what the sky surrounds, touching no edge of the picture and small
   (stars, a cloud's bright core, the Milky Way's dark lanes) is sky too.
4. **Edge**: GrabCut (OpenCV) in a narrow band either side of that line moves it onto
   the skyline's edge (``_edge_cut``).
5. **Grown** (``grown_sky``, at 320 px): clouds with crisp edges, a sunset's glow
   between them and the Milky Way are not smooth. A classifier fitted to this photo
   alone over U^2-Net-p's decoder features and colour (quick selection's) learns the
   found sky against the ground (the bottom quarter, the dark browns), and starts a
   GrabCut over the whole picture; each piece it adds is kept when the classifier
   calls it sky on average and it does not stand on the ground. A piece counts as
   joined to the found sky across lines thinner than ``LINE`` px (cables, poles).
6. **Refinement**: the fast guided filter brings the cut to the photo's size along its
   edges (``guided.refine_to``).

A photo without sky (no sky-like smooth region at its top), a blank one (one flat
colour), one that is nothing but a smooth grey (a plain wall as likely as an overcast
sky; an all-blue sky is kept), a portrait whose "sky" fills under ``PORTRAIT_TOP`` of
the top edge (a face is found: a blue backdrop or a flag's field beside the sitter; a
sky runs along nearly all of the top edge), one whose only smooth top piece is flat to
the last grain (lightness spanning under ``BLANK``: a black frame around a retina photo, a
letterbox; a night sky spans 15 units and more) and a strip under 3 px at the working
size give ``None``; the node turns that into an empty mask and one warning. Thin cables and
twigs stay sky, as they should; a lattice tower is mostly taken as a whole. Limits: the
growth starts from the smooth pieces, so a sky with no smooth piece at the top is not
found at all; a missed piece of sky that stands right on the ground (the bottom quarter
or a dark brown across most of its width) is left out, as a building would be; a
blue studio backdrop without a face in front reads as sky. The growth makes the sky
about ten times slower: 0.4-0.5 s at 500 px (0.03-0.07 s before), most of it the
U^2-Net-p features.

Ranges: image float32 H x W x 3/4 in 0..1; the mask float32 H x W in 0..1.
"""

from __future__ import annotations

import cv2
import numpy as np

from stylegraph.nodes.functional.cut_pieces import grabcut_from_seeds
from stylegraph.nodes.functional.faces import as_rgb
from stylegraph.nodes.functional.guided import guided_upsample, refine_to
from stylegraph.nodes.functional.person import shows_people
from stylegraph.nodes.functional.quick_selection import (
    EDGE_EPS,
    EDGE_RADIUS,
    kept_probability,
    pixel_features,
)
from stylegraph.nodes.functional.quick_selection import WORK_SIZE as QUICK_WORK_SIZE

WORK_SIZE = 256  # px along the longest side where the sky is found
SMOOTH = 1.5  # Lab units per working px under which a pixel is smooth
TOP_ROWS = 0.03  # share of the height where a smooth piece must reach to count as sky
MIN_TOP_SHARE = 0.03  # share of the top rows' width a sky piece must fill
BLANK = 1.0  # L units: a picture whose lightness spans less is blank
ALL_SKY = 0.95  # share of the picture over which a grey "sky" is taken for a plain wall
GREY = 6.0  # Lab chroma under which a sky is grey
GREY_TEXTURE = 0.25  # mean Lab gradient (units per working px) a grey sky stays under
BAND = 3  # working px either side of the sky's line where its edge is cut again
BAND_ITERATIONS = 2  # GrabCut's rounds in that band
MAX_HOLE = 0.005  # share of the picture over which what the sky surrounds is not sky
MIN_AREA = 0.02  # share of the picture under which what is found is not a sky
PORTRAIT_TOP = 0.75  # share of the top rows' width the sky must fill in a photo with a face
BACKDROP_BOTTOM = 0.25  # share of the bottom row over which a grey "sky" is a backdrop
LINE = 7  # grow-size px: lines thinner (cables, poles, twigs) do not part a piece of sky
GROUND_ROWS = 0.25  # share of the height at the bottom taken for ground where not sky
SKY_SIDE = 0.5  # the classifier's probability from which a pixel (or a piece, on average) is sky
GROW_SIZE = QUICK_WORK_SIZE  # px along the longest side where the sky is grown
GROW_ITERATIONS = 3  # GrabCut's rounds over the whole picture when the sky is grown


def _working(image: np.ndarray, longest: int = WORK_SIZE) -> np.ndarray:
    """``image`` shrunk (never enlarged) to ``longest`` px along its longer side."""
    height, width = image.shape[:2]
    scale = min(1.0, longest / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def gradient(lab: np.ndarray) -> np.ndarray:
    """The Lab picture's gradient magnitude (L units per px), the largest of the three
    channels' Sobel magnitudes, after a 3 x 3 median that takes out stars and grain."""
    quiet = cv2.medianBlur(np.ascontiguousarray(lab, np.float32), 3)
    quiet = cv2.GaussianBlur(quiet, (0, 0), 1.0)
    dx = cv2.Sobel(quiet, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    dy = cv2.Sobel(quiet, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return np.sqrt(dx * dx + dy * dy).max(axis=2)


def sky_like(lab_pixels: np.ndarray) -> bool:
    """Whether a region's median colour (Lab, N x 3) can be a sky's top: blue, grey,
    night-dark (blue or neutral) or a bright sunset, not a warm surface (a wooden table,
    a wall, fur or skin: b above 10 with L under 70; a dark brown: b above 3 with L
    under 40) and not green (leaves, a lawn, a blurred garden: a under -8 with b over
    -8; a sky's hues run from blue through grey to a sunset's orange, pink and violet)."""
    light, a, b = np.median(lab_pixels, axis=0)
    warm = (b > 10 and light < 70) or (b > 3 and light < 40)
    return not (warm or (a < -8 and b > -8))


def _holes_filled(region: np.ndarray) -> np.ndarray:
    """``region`` with the small pieces of its complement filled (under ``MAX_HOLE`` of
    the picture) that touch no edge of it: stars, the core of a cloud, the Milky Way's
    dark lanes; a balloon, the moon or a clock on a plain wall stay out."""
    outside = (~region).astype(np.uint8)
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(outside, None, 4)
    if count <= 1:
        return region
    edges = np.unique(np.concatenate([pieces[0], pieces[-1], pieces[:, 0], pieces[:, -1]]))
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < MAX_HOLE * region.size)
    holes = np.setdiff1d(small[small > 0], edges)
    return region | np.isin(pieces, holes)


def _edge_cut(small: np.ndarray, sky: np.ndarray) -> np.ndarray:
    """The sky's line moved onto the skyline's edge: GrabCut (OpenCV) in a band of
    ``BAND`` px either side of it, the sky inside the band surely sky and what lies
    beyond it surely not; the smooth test leaves out the few px where an edge's
    gradient begins, this gives them back where their colour is the sky's."""
    kernel = np.ones((2 * BAND + 1, 2 * BAND + 1), np.uint8)
    inner = cv2.erode(sky.astype(np.uint8), kernel).astype(bool)
    outer = cv2.dilate(sky.astype(np.uint8), kernel).astype(bool)
    if not inner.any() or outer.all():
        return sky
    labels = np.full(sky.shape, cv2.GC_BGD, np.uint8)
    labels[outer] = cv2.GC_PR_BGD
    labels[sky] = cv2.GC_PR_FGD
    labels[inner] = cv2.GC_FGD
    return grabcut_from_seeds(small, labels, BAND_ITERATIONS)


def top_share(sky: np.ndarray) -> float:
    """The share of the top rows' width (``TOP_ROWS`` of the height) the sky fills. A sky
    is seen above everything, so it runs along most of the top edge (0.95-1.0 on every
    traced sky but the broken-up sunset); a backdrop or a flag behind a sitter fills only
    the part beside them (0.55-0.57)."""
    rows = max(1, round(TOP_ROWS * sky.shape[0]))
    return float(sky[:rows].any(axis=0).mean())


def sky_region(small: np.ndarray) -> np.ndarray | None:
    """The sky at the working size (bool H x W), or None where there is none; steps
    1-3 of the module's docstring. ``small`` float32 RGB 0..1."""
    height, width = small.shape[:2]
    if min(height, width) < 3:  # a strip of a picture: nothing to tell sky by
        return None
    lab = cv2.cvtColor(np.ascontiguousarray(small, np.float32), cv2.COLOR_RGB2Lab)
    if np.ptp(lab[..., 0]) < BLANK:  # one flat colour: a blank, not a sky
        return None
    steps = gradient(lab)
    rows = max(1, round(TOP_ROWS * height))
    _, pieces = cv2.connectedComponents((steps < SMOOTH).astype(np.uint8), None, 4)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    sky = np.zeros((height, width), bool)
    for index in np.unique(pieces[:rows]):
        if index == 0:
            continue
        piece = pieces == index
        if piece[:rows].any(axis=0).mean() < MIN_TOP_SHARE:
            continue
        if not sky_like(lab[:rows][piece[:rows]]):
            continue
        if np.subtract(*np.percentile(lab[..., 0][piece], [99, 1])) < BLANK:
            continue  # flat to the last grain: a black frame or a letterbox, not a night sky
        # Grey with a texture, or running under the subject to the bottom edge: a studio
        # backdrop, the paper under a still life or a wall, not an overcast sky.
        if np.median(chroma[piece]) < GREY and (
            steps[piece].mean() >= GREY_TEXTURE or piece[-1].mean() > BACKDROP_BOTTOM
        ):
            continue
        sky |= piece
    if sky.mean() < MIN_AREA:
        return None
    sky = _holes_filled(_edge_cut(small, _holes_filled(sky)))
    if sky.mean() > ALL_SKY and np.median(chroma[sky]) < GREY:
        return None  # grey and nothing else: a plain wall as likely as an overcast sky
    return sky


def _dark_brown(lab: np.ndarray) -> np.ndarray:
    """Pixels (bool H x W) that are never a sky's, as ``sky_like`` reads a region's
    median: a dark brown (b above 3 with L under 40: earth, wood, a roof, a dark
    tree). A darker cloud is grey, blue or violet, a sunset's glow is light."""
    return (lab[..., 2] > 3) & (lab[..., 0] < 40)


def _connected_to(region: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The pieces of ``region`` (bool H x W) that ``seed`` touches."""
    _, pieces = cv2.connectedComponents(region.astype(np.uint8))
    touched = np.unique(pieces[seed & region])
    return np.isin(pieces, touched[touched > 0])


def _joined_across_lines(region: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The part of ``region`` (bool H x W) joined to ``seed`` once lines thinner than
    ``LINE`` px are closed over: the sky below a cable, a pole or a twig is one sky with
    the sky above it, as a painter sees it."""
    closed = cv2.morphologyEx(
        region.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((LINE, LINE), np.uint8)
    )
    return region & _connected_to(closed.astype(bool) | seed, seed)


def _rests_on(piece: np.ndarray, ground: np.ndarray) -> bool:
    """Whether ``piece`` (bool H x W) stands on ``ground`` across most of its width,
    as a building on its street does: in more than half of the columns it spans, one
    of its pixels has ground right under it. A sky is seen above what stands on the
    ground, not on it."""
    columns = piece.any(axis=0).sum()
    resting = (piece[:-1] & ground[1:]).any(axis=0).sum()
    return bool(resting > 0.5 * columns)


def grown_sky(rgb: np.ndarray, found: np.ndarray) -> np.ndarray:
    """The sky found by its smoothness (bool, any working size) grown over what it
    missed, at ``GROW_SIZE`` (bool H x W there): clouds with crisp edges, a sunset's
    glow between them, the Milky Way. A classifier fitted to this photo alone
    (``quick_selection.kept_probability`` over U^2-Net-p's decoder features and colour)
    learns the sky from the found sky's core (2 px in) against the ground: the bottom
    ``GROUND_ROWS`` of the picture and the dark browns (``_dark_brown``), both 4 px
    clear of the found sky. Its probability, snapped to the photo's edges by the guided
    filter, starts GrabCut (OpenCV, whole picture, ``GROW_ITERATIONS`` rounds): the
    found core surely sky, the ground surely not, ``SKY_SIDE`` and up probably sky, the
    rest probably not. GrabCut's colour models take a sunset's glow that the linear
    classifier puts with orange boats; each piece it adds to the found sky (joined to
    it) is kept when the classifier, on average over the piece, calls it sky
    (``SKY_SIDE``): a tree's twigs or a white dome against the sky are sky-coloured to
    GrabCut (0.33 and 0.40 on average), a sunset's clouds and glow are sky to both
    (0.53); and when it does not rest on the ground (``_rests_on``: a building
    standing on its street)."""
    small = _working(rgb, GROW_SIZE)
    size = (small.shape[1], small.shape[0])
    sky = cv2.resize(found.astype(np.float32), size, interpolation=cv2.INTER_LINEAR) >= 0.5
    core = cv2.erode(sky.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    near = cv2.dilate(sky.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    lab = cv2.cvtColor(np.ascontiguousarray(small, np.float32), cv2.COLOR_RGB2Lab)
    ground = _dark_brown(lab)
    ground[round((1.0 - GROUND_ROWS) * size[1]) :] = True
    ground &= ~near
    if core.sum() < 20 or not ground.any():
        return sky
    probability = kept_probability(pixel_features(rgb, small), core, ground)
    probability = guided_upsample(small, probability, EDGE_RADIUS, EDGE_EPS)
    labels = np.full(sky.shape, cv2.GC_PR_BGD, np.uint8)
    labels[_joined_across_lines((probability >= SKY_SIDE) | sky, sky)] = cv2.GC_PR_FGD
    labels[ground] = cv2.GC_BGD
    labels[core] = cv2.GC_FGD
    taken = _joined_across_lines(grabcut_from_seeds(small, labels, GROW_ITERATIONS) | sky, sky)
    count, pieces = cv2.connectedComponents((taken & ~sky).astype(np.uint8))
    area = np.bincount(pieces.ravel(), minlength=count)
    mean = np.bincount(pieces.ravel(), probability.ravel(), count) / np.maximum(area, 1)
    grown = sky.copy()
    for index in np.flatnonzero(mean >= SKY_SIDE):
        piece = pieces == index
        if index == 0 or _rests_on(piece, ground):
            continue
        grown |= piece
    return grown


def sky_mask(image: np.ndarray, feather: float = 0.1) -> np.ndarray | None:
    """The sky of ``image`` (float32 H x W x 3/4, 0..1) as a soft mask (float32 H x W,
    0..1), or None when the photo shows no sky; ``feather`` 0..1 as Subject Mask's."""
    if not 0.0 <= feather <= 1.0:
        raise ValueError(f"feather must be between 0 and 1, got {feather}")
    rgb = as_rgb(image)
    small = _working(rgb)
    found = sky_region(small)
    if found is None or (top_share(found) < PORTRAIT_TOP and shows_people(rgb)):
        return None  # in a portrait, a backdrop or a flag behind the sitter is no sky
    return refine_to(rgb, grown_sky(rgb, found).astype(np.float32), feather)
