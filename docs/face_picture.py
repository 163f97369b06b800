"""Re-renders docs/images/face-masks.jpg: a portrait, its person mask (mask.subject at its
defaults picks the person model; the photo dimmed outside it), its eyes and irises
(mask.face) and the shipped `portrait-detail` preset's result, the last two as close-ups
of the eyes, on Grace Hopper (US Navy, public domain; tests/data/people).
Run: python -m stylegraph.docs.face_picture"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from stylegraph.graph.engine import Engine
from stylegraph.graph.preset import load_preset
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.channels import to_u8
from stylegraph.nodes.functional.faces import find_faces, parts_mask
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.subject import select_subject
from stylegraph.presets import shipped_presets

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "tests" / "data" / "people" / "grace_hopper.jpg"
HEIGHT = 420  # px of each panel


def _panel(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    size = (round(width * HEIGHT / height), HEIGHT)
    return cv2.resize(
        image, size, interpolation=cv2.INTER_AREA if height > HEIGHT else cv2.INTER_CUBIC
    )


def main() -> None:
    photo = read_image(PHOTO)[..., :3]
    height, width = photo.shape[:2]
    person, method = select_subject(photo)
    assert method == "person"
    dimmed = photo * (0.2 + 0.8 * person[..., None])
    faces = find_faces(photo)
    eyes = parts_mask(faces, ["eyes"], height, width)[..., None]
    irises = parts_mask(faces, ["irises"], height, width)[..., None]
    marked = photo * (1 - 0.45 * eyes) + 0.45 * eyes * np.array([0.1, 0.9, 0.2])
    marked = marked * (1 - 0.6 * irises) + 0.6 * irises * np.array([0.9, 0.1, 0.9])
    registry = default_registry()
    preset = load_preset(shipped_presets()["portrait-detail"], registry)
    preset.graph.set_param("photo", "path", str(PHOTO))
    with tempfile.TemporaryDirectory() as out:
        report = Engine().run(preset.graph, targets=["eye_light"], output_dir=out)
    if not report.ok:
        raise SystemExit(f"the portrait-detail preset failed: {report.to_json()}")
    finished = report.outputs["eye_light"]["image"][..., :3]
    # the close-ups: the eyes and the bridge of the nose, from the face's landmarks
    centre = np.mean([eye.iris_centre for eye in faces[0].eyes], axis=0)
    half = 0.3 * faces[0].width
    x0, x1 = int(centre[0] - half), int(centre[0] + half)
    y0, y1 = int(centre[1] - half * 0.45), int(centre[1] + half * 0.45)
    panels = [
        _panel(photo),
        _panel(dimmed),
        _panel(marked[y0:y1, x0:x1]),
        _panel(finished[y0:y1, x0:x1]),
    ]
    gap = np.ones((HEIGHT, 8, 3), np.float32)
    strip = np.concatenate([p for panel in panels for p in (panel, gap)][:-1], axis=1)
    bgr = cv2.cvtColor(to_u8(np.clip(strip, 0, 1)), cv2.COLOR_RGB2BGR)
    target = REPO / "docs" / "images" / "face-masks.jpg"
    cv2.imwrite(str(target), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])


if __name__ == "__main__":
    main()
