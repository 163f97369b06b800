"""The body models (BlazePose: a person detector and a per-person segmentation) that the
person mask hears beside the selfie model, on Grace Hopper placed small in wide frames
and on photos with nobody in them."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from stylegraph.nodes.functional.bodies import body_probability, find_bodies
from stylegraph.nodes.functional.faces import find_faces
from stylegraph.nodes.functional.image_io import read_image
from tests import references
from tests.conftest import REPO
from tests.references import iou

PEOPLE = REPO / "tests" / "data" / "people"


@pytest.fixture(scope="module")
def hopper() -> tuple[np.ndarray, np.ndarray]:
    """Grace Hopper and her traced outline."""
    reference = json.loads((PEOPLE / "grace_hopper.json").read_text())
    return read_image(PEOPLE / "grace_hopper.jpg"), references.polygons(reference, "person")


def _small_in(background: np.ndarray, hopper, share: float) -> tuple[np.ndarray, np.ndarray]:
    """A 1200 x 500 frame of ``background`` with Grace Hopper ``share`` of its height
    standing at its bottom, right of the middle; and where her outline lies."""
    photo, outline = hopper
    frame = cv2.resize(background[..., :3], (1200, 500), interpolation=cv2.INTER_AREA)
    height = round(500 * share)
    width = round(photo.shape[1] * height / photo.shape[0])
    small = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    shape = cv2.resize(outline.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    frame[500 - height :, 700 : 700 + width] = small
    truth = np.zeros((500, 1200), bool)
    truth[500 - height :, 700 : 700 + width] = shape > 0
    return frame, truth


def test_a_small_person_missed_in_the_whole_photo_is_found_round_her_face(images, hopper):
    """Letterboxed whole into the detector's 224 px, Grace Hopper at 40 % of a 1200 x 500
    frame of coffee is not found; the square round the face the face models found
    holds her larger, and her own crop then traces her outline."""
    frame, truth = _small_in(read_image(images / "content" / "coffee.png"), hopper, 0.4)
    faces = [face.mesh for face in find_faces(frame)]
    assert len(faces) == 1
    assert find_bodies(frame, []) == []
    assert len(find_bodies(frame, faces)) == 1
    assert iou(body_probability(frame, faces), truth) >= 0.93


def test_the_answer_at_a_working_size_is_the_answer_at_full_size_scaled(images, hopper):
    """The person model works at 256 px on the short side: the body answer drawn there
    through each crop matches the full-size answer shrunk (no half-pixel drift)."""
    frame, _ = _small_in(read_image(images / "content" / "tubingen.jpg"), hopper, 0.7)
    faces = [face.mesh for face in find_faces(frame)]
    full = body_probability(frame, faces)
    small = body_probability(frame, faces, (256, 614))
    shrunk = cv2.resize(full, (614, 256), interpolation=cv2.INTER_AREA)
    assert iou(small, shrunk >= 0.5) >= 0.97
    assert np.abs(small - shrunk).mean() < 0.01


@pytest.mark.parametrize("name", ["chelsea.png", "coffee.png", "tubingen.jpg"])
def test_photos_without_people_have_no_body(images, name):
    """A cat, a cup, a townscape: no person found, so the body answer is 0 everywhere
    and the selfie model's answer stands alone."""
    photo = read_image(images / "content" / name)
    assert find_bodies(photo, []) == []
    assert body_probability(photo, []).max() == 0.0
