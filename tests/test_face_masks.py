"""Masks that know people, faces and eyes: MediaPipe's models shipped in the repository,
checked by hash, run offline; mask.subject's person method, mask.face, the eye-light, and
the subject mask on photos without colour."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph
from stylegraph.nodes.functional import faces as faces_module
from stylegraph.nodes.functional import person as person_module
from stylegraph.nodes.functional.eye_light import eye_light
from stylegraph.nodes.functional.faces import PARTS, find_faces, parts_mask, seen_eyes
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.masks import shape
from stylegraph.nodes.functional.subject import object_mask, select_subject, subject_mask
from stylegraph.nodes.models import mediapipe
from tests import references
from tests.conftest import REPO
from tests.references import iou

PEOPLE = REPO / "tests" / "data" / "people"
MASKS = REPO / "tests" / "data" / "masks"


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    return read_image(PEOPLE / "grace_hopper.jpg")


@pytest.fixture(scope="module")
def hopper_reference() -> dict:
    return json.loads((PEOPLE / "grace_hopper.json").read_text())


@pytest.fixture(scope="module")
def hopper_faces(hopper):
    return find_faces(hopper)


def run(registry, type_id: str, image: np.ndarray, **params) -> tuple[dict, list[str]]:
    node = registry.get(type_id)
    values = {**node.default_params(), **params}
    ctx = NodeContext("node_1", Path("."))
    return node.run(ctx, {"image": image}, values), ctx.warnings


# --- the model files ---------------------------------------------------------------------


def test_every_shipped_model_matches_its_recorded_hash():
    for name in mediapipe.MODELS:
        assert mediapipe.verified_bytes(name) == mediapipe.model_path(name).read_bytes()


@pytest.mark.parametrize("damage", ["flip", "truncate", "missing"])
def test_a_damaged_model_file_is_refused_naming_it(tmp_path, monkeypatch, registry, damage):
    for file in mediapipe.MODEL_DIR.glob("*.tflite"):
        shutil.copy(file, tmp_path / file.name)
    target = tmp_path / "face_landmark.tflite"
    if damage == "flip":
        content = bytearray(target.read_bytes())
        content[len(content) // 2] ^= 0x01
        target.write_bytes(bytes(content))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:1000])
    else:
        target.unlink()
    monkeypatch.setattr(mediapipe, "MODEL_DIR", tmp_path)
    mediapipe.interpreter.cache_clear()
    try:
        with pytest.raises(mediapipe.ModelFileError) as caught:
            find_faces(read_image(PEOPLE / "grace_hopper.jpg"))
    finally:
        mediapipe.interpreter.cache_clear()
    message = str(caught.value)
    assert str(target) in message
    if damage == "missing":
        assert "cannot be read" in message
    else:
        assert "damaged or replaced" in message
        assert mediapipe.MODELS["face_landmark"] in message


def test_models_load_once_per_process(hopper):
    mediapipe.interpreter.cache_clear()
    find_faces(hopper)
    find_faces(hopper)
    info = mediapipe.interpreter.cache_info()
    assert info.misses == 4  # two detectors, landmarks, iris: each loaded once
    assert info.hits > 0


def test_person_and_face_masks_run_with_the_network_unreachable(monkeypatch, registry, tmp_path):
    """Nothing is downloaded: every socket fails, and a graph of both masks still runs."""

    def no_network(*args, **kwargs):
        raise OSError("network unreachable (test)")

    mediapipe.interpreter.cache_clear()  # the models load again, offline
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    graph = Graph(registry)
    graph.add_node("image.load", "photo", {"path": str(PEOPLE / "grace_hopper.jpg")})
    graph.add_node("mask.subject", "person")
    graph.add_node("mask.face", "eyes", {"parts": ["eyes", "irises"]})
    graph.connect("photo", "image", "person", "image")
    graph.connect("photo", "image", "eyes", "image")
    report = Engine().run(graph, output_dir=tmp_path)
    assert report.with_status(Status.FAILED) == [], report
    assert report.outputs["person"]["mask"].mean() > 0.3
    assert report.outputs["eyes"]["mask"].max() == pytest.approx(1.0)


# --- person --------------------------------------------------------------------------------


def test_select_subject_uses_the_person_model_on_a_portrait(hopper, hopper_reference):
    truth = references.polygons(hopper_reference, "person")
    mask, method = select_subject(hopper)
    assert method == "person"
    assert iou(mask, truth) >= 0.95
    colour, forced = select_subject(hopper, method="colour")
    assert forced == "colour"
    np.testing.assert_array_equal(colour, subject_mask(hopper))


def test_select_subject_uses_the_object_network_without_a_face(images):
    cat = read_image(images / "content" / "chelsea.png")
    mask, method = select_subject(cat)
    assert method == "object"
    np.testing.assert_array_equal(mask, object_mask(cat))
    colour, method = select_subject(cat, "colour")
    assert method == "colour"
    np.testing.assert_array_equal(colour, subject_mask(cat))


def _held_object_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dark figure on a grey field holding a light box with a strong outline, and a
    patch of the field beside it with no outline. The model's answer splits the box
    (0.7 at the hand, 0.45 beyond: more sure than unsure of it on the whole) and is
    unsure of the field's patch (0.4)."""
    image = np.full((120, 160, 3), 0.55, np.float32)
    image[20:120, 20:70] = 0.08  # the figure
    image[40:70, 70:110] = 0.9  # the box at its hand
    probability = np.full((120, 160), 0.02, np.float32)
    probability[20:120, 20:70] = 0.97
    probability[40:70, 70:85] = 0.7
    probability[40:70, 85:110] = 0.45
    probability[85:115, 70:110] = 0.4  # field, beside the figure, no outline of its own
    return image, probability, np.zeros((120, 160), bool)


