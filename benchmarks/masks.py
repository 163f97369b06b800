"""Subject, sky, quick-selection, person and face-part masks against outlines traced by
hand. Prints JSON.

Objects, quick selections and skies: ``benchmarks/masks_scenes.py`` (its docstring gives
the photos, references, tuned and held-out photos and targets), printed under "objects",
"quick_selection" and "skies".

People: on each people photo, mask.subject (which picks the person model there) against
the traced person outline, IoU at least 0.95; mask.face's eyes and irises against the
traced lids and iris circles, eyes IoU at least 0.8 and both outlines within 2 px on
average. References: tests/data/people/*.json and tests/data/masks/astronaut.json (the
astronaut with the helmet she holds). Photos not kept in the repository are read from
``--photos DIR`` (obama.jpg: ``pip download --no-deps --no-binary=:all:
face_recognition==1.3.0`` and unpack its tests/test_images). TUNED names the photos
looked at while choosing the method's settings; the others are held out. obama2.jpg (same
sdist) has eyes about 45 x 17 px; its person outline takes in the blurred people at its
edges. zidane.jpg, bus.jpg (ultralytics 8.4's wheel, ultralytics/assets),
insightface_t1.jpg (insightface 2.1's sdist, insightface/data/images/t1.jpg) and
messi5.jpg (Debian opencv-doc's samples): wide and multi-person photos, read from
``--photos DIR`` too; biden.jpg and obama3.jpg (face_recognition's sdist): standing men cut
by the frame, held out (traced after the last change to the person mask). Six more
portraits, eyes and irises only (``EYES_ONLY``), come from the examples of
github.com/ageitgey/face_recognition (examples/lin-manuel-miranda.png and five photos of
examples/knn_examples/train, saved as FOLDER_FILE: biden_biden2.jpg, ...), read from
``--photos DIR`` too.
Speed: each model (person, face detection + landmarks + irises) under 0.1 s at 500 px
and under 0.5 s at 2000 px.
Your own photos with your own traces: ``--traced DIR`` (benchmarks/masks_traced.py says
how to lay them out) adds a "traced" section measured by the same rows and targets.
Run: python -m benchmarks.masks [--photos DIR] [--traced DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.common import IMAGES, machine
from benchmarks.masks_scenes import (
    QUICK_SECONDS,
    QUICK_TARGET,
    SKY_TARGET,
    SUBJECT_SECONDS,
    SUBJECT_TARGET,
    measure,
    rows_met,
    run_node,
)
from benchmarks.masks_traced import measure_folder
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.faces import find_faces
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.person import person_probability
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from tests import references
from tests.references import iou

REFERENCES = Path(__file__).resolve().parent.parent / "tests" / "data" / "masks"
PEOPLE_DIR = REFERENCES.parent / "people"
# name -> (reference JSON, where the photo is: "shared", "repo" or "photos" for --photos)
# Eyes and irises only, traced on 2026-12-08 (ninth session): portraits from the examples of
# ageitgey/face_recognition on GitHub, saved under the names in each JSON's "source".
EYES_ONLY = (
    *("alex_lacamoire_img1", "biden_biden2", "kit_harington_john2"),
    *("lin-manuel-miranda", "rose_leslie_img1", "rose_leslie_img2"),
)
PEOPLE = {
    "astronaut": (REFERENCES / "astronaut.json", "shared"),
    "grace_hopper": (PEOPLE_DIR / "grace_hopper.json", "repo"),
    "camera": (PEOPLE_DIR / "camera.json", "repo"),
    "obama": (PEOPLE_DIR / "obama.json", "photos"),
    "obama2": (PEOPLE_DIR / "obama2.json", "photos"),
    "zidane": (PEOPLE_DIR / "zidane.json", "photos"),
    "insightface_t1": (PEOPLE_DIR / "insightface_t1.json", "photos"),
    "messi5": (PEOPLE_DIR / "messi5.json", "photos"),
    "bus": (PEOPLE_DIR / "bus.json", "photos"),
    "astronaut_eyes": (PEOPLE_DIR / "astronaut_eyes.json", "shared"),
    "biden": (PEOPLE_DIR / "biden.json", "photos"),
    "obama3": (PEOPLE_DIR / "obama3.json", "photos"),
    **{name: (PEOPLE_DIR / f"{name}.json", "photos") for name in EYES_ONLY},
}
# The person cut's smoothness was chosen looking at the astronaut, Grace Hopper and the
# cameraman; Obama (person) was held out then.
# The person model's squares and the cut's second opinion (2026-12-07) were chosen on the
# people of tests/data/people traced for it (zidane, insightface_t1, messi5, bus, read from
# --photos) with every people photo's person IoU printed, Obama's too: so Obama counts as
# seen since then (its eyes were not looked at for it). The body models' answer beside
# the selfie model's (2026-12-07, sixth session) was chosen with the person IoU of all
# nine people photos printed, obama2's too (its person outline was traced before that).
# Eyes: Grace Hopper's and Obama's were re-traced blind by the rule in tests/data/people's
# README (2026-12-07, sixth session); dropping the lid search for the model's own lids was
# then chosen on them, obama2, biden and obama3. The astronaut's and zidane's eyes, traced at
# the same time, were measured after that choice (and beside the two searches tried).
# The six EYES_ONLY portraits were traced after the eye method was last changed and measured
# once (2026-12-08) beside two candidates fixed beforehand; neither was kept (RESULTS.md).
EYES_HELD_OUT = ("astronaut_eyes", "zidane", *EYES_ONLY)
TUNED = (
    *("astronaut", "grace_hopper", "camera", "obama", "obama2"),
    *("zidane", "insightface_t1", "messi5", "bus"),
)
PERSON_TARGET = 0.95
EYES_TARGET = 0.8
OUTLINE_TARGET_PX = 2.0
MODEL_SECONDS = {500: 0.1, 2000: 0.5}


def _seconds(function, *args) -> float:
    """The best of three calls' seconds."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return round(min(times), 4)


