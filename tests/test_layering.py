"""The layering the design promises: ``graph`` is the model and the engine and imports
nothing above it (no node library, no front end, no torch or dearpygui); the node library
(``nodes``) imports no front end, its categories build on ``functional``, ``models``,
``declare`` and ``graph`` rather than on each other, and none of its modules import each
other in a circle; the front ends over it (``jobs``: batch, cluster, packs) import no front
end of their own kind in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FRONT_ENDS = ("stylegraph.ui", "stylegraph.jobs", "stylegraph.cli")
ABOVE_GRAPH = ("stylegraph.nodes", *FRONT_ENDS)
SHARED = ("functional", "models")  # nodes/ packages of helpers every category may use
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


def _modules(folder: str) -> dict[str, Path]:
    """Module name -> file for every module under ``folder`` (packages by their name)."""
    out = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        out[".".join(("stylegraph", *parts))] = path
    return out


def _circle(edges: dict[str, set[str]]) -> str | None:
    """One import circle in ``edges`` (module -> the modules it imports), or None."""
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> str | None:
        if name in trail:
            return " -> ".join((*trail, name))
        if name in done:
            return None
        for target in sorted(edges.get(name, ())):
            found = visit(target, (*trail, name))
            if found:
                return found
        done.add(name)
        return None

    return next((c for name in sorted(edges) if (c := visit(name, ()))), None)


def test_no_node_module_imports_a_front_end():
    offending = {
        f"{path.relative_to(REPO)}: {name}"
        for path in _modules("nodes").values()
        for name in _imports(path)
        if _under(name, FRONT_ENDS)
    }
    assert offending == set()


def test_node_categories_build_on_the_shared_helpers_not_on_each_other():
    """A category (compose, mask, neural...) imports ``functional``, ``models``,
    ``declare``, ``graph`` and its own modules; ``functional`` and ``models`` import no
    category and not ``declare``."""
    offending = set()
    for module, path in _modules("nodes").items():
        parts = module.split(".")
        if len(parts) < 4:
            continue  # stylegraph.nodes, declare and the categories' packages
        own = parts[2]
        for name in _imports(path):
            target = name.split(".")
            if target[:2] != ["stylegraph", "nodes"] or len(target) < 3:
                continue
            if own in SHARED:
                allowed = target[2] in SHARED
            else:
                allowed = target[2] in (*SHARED, "declare", own)
            if not allowed:
                offending.add(f"{path.relative_to(REPO)}: {name}")
    assert offending == set()


def test_the_node_modules_import_each_other_without_a_circle():
    """Imports inside functions count: a circle closed lazily is still a circle."""
    modules = _modules("nodes")
    edges = {
        module: {name for name in _imports(path) if name in modules and name != module}
        for module, path in modules.items()
        if path.name != "__init__.py"
    }
    assert _circle(edges) is None


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
    assert _circle(edges) is None
    assert edges["batch"] >= {"items", "plan", "render", "write", "report"}
