"""Replay a mailbox through a Guard: what it would have allowed, suppressed, and when it cut loops.

Each message is decided as if it were about to fire a trigger at the moment its Date
header says, so the rate windows run on the mailbox's own time. The guard's clock is
that moment; nothing waits.
"""

from __future__ import annotations

import datetime
import email.utils
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from loopguard.cli.mailbox import MailItem, ReadError, reread
from loopguard.guard.core import Action, Decision, Guard
from loopguard.guard.identity import recipient_of as find_recipient
from loopguard.mail.view import MessageView

__all__ = [
    "MessageClock",
    "PairStats",
    "ReplayEvent",
    "ReplayReport",
    "Timeline",
    "message_time",
    "recipient_of",
    "replay",
]


class MessageClock:
    """The guard's clock during a replay: the Date of the message being decided.

    It stands still between messages and jumps to each one's time, so the rate windows
    run on the mailbox's own time and nothing waits.
    """

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True, slots=True)
class ReplayEvent:
    """One decided message.

    Attributes:
        location: Where the message is (``path:N`` in an mbox).
        when: Its time (POSIX seconds) as replayed.
        sender: Who wrote it (normalized).
        recipient: Our address that received it.
        decision: What the guard said.
    """

    location: str
    when: float
    sender: str | None
    recipient: str | None
    decision: Decision


@dataclass(slots=True)
class PairStats:
    """What happened on one (sender, recipient) channel.

    Attributes:
        allowed: Messages allowed (final notices included).
        suppressed: Messages suppressed.
        cut: The first suppression that followed an allowed message: the moment a loop
            on this channel was cut (``None`` if the channel was never cut that way).
        allowed_before_cut: How many messages were allowed before ``cut``.
        first_suppressed: The first suppression of all.
    """

    allowed: int = 0
    suppressed: int = 0
    cut: ReplayEvent | None = None
    allowed_before_cut: int = 0
    first_suppressed: ReplayEvent | None = None


@dataclass(slots=True)
class ReplayReport:
    """Everything a replay found; filled by :func:`replay` as it goes."""

    events: int = 0
    allowed: int = 0
    suppressed: int = 0
    final_notices: int = 0
    undated: int = 0
    first: float | None = None
    last: float | None = None
    by_reason: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    pairs: dict[tuple[str | None, str | None], PairStats] = field(default_factory=dict)

    def add(self, event: ReplayEvent) -> None:
        """Account for one decided message."""
        self.events += 1
        self.first = event.when if self.first is None else min(self.first, event.when)
        self.last = event.when if self.last is None else max(self.last, event.when)
        decision = event.decision
        self.by_category[decision.verdict.category.value] += 1
        stats = self.pairs.setdefault((event.sender, event.recipient), PairStats())
        if decision.allowed:
            self.allowed += 1
            stats.allowed += 1
            if decision.action is Action.FINAL_NOTICE:
                self.final_notices += 1
            return
        self.suppressed += 1
        self.by_reason[reason_label(decision)] += 1
        stats.suppressed += 1
        if stats.first_suppressed is None:
            stats.first_suppressed = event
        if stats.cut is None and stats.allowed:
            stats.cut = event
            stats.allowed_before_cut = stats.allowed

    def top_pairs(self, limit: int) -> list[tuple[tuple[str | None, str | None], PairStats]]:
        """The channels with the most suppressions, most first."""
        offending = [(pair, stats) for pair, stats in self.pairs.items() if stats.suppressed]
        offending.sort(key=lambda item: (-item[1].suppressed, str(item[0])))
        return offending[:limit]


def reason_label(decision: Decision) -> str:
    """A short name for why a message was suppressed: the rule, with what it is about."""
    if not decision.reasons:
        return "store-error"
    reason = decision.reasons[0]
    if reason.rule == "automated" and reason.category is not None:
        return f"automated ({reason.category.value})"
    if reason.rule == "rate-limit":
        return f"rate-limit ({reason.detail.removesuffix(' exceeded')})"
    return reason.rule


