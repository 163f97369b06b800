"""The `stylegraph` command, a module per job: ``parser`` (the grammar), ``presets`` (how a
command takes a preset and checks it before a run), ``run`` (run, batch, sheet),
``validate``, ``nodes`` (describing node types), ``share`` (recipe, pack, unpack, cache)
and ``edit``. ``--set`` values are read by ``graph.assign``, beside the graph."""

from __future__ import annotations

import errno
import os
import sys
import traceback

from stylegraph.cli.edit import cmd_edit
from stylegraph.cli.errors import UsageError, one_line
from stylegraph.cli.parser import build_parser
from stylegraph.graph.assign import AssignmentError
from stylegraph.graph.atomic import remove_partial_files
from stylegraph.graph.engine import error_sentence
from stylegraph.graph.model import GraphError
from stylegraph.graph.preset import PresetError
from stylegraph.graph.registry import UnknownNodeType
from stylegraph.graph.spec import short_path
from stylegraph.graph.validate import ValidationError
from stylegraph.jobs.interrupt import CANCELLED, Interrupted, signals_raise
from stylegraph.nodes import default_registry


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.func is cmd_edit:  # the editor's window has its own Ctrl+C
            return args.func(args, default_registry())
        with signals_raise():
            return args.func(args, default_registry())
    except Interrupted as exc:
        remove_partial_files()
        print(CANCELLED, file=sys.stderr)
        return exc.exit_code
    except (
        UsageError,
        AssignmentError,
        PresetError,
        ValidationError,
        GraphError,
        UnknownNodeType,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`stylegraph nodes | head`): stop quietly, as other tools
        # do, and keep Python from complaining when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        elif isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            name = short_path(os.fsdecode(exc.filename or ""))
            print(f"error: a path is too long for this system: {name}", file=sys.stderr)
            return 2
        else:
            print(
                f"error: {one_line(error_sentence(exc))} (run with --debug for the details)",
                file=sys.stderr,
            )
        return 1
