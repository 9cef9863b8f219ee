"""``loopguard classify PATH...``: who wrote each message, a table or JSON lines."""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, TextIO

from loopguard.classifier.pipeline import Classifier
from loopguard.classifier.verdict import Verdict
from loopguard.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    Progress,
    Streams,
    clip,
    printable,
    reason_json,
    wants_progress,
)
from loopguard.cli.mailbox import MailItem, ReadError, input_size, read_inputs
from loopguard.mail.view import MessageView

__all__ = ["Classified", "Table", "add_parser", "classify_items", "run_classify", "summary_line"]


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


def run_classify(args: argparse.Namespace, streams: Streams) -> int:
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
        enabled=wants_progress(args, streams, rows_on_stdout=not args.json),
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


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``classify`` and its options."""
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
    classify.set_defaults(handler=run_classify)