def message_time(view: MessageView) -> float | None:
    """The message's Date as POSIX seconds, or ``None`` when absent or unparsable."""
    value = view.get("date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # RFC 5322 "-0000": the zone is unknown, read it as UTC
        parsed = parsed.replace(tzinfo=datetime.UTC)
    try:
        return parsed.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def recipient_of(view: MessageView, own: Iterable[str] = ()) -> str | None:
    """Our address that received the message: Delivered-To, X-Original-To, else one of
    ``own`` in To or Cc, else the first To (the guard's own rule, see
    :func:`loopguard.guard.identity.recipient_of`)."""
    return find_recipient(view, own)[0]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A message waiting for its turn: its time, and how to get its bytes back."""

    when: float
    location: str
    path: str | None
    offset: int
    size: int
    raw: bytes | None  # kept only when the message cannot be read again (stdin)


class Timeline:
    """The messages of a mailbox with their times, in the order a replay decides them.

    Sorted (the default), a first pass reads only the dates, then each message is read
    again from its file, so memory stays flat (messages from standard input are kept).
    Ties keep file order; an undated message takes the time of the message before it in
    the file. Unsorted, file order in one pass. Iterate once.

    Args:
        items: Messages and read errors (from :func:`loopguard.cli.mailbox.read_inputs`).
        sort: Date order (else file order).
        on_error: Called with every input that cannot be read.

    Attributes:
        undated: Messages without a usable Date so far.
    """

    def __init__(
        self,
        items: Iterable[MailItem | ReadError],
        *,
        sort: bool = True,
        on_error: Callable[[ReadError], None],
    ) -> None:
        self._items = items
        self._sort = sort
        self._on_error = on_error
        self.undated = 0

    def __iter__(self) -> Iterator[tuple[float, str, bytes]]:
        """``(time, location, raw bytes)`` of every readable message."""
        dated = self._dated()
        if self._sort:
            return _in_date_order(dated, self._on_error)
        return ((when, item.location, item.raw) for when, item in dated)

    def _dated(self) -> Iterator[tuple[float, MailItem]]:
        previous = 0.0
        for item in self._items:
            if isinstance(item, ReadError):
                self._on_error(item)
                continue
            when = message_time(MessageView.from_bytes(item.raw))
            if when is None:
                self.undated += 1
                when = previous
            previous = when
            yield when, item


def replay(
    items: Iterable[MailItem | ReadError],
    guard: Guard,
    clock: MessageClock,
    *,
    recipient: str | None = None,
    trigger: str | None = None,
    sort: bool = True,
    on_error: Callable[[ReadError], None],
    on_event: Callable[[ReplayEvent], None] = lambda event: None,
) -> ReplayReport:
    """Feed every message through ``guard`` (whose clock is ``clock``) and report.

    Messages come in :class:`Timeline` order: by Date with ``sort``, else file order.

    Args:
        items: Messages and read errors (from :func:`loopguard.cli.mailbox.read_inputs`).
        guard: The guard to replay through; its clock must be ``clock``.
        clock: Set to each message's time before it is decided.
        recipient: Our address; by default each message's Delivered-To,
            X-Original-To or To.
        trigger: The trigger name passed to :meth:`Guard.check`.
        sort: Decide in Date order (else file order).
        on_error: Called with every input that cannot be read.
        on_event: Called with every decision as it is made.

    Raises:
        StoreError: The guard's store failed (when the guard raises on store errors).
    """
    report = ReplayReport()
    timeline = Timeline(items, sort=sort, on_error=on_error)
    for when, location, raw in timeline:
        view = MessageView.from_bytes(raw)
        clock.now = when
        ours = recipient or recipient_of(view, guard.own_addresses)
        decision = guard.check(view, recipient=ours, trigger=trigger)
        event = ReplayEvent(location, when, view.sender, ours, decision)
        report.add(event)
        on_event(event)
    report.undated = timeline.undated
    return report


def _in_date_order(
    dated: Iterable[tuple[float, MailItem]], on_error: Callable[[ReadError], None]
) -> Iterator[tuple[float, str, bytes]]:
    pending = [
        _Pending(
            when,
            item.location,
            item.path,
            item.offset,
            len(item.raw),
            item.raw if item.path is None else None,
        )
        for when, item in dated
    ]
    pending.sort(key=lambda entry: entry.when)  # stable: file order on ties
    for entry in pending:
        if entry.path is None:  # standard input: kept in memory
            yield entry.when, entry.location, entry.raw or b""
            continue
        try:
            raw = reread(entry.path, entry.offset, entry.size)
        except OSError as exc:
            on_error(ReadError(entry.location, exc.strerror or str(exc)))
            continue
        yield entry.when, entry.location, raw