def test_what_a_person_holds_joins_them_and_the_field_beside_them_does_not():
    image, probability, _ = _held_object_scene()
    answer = person_module.cut_person(image, probability)
    assert (answer[41:69, 71:109] >= 0.5).all()  # the whole box, not the part over 0.5
    assert (answer[88:112, 74:106] < 0.5).all()  # the field stays out
    assert (answer[25:115, 25:65] >= 0.5).all()
    assert (answer[:15] < 0.5).all() and (answer[:, 115:] < 0.5).all()
    np.testing.assert_array_equal(answer[25:115, 25:65], probability[25:115, 25:65])


def test_hints_overrule_the_cut():
    image, probability, remove = _held_object_scene()
    remove[40:70, 70:110] = True
    keep = np.zeros_like(remove)
    keep[85:115, 70:110] = True
    answer = person_module.cut_person(image, probability, keep, remove)
    assert (answer[40:70, 70:110] == 0.0).all()
    assert (answer[85:115, 70:110] == 1.0).all()


def test_what_the_object_network_calls_background_leaves_the_person_and_nothing_more():
    """A crowd the person model gives 0.8 beside a figure it is sure of (0.99): the
    salient-object network calls the crowd background (0.01) and it goes. The same
    network's "background" over the figure's head (a dark torso it misses) does not
    overrule the sure model, and its "object" (a bus it finds salient, 0.99) adds
    nothing the person model left out."""
    image = np.full((120, 160, 3), 0.55, np.float32)
    image[20:120, 20:70] = 0.08  # the figure
    image[10:60, 100:150] = 0.3  # the crowd
    image[80:120, 90:150] = 0.8  # the bus
    probability = np.full((120, 160), 0.02, np.float32)
    probability[20:120, 20:70] = 0.99
    probability[10:60, 100:150] = 0.8
    salient = np.full((120, 160), 0.01, np.float32)
    salient[40:120, 20:70] = 0.98  # the figure below its head
    salient[80:120, 90:150] = 0.99
    alone = person_module.cut_person(image, probability)
    assert (alone[12:58, 102:148] >= 0.5).all()  # the person model alone keeps the crowd
    answer = person_module.cut_person(image, probability, salient=salient)
    assert (answer[12:58, 102:148] < 0.5).all()
    assert (answer[22:118, 22:68] >= 0.5).all()  # the whole figure, its head too
    assert (answer[82:118, 92:148] < 0.5).all()


