"""VGG-19 features in the subject mask: how unlike the frame each place is, the picture
GrabCut cuts in, the seeds they veto, and the coffee cup they lift above colour alone."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from stylegraph.nodes.functional import subject
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.object_features import (
    feature_picture,
    features,
    frame_contrast,
)
from stylegraph.nodes.functional.subject import seed_labels, subject_mask
from tests.references import iou

MASKS = Path(__file__).resolve().parent / "data" / "masks"


def test_a_patch_unlike_the_frame_stands_out_and_the_frame_does_not():
    rng = np.random.default_rng(0)
    found = np.abs(rng.normal(0.0, 0.1, (16, 30, 40))).astype(np.float32)
    found[0] += 1.0  # the frame's surfaces: channel 0
    found[:, 10:20, 15:25] = 0.0
    found[5, 10:20, 15:25] = 1.0  # the patch: channel 5 only
    unlike = frame_contrast(found, 30, 40)
    assert unlike.shape == (30, 40) and unlike.min() == 0.0 and unlike.max() == 1.0
    assert unlike[12:18, 17:23].min() > 0.9
    assert unlike[:3].max() < 0.1 and unlike[:, :3].max() < 0.1


def test_places_like_the_frame_are_never_surely_subject_and_hints_still_win():
    salient = np.full((50, 50), 0.9, np.float32)
    likelihood = np.full((50, 50), 0.5, np.float32)
    unlike = np.ones((50, 50), np.float32)
    unlike[:, :20] = 0.4  # a wall much like the frame, though salient by its colour
    unlike[:, :10] = 0.1  # ... and one just like it
    keep = np.zeros((50, 50), bool)
    keep[25, 5] = True
    labels = seed_labels(salient, likelihood, 0.5, keep, None, unlike)
    assert labels[25, 35] == cv2.GC_FGD
    assert labels[25, 15] == cv2.GC_PR_FGD
    assert labels[25, 7] == cv2.GC_PR_BGD
    assert labels[25, 5] == cv2.GC_FGD  # the keep hint wins
    assert (seed_labels(salient, likelihood, 0.5)[:, :20] == cv2.GC_FGD).any()


def test_the_feature_picture_is_three_channels_in_range_at_the_photos_size(images):
    photo = read_image(images / "content" / "coffee.png")[..., :3]
    small = cv2.resize(photo, (200, 133), interpolation=cv2.INTER_AREA)
    found = features(small)
    assert found is not None and found.shape == (512, 13, 20)  # read at 160 x 106 px
    picture = feature_picture(small, found)
    assert picture.shape == (133, 200, 3) and picture.dtype == np.float32
    assert picture.min() >= 0.0 and picture.max() <= 1.0
    assert picture.std(axis=(0, 1)).min() > 0.1  # each channel carries a contrast


def test_the_coffee_cup_is_cut_better_than_by_colour_alone(images, monkeypatch):
    """The saucer shares its red-brown with the table: colour alone gives IoU 0.874
    against the traced reference, colour and VGG-19 texture together 0.958."""
    photo = read_image(images / "content" / "coffee.png")
    truth = np.array(Image.open(MASKS / "coffee.png")).astype(bool)
    both = iou(subject_mask(photo), truth)
    monkeypatch.setattr(subject, "features", lambda small: None)
    colour = iou(subject_mask(photo), truth)
    assert both >= 0.93 and colour < 0.9
