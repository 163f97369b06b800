"""File dialogs. Each request makes a fresh dialog with explicit extensions (a ``.*``
filter returns wrong names in Dear PyGui 2.3.1) and deletes it once answered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dearpygui.dearpygui as dpg

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
MODEL_EXTENSIONS = (".pth", ".safetensors")
PRESET_EXTENSIONS = (".json",)
PACK_EXTENSIONS = (".sgpack",)


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
        if not paths and data.get("file_path_name"):
            paths = [Path(data["file_path_name"])]
        dpg.delete_item(sender)
        on_choose(paths)

    def cancelled(sender: Any, data: Any) -> None:
        dpg.delete_item(sender)

    folder = str(start) if start is not None and start.is_dir() else "."
    with dpg.file_dialog(
        label=title,
        width=720,
        height=440,
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
    return dialog
