"""File dialogs, made of ordinary Dear PyGui items so they behave as the artist expects:
the name field has the keys as soon as the dialog opens, its offered name selected (typing
replaces it, Ctrl+A selects it again), Enter confirms, a typed full path replaces the
folder rather than being joined onto it, a click on a folder opens it, and a dialog that
takes several files (the paintings to add as layers) toggles each file clicked. A dialog
opens in the folder the last one for the same kind of file (pictures, graphs, packs,
weights) was answered in, kept between sessions; else where the caller suggests.

Only files with the asked extensions are listed (``.*`` is never offered); one dialog is
open at a time and it is deleted once answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dearpygui.dearpygui as dpg

from stylegraph.graph.paths import home_expanded
from stylegraph.ui.settings import Settings

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
MODEL_EXTENSIONS = (".pth", ".safetensors")
PRESET_EXTENSIONS = (".json",)
PACK_EXTENSIONS = (".sgpack",)
DIALOG_SIZE = (720, 440)  # px; the dialog opens in the middle of the window
DIALOG = "file_dialog"
NAME, FOLDER, LISTING = "file_dialog_name", "file_dialog_folder", "file_dialog_list"
KEYS = "file_dialog_keys"


def extensions_for(param_name: str) -> tuple[str, ...]:
    """Model weights for params that name a model, images for everything else."""
    name = param_name.lower()
    return MODEL_EXTENSIONS if "model" in name or "weights" in name else IMAGE_EXTENSIONS


def chosen_path(folder: Path, typed: str) -> Path | None:
    """The file a typed name means: a full (or ``~``) path as typed, else the name in the
    dialog's folder."""
    typed = typed.strip()
    if not typed:
        return None
    path = home_expanded(typed)
    return path if path.is_absolute() else folder / path


@dataclass
class _Dialog:
    title: str
    extensions: tuple[str, ...]
    on_choose: Callable[[list[Path]], None]
    save: bool
    multiple: bool
    folder: Path
    picked: list[Path] = field(default_factory=list)  # files clicked, in click order
    items: dict[str, int | str] = field(default_factory=dict)  # label -> item (geometry)


_OPEN: list[_Dialog] = []  # the dialog on screen, if any


