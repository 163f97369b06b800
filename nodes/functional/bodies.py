"""Whole people in a photo, one at a time, from MediaPipe's BlazePose models.

The selfie model (``person``) is made for a person filling a video call's frame; a
footballer mid-kick in a 16:10 frame, or four people before a bus, come out thin and
blurred into what lies between them. BlazePose looks at one person at a time, in a crop
made for that person, as MediaPipe's pose pipeline chains its two models:

1. **Detection** (``pose_detection``): a 224 x 224 picture in -1..1, 2254 anchors (28 x
   28 x 2 at stride 8, 14 x 14 x 2 at stride 16, 7 x 7 x 6 at stride 32), each a score,
   a box round the person's head (about twice the face) and four keypoints, of which the
   first two place the body: the middle of the hips and a point on the circle round the
   whole body. It runs on the whole photo, letterboxed; a face the face models found
   that no detection covers gets a second look in a square around it, where its person
   is larger (the men beside a bus, a man bent forward at the frame's edge).
2. **Landmarks and segmentation** (``pose_landmark_full``): a 256 x 256 crop in 0..1,
   square, centred on the hips, 2.5 times the body circle's radius, turned so the body
   stands upright, black beyond the photo; 39 points and a 256 x 256 map of the
   person's log-odds over the crop. As MediaPipe's tracking does, it runs again on the
   crop its own two body points (33, 34) give, which centres the person.

Each person's map is brought back to the photo through its crop, and a pixel takes the
most confident person's answer (``body_probability``).

Ranges: images float32 H x W x 3 in 0..1; probabilities float32 H x W in 0..1.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from stylegraph.nodes.functional.blaze import (
    anchors,
    crop,
    crop_matrix,
    detect_square,
    pixel_map,
    to_photo,
    weighted_nms,
)
from stylegraph.nodes.models.mediapipe import interpreter

DETECTOR = "pose_detection"
LANDMARKS = "pose_landmark_full"
DETECTION_SCORE = 0.5
FACE_LOOK_SCORE = 0.4  # the second look round a found face: the face already says a person
FACE_LOOK_SIDE = 9.0  # that square's side, in the face's size (head to hips and more)
PRESENCE = 0.5  # the landmark model's own score that a person is in its crop
_ANCHORS = anchors(((28, 2), (14, 2), (7, 6)))  # strides 8, 16 and 32 (three layers) on 224 px
_CROP_SCALE = 1.25  # MediaPipe's margin round the body circle
_BODY_POINTS = (33, 34)  # the landmark model's own hips middle and body-circle point


def find_bodies(rgb: np.ndarray, faces: list[np.ndarray]) -> list[np.ndarray]:
    """Person detections ([score, head box, 4 keypoints] rows, photo pixels): those in
    the whole photo, and for each face in ``faces`` (the face models' meshes, N x 2 photo
    pixels) that none is over, the one over that face in a square round it."""
    height, width = rgb.shape[:2]
    long_side = max(height, width)
    whole = ((width - long_side) // 2, (height - long_side) // 2, long_side)
    found = detect_square(rgb, *whole, DETECTOR, _ANCHORS, DETECTION_SCORE)
    bodies = weighted_nms(np.array(found)) if found else []
    for face in faces:
        if has_body(face, bodies):
            continue
        middle, size = _face_box(face)
        side = max(32, round(min(height, width, FACE_LOOK_SIDE * size)))
        x0 = int(np.clip(middle[0] - side / 2, 0, max(0, width - side)))
        y0 = int(np.clip(middle[1] - side / 4, 0, max(0, height - side)))
        look = detect_square(rgb, x0, y0, side, DETECTOR, _ANCHORS, FACE_LOOK_SCORE)
        over_face = [d for d in look if _over(d, middle, size)]
        if over_face:
            bodies.append(max(over_face, key=lambda d: d[0]))
    return bodies


def has_body(face: np.ndarray, bodies: list[np.ndarray]) -> bool:
    """Whether one of ``bodies`` (``find_bodies``' rows) is the person of the face whose
    mesh is ``face``."""
    middle, size = _face_box(face)
    return any(_over(body, middle, size) for body in bodies)


def _face_box(face: np.ndarray) -> tuple[np.ndarray, float]:
    """The middle and the longer side of a face mesh's box."""
    low, high = face.min(axis=0), face.max(axis=0)
    return (low + high) / 2, float((high - low).max())


def _over(detection: np.ndarray, middle: np.ndarray, size: float) -> bool:
    """Whether a detection is of the face whose mesh box has this middle and size: its
    box (about twice the face, centred near it) has its centre within a face's size. A
    neighbour's box, grown or not, reaches over the faces beside it at a table."""
    centre = (detection[1:3] + detection[3:5]) / 2
    return bool(np.hypot(*(centre - middle)) < size)


def _body_crop(hips: np.ndarray, circle: np.ndarray) -> tuple[tuple[float, float], float, float]:
    """The landmark model's crop from two body points: centred on the hips, the body
    circle's diameter times ``_CROP_SCALE``, turned so the hips-to-circle line points up."""
    dx, dy = circle - hips
    angle = math.pi / 2 - math.atan2(-dy, dx)
    size = 2.0 * math.hypot(dx, dy) * _CROP_SCALE
    return (float(hips[0]), float(hips[1])), size, angle


def _segment(
    rgb: np.ndarray, centre: tuple[float, float], size: float, angle: float
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The landmark model on one crop: its crop matrix, the person's log-odds over the
    crop, the model's presence score, and the body points in photo pixels."""
    model = interpreter(LANDMARKS)
    out = model.input_size[0]
    matrix = crop_matrix(centre, size, angle, out)
    points, presence, log_odds, _heatmap, _world = model.invoke(
        crop(rgb, matrix, out, border=cv2.BORDER_CONSTANT)
    )
    body_points = to_photo(points.reshape(-1, 5)[list(_BODY_POINTS)], matrix, out)
    score = 1.0 / (1.0 + math.exp(-float(np.clip(presence.ravel()[0], -50.0, 50.0))))
    return matrix, log_odds[0, :, :, 0], score, body_points


def body_probability(
    rgb: np.ndarray, faces: list[np.ndarray], shape: tuple[int, int] | None = None
) -> np.ndarray:
    """The chance of a person at each pixel (float32, 0..1) from the body models, each
    person found (``find_bodies``) segmented in their own crop, at ``shape`` (height,
    width; the photo's own size when None), 0 where no person's crop reaches."""
    height, width = rgb.shape[:2]
    out_h, out_w = shape or (height, width)
    scale = out_w / width
    answer = np.zeros((out_h, out_w), np.float32)
    for body in find_bodies(rgb, faces):
        hips, circle = body[5:7], body[7:9]
        matrix, _, presence, points = _segment(rgb, *_body_crop(hips, circle))
        if presence < PRESENCE:
            continue
        matrix, log_odds, presence, _ = _segment(rgb, *_body_crop(*points))
        if presence < PRESENCE:
            continue
        chance = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -50.0, 50.0)))
        back = cv2.warpAffine(
            chance.astype(np.float32),
            pixel_map(matrix, scale),
            (out_w, out_h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
        )
        np.maximum(answer, back, out=answer)
    return answer
