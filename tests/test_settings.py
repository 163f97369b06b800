"""The editor's settings file (ui/settings.py) without a window: the brush as last set, and
a damaged or hand-edited file read as the defaults rather than stopping the editor."""

from __future__ import annotations

import json

from stylegraph.ui.settings import Settings


def test_the_brush_defaults_then_keeps_what_was_set(tmp_path):
    settings = Settings(tmp_path)
    assert settings.brush == {"size": 0.05, "hardness": 0.5, "opacity": 1.0, "mode": "paint"}
    settings.remember_brush("size", 0.2)
    settings.remember_brush("mode", "keep")
    settings.ui_scale = 1.25
    again = Settings(tmp_path)
    assert again.brush == {"size": 0.2, "hardness": 0.5, "opacity": 1.0, "mode": "keep"}
    assert again.ui_scale == 1.25


def test_brush_values_out_of_range_or_of_the_wrong_type_read_as_the_defaults(tmp_path):
    brush = {"size": 7, "hardness": True, "opacity": "1", "mode": "smudge"}
    (tmp_path / "settings.json").write_text(json.dumps({"brush": brush}), encoding="utf-8")
    assert Settings(tmp_path).brush == {
        "size": 0.05,
        "hardness": 0.5,
        "opacity": 1.0,
        "mode": "paint",
    }
    (tmp_path / "settings.json").write_text('{"brush": [1, 2]', encoding="utf-8")
    assert Settings(tmp_path).brush["size"] == 0.05