def _photo(name: str, where: str, data: dict, photos: Path | None) -> np.ndarray | None:
    if where == "shared":
        return read_image(IMAGES / "content" / data["image"])
    if where == "repo":
        return read_image(PEOPLE_DIR / data["image"])
    if photos is not None and (photos / data["image"]).is_file():
        return read_image(photos / data["image"])
    return None


def people_row(
    registry,
    photo: np.ndarray,
    person: np.ndarray | None,
    eyes: np.ndarray | None,
    irises: np.ndarray | None,
    tuned: bool,
    person_ignore: np.ndarray | None = None,
    eyes_tuned: bool | None = None,
) -> dict:
    """One people photo against its traces (bool H x W, None where not traced):
    mask.subject against the person (outside ``person_ignore``); mask.face's eyes and
    irises against theirs. ``eyes_tuned``: whether the eyes were looked at while choosing
    the eye settings, where that differs from ``tuned``."""
    row: dict = {"size": f"{photo.shape[1]}x{photo.shape[0]}", "tuned": tuned}
    if eyes is not None and eyes_tuned is not None:
        row["eyes_tuned"] = eyes_tuned
    if person is not None:
        found, _ = run_node(registry, "mask.subject", {"image": photo}, {})
        row["person_iou"] = round(iou(found["mask"], person, person_ignore), 4)
        row["person_outline_px"] = references.outline_distance(found["mask"] >= 0.5, person)
        row["person_met"] = row["person_iou"] >= PERSON_TARGET
    if eyes is not None:
        for part, part_truth in (("eyes", eyes), ("irises", irises)):
            if part_truth is None:
                continue
            found, _ = run_node(registry, "mask.face", {"image": photo}, {"parts": [part]})
            row[f"{part}_iou"] = round(iou(found["mask"], part_truth), 4)
            row[f"{part}_outline_px"] = references.outline_distance(
                found["mask"] >= 0.5, part_truth
            )
        outlines = [row[key] for key in ("eyes_outline_px", "irises_outline_px") if key in row]
        row["eyes_met"] = row["eyes_iou"] >= EYES_TARGET and max(outlines) <= OUTLINE_TARGET_PX
    return row


def people(registry, photos: Path | None) -> dict:
    """``people_row`` on each people photo."""
    results = {}
    for name, (source, where) in PEOPLE.items():
        data = json.loads(source.read_text())
        photo = _photo(name, where, data, photos)
        if photo is None:
            results[name] = {"skipped": f"{data['image']} not found; pass --photos DIR"}
            continue
        polygons = data.get("polygons", {})
        traced = isinstance(polygons, list) or "person" in polygons  # a list: one outline
        person, ignore = references.reference(source, "person") if traced else (None, None)
        eyes = references.polygons(data, "eyes") if "eyes" in polygons else None
        irises = references.irises(data) if "eyes" in polygons else None
        results[name] = people_row(
            registry,
            photo,
            person,
            eyes,
            irises,
            name in TUNED,
            person_ignore=ignore,
            eyes_tuned=name not in EYES_HELD_OUT,
        )
    return results


def model_times() -> dict:
    """Each model's seconds on a portrait (Grace Hopper) scaled to 500 and 2000 px."""
    photo = read_image(PEOPLE_DIR / "grace_hopper.jpg")
    times = {}
    for size in MODEL_SECONDS:
        height, width = fit_longest_side(*photo.shape[:2], size)
        scaled = resize(photo, height, width, "lanczos")
        person_probability(scaled)  # loads the models once, as a process does
        find_faces(scaled)
        times[f"{size}px"] = {
            "person_s": _seconds(person_probability, scaled),
            "faces_landmarks_irises_s": _seconds(find_faces, scaled),
            "target_s": MODEL_SECONDS[size],
        }
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, help="folder with the photos not kept here")
    parser.add_argument(
        "--traced",
        type=Path,
        help="folder of your own photos with traces beside them (benchmarks/masks_traced.py)",
    )
    args = parser.parse_args()
    registry = default_registry()
    traced = {}
    if args.traced is not None:
        rows = measure_folder(registry, args.traced, people_row)
        flat = [row for photo_rows in rows.values() for row in photo_rows.values()]
        traced = {"traced": rows, "traced_targets_met": rows_met(flat)}
    scenes = measure(registry, args.photos)
    people_results = people(registry, args.photos)
    times = model_times()
    measured = [r for r in people_results.values() if "skipped" not in r]
    print(
        json.dumps(
            {
                "benchmark": "masks",
                "targets": {
                    "subject_iou": SUBJECT_TARGET,
                    "subject_s": SUBJECT_SECONDS,
                    "sky_iou": SKY_TARGET,
                    "quick_selection_iou": QUICK_TARGET,
                    "quick_selection_500px_first_s": QUICK_SECONDS,
                    "person_iou": PERSON_TARGET,
                    "eyes_iou": EYES_TARGET,
                    "eye_and_iris_outline_px": OUTLINE_TARGET_PX,
                    "model_s": MODEL_SECONDS,
                },
                "machine": machine(),
                **scenes,
                "people": people_results,
                "model_times": times,
                **traced,
                "all_targets_met": scenes["scenes_targets_met"]
                and all(r.get("person_met", True) and r.get("eyes_met", True) for r in measured)
                and all(
                    max(t["person_s"], t["faces_landmarks_irises_s"]) <= t["target_s"]
                    for t in times.values()
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