def _beside_hopper(hopper: np.ndarray, other: np.ndarray, left: bool) -> np.ndarray:
    """``other`` at Grace Hopper's height, on her left or her right: one wide frame."""
    height = hopper.shape[0]
    width = round(other.shape[1] * height / other.shape[0])
    other = cv2.resize(other[..., :3], (width, height), interpolation=cv2.INTER_AREA)
    return np.concatenate([other, hopper] if left else [hopper, other], axis=1)


@pytest.mark.parametrize("other", ["tubingen.jpg", "chelsea.png"])
@pytest.mark.parametrize("left", [True, False])
def test_a_portrait_in_a_wide_frame_keeps_its_outline(
    images, hopper, hopper_reference, other, left
):
    """Grace Hopper beside a townscape or a cat, about 2.3 : 1. Squeezed whole into the
    person model's square she came out thin and the answer spread beside her (IoU 0.886
    and 0.904 with the townscape); the square holding her face serves her, and the
    square holding the cat, with no face, is left to the squeezed answer (the model
    calls most of a cat a person when shown it alone: IoU 0.32 then)."""
    frame = _beside_hopper(hopper, read_image(images / "content" / other), left)
    truth = np.zeros(frame.shape[:2], bool)
    at = frame.shape[1] - hopper.shape[1] if left else 0
    truth[:, at : at + hopper.shape[1]] = references.polygons(hopper_reference, "person")
    mask, method = select_subject(frame)
    assert method == "person"
    assert iou(mask, truth) >= 0.93


def test_the_cameraman_keeps_his_camera():
    """The person model alone leaves out the front of the camera he holds (IoU 0.941
    with the traced outline); cut along the photo's edges the camera joins him. A photo
    the cut's smoothness was chosen on (with the astronaut and Grace Hopper)."""
    photo = read_image(PEOPLE / "camera.png")
    reference = json.loads((PEOPLE / "camera.json").read_text())
    truth = references.polygons(reference, "person")
    mask, method = select_subject(photo)
    assert method == "person"
    assert iou(mask, truth) >= 0.95
    camera_front = truth[145:180, 285:320]
    assert (mask[145:180, 285:320][camera_front] >= 0.5).mean() > 0.9


