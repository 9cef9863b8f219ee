"""``loopguard check``: one decision for a shell pipeline, as an exit code."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from typing import Any

from loopguard.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    Streams,
    printable,
    reason_json,
)
from loopguard.cli.guard_options import add_guard_options, build_guard
from loopguard.cli.mailbox import STDIN, MailItem, ReadError, read_inputs
from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard.core import Decision

__all__ = ["add_parser", "run_check"]


def run_check(args: argparse.Namespace, streams: Streams) -> int:
    """``loopguard check --store URL --sender A --recipient B [FILE]``: exit 0 allow, 1 suppress."""
    if args.file == STDIN and sys.stdin.isatty():
        streams.error("check: no message; give FILE or pipe one on standard input")
        return EXIT_USAGE
    found = list(itertools.islice(read_inputs([args.file]), 2))
    errors = [item for item in found if isinstance(item, ReadError)]
    messages = [item for item in found if isinstance(item, MailItem)]
    if errors:
        streams.error(str(errors[0]))
        return EXIT_USAGE
    if len(messages) != 1:
        streams.error(f"{args.file}: check takes one message, this holds more")
        return EXIT_USAGE
    try:
        guard = build_guard(args, time.time)
    except ConfigurationError as exc:
        streams.error(str(exc))
        return EXIT_USAGE
    try:
        with guard:
            decision = guard.check(
                messages[0].raw,
                recipient=args.recipient,
                envelope_sender=args.sender,
                trigger=args.trigger,
            )
    except StoreError as exc:
        streams.error(f"store error: {exc}")
        return EXIT_STORE
    if args.json:
        print(json.dumps(_decision_json(decision), ensure_ascii=False), file=streams.out)
    elif not args.quiet:
        why = f" {decision.reasons[0]}" if decision.reasons else ""
        print(printable(f"{decision.action.value}{why}"), file=streams.out)
    return EXIT_OK if decision.allowed else EXIT_FAILED


def _decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "action": decision.action.value,
        "allowed": decision.allowed,
        "rule": decision.rule,
        "category": decision.verdict.category.value,
        "retry_after": round(decision.retry_after, 3),
        "reasons": [reason_json(reason) for reason in decision.reasons],
    }


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``check`` and its options."""
    check = commands.add_parser(
        "check",
        help="decide one message for a shell pipeline: exit 0 allow, 1 suppress",
        description="Decide one message (FILE, or standard input) and count it. Exit codes: "
        "0 allow, 1 suppress, 2 usage error, 3 store error.",
    )
    check.add_argument(
        "file", nargs="?", default=STDIN, metavar="FILE", help="the message (default: -)"
    )
    add_guard_options(check, store_required=True)
    check.add_argument(
        "--sender", metavar="ADDRESS", help="the envelope sender (MAIL FROM), if known"
    )
    check.add_argument(
        "--recipient", required=True, metavar="ADDRESS", help="our address that received it"
    )
    output = check.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the decision as JSON")
    output.add_argument("-q", "--quiet", action="store_true", help="print nothing; exit code only")
    check.set_defaults(handler=run_check)
