"""What every command shares to talk to its caller: streams, exit codes, safe text, progress.

Exit codes: 0 success (``check``: allow), 1 some input failed (``check``: suppress),
2 usage error, 3 store error.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

from loopguard.classifier.verdict import Reason

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_STORE",
    "EXIT_USAGE",
    "Progress",
    "Streams",
    "clip",
    "printable",
    "reason_json",
    "utc",
    "wants_progress",
]

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


def utc(when: float) -> str:
    """POSIX seconds as ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def reason_json(reason: Reason) -> dict[str, Any]:
    """A reason as a JSON object."""
    return {
        "rule": reason.rule,
        "category": None if reason.category is None else reason.category.value,
        "confidence": reason.confidence,
        "detail": reason.detail,
    }


@dataclass
class Streams:
    """Where a command writes; tests pass their own."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def error(self, message: str) -> None:
        """One line on stderr, prefixed with the program name."""
        print(f"loopguard: {printable(message)}", file=self.err)


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


def wants_progress(args: argparse.Namespace, streams: Streams, *, rows_on_stdout: bool) -> bool:
    """Whether to draw a progress bar: not with ``--quiet``, only on a terminal's stderr."""
    # Rows scrolling on the same terminal would tear the bar apart.
    if args.quiet or not streams.err.isatty():
        return False
    return not (rows_on_stdout and streams.out.isatty())
