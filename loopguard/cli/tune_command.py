"""``loopguard tune MAILBOX...``: replay a real mailbox through candidate ladders and
propose the limits to run, as a config file the guard loads."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from loopguard import ConfigurationError, Guard, Limit, MemoryStore, load_config
from loopguard.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Progress,
    Streams,
    printable,
    wants_progress,
)
from loopguard.cli.ladders import Candidate, candidate_ladders
from loopguard.cli.mailbox import ReadError, input_size, read_inputs
from loopguard.cli.replay import MessageClock, Timeline
from loopguard.cli.tune_report import render_report
from loopguard.cli.tune_text import (
    policy_toml,
    print_loops,
    print_table,
    score_summary,
    tuning_summary,
)
from loopguard.cli.tuning import Score, SharedClassifier, ladders_for, recommend, tune

__all__ = ["add_parser", "run_tune"]

GuardFactory = Callable[[tuple[Limit, ...], MessageClock], Guard]


def _guards(args: argparse.Namespace) -> tuple[list[Candidate], GuardFactory, list[str]]:
    """The candidates, a factory of their guards (each on its own memory store, with the
    config file's policy and own addresses), and the own addresses.

    Raises:
        ConfigurationError: A bad config file.
    """
    config = load_config(args.config) if args.config else load_config({})
    own = list(dict.fromkeys([*config.own_addresses, *args.own]))
    # The config file's own ladder is a candidate too, unless it is the default.
    candidates = candidate_ladders(config.limits if args.config else ())
    classifier = SharedClassifier()

    def guard_for(limits: tuple[Limit, ...], clock: MessageClock) -> Guard:
        return Guard(
            limits,
            store=MemoryStore(),
            own_addresses=own,
            secret=os.environ.get("LOOPGUARD_SECRET") or None,
            policy=config.policy,
            on_store_error="raise",
            identity=config.identity,
            clock=clock,
            classifier=classifier,
        )

    return candidates, guard_for, own


def run_tune(args: argparse.Namespace, streams: Streams) -> int:
    """``loopguard tune MAILBOX... [--policy-out FILE] [--report FILE.html]``."""
    failed = 0

    def report_error(error: ReadError) -> None:
        nonlocal failed
        failed += 1
        streams.error(str(error))

    progress = Progress(
        streams.err,
        input_size(args.paths),
        enabled=wants_progress(args, streams, rows_on_stdout=False),
    )
    try:
        candidates, guard_for, own = _guards(args)
        tuning = tune(  # builds every guard before it reads the first message
            Timeline(read_inputs(args.paths), on_error=report_error),
            ladders_for(candidates),
            guard_for,
            recipient=args.recipient,
            trigger=args.trigger,
            on_message=progress.advance,
        )
    except ConfigurationError as exc:
        streams.error(str(exc))
        return EXIT_USAGE
    finally:
        progress.close()
    scores = [Score.of(tuning, candidate) for candidate in candidates]
    best = recommend(scores)
    out = streams.out
    print(tuning_summary(tuning), file=out)
    print(file=out)
    print_table(scores, out)
    print_loops(tuning, args.top, out)
    print(f"\nRecommended: {best.candidate.name} ({score_summary(best)})", file=out)
    policy = policy_toml(best, tuning, args.paths, own)
    if args.policy_out:
        Path(args.policy_out).write_text(policy, encoding="utf-8")
        print(f"Policy written to {printable(args.policy_out)}", file=out)
    else:
        print(f"\n{policy}", end="", file=out)
    if args.report:
        page = render_report(tuning, scores, best, policy, top=args.top)
        Path(args.report).write_text(page, encoding="utf-8")
        print(f"Report written to {printable(args.report)}", file=out)
    return EXIT_FAILED if failed else EXIT_OK


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tune`` and its options."""
    parser = commands.add_parser(
        "tune",
        help="replay a mailbox through candidate limits and recommend the ones to run",
        description="Replay a real mailbox (in Date order) through loopguard's default "
        "ladder and the peers' (Zammad, Znuny, Mailman), each halved and doubled; report "
        "for each how many loops it cut, how late, and how many human conversations it "
        "touched; print the recommended limits as a config file the guard loads.",
    )
    parser.add_argument("paths", nargs="+", metavar="MAILBOX", help="mbox, Maildir, dir, .eml, -")
    parser.add_argument(
        "--policy-out", metavar="FILE", help="write the recommended config (TOML) to FILE"
    )
    parser.add_argument(
        "--report",
        metavar="FILE.html",
        help="write a self-contained HTML page with a timeline per busiest pair",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="policy and own addresses from a .toml or .ini file; its limits are a candidate",
    )
    parser.add_argument(
        "--own",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="one of our own addresses (repeatable)",
    )
    parser.add_argument("--trigger", metavar="NAME", help="the trigger name (selects its policy)")
    parser.add_argument(
        "--recipient",
        metavar="ADDRESS",
        help="our address that received the mail (default: each message's Delivered-To, "
        "X-Original-To or To)",
    )
    parser.add_argument(
        "--top", type=int, default=5, metavar="N", help="loops and pairs to show (default 5)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_tune)