def test_the_person_method_takes_keep_and_remove_hints(hopper):
    height, width = hopper.shape[:2]
    remove = np.zeros((height, width), np.float32)
    remove[:, : width // 2] = 1.0
    mask, _ = select_subject(hopper, method="person", remove=remove)
    assert (mask[:, : width // 2 - 4] >= 0.5).sum() == 0
    assert mask[300:, width // 2 + 8 :].mean() > 0.8


def test_the_subject_node_inverts_the_person_mask_for_background(registry, hopper):
    subject, _ = run(registry, "mask.subject", hopper)
    background, _ = run(registry, "mask.subject", hopper, select="background")
    np.testing.assert_allclose(background["mask"], 1.0 - subject["mask"], atol=1e-6)


# --- face parts ------------------------------------------------------------------------------


def test_eyes_and_irises_follow_the_traced_outlines(hopper, hopper_faces, hopper_reference):
    height, width = hopper.shape[:2]
    eyes = parts_mask(hopper_faces, ["eyes"], height, width)
    irises = parts_mask(hopper_faces, ["irises"], height, width)
    assert (
        references.outline_distance(eyes >= 0.5, references.polygons(hopper_reference, "eyes"))
        <= 2.0
    )
    assert references.outline_distance(irises >= 0.5, references.irises(hopper_reference)) <= 2.0


def _ellipse_points(cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    turn = np.linspace(0.0, 2.0 * np.pi, 240, endpoint=False)
    return np.column_stack([cx + rx * np.cos(turn), cy + ry * np.sin(turn)])


def test_an_eye_drawn_as_a_known_ellipse_covers_its_area_not_more():
    """Eyes are 8-15 px tall: a quarter-pixel grown all round costs 5 % of their area.
    The parts are filled as the traced references are (masks.shape), so a lid outline
    equal to the traced one scores IoU 1."""
    height, width = 60, 90
    lids = [_ellipse_points(25.3, 30.7, 14.0, 5.0), _ellipse_points(62.6, 29.2, 13.0, 4.5)]
    eyes = tuple(faces_module.Eye(lid, (lid[:, 0].mean(), lid[:, 1].mean()), 4.0) for lid in lids)
    face = faces_module.Face(1.0, np.array([[5.0, 5.0], [85.0, 55.0]]), eyes)
    mask = faces_module.face_part_mask(face, "eyes", height, width)
    exact = np.pi * (14.0 * 5.0 + 13.0 * 4.5)
    assert abs(mask.sum() - exact) / exact < 0.01
    reference = sum(
        shape(height, width, "polygon", points=(outline / [width, height]).tolist())
        for outline in map(faces_module.smooth_outline, lids)
    )
    np.testing.assert_allclose(mask, reference, atol=1e-6)
    irises = faces_module.face_part_mask(face, "irises", height, width)
    assert abs(irises.sum() - 2 * np.pi * 4.0**2) / (2 * np.pi * 4.0**2) < 0.02


def test_a_lid_given_as_16_points_is_filled_as_the_curve_through_them():
    """The iris model gives each lid as 16 points; straight spans between them lose the
    lid's bulge (2 % of an eye's area), the smooth outline through them keeps it. Both
    eyes lie on each other here: each part is filled on its own, not even-odd."""
    height, width = 40, 60
    lid = _ellipse_points(30.2, 20.6, 20.0, 6.0)[::15]  # 16 points
    assert len(lid) == 16
    eye = faces_module.Eye(lid, (30.2, 20.6), 4.0)
    face = faces_module.Face(1.0, np.array([[2.0, 2.0], [58.0, 38.0]]), (eye, eye))
    outline = faces_module.smooth_outline(lid)
    np.testing.assert_allclose(outline[::8], lid, atol=1e-9)
    exact = np.pi * 20.0 * 6.0
    straight = shape(height, width, "polygon", points=(lid / [width, height]).tolist()).sum()
    filled = faces_module.face_part_mask(face, "eyes", height, width).sum()
    assert straight < 0.985 * exact
    assert abs(filled - exact) / exact < 0.01


def test_parts_nest_as_a_face_does(hopper, hopper_faces):
    height, width = hopper.shape[:2]
    part = {name: parts_mask(hopper_faces, [name], height, width) >= 0.5 for name in PARTS}
    assert all(part[name].any() for name in PARTS)
    assert not (part["irises"] & ~part["eyes"]).any()
    assert not (part["lips"] & ~part["mouth"]).any()
    soft = {name: parts_mask(hopper_faces, [name], height, width) for name in PARTS}
    holes = parts_mask(hopper_faces, ["eyes", "brows", "mouth"], height, width)
    assert (soft["skin"] + holes <= 1.0 + 1e-6).all()  # skin stops where they start
    assert (part["skin"] & ~part["face"]).sum() == 0


def test_several_parts_at_once_are_their_union(hopper, hopper_faces):
    height, width = hopper.shape[:2]
    union = parts_mask(hopper_faces, ["eyes", "lips"], height, width)
    expected = np.maximum(
        parts_mask(hopper_faces, ["eyes"], height, width),
        parts_mask(hopper_faces, ["lips"], height, width),
    )
    np.testing.assert_array_equal(union, expected)


def test_feather_softens_the_edge_by_the_face_size(hopper, hopper_faces):
    height, width = hopper.shape[:2]
    hard = parts_mask(hopper_faces, ["eyes"], height, width)
    soft = parts_mask(hopper_faces, ["eyes"], height, width, feather=1.0)
    sigma = faces_module.FEATHER_SHARE * hopper_faces[0].width
    np.testing.assert_allclose(soft, cv2.GaussianBlur(hard, (0, 0), sigma), atol=1e-6)
    assert ((soft > 0.01) & (soft < 0.99)).sum() > 3 * ((hard > 0.01) & (hard < 0.99)).sum()


def test_a_photo_without_a_face_gives_an_empty_mask_and_one_warning(registry, images):
    cat = read_image(images / "content" / "chelsea.png")
    outputs, warnings = run(registry, "mask.face", cat, parts=["eyes", "skin"])
    assert outputs["mask"].shape == cat.shape[:2]
    assert outputs["mask"].max() == 0.0
    assert warnings == ["node_1: no face found in the photo; the face mask is empty"]


def test_no_parts_chosen_is_refused_by_validate_naming_the_param(registry):
    from stylegraph.graph.validate import validate

    graph = Graph(registry)
    graph.add_node("mask.face", node_id="face", params={"parts": []})
    problems = [str(problem) for problem in validate(graph)]
    assert (
        "node 'face' (mask.face), param 'parts': choose at least one of face, skin, eyes, "
        "irises, brows, lips, mouth"
    ) in problems


def two_faces(hopper, images) -> np.ndarray:
    """Grace Hopper beside the astronaut (her face smaller): one photo, two sitters."""
    astronaut = read_image(images / "content" / "astronaut.png")
    astronaut = cv2.resize(astronaut, (450, 450), interpolation=cv2.INTER_AREA)
    side = np.zeros((600, 450, 3), np.float32)
    side[75:525] = astronaut
    return np.concatenate([hopper, side], axis=1)


def test_several_faces_every_face_or_the_largest(registry, hopper, images):
    photo = two_faces(hopper, images)
    found = find_faces(photo)
    assert len(found) == 2
    assert found[0].area > found[1].area
    assert found[0].mesh[:, 0].mean() < 512 < found[1].mesh[:, 0].mean()  # Hopper first
    every, _ = run(registry, "mask.face", photo, parts=["eyes"])
    largest, _ = run(registry, "mask.face", photo, parts=["eyes"], faces="largest")
    assert every["mask"][:, :512].max() == largest["mask"][:, :512].max() == 1.0
    assert every["mask"][:, 512:].max() > 0.9
    assert largest["mask"][:, 512:].max() == 0.0


def test_a_face_cut_by_the_frame_keeps_the_eye_inside(hopper, hopper_faces):
    cut = np.ascontiguousarray(hopper[:, 250:])
    found = find_faces(cut)
    assert len(found) == 1
    height, width = cut.shape[:2]
    eyes = parts_mask(found, ["eyes"], height, width)
    assert eyes.shape == (height, width)
    whole = parts_mask(hopper_faces, ["eyes"], *hopper.shape[:2])[:, 250:]
    assert iou(eyes, whole >= 0.5) >= 0.6  # the eye left in the frame, found again


def test_a_cats_face_is_not_taken_for_a_person(images):
    """Chelsea enlarged to 500 px: the face models took her face for a person's
    (detection 0.59, landmarks 0.70), and Select Subject then used the person model on
    a cat. The detector is unsure of it and no person is found under it: no face."""
    cat = read_image(images / "content" / "chelsea.png")
    cat = cv2.resize(cat, (500, 333), interpolation=cv2.INTER_CUBIC)
    assert find_faces(cat) == []
    assert select_subject(cat)[1] == "object"


def test_a_close_up_is_one_face_with_two_eyes(hopper, hopper_faces):
    """Cropped to her head, Grace Hopper also gave a second, smaller face over her right
    eye (its box about 85 % inside hers) with an eye outline beside her own."""
    top, left = 40, 40
    close_up = np.ascontiguousarray(hopper[top : top + 320, left : left + 320])
    found = find_faces(close_up)
    assert len(found) == 1
    eyes = parts_mask(found, ["eyes"], 320, 320)
    whole = parts_mask(hopper_faces, ["eyes"], *hopper.shape[:2])
    whole = whole[top : top + 320, left : left + 320]
    assert iou(eyes, whole >= 0.5) >= 0.85  # 0.877: the lids move with the crop
    assert eyes[whole < 0.5].sum() < 0.06 * whole.sum()  # the second face's eye: 0.13


def test_a_small_face_in_a_wide_picture_is_found(hopper, hopper_faces):
    """Grace Hopper 80 px tall in a 1000 x 750 px grey picture: her face, 26 px wide, is
    too small for the short-range detector even on the half-size tiles (nothing found,
    here and at four other places); the full-range detector finds it, and the mesh lies
    where her face is in the photo itself, scaled down (0.01 of her face's width)."""
    scale = 80 / hopper.shape[0]
    small = cv2.resize(hopper, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    picture = np.full((750, 1000, 3), 0.5, np.float32)
    top, left = 250, 330
    picture[top : top + small.shape[0], left : left + small.shape[1]] = small
    found = find_faces(picture)
    assert len(found) == 1
    expected = hopper_faces[0].mesh * [small.shape[1] / hopper.shape[1], scale] + [left, top]
    error = np.linalg.norm(found[0].mesh - expected, axis=1).mean()
    assert error < 0.1 * found[0].width


# --- photo kinds ---------------------------------------------------------------------------


def test_a_greyscale_portrait_gets_its_eyes_and_person(tmp_path, hopper, hopper_faces):
    path = tmp_path / "grey.png"
    Image.open(PEOPLE / "grace_hopper.jpg").convert("L").save(path)
    grey = read_image(path)
    height, width = grey.shape[:2]
    found = find_faces(grey)
    assert len(found) == 1
    colour_eyes = parts_mask(hopper_faces, ["eyes"], height, width) >= 0.5
    assert iou(parts_mask(found, ["eyes"], height, width), colour_eyes) >= 0.7
    mask, method = select_subject(grey)
    assert method == "person"
    assert iou(mask, select_subject(hopper)[0] >= 0.5) >= 0.95


def test_a_16_bit_portrait_gives_the_8_bit_masks(tmp_path, hopper, hopper_faces):
    path = tmp_path / "deep.png"
    deep = np.round(hopper * 65535).astype(np.uint16)
    cv2.imwrite(str(path), cv2.cvtColor(deep, cv2.COLOR_RGB2BGR))
    photo = read_image(path)
    height, width = photo.shape[:2]
    found = find_faces(photo)
    assert len(found) == 1
    np.testing.assert_allclose(found[0].mesh, hopper_faces[0].mesh, atol=0.5)
    eyes = parts_mask(found, ["eyes"], height, width)
    assert iou(eyes, parts_mask(hopper_faces, ["eyes"], height, width) >= 0.5) >= 0.9


def test_a_6000_px_portrait_is_served_in_its_own_pixels(hopper, hopper_faces):
    big = cv2.resize(hopper, (5120, 6000), interpolation=cv2.INTER_CUBIC)
    found = find_faces(big)
    assert len(found) == 1
    scale = 6000 / hopper.shape[0]
    for eye, small in zip(found[0].eyes, hopper_faces[0].eyes, strict=True):
        assert np.hypot(*(np.subtract(eye.iris_centre, np.multiply(small.iris_centre, scale)))) < (
            3 * scale
        )
    irises = parts_mask(found, ["irises"], 6000, 5120)
    assert irises.shape == (6000, 5120)
    assert irises.sum() == pytest.approx(
        parts_mask(hopper_faces, ["irises"], *hopper.shape[:2]).sum() * scale**2, rel=0.35
    )
    person, method = select_subject(big)
    assert method == "person" and person.shape == (6000, 5120)


@pytest.mark.parametrize("mode", ["L", "LA", "I;16", "grey RGB"])
def test_the_colour_subject_mask_works_on_a_greyscale_photo(tmp_path, images, mode):
    """A black-and-white photo without a person: the object network, which learnt from
    colour photos, finds only an eye's highlight, so "auto" hands over to the colour
    method, whose lightness and texture stand in for colour: the mask is the cat, not
    the whole frame."""
    source = Image.open(images / "content" / "chelsea.png").convert("L")
    path = tmp_path / "grey.png"
    if mode == "I;16":
        source = Image.fromarray((np.asarray(source, np.uint16) * 257).astype(np.uint16))
    elif mode == "LA":
        source = source.convert("LA")
    elif mode == "grey RGB":
        source = source.convert("RGB")
    source.save(path)
    photo = read_image(path)
    mask, method = select_subject(photo)
    assert method == "colour"
    truth = np.array(Image.open(MASKS / "chelsea.png")).astype(bool)
    assert 0.4 < (mask >= 0.5).mean() < 0.85  # not the whole frame
    assert iou(mask, truth) >= 0.85


# --- eye-light -----------------------------------------------------------------------------


def test_the_eye_light_brightens_inside_the_irises_only(hopper, hopper_faces):
    height, width = hopper.shape[:2]
    lit = eye_light(hopper[..., :3], hopper_faces, 0.5, 0.8)
    change = (lit - hopper[..., :3]).max(axis=2)
    irises = parts_mask(hopper_faces, ["irises"], height, width)
    assert (lit >= hopper[..., :3] - 1e-6).all()  # screened: never darker
    assert (change[irises == 0] == 0).all()
    assert change.max() > 0.5
    np.testing.assert_array_equal(eye_light(hopper[..., :3], hopper_faces, 0.5, 0.0), hopper)
    bigger = eye_light(hopper[..., :3], hopper_faces, 1.0, 0.8)
    assert ((bigger - hopper[..., :3]).max(axis=2) > 0.05).sum() > (change > 0.05).sum()


def test_the_eye_light_node_passes_a_photo_without_a_face_with_a_warning(registry, images):
    cat = read_image(images / "content" / "chelsea.png")
    outputs, warnings = run(registry, "filter.eye_light", cat)
    np.testing.assert_array_equal(outputs["image"], cat)
    assert warnings == ["node_1: no face found in the photo; no eye-light added"]


@pytest.mark.parametrize(
    ("nose_x", "seen"),
    [(155.0, "both"), (180.0, "both"), (195.0, "right"), (115.0, "left"), (125.0, "both")],
)
def test_an_eye_the_nose_hides_is_left_out(nose_x, seen):
    """Eyes 40 px wide, inner corners at x 140 and 170. Turned, the face's nose tip
    passes the far eye's inner corner; once it is halfway to the outer corner (x 190 on
    the left eye, 120 on the right) that eye is behind the nose: no eye, no iris and no
    eye-light for it (a man turned about 60 degrees got one on his nose)."""
    mesh = np.zeros((468, 2))
    mesh[[33, 133, 362, 263]] = [[100.0, 50.0], [140.0, 50.0], [170.0, 50.0], [210.0, 50.0]]
    mesh[1] = [nose_x, 70.0]
    right = faces_module.Eye(np.zeros((16, 2)), (120.0, 50.0), 5.0)
    left = faces_module.Eye(np.ones((16, 2)), (190.0, 50.0), 5.0)
    expected = {"both": (right, left), "right": (right,), "left": (left,)}[seen]
    assert seen_eyes(mesh, (right, left)) == expected


def test_eyes_and_irises_cover_the_traced_openings(hopper, hopper_faces, hopper_reference):
    """Grace Hopper's eyes, traced by the written rule (the opening between the lid
    margins): the iris model's smooth lids cover them at IoU 0.770, its irises cut by
    them at 0.804 (the eye target is 0.8: short of it, as on the other traced eyes)."""
    height, width = hopper.shape[:2]
    eyes = parts_mask(hopper_faces, ["eyes"], height, width)
    irises = parts_mask(hopper_faces, ["irises"], height, width)
    assert iou(eyes, references.polygons(hopper_reference, "eyes")) >= 0.75
    assert iou(irises, references.irises(hopper_reference)) >= 0.78