def ask_path(
    title: str,
    extensions: tuple[str, ...],
    on_choose: Callable[[list[Path]], None],
    *,
    save: bool = False,
    multiple: bool = False,
    start: Path | None = None,
    name: str = "untitled",
) -> str:
    """Show a file dialog; ``on_choose`` gets the chosen paths (none when cancelled).
    A save dialog offers ``name``, selected, so that typing replaces it."""
    if dialog_open():  # one at a time: a second modal over the first took no input
        return DIALOG
    last = Settings().last_folder(extensions[0])
    folder = next(
        (f for f in (last, start) if f is not None and Path(f).is_dir()), Path.cwd()
    ).resolve()
    dialog = _Dialog(title, extensions, on_choose, save, multiple, folder)
    _OPEN.append(dialog)
    width, height = (
        (dpg.get_viewport_client_width(), dpg.get_viewport_client_height())
        if dpg.is_viewport_ok()
        else (1500, 860)
    )
    with dpg.window(
        tag=DIALOG,
        label=title,
        modal=True,
        no_close=True,
        width=DIALOG_SIZE[0],
        height=DIALOG_SIZE[1],
        pos=(max(0, (width - DIALOG_SIZE[0]) // 2), max(0, (height - DIALOG_SIZE[1]) // 2)),
    ):
        with dpg.group(horizontal=True):
            dialog.items["Up"] = dpg.add_button(label="Up", callback=lambda: _go(folder_of()))
            dpg.add_input_text(tag=FOLDER, width=-1)  # Enter opens a folder typed here
        dpg.add_child_window(tag=LISTING, height=-60)
        with dpg.group(horizontal=True):
            dpg.add_text("Name" if save else "File")
            dialog.items["name"] = dpg.add_input_text(
                tag=NAME, width=-1, default_value=name if save else "", auto_select_all=True
            )
        with dpg.group(horizontal=True):
            dialog.items["OK"] = dpg.add_button(
                label="Save" if save else "Open", width=90, callback=lambda: confirm()
            )
            dialog.items["Cancel"] = dpg.add_button(
                label="Cancel", width=90, callback=lambda: _answer([])
            )
            hint = "click files to pick several, " if multiple else ""
            dpg.add_text(f"{hint}Enter confirms", color=(160, 160, 160))
    if not dpg.does_item_exist(KEYS):
        with dpg.handler_registry(tag=KEYS):
            dpg.add_key_press_handler(key=dpg.mvKey_Return, callback=lambda: confirm())
            dpg.add_key_press_handler(key=dpg.mvKey_Escape, callback=lambda: _answer([]))
    _list(folder)
    dpg.focus_item(NAME)
    return DIALOG


def folder_of() -> Path:
    """The open dialog's folder's parent (what Up opens)."""
    return _OPEN[-1].folder.parent if _OPEN else Path.cwd()


def _go(folder: Path) -> None:
    if _OPEN and folder.is_dir():
        _list(folder.resolve())


def _list(folder: Path) -> None:
    """Show ``folder``: its sub-folders, then the files with the dialog's extensions."""
    dialog = _OPEN[-1]
    dialog.folder = folder
    dialog.items = {k: v for k, v in dialog.items.items() if not k.startswith("entry ")}
    dpg.set_value(FOLDER, str(folder))
    dpg.delete_item(LISTING, children_only=True)
    try:
        entries = sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
    except OSError as exc:
        dpg.add_text(f"cannot read {folder}: {exc.strerror}", parent=LISTING)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            label = f"{entry.name}/"
            callback = _opener(entry)
        elif entry.suffix.lower() in dialog.extensions:
            label = entry.name
            callback = _picker(entry)
        else:
            continue
        dialog.items[f"entry {label}"] = dpg.add_selectable(
            label=label, parent=LISTING, callback=callback, default_value=entry in dialog.picked
        )


def _opener(folder: Path) -> Callable[..., None]:
    return lambda *args: _go(folder)


def _picker(file: Path) -> Callable[..., None]:
    def pick(sender: Any, on: bool) -> None:
        dialog = _OPEN[-1] if _OPEN else None
        if dialog is None:
            return
        if dialog.multiple:
            dialog.picked = [p for p in dialog.picked if p != file] + ([file] if on else [])
            dpg.set_value(NAME, "; ".join(p.name for p in dialog.picked))
        else:
            dialog.picked = [file]
            for label, item in dialog.items.items():
                if label.startswith("entry ") and item != sender:
                    dpg.set_value(item, False)
            dpg.set_value(NAME, file.name)

    return pick


def confirm() -> None:
    """OK or Enter: a folder typed (in either field) opens; else the picked files (when
    several are taken) or the file named goes to the caller."""
    if not dialog_open():
        return
    dialog = _OPEN[-1]
    folder = home_expanded(str(dpg.get_value(FOLDER) or "").strip() or ".")
    if folder.resolve() != dialog.folder and folder.is_dir():
        _list(folder.resolve())
        return
    typed = str(dpg.get_value(NAME) or "")
    if dialog.multiple and dialog.picked and typed == "; ".join(p.name for p in dialog.picked):
        _answer(list(dialog.picked))
        return
    path = chosen_path(dialog.folder, typed)
    if path is not None and path.is_dir():
        _list(path.resolve())
        dpg.set_value(NAME, "")
    elif path is not None:
        _answer([path])


def _answer(paths: list[Path]) -> None:
    if not dialog_open():
        return
    dialog = _OPEN.pop()
    if paths:
        folder = paths[0].parent if paths[0].parent.is_dir() else dialog.folder
        Settings().remember_folder(dialog.extensions[0], folder)
    dpg.delete_item(DIALOG)
    dialog.on_choose(paths)


def dialog_open() -> bool:
    """True while a file dialog is up: keys then belong to it, not to the graph."""
    if _OPEN and not dpg.does_item_exist(DIALOG):
        _OPEN.clear()
    return bool(_OPEN)


def close() -> None:
    """Close the open dialog as Cancel does."""
    _answer([])


def dialog_items() -> dict[str, int | str]:
    """The open dialog's controls by label ("name", "OK", "Cancel", "Up", "entry NAME"),
    for the geometry file that input-driving tests click by."""
    return dict(_OPEN[-1].items) if dialog_open() else {}


def dialog_fields() -> dict[str, str] | None:
    """What the open dialog's folder and name fields hold (for the geometry file)."""
    if not dialog_open():
        return None
    return {"folder": str(dpg.get_value(FOLDER)), "name": str(dpg.get_value(NAME))}
