"""File dialogs. Each request makes a fresh dialog with explicit extensions (a ``.*``
filter returns wrong names in Dear PyGui 2.3.1) and deletes it once answered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dearpygui.dearpygui as dpg

from stylegraph.graph.paths import home_expanded

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
MODEL_EXTENSIONS = (".pth", ".safetensors")
PRESET_EXTENSIONS = (".json",)
PACK_EXTENSIONS = (".sgpack",)
DIALOG_SIZE = (720, 440)  # px; the dialog opens in the middle of the window


def extensions_for(param_name: str) -> tuple[str, ...]:
    """Model weights for params that name a model, images for everything else."""
    name = param_name.lower()
    return MODEL_EXTENSIONS if "model" in name or "weights" in name else IMAGE_EXTENSIONS


def ask_path(
    title: str,
    extensions: tuple[str, ...],
    on_choose: Callable[[list[Path]], None],
    *,
    save: bool = False,
    multiple: bool = False,
    start: Path | None = None,
    name: str = "untitled",
) -> int | str:
    """Show a file dialog; ``on_choose`` gets the chosen paths (none when cancelled).
    A save dialog offers ``name``."""

    def chosen(sender: Any, data: dict) -> None:
        selections = data.get("selections") or {}
        paths = [Path(p) for p in selections.values()] if multiple and selections else []
        if not paths:
            path = typed_path(data)
            paths = [path] if path is not None else []
        _close(sender)
        on_choose(paths)

    def cancelled(sender: Any, data: Any) -> None:
        _close(sender)

    if dialog_open():  # one at a time: a second modal over the first took no input
        return _OPEN[-1]

    folder = str(start) if start is not None and start.is_dir() else "."
    with dpg.file_dialog(
        label=title,
        width=DIALOG_SIZE[0],
        height=DIALOG_SIZE[1],
        modal=True,
        callback=chosen,
        cancel_callback=cancelled,
        file_count=20 if multiple else 1,
        default_path=folder,
        default_filename=name if save else "",
    ) as dialog:
        if len(extensions) > 1:
            patterns = " ".join(f"*{e}" for e in extensions)
            dpg.add_file_extension(
                f"All ({patterns}){{{','.join(extensions)}}}", color=(150, 255, 150, 255)
            )
        for extension in extensions:
            dpg.add_file_extension(extension)
    _OPEN.append(dialog)
    return dialog


_OPEN: list[int | str] = []  # the file dialog on screen, if any


def dialog_open() -> bool:
    """True while a file dialog is up: keys then belong to it (its name field is no
    Dear PyGui item, so the shortcuts cannot tell that it is being typed in)."""
    _OPEN[:] = [d for d in _OPEN if _is_dialog(d) and dpg.is_item_shown(d)]
    return bool(_OPEN)


def _is_dialog(item: int | str) -> bool:
    """Still a file dialog (not an id that a later context gave to something else)."""
    return dpg.does_item_exist(item) and dpg.get_item_type(item) == "mvAppItemType::mvFileDialog"


def _close(dialog: int | str) -> None:
    if dialog in _OPEN:
        _OPEN.remove(dialog)
    dpg.delete_item(dialog)


def typed_path(data: dict) -> Path | None:
    """The file the dialog's answer names. The dialog joins whatever was typed onto the
    folder it shows, so ``/home/me/photos/a.jpg`` typed in ``~/art`` came back as
    ``~/art/home/me/photos/a.jpg``: a typed absolute (or ``~``) path wins."""
    name = str(data.get("file_name") or "")
    typed = home_expanded(name) if name else None
    if typed is not None and typed.is_absolute():
        return typed
    joined = data.get("file_path_name")
    return home_expanded(joined) if joined else None
