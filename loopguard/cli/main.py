"""The ``loopguard`` command line: the parser of every command, and :func:`run`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from loopguard import __version__
from loopguard.cli import check_command, classify_command, replay_command, tune_command
from loopguard.cli.console import EXIT_FAILED, EXIT_USAGE, Streams

__all__ = ["build_parser", "run"]

_COMMANDS = (classify_command, replay_command, check_command, tune_command)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="loopguard",
        description="Stop email loops: classify mail, replay a mailbox through a guard, "
        "check one message in a pipeline, tune the limits on a real mailbox.",
    )
    parser.add_argument("--version", action="version", version=f"loopguard {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every decision and warning to stderr"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(commands)
    return parser


def run(argv: Sequence[str] | None = None, streams: Streams | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    streams = streams or Streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    # The library logs store failures and decisions; the commands report them themselves.
    logging.basicConfig(
        stream=streams.err,
        level=logging.INFO if args.verbose else logging.ERROR,
        format="loopguard: %(levelname)s %(name)s: %(message)s",
    )
    handler: Callable[[argparse.Namespace, Streams], int] = args.handler
    try:
        return handler(args, streams)
    except BrokenPipeError:
        # `loopguard classify big.mbox | head`: the reader left. Point stdout at devnull so
        # that the interpreter's final flush does not raise again (the Python docs' recipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
