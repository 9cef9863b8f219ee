"""The ``loopguard`` command line: classify mailboxes, replay them through a Guard, check one.

Exit codes: 0 success (``check``: allow), 1 some input failed (``check``: suppress),
2 usage error, 3 store error.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

from loopguard import __version__
from loopguard.classifier.pipeline import Classifier
from loopguard.classifier.verdict import Reason, Verdict
from loopguard.cli.mailbox import STDIN, MailItem, ReadError, input_size, read_inputs
from loopguard.cli.replay import Clock as ReplayClock
from loopguard.cli.replay import ReplayEvent, ReplayReport, reason_label, replay
from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard.core import Decision, Guard
from loopguard.guard.policy import GuardConfig, limits_from, load_config
from loopguard.mail.view import MessageView
from loopguard.rate.tracker import Limit
from loopguard.stores import store_from_url

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_STORE", "EXIT_USAGE", "build_parser", "run"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # some input unreadable; for ``check``: suppress
EXIT_USAGE: Final = 2  # argparse's own code for bad arguments
EXIT_STORE: Final = 3

# C0/C1 controls and bidirectional overrides: mail is hostile, terminals obey escapes.
_UNPRINTABLE: Final = {
    code: "?"
    for code in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
_UNPRINTABLE[ord("\t")] = " "


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: control characters become ``?``."""
    return text.translate(_UNPRINTABLE)


def clip(text: str, width: int, *, keep_end: bool = False) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (at the start if ``keep_end``)."""
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1) :] if keep_end else text[: width - 1] + "…"


class Progress:
    """A one-line progress indicator on a terminal (stderr), redrawn a few times a second.

    Args:
        stream: Where to draw; nothing is drawn unless ``enabled``.
        total: Input bytes, for a percentage; ``None`` when unknown (stdin).
        enabled: Whether to draw at all.
        clock: Monotonic seconds; injected by tests.
    """

    _DELAY: Final = 0.5  # short runs never show a bar
    _PERIOD: Final = 0.2

    def __init__(
        self,
        stream: TextIO,
        total: int | None,
        *,
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._total = total
        self._enabled = enabled
        self._clock = clock
        self._start = clock()
        self._next_draw = self._start + self._DELAY
        self._drawn = False
        self.messages = 0
        self._bytes = 0

    def advance(self, nbytes: int) -> None:
        """Count one message of ``nbytes`` and redraw when it is time."""
        self.messages += 1
        self._bytes += nbytes
        if not self._enabled:
            return
        now = self._clock()
        if now >= self._next_draw:
            self._next_draw = now + self._PERIOD
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.messages / max(now - self._start, 1e-9)
        plural = "" if self.messages == 1 else "s"
        line = f"{self.messages:,} message{plural}  {rate:,.0f}/s"
        if self._total:
            share = min(self._bytes / self._total, 0.99)
            filled = int(share * 30)
            line = f"[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%}  {line}"
        self._stream.write(f"\r{line}\x1b[K")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the line, so that what follows starts clean."""
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False


