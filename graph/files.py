"""The input files a graph names (paintings, masks, model files), and which of them this
machine lacks: what a receiver must fetch before a preset from elsewhere can run."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from stylegraph.graph.keys import not_a_regular_file
from stylegraph.graph.model import Graph
from stylegraph.graph.paths import file_path, paths_in
from stylegraph.graph.validate import Problem


@dataclass(frozen=True)
class FileRef:
    """One non-empty path in a FILE or FILE_LIST param; ``index`` is its place in a list."""

    node_id: str
    param: str
    value: str
    index: int | None = None


def file_refs(graph: Graph) -> Iterator[FileRef]:
    """Every input-file path the graph's params name, in node order."""
    for node in graph.nodes():
        for param in graph.node_type(node.id).params:
            for index, path in paths_in(param.type, node.params.get(param.name)):
                yield FileRef(node.id, param.name, path, index)


def resolve_ref(ref: FileRef, base_dir: Path) -> Path:
    """Where the engine will read it: relative paths are relative to the preset's folder."""
    return file_path(ref.value, base_dir).absolute()


def missing_files(
    graph: Graph, base_dir: Path, skip: Collection[tuple[str, str]] = ()
) -> list[Problem]:
    """One problem per param naming files that are not there or are no regular files (a
    folder, a pipe, a device: a run refuses those too), naming its node, param and each
    such path once (a list naming ``a.jpg`` twice is one missing file); ``skip`` holds
    (node, param) pairs not to look at."""
    faults: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for ref in file_refs(graph):
        if (ref.node_id, ref.param) in skip:
            continue
        path = resolve_ref(ref, base_dir)
        if path.is_file():
            continue
        missing, other = faults.setdefault((ref.node_id, ref.param), ([], []))
        message = not_a_regular_file(str(path))  # None when it is missing
        entries, entry = (other, message) if message else (missing, str(path))
        if entry not in entries:
            entries.append(entry)
    problems = []
    for (node_id, param), (missing, other) in faults.items():
        parts = list(other)
        if missing:
            files = "files" if len(missing) > 1 else "file"
            parts.insert(0, f"{files} not found: {', '.join(missing)}")
        problems.append(
            Problem(node_id, graph.node(node_id).type_id, f"param {param!r}", "; ".join(parts))
        )
    return problems
