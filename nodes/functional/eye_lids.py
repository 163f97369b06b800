"""An eye's lids moved from the iris model's estimate onto the photo's own edges.

The iris model sees an eye through a 64 x 64 crop: on a portrait whose eyes are 30-50 px
wide its lids land 1-1.5 px from where a careful tracer puts them, on either side, and an
eye 10-17 px tall loses a fifth of its area to that. The lid is an edge in the photo
(sclera or iris against lid margin, lashes or skin), so each lid is searched for it:

- samples every 1/63 of the eye's width along the model's lid (corner to corner), each
  free to move along the lid's normal by up to 8 % of the eye's width (less near the
  corners, where the normal turns and the two lids meet);
- the edge strength at each place is the luminance's derivative along that normal, of
  either sign (a lid is darker than the sclera, brighter than a dark iris), after a
  Gaussian of 1/31 of the eye's width, normalised by the lid's strongest;
- the path through these places is chosen by dynamic programming: the most edge along
  the lid, less a price on the path's slope against the model's lid (an active contour
  solved exactly), so one strong spot cannot pull out a spike, and where the lid crosses
  a dark iris under dark lashes (no edge to see) the path bridges from both sides.

Catch-lights are small bright spots inside the iris whose rims are stronger edges than
the lid: within the model's iris circle the luminance is opened (grey-level opening with
a disk of 0.3 times the iris radius) before the search, which removes bright specks and
keeps edges between larger regions.

Every length is a share of the eye's width, so the search is the same at any photo size;
the crop is taken from the photo as given (its full resolution). Eyes under
``MIN_WIDTH`` px keep the model's lids: there is nothing finer to find.

Points are (x, y) in photo pixels, 0 at the top-left edge (a pixel's centre at i + 0.5).
"""

from __future__ import annotations

import cv2
import numpy as np

REACH = 0.08  # of the eye's width: how far a lid sample may move along its normal
BLUR = 1 / 31.5  # of the eye's width: the Gaussian's sigma before the derivative
STEP = 1 / 63  # of the eye's width: spacing of lid samples; offsets move by half this
SLOPE_PRICE = 2.0  # per (offset change / sample spacing)^2, edge strengths being 0..1
TAPER = 3.0  # the reach grows from 0 at a corner to full over 1/TAPER of the lid
GLINT = 0.3  # of the iris radius: the opening's disk that removes catch-lights
MIN_WIDTH = 12.0  # px: narrower eyes keep the model's lids

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear values of ``image`` at continuous ``points`` (... x 2)."""
    flat = np.asarray(points, np.float32).reshape(-1, 2) - 0.5
    values = cv2.remap(
        image,
        flat[:, 0].reshape(1, -1),
        flat[:, 1].reshape(1, -1),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return values.reshape(np.shape(points)[:-1])


def _resample(curve: np.ndarray, step: float) -> np.ndarray:
    """The open ``curve`` at even spacing of about ``step`` px, ends kept."""
    lengths = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(curve, axis=0).T))])
    count = max(3, round(lengths[-1] / step) + 1)
    at = np.linspace(0.0, lengths[-1], count)
    return np.column_stack([np.interp(at, lengths, axis) for axis in curve.T])


def _cheapest_path(cost: np.ndarray, offsets: np.ndarray, price: float) -> np.ndarray:
    """The offsets (one per row of ``cost``) minimising the summed cost plus ``price``
    times each squared change between neighbours (Viterbi)."""
    jump = price * (offsets[:, None] - offsets[None, :]) ** 2
    total = cost[0].copy()
    back = np.zeros(cost.shape, np.intp)
    for i in range(1, len(cost)):
        through = total[:, None] + jump
        back[i] = through.argmin(axis=0)
        total = through.min(axis=0) + cost[i]
    chosen = [int(total.argmin())]
    for i in range(len(cost) - 1, 0, -1):
        chosen.append(int(back[i, chosen[-1]]))
    return offsets[np.array(chosen[::-1])]


def _refine_lid(
    gx: np.ndarray, gy: np.ndarray, lid: np.ndarray, centre: np.ndarray, width: float
) -> np.ndarray:
    """One lid (corner to corner, window coordinates) moved onto the strongest smooth edge."""
    step = STEP * width
    points = _resample(lid, step)
    tangent = np.gradient(points, axis=0)
    normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
    normal[((points - centre) * normal).sum(axis=1) < 0] *= -1  # outwards
    reach = REACH * width
    count = int(reach / (step / 2))
    offsets = np.arange(-count, count + 1) * (step / 2)  # 0 among them: the corners stay
    places = points[:, None, :] + offsets[None, :, None] * normal[:, None, :]
    along = _sample(gx, places) * normal[:, None, 0] + _sample(gy, places) * normal[:, None, 1]
    strength = np.abs(along)
    strength /= strength.max() + 1e-12
    share = np.linspace(0.0, 1.0, len(points))
    allowed = np.minimum(1.0, TAPER * np.minimum(share, 1.0 - share))[:, None] * reach
    cost = np.where(np.abs(offsets)[None, :] <= allowed + 1e-9, -strength, np.inf)
    moved = _cheapest_path(cost, offsets, SLOPE_PRICE / step**2)
    return points + moved[:, None] * normal


def refine_lids(
    rgb: np.ndarray,
    outline: np.ndarray,
    corners: tuple[int, int],
    iris_centre: tuple[float, float],
    iris_radius: float,
) -> np.ndarray:
    """The eye's closed ``outline`` (N x 2, photo px; ``corners`` the indices of its two
    corners, the lower lid from the first to the second) with both lids moved onto the
    photo's edges, as a closed polygon (M x 2). ``rgb``: float32 H x W x 3, 0..1."""
    first, second = corners
    lower = outline[first : second + 1]
    upper = np.vstack([outline[second:], outline[: first + 1]])
    width = float(np.linalg.norm(lower[0] - lower[-1]))
    if width < MIN_WIDTH:
        return outline
    margin = REACH * width + 4 * BLUR * width + 3
    height, image_width = rgb.shape[:2]
    x0, y0 = np.maximum(np.floor(outline.min(axis=0) - margin).astype(int), 0)
    x1, y1 = np.ceil(outline.max(axis=0) + margin).astype(int)
    x1, y1 = min(x1, image_width), min(y1, height)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return outline
    luma = np.ascontiguousarray(rgb[y0:y1, x0:x1, :3] @ _LUMA)
    _remove_glints(luma, (iris_centre[0] - x0, iris_centre[1] - y0), iris_radius)
    luma = cv2.GaussianBlur(luma, (0, 0), BLUR * width)
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3) / 8
    offset = np.array([x0, y0], np.float64)
    centre = outline.mean(axis=0) - offset
    lids = [_refine_lid(gx, gy, lid - offset, centre, width) + offset for lid in (lower, upper)]
    return np.vstack([lids[0][:-1], lids[1][:-1]])


def _remove_glints(luma: np.ndarray, centre: tuple[float, float], radius: float) -> None:
    """Catch-lights inside the iris circle opened away, in place."""
    size = max(1, round(GLINT * radius))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * size + 1, 2 * size + 1))
    opened = cv2.morphologyEx(luma, cv2.MORPH_OPEN, disk, borderType=cv2.BORDER_REPLICATE)
    rows, columns = np.mgrid[0 : luma.shape[0], 0 : luma.shape[1]] + 0.5
    inside = np.hypot(columns - centre[0], rows - centre[1]) <= radius
    luma[inside] = opened[inside]
