"""`benchmarks.masks --traced DIR`: an outsider's own photos and traces, measured by the
benchmark's own rows, found from file names alone, and refused with a message naming
the file when a trace does not fit its photo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.masks import people_row
from benchmarks.masks_traced import TraceError, measure_folder, traced_photos, traces
from stylegraph.nodes import default_registry
from tests.references import DATA, reference

CLOCK = DATA / "objects" / "clock_motion.png"
HOPPER = DATA / "people" / "grace_hopper.jpg"


def _save_mask(mask: np.ndarray, path: Path) -> None:
    Image.fromarray(mask.astype(np.uint8) * 255).save(path)


def test_photos_are_found_by_a_json_of_their_stem_or_naming_them_or_by_mask_pictures(
    tmp_path: Path,
) -> None:
    for name in ("a.jpg", "b.png", "c.jpg", "untraced.jpg"):
        shutil.copy(CLOCK, tmp_path / name)
    (tmp_path / "a.json").write_text(json.dumps({"size": [400, 300], "no_sky": True}))
    _save_mask(np.ones((300, 400), bool), tmp_path / "b.subject.png")
    (tmp_path / "trace_of_c.json").write_text(json.dumps({"image": "c.jpg", "no_sky": True}))

    found = {photo.name: source for photo, source in traced_photos(tmp_path)}

    assert found == {
        "a.jpg": tmp_path / "a.json",
        "b.png": None,
        "c.jpg": tmp_path / "trace_of_c.json",
    }


def test_a_mask_picture_reads_as_the_same_trace_as_the_polygons_it_was_drawn_from(
    tmp_path: Path,
) -> None:
    truth, _ = reference(DATA / "objects" / "clock_motion.json", "subject")
    shutil.copy(CLOCK, tmp_path / "clock.png")
    _save_mask(truth, tmp_path / "clock.subject.png")

    found = traces(None, tmp_path / "clock.png", truth.shape)

    assert np.array_equal(found["subject"][0], truth)
    assert not found["subject"][1].any()


def test_a_mask_picture_of_another_size_is_refused_naming_it(tmp_path: Path) -> None:
    shutil.copy(CLOCK, tmp_path / "clock.png")
    _save_mask(np.ones((150, 200), bool), tmp_path / "clock.sky.png")

    with pytest.raises(TraceError) as caught:
        traces(None, tmp_path / "clock.png", (300, 400))

    assert str(caught.value) == "clock.sky.png: 200x150 px, but its photo is 400x300 px"


def test_strokes_with_nothing_to_select_are_refused_naming_the_trace(tmp_path: Path) -> None:
    shutil.copy(CLOCK, tmp_path / "clock.png")
    strokes = [{"points": [[0.5, 0.5], [0.6, 0.5]], "mode": "keep"}]
    (tmp_path / "clock.json").write_text(json.dumps({"size": [400, 300], "strokes": strokes}))

    with pytest.raises(TraceError) as caught:
        traces(tmp_path / "clock.json", tmp_path / "clock.png", (300, 400))

    assert str(caught.value) == (
        "clock.json: the strokes select 'person', but no subject or person of that name is traced"
    )


@pytest.mark.slow
def test_an_outsiders_folder_is_measured_by_the_benchmarks_own_rows(tmp_path: Path) -> None:
    """The clock traced as a mask picture, with a black sky picture (no sky); Grace
    Hopper traced in the repository's JSON format, person and eyes."""
    truth, _ = reference(DATA / "objects" / "clock_motion.json", "subject")
    shutil.copy(CLOCK, tmp_path / "clock.png")
    _save_mask(truth, tmp_path / "clock.subject.png")
    _save_mask(np.zeros_like(truth), tmp_path / "clock.sky.png")
    shutil.copy(HOPPER, tmp_path / "hopper.jpg")
    shutil.copy(DATA / "people" / "grace_hopper.json", tmp_path / "hopper.json")

    rows = measure_folder(default_registry(), tmp_path, people_row)

    assert set(rows) == {"clock.png", "hopper.jpg"}
    assert set(rows["clock.png"]) == {"subject", "sky"}
    assert rows["clock.png"]["subject"]["subject_iou"] >= 0.85  # as tests/test_subject_mask
    assert rows["clock.png"]["sky"]["sky_share"] == 0.0
    assert rows["clock.png"]["sky"]["sky_met"] is True
    people = rows["hopper.jpg"]["people"]
    assert people["person_iou"] >= 0.95
    assert 0.5 < people["eyes_iou"] < 1.0
    assert people["irises_outline_px"] <= 2.0
