"""The `stylegraph` command, a module per job: ``parser`` (the grammar), ``presets`` (how a
command takes a preset and checks it before a run), ``run`` (run, batch, sheet),
``validate``, ``nodes`` (describing node types), ``share`` (recipe, pack, unpack, cache)
and ``edit``. ``--set`` values are read by ``graph.assign``, beside the graph."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import traceback
from collections.abc import Callable

from stylegraph.cli.edit import cmd_edit
from stylegraph.cli.errors import UsageError, one_line
from stylegraph.cli.parser import build_parser
from stylegraph.graph.assign import AssignmentError
from stylegraph.graph.atomic import remove_partial_files
from stylegraph.graph.engine import error_sentence
from stylegraph.graph.model import GraphError
from stylegraph.graph.preset import PresetError
from stylegraph.graph.registry import Registry, UnknownNodeType
from stylegraph.graph.spec import short_path
from stylegraph.graph.validate import ValidationError
from stylegraph.jobs.interrupt import CANCELLED, Interrupted, signals_raise
from stylegraph.nodes import default_registry
from stylegraph.nodes.models.heap import huge_pages_for_tensors, share_main_heap


def main(argv: list[str] | None = None) -> int:
    share_main_heap()  # before any worker thread: its renders then reuse freed memory
    huge_pages_for_tensors()  # before torch's first tensor
    args = build_parser().parse_args(argv)
    # the editor's window has its own Ctrl+C
    return run_command(args, args.func, own_signals=args.func is cmd_edit)


def run_command(
    args: argparse.Namespace,
    command: Callable[[argparse.Namespace, Registry], int],
    *,
    own_signals: bool = False,
) -> int:
    """``command``'s exit code, its errors printed as the command line prints them: a
    usage error in one line (exit 2), an interruption as "cancelled", a defect in one
    sentence (the traceback with --debug)."""
    try:
        if own_signals:
            return command(args, default_registry())
        with signals_raise():
            return command(args, default_registry())
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
