"""The ``loopguard`` command line: classify mailboxes, replay them through a Guard, check one.

Exit codes: 0 success (``check``: allow), 1 some input failed (``check``: suppress),
2 usage error, 3 store error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

from loopguard import __version__
from loopguard.classify import Classifier
from loopguard.mailbox import MailItem, ReadError, input_size, read_inputs
from loopguard.message import MessageView
from loopguard.model import Reason, Verdict

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
        line = f"{self.messages:,} messages  {rate:,.0f}/s"
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
        top = verdict.reasons[0].rule if verdict.reasons else "-"
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="loopguard",
        description="Stop email loops: classify mail, replay a mailbox through a guard, "
        "check one message in a pipeline.",
    )
    parser.add_argument("--version", action="version", version=f"loopguard {__version__}")
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
    return parser


def run(argv: Sequence[str] | None = None, streams: Streams | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    streams = streams or Streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace, Streams], int] = args.handler
    try:
        return handler(args, streams)
    except BrokenPipeError:
        # `loopguard classify big.mbox | head`: the reader left. Point stdout at devnull so
        # that the interpreter's final flush does not raise again (the Python docs' recipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
