"""Faces, their landmarks and their eyes in a photo, from MediaPipe's models.

Three models, as MediaPipe's face mesh and iris pipelines chain them:

1. **Face detection** (BlazeFace, two models): ``face_detection_short_range``, a 128 x 128
   picture in -1..1, 896 anchors on two grids (16 x 16 x 2 at stride 8, 8 x 8 x 6 at
   stride 16), and ``face_detection_full_range_sparse``, 192 x 192, 2304 anchors (48 x 48
   at stride 4); each anchor gives a score and a box with six keypoints (eyes, nose,
   mouth, ears) as offsets in input pixels. The short-range model is made for faces
   that fill a good part of the picture, so both run on the whole photo and on
   half-size tiles (a small face in a full-length portrait); each model's boxes are
   merged by weighted non-maximum suppression, as MediaPipe does. The full-range
   model's boxes only serve faces that are small in their square (``_candidates``).
2. **Face landmarks** (``face_landmark``): a 192 x 192 crop in 0..1, square, 1.5 times the
   face's box, turned so the eyes are level; 468 points (x, y in crop pixels) and a face
   score. Run twice: from the detector's box, then from the box of its own points, as
   MediaPipe's tracking does, which centres the crop on the face.
3. **Eyes** (``iris_landmark``): a 64 x 64 crop in 0..1 around each eye, 2.3 times the
   longer side of its corners' box, the person's left eye mirrored (the model knows one
   eye); 71 eye points (the first 16 the lid contour) and 5 iris points (the centre and
   four on its rim).

Parts are polygons over the landmark indices of MediaPipe's face mesh topology (face
oval, brows, lips) and the iris model's lid contour (a smooth curve through its 16
points) and iris circle; ``part_mask`` draws them, anti-aliased, at the photo's size.
Lids are the model's own: a search for each lid's edge on the photo (an active contour
along the lid) came closer to eye traces that followed the dark region of lashes and
iris, but against traces of the opening between the lid margins, done by a written rule,
the model's lids were as close or closer on four photos of five (benchmarks/RESULTS.md).

Ranges: images float32 H x W x 3 in 0..1 (H x W grey is accepted); points are (x, y) in
the photo's pixels; masks float32 H x W in 0..1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from stylegraph.nodes.functional.blaze import (
    NMS_IOU,
    anchors,
    box_iou,
    crop,
    crop_matrix,
    detect_square,
    to_photo,
    weighted_nms,
)
from stylegraph.nodes.functional.bodies import find_bodies, has_body
from stylegraph.nodes.models.mediapipe import interpreter

# --- face mesh topology (MediaPipe face_mesh_connections: index lists of its 468 points)
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
LIPS_OUTER = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
    409, 270, 269, 267, 0, 37, 39, 40, 185,
)  # fmt: skip
LIPS_INNER = (
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
    415, 310, 311, 312, 13, 82, 81, 80, 191,
)  # fmt: skip
# Brows: the lower edge from the outer end inwards, then the upper edge back out.
RIGHT_BROW = (46, 53, 52, 65, 55, 107, 66, 105, 63, 70)
LEFT_BROW = (276, 283, 282, 295, 285, 336, 296, 334, 293, 300)
# Eyes in the face mesh: the lower lid from the outer corner, then the upper lid back.
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
NOSE_TIP = 1  # the mesh point at the tip of the nose (``seen_eyes``)
# Eye corners (outer, inner) that place the iris model's crop.
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (263, 362)
# The iris model's first 16 eye points: the lower lid outer -> inner (9), the upper lid
# outer -> inner (7); as a closed outline: the lower lid, then the upper lid backwards.
IRIS_MODEL_LID = (0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 14, 13, 12, 11, 10, 9)

PARTS = ("face", "skin", "eyes", "irises", "brows", "lips", "mouth")

SHORT_RANGE = "face_detection_short_range"
FULL_RANGE = "face_detection_full_range_sparse"
DETECTION_SCORE = 0.5
# The full-range model's boxes are used for faces under this share of their square's side.
FULL_RANGE_LARGEST = 0.25
LANDMARK_SCORE = 0.5
UNSURE_FACE = 0.8  # a detection score under which a face must have a body (``_with_bodies``)


@dataclass(frozen=True)
class Eye:
    """One eye: the iris model's lid outline (16 points) and its iris (centre, radius),
    in pixels."""

    lid: np.ndarray
    iris_centre: tuple[float, float]
    iris_radius: float

    @property
    def outline(self) -> np.ndarray:
        """The closed outline between the lids: the smooth curve through the model's 16
        points."""
        return smooth_outline(self.lid)


@dataclass(frozen=True)
class Face:
    """One face: detection score, the 468 mesh points (x, y in pixels) and the eyes the
    camera sees (``seen_eyes``: both, the person's right eye first, on the picture's left
    in a frontal view; one where the face is turned far enough to hide the other)."""

    score: float
    mesh: np.ndarray
    eyes: tuple[Eye, ...]

    @property
    def width(self) -> float:
        """The face oval's width in px (ear to ear)."""
        return float(np.ptp(self.mesh[list(FACE_OVAL), 0]))

    @property
    def area(self) -> float:
        return float(cv2.contourArea(self.mesh[list(FACE_OVAL)].astype(np.float32)))


