"""The layering the design promises: ``graph`` is the model and the engine and imports
nothing above it (no node library, no front end, no torch or dearpygui); the front ends over
it (``jobs``: batch, cluster, packs) import no front end of their own kind in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ABOVE_GRAPH = ("stylegraph.nodes", "stylegraph.ui", "stylegraph.jobs", "stylegraph.cli")
HEAVY = ("torch", "dearpygui")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_module_in_graph_imports_anything_above_it():
    offending = {
        f"{path.name}: {name}"
        for path in sorted((REPO / "graph").glob("*.py"))
        for name in _imports(path)
        if _under(name, ABOVE_GRAPH + HEAVY)
    }
    assert offending == set()


def test_importing_all_of_graph_loads_nothing_above_it():
    modules = sorted(f"stylegraph.graph.{p.stem}" for p in (REPO / "graph").glob("*.py"))
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
        f"or any(m == p or m.startswith(p + '.') for p in {ABOVE_GRAPH!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_jobs_modules_import_each_other_without_a_circle():
    """Each ``jobs`` module is entered once along an item's path: the import graph between
    them has no cycle."""
    jobs = {p.stem: p for p in (REPO / "jobs").glob("*.py") if p.stem != "__init__"}
    edges = {
        name: {
            imported.rsplit(".", 1)[1]
            for imported in _imports(path)
            if imported.startswith("stylegraph.jobs.")
        }
        for name, path in jobs.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, f"import circle: {' -> '.join((*trail, name))}"
        if name in done:
            return
        for target in sorted(edges[name]):
            visit(target, (*trail, name))
        done.add(name)

    for name in sorted(edges):
        visit(name, ())
    assert edges["batch"] >= {"items", "plan", "render", "write", "report"}
