"""The node library: one node type per module, grouped in category packages.

Each node module declares ``NODE``; ``default_registry`` collects them. Modules whose name
starts with ``_`` hold code shared by a category's nodes. Heavy imports (torch)
happen inside run functions, so listing nodes stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from stylegraph.graph.registry import Registry

# Packages of helpers, not of nodes.
_NOT_NODES = {"functional", "models"}


def node_modules() -> list[str]:
    names = []
    root = Path(__file__).parent
    for package in sorted(pkgutil.iter_modules([str(root)]), key=lambda m: m.name):
        if not package.ispkg or package.name in _NOT_NODES:
            continue
        for module in pkgutil.iter_modules([str(root / package.name)]):
            if not module.name.startswith("_"):  # _helpers are shared code, not nodes
                names.append(f"{__name__}.{package.name}.{module.name}")
    return sorted(names)


def default_registry() -> Registry:
    """A fresh registry of every node type shipped with stylegraph."""
    registry = Registry()
    for name in node_modules():
        module = importlib.import_module(name)
        registry.register(module.NODE)
    return registry