# --- 1. detection -----------------------------------------------------------------------


_ANCHORS = {
    SHORT_RANGE: anchors(((16, 2), (8, 6))),  # strides 8 and 16 on 128 px
    FULL_RANGE: anchors(((48, 1),)),  # stride 4 on 192 px
}


def detect_faces(rgb: np.ndarray, detector: str = SHORT_RANGE) -> list[np.ndarray]:
    """Face detections in the photo ([score, box, keypoints] rows, photo pixels), from
    the whole picture and from half-size tiles overlapping by half. The full-range
    model is there for faces too small for the short-range one: it looks only at
    squares at least its 192 px input (on a 160 px crop of the cameraman, enlarged, it
    took his ear for a face that passed the landmark check) and keeps only boxes under
    ``FULL_RANGE_LARGEST`` of their square's side."""
    height, width = rgb.shape[:2]
    long_side = max(height, width)
    squares = [((width - long_side) // 2, (height - long_side) // 2, long_side)]
    side = min(height, width) // 2
    if side >= 64:
        for y in np.linspace(0, height - side, max(2, round(2 * height / side) - 1)):
            for x in np.linspace(0, width - side, max(2, round(2 * width / side) - 1)):
                squares.append((round(x), round(y), side))
    largest = math.inf
    if detector == FULL_RANGE:
        largest = FULL_RANGE_LARGEST
        squares = [square for square in squares if square[2] >= interpreter(detector).input_size[0]]
    found = [
        d
        for square in squares
        for d in detect_square(rgb, *square, detector, _ANCHORS[detector], DETECTION_SCORE)
        if max(d[3] - d[1], d[4] - d[2]) < largest * square[2]
    ]
    return weighted_nms(np.array(found)) if found else []


def _candidates(rgb: np.ndarray) -> list[list[np.ndarray]]:
    """Per face, the detections whose boxes to try in turn for its landmarks.

    The short-range model finds the faces, as before; the full-range model (made for
    faces up to 5 m from the camera, against 2 m) helps with small ones in two ways:

    - where a short-range box's mesh fails, a full-range box over it (IoU 0.3) is tried
      next. At working sizes of 400-576 px the short-range model found the second man
      in the ultralytics bus photo and the man on the left in its Zidane photo, but its
      boxes gave landmark scores of 0.06-0.32, the full-range boxes 0.56-1.0;
    - a full-range box that touches no other box is a face the short-range model
      missed (Grace Hopper 60-90 px tall in a 1000 x 750 px picture). It must touch
      none, not merely overlap by less than the merge's IoU: two boxes a few pixels
      apart on one 20 px face both passed the landmark check.

    Full-range boxes over a quarter of their square are left out: in close-ups (Grace
    Hopper cropped to 200 px) they covered one eye and cheek and passed the check."""
    near = detect_faces(rgb, SHORT_RANGE)
    far = detect_faces(rgb, FULL_RANGE)
    tries = [[d, *(f for f in far if box_iou(d[1:5], f[None, 1:5])[0] >= NMS_IOU)] for d in near]
    taken = [d[1:5] for d in near]
    for f in far:  # the most confident first
        if not (box_iou(f[1:5], np.array(taken).reshape(-1, 4)) > 0).any():
            tries.append([f])
            taken.append(f[1:5])
    return tries


# --- 2. landmarks and 3. eyes -----------------------------------------------------------


def _landmarks(
    rgb: np.ndarray, centre: tuple[float, float], size: float, angle: float
) -> tuple[np.ndarray, float]:
    """The 468 mesh points in photo pixels, and the model's face score (0..1), for a
    crop around ``centre``."""
    model = interpreter("face_landmark")
    out = model.input_size[0]
    matrix = crop_matrix(centre, size, angle, out)
    points, score = model.invoke(crop(rgb, matrix, out))
    mesh = to_photo(points.reshape(-1, 3), matrix, out)
    return mesh, float(1.0 / (1.0 + np.exp(-float(score.ravel()[0]))))


def _mesh_roi(mesh: np.ndarray) -> tuple[tuple[float, float], float, float]:
    """A landmark crop from the mesh itself: turned so the eye corners are level, centred
    on the points' box in that frame, 1.5 times its longer side."""
    (rx, ry), (lx, ly) = mesh[RIGHT_EYE_CORNERS[0]], mesh[LEFT_EYE_CORNERS[0]]
    angle = math.atan2(ly - ry, lx - rx)
    cos, sin = math.cos(angle), math.sin(angle)
    turned = mesh @ np.array([[cos, -sin], [sin, cos]])  # into the face's frame
    low, high = turned.min(axis=0), turned.max(axis=0)
    middle = (low + high) / 2
    centre = middle @ np.array([[cos, sin], [-sin, cos]])
    return (float(centre[0]), float(centre[1])), float((high - low).max() * 1.5), angle


def _eye(rgb: np.ndarray, mesh: np.ndarray, corners: tuple[int, int], mirror: bool) -> Eye:
    """One eye from the iris model, cropped around the mesh's eye corners."""
    model = interpreter("iris_landmark")
    out = model.input_size[0]
    outer, inner = mesh[corners[0]], mesh[corners[1]]
    direction = inner - outer if not mirror else outer - inner
    angle = math.atan2(direction[1], direction[0])
    centre = (outer + inner) / 2
    size = float(np.abs(inner - outer).max()) * 2.3  # MediaPipe's square_long of the corners' box
    matrix = crop_matrix((float(centre[0]), float(centre[1])), size, angle, out)
    contour, iris = model.invoke(crop(rgb, matrix, out, mirror))
    lid = to_photo(contour.reshape(-1, 3)[list(IRIS_MODEL_LID)], matrix, out, mirror)
    ring = to_photo(iris.reshape(-1, 3), matrix, out, mirror)
    radius = float(np.hypot(*(ring[1:] - ring[0]).T).mean())
    centre = (float(ring[0, 0]), float(ring[0, 1]))
    return Eye(lid, centre, radius)


def find_faces(image: np.ndarray) -> list[Face]:
    """Every face the models find in ``image`` (float32 H x W x 3 or H x W, 0..1), the
    largest first."""
    rgb = as_rgb(image)
    faces = []
    for tries in _candidates(rgb):
        face = next(filter(None, (_face(rgb, detection) for detection in tries)), None)
        if face is not None:
            faces.append(face)
    return sorted(_with_bodies(rgb, _distinct(faces)), key=lambda face: -face.area)


def _with_bodies(rgb: np.ndarray, faces: list[Face]) -> list[Face]:
    """The faces, less those the detector is unsure of (score under ``UNSURE_FACE``) with
    no person under them. A cat's face at 320 and 500 px, a motorcycle's headlight at
    256 px and a night lake's lights passed the landmark check, at detection scores of
    0.55-0.70; no body was found under any. Over 107 true faces in 15 people photos at five
    sizes, every one under 0.86 had a body under it (the body detector looks at the
    person, not at a face alone), and those without one scored 0.86-0.92."""
    if all(face.score >= UNSURE_FACE for face in faces):
        return faces
    bodies = find_bodies(rgb, [face.mesh for face in faces])
    return [face for face in faces if face.score >= UNSURE_FACE or has_body(face.mesh, bodies)]


def _face(rgb: np.ndarray, detection: np.ndarray) -> Face | None:
    """The face from one detection, or None where the landmark model, run from the
    detector's box and again from its own points' box, does not see one."""
    box, keypoints = detection[1:5], detection[5:].reshape(6, 2)
    (rx, ry), (lx, ly) = keypoints[0], keypoints[1]
    angle = math.atan2(ly - ry, lx - rx)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    size = max(box[2] - box[0], box[3] - box[1]) * 1.5
    mesh, score = _landmarks(rgb, centre, size, angle)
    if score < LANDMARK_SCORE:
        return None
    mesh, score = _landmarks(rgb, *_mesh_roi(mesh))
    if score < LANDMARK_SCORE:
        return None
    eyes = (_eye(rgb, mesh, RIGHT_EYE_CORNERS, False), _eye(rgb, mesh, LEFT_EYE_CORNERS, True))
    return Face(float(detection[0]), mesh, seen_eyes(mesh, eyes))


HIDDEN_SHARE = 0.5  # an eye this much behind the nose (inner corner to outer) is hidden


def seen_eyes(mesh: np.ndarray, eyes: tuple[Eye, Eye]) -> tuple[Eye, ...]:
    """The eyes not hidden behind the nose. The mesh places both eyes on any face, and
    on a face turned well aside the far eye's points lie behind the nose: a man turned
    about 60 degrees got an eye, and an eye-light, on the side of his nose. Seen from
    the front the nose tip lies between the inner corners; as the face turns it passes
    the far eye's inner corner and moves along that eye towards its outer corner, so the
    share of the eye it has passed is the share the nose hides."""
    tip = mesh[NOSE_TIP]
    seen = []
    for eye, (outer, inner) in zip(eyes, (RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS), strict=True):
        axis = mesh[outer] - mesh[inner]
        passed = float((tip - mesh[inner]) @ axis / max(float(axis @ axis), 1e-9))
        if passed < HIDDEN_SHARE:
            seen.append(eye)
    return tuple(seen)


def _distinct(faces: list[Face]) -> list[Face]:
    """One face per person, the detector's most confident first. Tiles may find the
    same face twice with boxes too different for the detector's merge, and in a close-up
    the landmark model also takes one eye and the cheek below it for a smaller face
    inside the real one (Grace Hopper cropped to her head and shoulders: a second face
    over her right eye, landmark scores 1.0, that drew a second eye outline beside hers).
    Faces do not nest, the nearer one hides the other, so a mesh whose box lies half or
    more inside a kept face's box is that face or a part of it. Measured over 1107 crops
    and scalings of Grace Hopper, the cameraman and the astronaut: false faces 37 -> 6,
    faces found unchanged (485); on 54 photos at ten sizes no face was lost."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.score):
        box = _mesh_box(face.mesh)
        if all(_share_of_smaller(box, _mesh_box(other.mesh)) < 0.5 for other in kept):
            kept.append(face)
    return kept


def _mesh_box(mesh: np.ndarray) -> np.ndarray:
    return np.array([*mesh.min(axis=0), *mesh.max(axis=0)])


def _share_of_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """How much of the smaller of boxes ``a`` and ``b`` (x0, y0, x1, y1) the other
    covers, 0..1."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    area = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(max(width, 0.0) * max(height, 0.0) / max(area, 1e-9))


def as_rgb(image: np.ndarray) -> np.ndarray:
    """float32 H x W x 3 from a grey, RGB or RGBA picture (the models want colour)."""
    image = np.asarray(image, np.float32)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] == 1:
        return np.ascontiguousarray(np.repeat(image, 3, axis=2))
    return np.ascontiguousarray(image[..., :3])


# --- parts ------------------------------------------------------------------------------

_SHIFT = 8  # fractional bits of the points given to OpenCV's fill


class _Canvas:
    """A supersampled window of the photo around one face, where parts are filled by
    coverage (as ``masks.shape`` fills polygons): points in photo coordinates (0 at the
    top-left edge), each pixel's value the share of it covered.

    The samples sit on the corners of the sub-pixel grid (one more row and column than
    sub-pixels); a sub-pixel counts as covered when its top-left, top-right and
    bottom-left corners are filled. OpenCV fills both end samples of every span and
    both end rows, so counting sample centres would grow every part by about a quarter
    of a pixel all round (4-7 % of an eye's area)."""

    def __init__(self, points: np.ndarray, height: int, width: int) -> None:
        low = np.floor(points.min(axis=0)) - 2
        high = np.ceil(points.max(axis=0)) + 2
        self.x0, self.y0 = int(max(0, low[0])), int(max(0, low[1]))
        self.x1, self.y1 = int(min(width, high[0])), int(min(height, high[1]))
        self.height, self.width = height, width
        span = max(1, self.x1 - self.x0, self.y1 - self.y0)
        self.factor = 4 if span <= 1000 else 2 if span <= 2000 else 1
        rows = max(1, self.y1 - self.y0) * self.factor + 1
        columns = max(1, self.x1 - self.x0) * self.factor + 1
        self.pixels = np.zeros((rows, columns), np.uint8)

    def _fixed(self, points: np.ndarray) -> np.ndarray:
        """Photo coordinates as OpenCV's fixed-point sample positions (grid corners)."""
        local = (points - [self.x0, self.y0]) * self.factor
        return np.round(local * (1 << _SHIFT)).astype(np.int32)

    def fill(self, polygons: list[np.ndarray], value: int = 1) -> None:
        """Each polygon filled on its own: OpenCV fills a list of polygons even-odd, so
        where two overlap (a brow over a lid) it would leave a hole."""
        for polygon in polygons:
            cv2.fillPoly(self.pixels, [self._fixed(polygon)], value, cv2.LINE_8, _SHIFT)

    def circle(self, centre: tuple[float, float], radius: float) -> np.ndarray:
        """A separate layer holding one filled circle."""
        layer = np.zeros_like(self.pixels)
        (x, y), r = self._fixed(np.array([centre]))[0], round(radius * self.factor * (1 << _SHIFT))
        cv2.circle(layer, (int(x), int(y)), max(1, r), 1, -1, cv2.LINE_8, _SHIFT)
        return layer

    def mask(self) -> np.ndarray:
        """The canvas as a full-size coverage mask (float32 H x W, 0..1)."""
        full = np.zeros((self.height, self.width), np.float32)
        if self.x1 > self.x0 and self.y1 > self.y0:
            samples = self.pixels
            covered = samples[:-1, :-1] & samples[:-1, 1:] & samples[1:, :-1]
            window = cv2.resize(
                covered.astype(np.float32),
                (self.x1 - self.x0, self.y1 - self.y0),
                interpolation=cv2.INTER_AREA,
            )
            full[self.y0 : self.y1, self.x0 : self.x1] = window
        return full


def smooth_outline(points: np.ndarray, samples: int = 8) -> np.ndarray:
    """A closed outline through ``points`` (N x 2) as a centripetal Catmull-Rom spline,
    ``samples`` points per span: the iris model gives a lid as 16 points, 7 on the upper
    lid of an eye 30-45 px wide, and straight spans between them cut inside its curve."""
    points = np.asarray(points, np.float64)
    before, start, end, after = (np.roll(points, shift, axis=0) for shift in (1, 0, -1, -2))
    knot = lambda a, b: np.sqrt(np.linalg.norm(b - a, axis=1))[:, None] + 1e-9  # noqa: E731
    t0 = np.zeros((len(points), 1))
    t1 = t0 + knot(before, start)
    t2 = t1 + knot(start, end)
    t3 = t2 + knot(end, after)
    spans = []
    for share in np.arange(samples) / samples:
        t = t1 + share * (t2 - t1)
        a1 = ((t1 - t) * before + (t - t0) * start) / (t1 - t0)
        a2 = ((t2 - t) * start + (t - t1) * end) / (t2 - t1)
        a3 = ((t3 - t) * end + (t - t2) * after) / (t3 - t2)
        b1 = ((t2 - t) * a1 + (t - t0) * a2) / (t2 - t0)
        b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1)
        spans.append(((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1))
    return np.stack(spans, axis=1).reshape(-1, 2)


def face_part_mask(face: Face, part: str, height: int, width: int) -> np.ndarray:
    """One part of one face as a mask (float32 H x W, 0..1, edges anti-aliased):

    - face: inside the face oval (brow to chin, ear to ear);
    - skin: the face without eyes, brows and mouth;
    - eyes: inside each eye's lids (the iris model's lid contour);
    - irises: each iris circle, cut by the lids;
    - brows: the two brows;
    - lips: the lips without the opening between them;
    - mouth: the lips and the opening between them.
    """
    mesh = face.mesh.astype(np.float64)
    lids = [eye.outline for eye in face.eyes]
    canvas = _Canvas(np.concatenate([mesh, *lids]), height, width)
    polygon = lambda indices: mesh[list(indices)]  # noqa: E731
    if part == "face":
        canvas.fill([polygon(FACE_OVAL)])
    elif part == "skin":
        canvas.fill([polygon(FACE_OVAL)])
        canvas.fill([*lids, polygon(RIGHT_BROW), polygon(LEFT_BROW), polygon(LIPS_OUTER)], 0)
    elif part == "eyes":
        canvas.fill(lids)
    elif part == "irises":
        circles = sum(canvas.circle(eye.iris_centre, eye.iris_radius) for eye in face.eyes)
        canvas.fill(lids)
        canvas.pixels &= np.minimum(circles, 1).astype(np.uint8)
    elif part == "brows":
        canvas.fill([polygon(RIGHT_BROW), polygon(LEFT_BROW)])
    elif part == "lips":
        canvas.fill([polygon(LIPS_OUTER)])
        canvas.fill([polygon(LIPS_INNER)], 0)
    elif part == "mouth":
        canvas.fill([polygon(LIPS_OUTER)])
    else:
        raise ValueError(f"unknown face part {part!r}; known: {', '.join(PARTS)}")
    return canvas.mask()


FEATHER_SHARE = 0.05  # of a face's width: the blur's standard deviation at feather 1


def parts_mask(
    faces: list[Face],
    parts: tuple[str, ...] | list[str],
    height: int,
    width: int,
    feather: float = 0.0,
) -> np.ndarray:
    """The union of ``parts`` over ``faces`` (float32 H x W, 0..1), each face's parts
    softened by a Gaussian of ``feather`` x 0.05 x that face's width, so one setting
    suits a face of any size."""
    if not 0.0 <= feather <= 1.0:
        raise ValueError(f"feather must be between 0 and 1, got {feather}")
    mask = np.zeros((height, width), np.float32)
    for face in faces:
        face_mask = np.zeros_like(mask)
        for part in parts:
            np.maximum(face_mask, face_part_mask(face, part, height, width), out=face_mask)
        sigma = feather * FEATHER_SHARE * face.width
        if sigma > 0:
            face_mask = cv2.GaussianBlur(face_mask, (0, 0), sigma)
        np.maximum(mask, face_mask, out=mask)
    return np.clip(mask, 0.0, 1.0)