@dataclass
class Streams:
    """Where a command writes; tests pass their own."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def error(self, message: str) -> None:
        """One line on stderr, prefixed with the program name."""
        print(f"loopguard: {printable(message)}", file=self.err)


@dataclass(frozen=True, slots=True)
class Classified:
    """One message with its verdict and the headers shown next to it."""

    location: str
    verdict: Verdict
    subject: str
    size: int

    def as_json(self) -> dict[str, Any]:
        """The JSON object printed by ``classify --json``."""
        verdict = self.verdict
        bounce = verdict.bounce
        return {
            "location": self.location,
            "category": verdict.category.value,
            "confidence": verdict.confidence,
            "no_autoreply": verdict.no_autoreply,
            "sender": verdict.sender,
            "subject": self.subject,
            "reasons": [reason_json(reason) for reason in verdict.reasons],
            "failed_recipients": None
            if bounce is None
            else {"permanent": sorted(bounce.permanent), "temporary": sorted(bounce.temporary)},
        }


def reason_json(reason: Reason) -> dict[str, Any]:
    """A reason as a JSON object."""
    return {
        "rule": reason.rule,
        "category": None if reason.category is None else reason.category.value,
        "confidence": reason.confidence,
        "detail": reason.detail,
    }


def classify_items(
    items: Iterator[MailItem | ReadError],
    classifier: Classifier,
    *,
    on_error: Callable[[ReadError], None],
) -> Iterator[Classified]:
    """Classify each readable message; hand every unreadable input to ``on_error``."""
    for item in items:
        if isinstance(item, ReadError):
            on_error(item)
            continue
        view = MessageView.from_bytes(item.raw)
        verdict = classifier.classify_view(view)
        yield Classified(item.location, verdict, view.subject, len(item.raw))


class Table:
    """The aligned table of ``classify``: one row per message, streamed."""

    _CATEGORY: Final = 14
    _REASON: Final = 26
    _SENDER: Final = 30

    def __init__(self, out: TextIO, location_width: int, *, explain: bool) -> None:
        self._out = out
        self._location = location_width
        self._explain = explain

    def header(self) -> None:
        """The column titles."""
        self._row("LOCATION", "CATEGORY", "CONF", "TOP REASON", "SENDER", "SUBJECT")

    def add(self, row: Classified) -> None:
        """Print one message (and with ``explain``, every reason under it)."""
        verdict = row.verdict
        strongest = verdict.reasons[0] if verdict.reasons else None
        # Signals that name no category (shown by --explain) are not "the" reason.
        top = strongest.rule if strongest and strongest.category is verdict.category else "-"
        self._row(
            row.location,
            verdict.category.value,
            f"{verdict.confidence:.3f}",
            top,
            verdict.sender or "-",
            row.subject,
        )
        if self._explain:
            for reason in verdict.reasons:
                category = reason.category.value if reason.category is not None else "-"
                detail = printable(reason.detail)
                print(
                    f"    {reason.rule:<28} {category:<14} {reason.confidence:.2f}  {detail}",
                    file=self._out,
                )
            if not verdict.reasons:
                print("    (no rule fired: no machine evidence)", file=self._out)

    def _row(self, *cells: str) -> None:
        location, category, confidence, reason, sender, subject = (printable(c) for c in cells)
        print(
            f"{clip(location, self._location, keep_end=True):<{self._location}}  "
            f"{category:<{self._CATEGORY}} {confidence:>5}  "
            f"{clip(reason, self._REASON):<{self._REASON}} "
            f"{clip(sender, self._SENDER):<{self._SENDER}} {subject}".rstrip(),
            file=self._out,
        )


def summary_line(counts: Counter[str], failed: int) -> str:
    """``12 messages: 7 human, 3 auto_reply, ...`` with the unreadable inputs."""
    total = sum(counts.values())
    parts = ", ".join(f"{count} {name}" for name, count in counts.most_common())
    line = f"{total} message{'s' if total != 1 else ''}: {parts or 'none'}"
    if failed:
        line += f"; {failed} unreadable input{'s' if failed != 1 else ''}"
    return line


def cmd_classify(args: argparse.Namespace, streams: Streams) -> int:
    """``loopguard classify PATH...``."""
    classifier = (
        Classifier(body_rules=(), text_heuristics=False) if args.headers_only else Classifier()
    )
    failed = 0

    def report(error: ReadError) -> None:
        nonlocal failed
        failed += 1
        streams.error(str(error))

    progress = Progress(
        streams.err,
        input_size(args.paths),
        enabled=_wants_progress(args, streams, rows_on_stdout=not args.json),
    )
    table = None
    if not args.json:
        table = Table(streams.out, _location_width(args.paths), explain=args.explain)
        table.header()
    counts: Counter[str] = Counter()
    for row in classify_items(read_inputs(args.paths), classifier, on_error=report):
        progress.advance(row.size)
        counts[row.verdict.category.value] += 1
        if table is None:
            print(json.dumps(row.as_json(), ensure_ascii=False), file=streams.out)
        else:
            table.add(row)
    progress.close()
    print(summary_line(counts, failed), file=streams.err if args.json else streams.out)
    return EXIT_FAILED if failed else EXIT_OK


def _location_width(paths: Sequence[str]) -> int:
    # Room for ":12345" after an mbox, or for the file names under a directory.
    widest = max(len(path) + (24 if os.path.isdir(path) else 6) for path in paths)
    return min(max(widest, 12), 48)


def _wants_progress(args: argparse.Namespace, streams: Streams, *, rows_on_stdout: bool) -> bool:
    # Rows scrolling on the same terminal would tear the bar apart.
    if args.quiet or not streams.err.isatty():
        return False
    return not (rows_on_stdout and streams.out.isatty())


# -- replay and check -------------------------------------------------------------------


def _limit_arg(value: str) -> Limit:
    try:
        (limit,) = limits_from([value], "limit")
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("limit[0]: ")) from None
    return limit


def _build_guard(args: argparse.Namespace, clock: Callable[[], float]) -> Guard:
    """The guard a command runs: config file, then flags; store failures raise.

    Raises:
        ConfigurationError: A bad config file, store URL or setting.
    """
    config = load_config(args.config) if args.config else GuardConfig()
    store = store_from_url(args.store)
    return Guard(
        args.limits or config.limits,
        store=store,
        own_addresses=[*config.own_addresses, *args.own],
        # The secret keys the store and recognises our loop tokens; never on the command line.
        secret=os.environ.get("LOOPGUARD_SECRET") or None,
        policy=config.policy,
        on_store_error="raise",  # the command line turns a store failure into exit code 3
        identity=config.identity,
        clock=clock,
    )


def _utc(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def event_json(event: ReplayEvent) -> dict[str, Any]:
    """The JSON object printed per message by ``replay --json``."""
    decision = event.decision
    return {
        "location": event.location,
        "time": _utc(event.when) + "Z",
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
        span = f", {_utc(report.first)} to {_utc(report.last)} UTC"
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
            f"          {what} at {_utc(moment.when)} UTC ({printable(moment.location)}): "
            f"{printable(rule)}",
            file=out,
        )


def cmd_replay(args: argparse.Namespace, streams: Streams) -> int:
    """``loopguard replay MAILBOX...``."""
    clock = ReplayClock()
    try:
        guard = _build_guard(args, clock)
    except ConfigurationError as exc:
        streams.error(str(exc))
        return EXIT_USAGE
    failed = 0

    def report_error(error: ReadError) -> None:
        nonlocal failed
        failed += 1
        streams.error(str(error))

    progress = Progress(
        streams.err, None, enabled=_wants_progress(args, streams, rows_on_stdout=args.json)
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


def cmd_check(args: argparse.Namespace, streams: Streams) -> int:
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
        guard = _build_guard(args, time.time)
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


def _add_guard_options(parser: argparse.ArgumentParser, *, store_required: bool) -> None:
    parser.add_argument(
        "--store",
        required=store_required,
        default=None if store_required else "memory://",
        metavar="URL",
        help="rate store: memory://, sqlite:///path.db, redis://host:6379/0"
        + ("" if store_required else " (default: memory://)"),
    )
    parser.add_argument(
        "--limit",
        dest="limits",
        action="append",
        type=_limit_arg,
        default=[],
        metavar="N/PER",
        help="a rate limit such as 5/10m or '20/1h sender' (repeatable; "
        "default: the config file's, else loopguard's default ladder)",
    )
    parser.add_argument("--config", metavar="FILE", help="guard settings from a .toml or .ini file")
    parser.add_argument(
        "--own",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="one of our own addresses (repeatable)",
    )
    parser.add_argument("--trigger", metavar="NAME", help="the trigger name (selects its policy)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="loopguard",
        description="Stop email loops: classify mail, replay a mailbox through a guard, "
        "check one message in a pipeline.",
    )
    parser.add_argument("--version", action="version", version=f"loopguard {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every decision and warning to stderr"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    classify = commands.add_parser(
        "classify",
        help="classify messages: a person, or which kind of machine, and why",
        description="Classify .eml files, mbox files, Maildirs and directories (recursively); "
        "'-' reads standard input. Exit code 1 when some input could not be read.",
    )
    classify.add_argument("paths", nargs="+", metavar="PATH", help=".eml, mbox, Maildir, dir, -")
    output = classify.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per message on stdout (every reason); the summary on stderr",
    )
    output.add_argument(
        "--explain", action="store_true", help="print every rule that fired and what it matched"
    )
    classify.add_argument(
        "--headers-only",
        action="store_true",
        help="read headers and subject only (faster; no body or out-of-office text rules)",
    )
    classify.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    classify.set_defaults(handler=cmd_classify)

    replay_cmd = commands.add_parser(
        "replay",
        help="feed a mailbox through a guard and report what it would have suppressed",
        description="Decide every message as if it were about to fire a trigger at its Date, "
        "and report what would have been allowed and suppressed, per reason, with the "
        "top offending pairs and the moment each loop was cut.",
    )
    replay_cmd.add_argument(
        "paths", nargs="+", metavar="MAILBOX", help="mbox, Maildir, dir, .eml, -"
    )
    _add_guard_options(replay_cmd, store_required=False)
    replay_cmd.add_argument(
        "--recipient",
        metavar="ADDRESS",
        help="our address that received the mail (default: each message's Delivered-To, "
        "X-Original-To or To)",
    )
    replay_cmd.add_argument(
        "--no-sort", action="store_true", help="decide in file order instead of date order"
    )
    replay_cmd.add_argument(
        "--top", type=int, default=10, metavar="N", help="offending pairs to show (default 10)"
    )
    replay_cmd.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per decision on stdout; the report on stderr",
    )
    replay_cmd.add_argument("-q", "--quiet", action="store_true", help="no progress indicator")
    replay_cmd.set_defaults(handler=cmd_replay)

    check = commands.add_parser(
        "check",
        help="decide one message for a shell pipeline: exit 0 allow, 1 suppress",
        description="Decide one message (FILE, or standard input) and count it. Exit codes: "
        "0 allow, 1 suppress, 2 usage error, 3 store error.",
    )
    check.add_argument(
        "file", nargs="?", default=STDIN, metavar="FILE", help="the message (default: -)"
    )
    _add_guard_options(check, store_required=True)
    check.add_argument(
        "--sender", metavar="ADDRESS", help="the envelope sender (MAIL FROM), if known"
    )
    check.add_argument(
        "--recipient", required=True, metavar="ADDRESS", help="our address that received it"
    )
    output = check.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the decision as JSON")
    output.add_argument("-q", "--quiet", action="store_true", help="print nothing; exit code only")
    check.set_defaults(handler=cmd_check)
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
