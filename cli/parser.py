"""The command line's grammar: the commands, their arguments and their help."""

from __future__ import annotations

import argparse
from typing import Any

from stylegraph import __version__
from stylegraph.cli.edit import cmd_edit
from stylegraph.cli.nodes import cmd_nodes
from stylegraph.cli.run import cmd_batch, cmd_run, cmd_sheet
from stylegraph.cli.share import cmd_cache, cmd_pack, cmd_recipe, cmd_unpack
from stylegraph.cli.validate import cmd_validate
from stylegraph.presets import shipped_presets

DESCRIPTION = """The `stylegraph` command: run presets (one photo, or a sweep over many), check and
describe them, open the node editor, and share recipes as packs."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's own (absent) --debug must not reset `stylegraph --debug run`;
    # the top level has its own --debug action, whose default is False
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    parser = argparse.ArgumentParser(
        prog="stylegraph",
        description=DESCRIPTION,
        epilog="`stylegraph COMMAND --help` says more about each. A first run: "
        "stylegraph run fusion --set content=photo.jpg --set style=painting.jpg --out out",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"stylegraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    run = add(
        "run",
        help="run a preset on a photo",
        description="Run a preset: a preset file (.json), the name of a shipped preset "
        f"({', '.join(shipped_presets())}), or a pack (.sgpack) someone shared, whose "
        "paintings and models come inside it. Named inputs and params are set with --set.",
        epilog="e.g. stylegraph run fusion --set content=photo.jpg --set style=painting.jpg "
        "--set render.strength=0.8 --out out",
    )
    run.add_argument("preset", help="a preset file, a shipped preset's name, or a pack (.sgpack)")
    run.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="set a named input (content=photo.jpg) or a param (node.param=3)",
    )
    run.add_argument(
        "--out", default="stylegraph-out", help="output folder (default: ./stylegraph-out)"
    )
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("--json", action="store_true", help="print the run report as JSON")
    run.add_argument(
        "--no-disk-cache",
        action="store_true",
        help="neither read nor write the on-disk result cache",
    )
    run.set_defaults(func=cmd_run)

    batch = add("batch", help="run a preset over many inputs (a sweep), resumably")
    batch.add_argument("preset", help="a preset file, a shipped preset's name, or a pack")
    batch.add_argument(
        "--over",
        action="append",
        required=True,
        metavar="NAME=PATHS",
        help="an input and its values: a folder, a glob, a file, or a .txt list of paths",
    )
    batch.add_argument("--set", action="append", metavar="NAME=VALUE", help="as for run")
    batch.add_argument("--out", default="stylegraph-out", help="output folder")
    batch.add_argument("--name", help='output name template, e.g. "{content}_{style}"')
    batch.add_argument("--dry-run", action="store_true", help="list the items, run nothing")
    batch.add_argument("--jobs", type=int, default=1, help="photos rendered at once")
    batch.add_argument("--cluster", metavar="auto|local|ADDRESS", help="run on a Ray cluster")
    batch.add_argument("--json", action="store_true", help="one JSON line per finished item")
    batch.add_argument("--sheet", action="store_true", help="write a contact sheet at the end")
    batch.add_argument("--no-disk-cache", action="store_true", help="as for run")
    batch.set_defaults(func=cmd_batch)

    sheet = add("sheet", help="a labelled contact sheet of the images in a folder")
    sheet.add_argument("folder")
    sheet.set_defaults(func=cmd_sheet)

    val = add("validate", help="check a preset without running it")
    val.add_argument("preset", help="a preset file, a shipped preset's name, or a pack")
    val.set_defaults(func=cmd_validate)

    nodes = add("nodes", help="list node types, or describe one")
    nodes.add_argument("type", nargs="?", help="a node type id, e.g. image.blend")
    nodes.add_argument("--json", action="store_true", help="print JSON")
    nodes.set_defaults(func=cmd_nodes)

    recipe = add("recipe", help="print the preset embedded in an output image")
    recipe.add_argument("image")
    recipe.set_defaults(func=cmd_recipe)

    cache = add("cache", help="inspect or clear the on-disk result cache")
    cache.add_argument("action", choices=("info", "clear"))
    cache.set_defaults(func=cmd_cache)

    pack = add("pack", help="bundle a preset, or an output image's recipe, with its files")
    pack.add_argument("source", help="a preset, a shipped preset's name, a pack, or an image")
    pack.add_argument("-o", "--output", required=True, help="the pack to write (.sgpack)")
    pack.add_argument(
        "--with-inputs",
        action="store_true",
        help="also pack the named inputs' files (the photo); by default they are left empty",
    )
    pack.add_argument(
        "--with-input",
        action="append",
        metavar="NAME",
        help="pack this named input's files (e.g. style), leave the others empty",
    )
    pack.set_defaults(func=cmd_pack)

    unpack_cmd = add("unpack", help="extract a pack into a new folder, for editing")
    unpack_cmd.add_argument("pack")
    unpack_cmd.add_argument("dest")
    unpack_cmd.set_defaults(func=cmd_unpack)

    edit = add(
        "edit",
        help="open the node editor (needs a display)",
        description="Open the node editor on a preset, or on an empty graph. It needs a "
        "display; on a machine without one, xvfb-run serves scripts.",
    )
    add_edit_arguments(edit)
    edit.set_defaults(func=cmd_edit)
    return parser


def add_edit_arguments(edit: argparse.ArgumentParser) -> None:
    """``edit``'s arguments; the tests' scripted window (tests/editor_script.py) takes the
    same ones, and its hooks besides."""
    edit.add_argument("preset", nargs="?", help="a preset file, a shipped preset's name, or a pack")
    edit.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="set a named input before opening"
    )
    edit.add_argument("--run", action="store_true", help="run the graph on opening")
