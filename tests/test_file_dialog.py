"""The file dialog as the artist expects one to behave: several files picked at once, a
typed full path that replaces the folder, a typed folder that opens, and the next dialog
opening where the last one was answered."""

from __future__ import annotations

from pathlib import Path

import pytest

dpg = pytest.importorskip("dearpygui.dearpygui")

from stylegraph.ui import files  # noqa: E402


@pytest.fixture
def context(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    dpg.create_context()
    yield
    if files.dialog_open():
        files.close()
    dpg.destroy_context()


def _click(label: str) -> None:
    item = files.dialog_items()[f"entry {label}"]
    dpg.set_value(item, not dpg.get_value(item))  # what a click on a selectable does
    dpg.get_item_configuration(item)["callback"](item, dpg.get_value(item))


def test_several_paintings_picked_in_one_dialog_come_back_in_click_order(context, images):
    styles = images / "styles"
    got: list[list[Path]] = []
    files.ask_path("Paintings", files.IMAGE_EXTENSIONS, got.append, multiple=True)
    dpg.set_value(files.NAME, str(styles))  # a folder typed where the name goes
    files.confirm()
    assert files.dialog_fields() == {"folder": str(styles), "name": ""}
    listed = [k.removeprefix("entry ") for k in files.dialog_items() if k.startswith("entry ")]
    assert listed == sorted(p.name for p in styles.iterdir() if p.suffix in (".png", ".jpg"))
    for name in ("the_scream.jpg", "brick.png", "gravel.png", "brick.png"):  # again: unpicked
        _click(name)
    assert files.dialog_fields()["name"] == "the_scream.jpg; gravel.png"
    files.confirm()
    assert got == [[styles / "the_scream.jpg", styles / "gravel.png"]]
    assert not files.dialog_open()
    # the next dialog for pictures opens in that folder; one for graphs where it was
    files.ask_path("Open photo", files.IMAGE_EXTENSIONS, got.append)
    assert files.dialog_fields()["folder"] == str(styles)
    files.close()
    files.ask_path("Open graph", files.PRESET_EXTENSIONS, got.append)
    assert files.dialog_fields()["folder"] == str(Path.cwd())


def test_a_typed_full_path_replaces_the_offered_name_and_folder(context, tmp_path):
    got: list[list[Path]] = []
    files.ask_path("Save graph as", (".json",), got.append, save=True, name="fusion.json")
    assert files.dialog_fields() == {"folder": str(tmp_path), "name": "fusion.json"}
    target = tmp_path / "art" / "mine.json"
    dpg.set_value(files.NAME, str(target))
    files.confirm()
    assert got == [[target]]


def test_cancel_and_escape_answer_nothing(context):
    got: list[list[Path]] = []
    files.ask_path("Open graph", (".json",), got.append)
    assert files.ask_path("Open graph", (".json",), got.append) == files.DIALOG  # one only
    files.close()
    assert got == [[]] and not files.dialog_open()
