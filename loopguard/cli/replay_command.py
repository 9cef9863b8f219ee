"""``loopguard replay MAILBOX...``: what a guard would have done to a real mailbox."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from loopguard.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    Progress,
    Streams,
    printable,
    reason_json,
    utc,
    wants_progress,
)
from loopguard.cli.guard_options import add_guard_options, build_guard
from loopguard.cli.mailbox import ReadError, read_inputs
from loopguard.cli.replay import MessageClock, ReplayEvent, ReplayReport, reason_label, replay
from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard.core import Guard

__all__ = ["add_parser", "event_json", "print_replay_report", "run_replay"]


def event_json(event: ReplayEvent) -> dict[str, Any]:
    """The JSON object printed per message by ``replay --json``."""
    decision = event.decision
    return {
        "location": event.location,
        "time": utc(event.when) + "Z",
        "sender": event.sender,
        "recipient": event.recipient,
        "action": decision.action.value,
        "rule": decision.rule,
        "category": decision.verdict.category.value,
        "retry_after": round(decision.retry_after, 3),
        "reasons": [reason_json(reason) for reason in decision.reasons],
    }


def print_replay_report(
    report: ReplayReport, guard: Guard, args: argparse.Namespace, out: TextIO
) -> None:
    """The human-readable replay report."""
    order = "file order" if args.no_sort else "date order"
    span = ""
    if report.first is not None and report.last is not None:
        span = f", {utc(report.first)} to {utc(report.last)} UTC"
    print(f"Replayed {report.events} messages in {order}{span}", file=out)
    print(f"Limits: {'; '.join(str(limit) for limit in guard.limits)}", file=out)
    if report.undated:
        print(f"Undated messages (timed as the one before them): {report.undated}", file=out)
    print(f"\n  allowed     {report.allowed:>6}", file=out)
    if report.final_notices:
        print(f"    of which final notices {report.final_notices}", file=out)
    print(f"  suppressed  {report.suppressed:>6}", file=out)
    if report.by_reason:
        print("\nSuppressed, by reason:", file=out)
        for label, count in report.by_reason.most_common():
            print(f"  {count:>6}  {printable(label)}", file=out)
    _print_pairs(report, args.top, out)


def _print_pairs(report: ReplayReport, top: int, out: TextIO) -> None:
    """The channels with the most suppressions, each with the moment it was cut."""
    pairs = report.top_pairs(top)
    if not pairs:
        return
    print("\nTop offending pairs (sender -> recipient):", file=out)
    for (sender, recipient), stats in pairs:
        pair = printable(f"{sender or '<>'} -> {recipient or '?'}")
        print(f"  {stats.suppressed:>6} suppressed, {stats.allowed} allowed  {pair}", file=out)
        if stats.cut is not None:
            moment, what = stats.cut, f"loop cut after {stats.allowed_before_cut} allowed"
        elif stats.first_suppressed is not None:
            moment, what = stats.first_suppressed, "suppressed from the first message"
        else:
            continue
        rule = reason_label(moment.decision)
        print(
            f"          {what} at {utc(moment.when)} UTC ({printable(moment.location)}): "
            f"{printable(rule)}",
            file=out,
        )


def run_replay(args: argparse.Namespace, streams: Streams) -> int:
    """``loopguard replay MAILBOX...``."""
    clock = MessageClock()
    try:
        guard = build_guard(args, clock)
    except ConfigurationError as exc:
        streams.error(str(exc))
        return EXIT_USAGE
    failed = 0

    def report_error(error: ReadError) -> None:
        nonlocal failed
        failed += 1
        streams.error(str(error))

    progress = Progress(
        streams.err, None, enabled=wants_progress(args, streams, rows_on_stdout=args.json)
    )

    def on_event(event: ReplayEvent) -> None:
        progress.advance(0)
        if args.json:
            print(json.dumps(event_json(event), ensure_ascii=False), file=streams.out)

    try:
        with guard:
            report = replay(
                read_inputs(args.paths),
                guard,
                clock,
                recipient=args.recipient,
                trigger=args.trigger,
                sort=not args.no_sort,
                on_error=report_error,
                on_event=on_event,
            )
            progress.close()
            print_replay_report(report, guard, args, streams.err if args.json else streams.out)
    except StoreError as exc:
        progress.close()
        streams.error(f"store error: {exc}")
        return EXIT_STORE
    return EXIT_FAILED if failed else EXIT_OK


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``replay`` and its options."""
    parser = commands.add_parser(
        "replay",
        help="feed a mailbox through a guard and report what it would have suppressed",
        description="Decide every message as if it were about to fire a trigger at its Date, "
        "and report what would have been allowed and suppressed, per reason, with the "
        "top offending pairs and the moment each loop was cut.",
    )
    parser.add_argument("paths", nargs="+", metavar="MAILBOX", help="mbox, Maildir, dir, .eml, -")
    add_guard_options(parser, store_required=False)
    parser.add_argument(
        "--recipient",
        metavar="ADDRESS",
        help="our address that received the mail (default: each message's Delivered-To, "
        "X-Original-To or To)",
    )
    parser.add_argument(
        "--no-sort", action="store_true", help="decide in file order instead of date order"
    )
    parser.add_argument(
        "--top", type=int, default=10, metavar="N", help="offending pairs to show (default 10)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per decision on stdout; the report on stderr",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress indicator")
    parser.set_defaults(handler=run_replay)
