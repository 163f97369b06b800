"""Param widgets on a node: one widget per param type, every change reported through
``on_change`` (the canvas sends it to the controller). Files are picked by browsing; a
file list shows each file as a thumbnail with a remove button."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dearpygui.dearpygui as dpg

from stylegraph.graph.paths import file_path
from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.ui import textures
from stylegraph.ui.files import ask_path, extensions_for

WIDTH = 150
LIST_THUMB = 22  # px, longest side of a file list entry: fits one canvas row

OnChange = Callable[[str, str, Any], None]


class ParamWidgets:
    def __init__(self, on_change: OnChange, base_dir: Callable[[], Path]) -> None:
        self.on_change = on_change
        self.base_dir = base_dir
        self._thumbs: dict[tuple[str, float], tuple[int | str, int, int] | None] = {}
        self.scale = 1.0  # the UI scale: fields widen with the text in them

    def px(self, width: float) -> int:
        return round(width * self.scale)

    def add(self, node_id: str, param: Param, value: Any) -> None:
        kind = param.type
        if kind == ParamType.FILE:
            self._file(node_id, param, value)
        elif kind == ParamType.FILE_LIST:
            self._file_list(node_id, param, list(value or []))
        elif kind == ParamType.STROKES:
            dpg.add_text(f"{len(value or [])} strokes (paint them in the viewer)")
        elif kind == ParamType.BOOL:
            dpg.add_checkbox(
                label=param.name,
                default_value=bool(value),
                callback=self._set,
                user_data=(node_id, param),
            )
        elif kind == ParamType.INT:
            dpg.add_input_int(
                label=param.name,
                default_value=int(value),
                width=self.px(WIDTH),
                on_enter=True,
                callback=self._set,
                user_data=(node_id, param),
            )
        elif kind == ParamType.FLOAT:
            dpg.add_input_float(
                label=param.name,
                default_value=float(value),
                width=self.px(WIDTH),
                on_enter=True,
                format="%.4g",
                callback=self._set,
                user_data=(node_id, param),
            )
        elif kind == ParamType.CHOICE:
            dpg.add_combo(
                list(param.choices),
                label=param.name,
                default_value=value,
                width=self.px(WIDTH),
                callback=self._set,
                user_data=(node_id, param),
            )
        else:  # text and the other lists are typed, lists comma separated
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            dpg.add_input_text(
                label=param.name,
                default_value=text,
                width=self.px(WIDTH * 2),
                on_enter=True,
                callback=self._set,
                user_data=(node_id, param),
            )

    def _set(self, sender: Any, value: Any, user: tuple[str, Param]) -> None:
        node_id, param = user
        if param.type == ParamType.TEXT_LIST:  # empty entries stay: "paper,,edges"
            value = [p.strip() for p in str(value).split(",")] if str(value).strip() else []
        elif param.type in (ParamType.FLOAT_LIST, ParamType.CHOICE_LIST):
            parts = [p.strip() for p in str(value).split(",") if p.strip()]
            if param.type == ParamType.FLOAT_LIST:
                try:
                    value = [float(p) for p in parts]
                except ValueError:
                    self.on_change(node_id, param.name, value)  # the model names the problem
                    return
            else:
                value = parts
        self.on_change(node_id, param.name, value)

    def _file(self, node_id: str, param: Param, value: Any) -> None:
        with dpg.group(horizontal=True):
            field = dpg.add_input_text(
                label=param.name,
                default_value=str(value),
                width=self.px(WIDTH + 40),
                on_enter=True,
                callback=self._set,
                user_data=(node_id, param),
            )
            if value:  # the field shows a long path's start; the file's name is at its end
                with dpg.tooltip(field):
                    dpg.add_text(str(value))
            dpg.add_button(
                label="Browse...",
                callback=lambda: ask_path(
                    f"Choose {param.name}",
                    extensions_for(param.name),
                    lambda paths: paths and self.on_change(node_id, param.name, str(paths[0])),
                    start=self._folder_of(value),
                ),
            )

    def _file_list(self, node_id: str, param: Param, files: list[str]) -> None:
        """One row (the canvas layout gives each param one): a small thumbnail per file,
        its name on hover, an x to remove it, and Add... to browse for more."""
        with dpg.group(horizontal=True):
            dpg.add_text(param.name)
            for index, name in enumerate(files):
                thumb = self._thumb(name)
                if thumb is not None:
                    texture, width, height = thumb
                    shown = dpg.add_image(texture, width=width, height=height)
                else:
                    shown = dpg.add_text(Path(name).name[:12])
                with dpg.tooltip(shown):
                    dpg.add_text(name)
                dpg.add_button(
                    label="x",
                    user_data=files[:index] + files[index + 1 :],
                    callback=lambda s, a, u: self.on_change(node_id, param.name, u),
                )
            dpg.add_button(
                label="Add...",
                callback=lambda: ask_path(
                    f"Add to {param.name}",
                    extensions_for(param.name),
                    lambda paths: (
                        paths
                        and self.on_change(node_id, param.name, files + [str(p) for p in paths])
                    ),
                    multiple=True,
                    start=self._folder_of(files[-1] if files else ""),
                ),
            )

    def _resolve(self, name: str) -> Path:
        return file_path(name, self.base_dir())

    def _folder_of(self, name: Any) -> Path | None:
        return self._resolve(str(name)).parent if name else None

    def _thumb(self, name: str) -> tuple[int | str, int, int] | None:
        """A file list entry's thumbnail, read once per file version; None if unreadable."""
        path = self._resolve(name)
        try:
            key = (str(path), path.stat().st_mtime)
        except OSError:
            return None
        if key not in self._thumbs:
            try:
                self._thumbs[key] = textures.thumbnail(read_image(path), LIST_THUMB)
            except (OSError, ValueError):
                self._thumbs[key] = None
        return self._thumbs[key]
