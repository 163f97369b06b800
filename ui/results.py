"""The editor's run results, owned by one window-free object: every node's latest outputs
and the cache key each was made with, the files the saves wrote (this session's and, through
``WrittenFiles``, earlier ones'), which nodes were edited since their result was made, and
the before / after pictures of the Layers panel.

The editor's run loop writes it (``take`` a finished run, ``recall`` what the memory cache
still holds); the views only read it: the viewer's pictures, the painter's and the Layers
panel's port outputs, the canvas's "changed" marks. Nothing here imports Dear PyGui, so the
rules (what a failed run hides, when a save need not run again) are tested without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stylegraph.graph.engine import RunReport, Status
from stylegraph.graph.model import Graph
from stylegraph.graph.recipe import files_of
from stylegraph.ui.mask_view import OVER_PHOTO, MaskOverPhoto
from stylegraph.ui.written import WrittenFiles


class RunResults:
    """``graph``: the graph shown now; ``keys``: its nodes' cache keys as it is now;
    ``peek``: the engine's memory cache (key -> outputs, or None); ``output_dir``: where
    runs write, for the saves' files kept between sessions."""

    def __init__(
        self,
        graph: Callable[[], Graph],
        keys: Callable[[], dict[str, str]],
        peek: Callable[[str], Any],
        output_dir: Path,
    ) -> None:
        self._graph = graph
        self._keys = keys
        self._peek = peek
        self.output_dir = output_dir
        self.report: RunReport | None = None
        # every node's latest outputs: a run reports only the nodes it needed, and a node
        # it skipped (its downstream came from the cache) still shows its last result
        self.outputs: dict[str, Any] = {}
        self.keys: dict[str, str] = {}  # the cache key each shown result was made with
        self.written: dict[str, tuple[str, Any]] = {}  # save node -> (key, outputs: its files)
        self.written_index = WrittenFiles()  # the same, kept between sessions
        self.changed: set[str] = set()  # edited since their shown result was made
        self.comparisons: set[str] = set()  # before / after pictures: no node of the graph
        self._mask_over_photo = MaskOverPhoto()

    def clear(self) -> None:
        """Another graph is open, whose nodes may reuse these ids."""
        self.report = None
        self.outputs.clear()
        self.keys.clear()
        self.written.clear()
        self.changed.clear()

    # after edits ------------------------------------------------------------------------------
    def mark_changed(self, current: dict[str, str] | None = None) -> bool:
        """Nodes whose shown status and picture no longer match the graph: their cache
        key (params, inputs, files by content) differs from the one their result was made
        with. Undoing back to the run's settings clears the mark. ``current``: the graph's
        keys, when the caller has them already. True when the marks changed."""
        if not self.keys:
            return False
        current = current or self._keys()
        changed = {n for n, key in self.keys.items() if current.get(n, key) != key}
        if changed == self.changed:
            return False
        self.changed = changed
        return True

    def show_comparison(self, name: str, picture: np.ndarray) -> None:
        """A before / after picture, shown as ``name`` until the next edit ends it."""
        self.outputs[name] = {"image": picture}
        self.comparisons.add(name)

    def drop_comparisons(self, keep: str | None) -> None:
        """The before / after pictures an edit ended (all but ``keep``, still compared)."""
        for name in self.comparisons - {keep}:
            self.outputs.pop(name, None)
        self.comparisons &= {keep}

    # runs -------------------------------------------------------------------------------------
    def already_written(self, node_id: str, keys: dict[str, str]) -> bool:
        """Whether ``node_id`` is a save whose files for its current key are on disk, from
        this session or an earlier one (then remembered as this session's)."""
        key = keys.get(node_id)
        graph = self._graph()
        stored, outputs = self.written.get(node_id, (None, {}))
        files = files_of(graph, node_id, outputs)
        if key is not None and key == stored and files and all(Path(f).is_file() for f in files):
            return True
        if key is None or not graph.node_type(node_id).side_effect:
            return False
        found = self.written_index.get(key, self.output_dir)
        if found is None:
            return False
        self.written[node_id] = (key, found)
        return True

    def take(self, report: RunReport) -> tuple[list[str], list[str]]:
        """A finished run's results. A node that did not run or come from the cache, and
        whose shown result was made from other settings, shows none; the saves' files are
        remembered. Returns the nodes whose result was let go and those with a new one."""
        self.report = report
        dropped = []
        for node_id, node_report in report.nodes.items():
            stale = self.keys.get(node_id) != report.keys.get(node_id)
            if node_report.status not in (Status.RAN, Status.CACHED) and stale:
                self.outputs.pop(node_id, None)  # made from other settings: not shown
                dropped.append(node_id)
        self.keys.update(report.keys)
        graph = self._graph()
        for node_id, outputs in report.outputs.items():
            self.outputs[node_id] = outputs
            ran = report.nodes[node_id].status == Status.RAN
            files = files_of(graph, node_id, outputs)
            if ran and files:
                self.written[node_id] = (report.keys[node_id], outputs)
                texts = {p: v for p, v in outputs.items() if isinstance(v, str) and v in files}
                self.written_index.add(report.keys[node_id], self.output_dir, texts)
        return dropped, list(report.outputs)

    def recall(
        self, reported: set[str], keys: dict[str, str] | None = None
    ) -> tuple[list[str], list[str], bool]:
        """A run stops walking back at a cached result, so the nodes above it are not in
        its report (and a Run with nothing to do has none). Where the memory cache (or a
        save's files) still holds their result for the graph's current settings, it is
        shown again (after a failure or an undo had hidden it); they, and the rest of the
        unreported nodes with a result, are up to date. ``keys``: the graph's, when the
        caller has them. Returns the nodes recalled, the nodes up to date, and whether the
        changed marks moved."""
        keys = keys or self._keys()
        recalled = []
        for node_id, key in keys.items():
            if node_id in reported or (node_id in self.outputs and self.keys.get(node_id) == key):
                continue
            if self.already_written(node_id, keys):
                outputs = self.written[node_id][1]
            else:
                outputs = self._peek(key)
            if outputs is not None:
                self.keys[node_id] = key
                self.outputs[node_id] = outputs
                recalled.append(node_id)
        moved = self.mark_changed(keys)
        graph = self._graph()
        up_to_date = [
            n for n in self.outputs.keys() - reported if n in graph and n not in self.changed
        ]
        return recalled, up_to_date, moved

    # what the views read ----------------------------------------------------------------------
    def picture(self, node_id: str) -> np.ndarray | None:
        """A node's first image or mask output from its latest run; a subject, person or
        face-part mask over the photo it was found on (``mask_view``)."""
        outputs = self.outputs.get(node_id) or {}
        shown = next(
            (v for v in outputs.values() if isinstance(v, np.ndarray) and v.ndim in (2, 3)), None
        )
        graph = self._graph()
        if shown is None or shown.ndim != 2 or node_id not in graph:
            return shown
        if graph.node(node_id).type_id not in OVER_PHOTO:
            return shown
        link = graph.input_link(node_id, "image")
        photo = self.port_output(link.src, link.src_port) if link else None
        if photo is None or photo.shape[:2] != shown.shape:
            return shown
        return self._mask_over_photo(shown, photo)

    def port_output(self, node_id: str, port: str) -> np.ndarray | None:
        value = (self.outputs.get(node_id) or {}).get(port)
        return value if isinstance(value, np.ndarray) else None

    def output(self, node_id: str, port: str) -> Any:
        """Any value on a node's output port (a Layer Stack's ``layers``), or None."""
        return (self.outputs.get(node_id) or {}).get(port)
