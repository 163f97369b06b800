"""What MediaPipe's BlazeFace and BlazePose pipelines share: single-shot detectors whose
anchors sit at the centres of grid cells, their weighted non-maximum suppression, and
the turned square crops the landmark models read and whose points come back to the
photo. The face models (``faces``) and the body model (``bodies``) both use them.

Coordinates here are continuous, 0 at the picture's top-left edge (a pixel's centre is
at i + 0.5), as MediaPipe's normalised landmarks are. Pictures are float32 H x W x 3 in
0..1.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from stylegraph.nodes.models.mediapipe import interpreter

NMS_IOU = 0.3  # MediaPipe's merge threshold for both detectors


def crop_matrix(centre: tuple[float, float], size: float, angle: float, out: int) -> np.ndarray:
    """The 2 x 3 affine map from crop coordinates (0..out) to photo coordinates of a
    square of side ``size`` around ``centre``, turned by ``angle`` (radians, the crop's
    x axis in the photo). Coordinates here and in every point this module returns are
    continuous, 0 at the picture's top-left edge (a pixel's centre is at i + 0.5), as
    MediaPipe's normalised landmarks are."""
    scale = size / out
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    half = out / 2.0
    return np.array(
        [
            [cos, -sin, centre[0] - cos * half + sin * half],
            [sin, cos, centre[1] - sin * half - cos * half],
        ],
        np.float64,
    )


def crop(
    image: np.ndarray,
    matrix: np.ndarray,
    out: int,
    mirror: bool = False,
    border: int = cv2.BORDER_REPLICATE,
) -> np.ndarray:
    """The crop ``matrix`` describes, ``out`` px square, mirrored left-right if asked.
    Beyond the photo its edges repeat, as MediaPipe's face crops do; ``border``
    ``cv2.BORDER_CONSTANT`` pads black instead, as its body crops do."""
    if mirror:
        matrix = matrix @ np.array([[-1.0, 0.0, out], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return cv2.warpAffine(
        image,
        pixel_map(matrix),
        (out, out),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=border,
    )


def pixel_map(matrix: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``matrix`` (crop -> photo, continuous coordinates) as OpenCV maps it, between
    pixel indices (a pixel's centre at i, not i + 0.5), into the photo scaled by
    ``scale``."""
    scaled = matrix * scale
    scaled[:, 2] += scaled[:, :2] @ [0.5, 0.5] - 0.5
    return scaled


def to_photo(points: np.ndarray, matrix: np.ndarray, out: int, mirror: bool = False) -> np.ndarray:
    xy = points[:, :2].astype(np.float64)
    if mirror:
        xy = np.column_stack([out - xy[:, 0], xy[:, 1]])
    return xy @ matrix[:, :2].T + matrix[:, 2]


def anchors(grids: tuple[tuple[int, int], ...]) -> np.ndarray:
    """A BlazeFace model's anchor centres (N x 2, 0..1), in the order of its outputs:
    ``per_cell`` anchors at the centre of each cell of each ``cells`` x ``cells`` grid."""
    rows = []
    for cells, per_cell in grids:
        centre = (np.arange(cells) + 0.5) / cells
        y, x = np.meshgrid(centre, centre, indexing="ij")
        grid = np.stack([x.ravel(), y.ravel()], axis=1)
        rows.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(rows).astype(np.float32)


def detect_square(
    rgb: np.ndarray,
    x0: int,
    y0: int,
    side: int,
    detector: str,
    centres: np.ndarray,
    min_score: float,
) -> list[np.ndarray]:
    """Detections scoring ``min_score`` or more by ``detector`` (its anchor ``centres``)
    in one square of the photo (top-left ``x0, y0``, ``side`` px; parts beyond the photo
    are padded black, as MediaPipe letterboxes), each as [score, x0, y0, x1, y1,
    keypoint coordinates (x, y)...] in photo coordinates."""
    model = interpreter(detector)
    size = model.input_size[0]
    height, width = rgb.shape[:2]
    top, left = max(0, y0), max(0, x0)
    bottom, right = min(height, y0 + side), min(width, x0 + side)
    if (bottom - top, right - left) == (side, side):  # a tile: read in place, not copied
        square = rgb[top:bottom, left:right]
    else:
        square = np.zeros((side, side, 3), np.float32)
        square[top - y0 : bottom - y0, left - x0 : right - x0] = rgb[top:bottom, left:right]
    picture = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
    regressors, scores = model.invoke(picture * 2.0 - 1.0)
    logits = np.clip(scores[0, :, 0].astype(np.float64), -100.0, 100.0)
    score = 1.0 / (1.0 + np.exp(-logits))
    found = []
    offset = np.array([x0, y0], np.float64)
    for i in np.flatnonzero(score >= min_score):
        raw = regressors[0, i].astype(np.float64) / size
        middle = raw[:2] + centres[i]
        half = raw[2:4] / 2
        keypoints = raw[4:].reshape(-1, 2) + centres[i]
        box = np.concatenate([middle - half, middle + half]) * side + np.tile(offset, 2)
        points = (keypoints * side + offset).ravel()
        found.append(np.concatenate([[score[i]], box, points]))
    return found


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` (x0, y0, x1, y1) with each row of ``b``."""
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda box: (box[..., 2] - box[..., 0]) * (box[..., 3] - box[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def weighted_nms(detections: np.ndarray) -> list[np.ndarray]:
    """MediaPipe's weighted non-maximum suppression: each cluster of boxes overlapping
    the best one by IoU 0.3 becomes their score-weighted mean, with the best score."""
    order = np.argsort(-detections[:, 0])
    remaining = detections[order]
    merged = []
    while len(remaining):
        overlap = box_iou(remaining[0, 1:5], remaining[:, 1:5]) >= NMS_IOU
        cluster = remaining[overlap]
        weights = cluster[:, :1]
        mean = (cluster[:, 1:] * weights).sum(axis=0) / weights.sum()
        merged.append(np.concatenate([[cluster[0, 0]], mean]))
        remaining = remaining[~overlap]
    return merged
