"""Exact sliding-window rate tracking of automatic answers.

An event is over a :class:`Limit` when ``count`` events are already inside the window
``(now - per, now]`` of its key. Every checked event counts, allowed or not, so a flood
stays suppressed while it lasts. The decision is a pure function of the timestamps a
store returns (:class:`Plan`), shared by :class:`RateTracker` and the async tracker.
"""

from __future__ import annotations

import math
import re
import time
from bisect import bisect_right, insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from loopguard.errors import ConfigurationError
from loopguard.rate.keys import SCOPES, KeyDeriver, MailEvent, Scope
from loopguard.stores import Store, Touch

__all__ = [
    "DEFAULT_LIMITS",
    "Clock",
    "Limit",
    "MailEvent",
    "Plan",
    "RateResult",
    "RateTracker",
    "parse_duration",
]

#: Returns wall-clock seconds; wall clock because SQLite and Redis state outlives processes.
Clock = Callable[[], float]

_UNITS: Final[Mapping[str, float]] = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# Anchored, no nested quantifiers: linear on any input.
_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


def parse_duration(value: float | str) -> float:
    """Seconds in ``value``: a number of seconds, or ``"90s"``, ``"10m"``, ``"1h"``, ``"1d"``.

    Raises:
        ConfigurationError: Not a positive, finite duration.
    """
    raw: object = value  # checked at run time: configuration often comes from files
    if isinstance(raw, str):
        match = _DURATION.fullmatch(raw.strip().lower())
        if match is None:
            raise ConfigurationError(
                f"bad duration {value!r}: expected seconds or a number with s, m, h or d"
            )
        seconds = float(match[1]) * _UNITS[match[2]]
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = float(raw)
    else:
        raise ConfigurationError(f"bad duration {value!r}: expected seconds or a string")
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ConfigurationError(f"a duration must be positive and finite, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True, init=False)
class Limit:
    """At most ``count`` events per sliding window of ``per`` seconds, per ``key``.

    Args:
        count: Events allowed inside one window (at least 1).
        per: The window: seconds, or a string such as ``"90s"``, ``"10m"``, ``"1h"``, ``"1d"``.
        key: What events are counted by: ``"pair"`` (sender and recipient), ``"sender"``,
            ``"recipient"`` or ``"thread"`` (the conversation's root Message-ID).

    Raises:
        ConfigurationError: A bad count, duration or key.
    """

    count: int
    per: float
    key: Scope

    def __init__(self, count: int, per: float | str, key: Scope = "pair") -> None:
        if not _is_positive_int(count):
            raise ConfigurationError(f"a limit's count must be an integer >= 1, got {count!r}")
        if key not in SCOPES:
            raise ConfigurationError(f"a limit's key must be one of {SCOPES}, got {key!r}")
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "per", parse_duration(per))
        object.__setattr__(self, "key", key)

    def __str__(self) -> str:
        return f"{self.count} per {self.per:g}s by {self.key}"


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


#: The default ladder; docs/rate-tracking.md justifies each rung from Zammad and Znuny.
DEFAULT_LIMITS: Final[tuple[Limit, ...]] = (
    Limit(5, "10m"),
    Limit(15, "1h"),
    Limit(40, "1d"),
    Limit(10, "10m", "thread"),
    Limit(25, "1h", "thread"),
    Limit(100, "10h", "thread"),
)


@dataclass(frozen=True, slots=True)
class RateResult:
    """The answer for one event.

    Attributes:
        allowed: Whether the event is within every limit.
        retry_after: When not allowed, seconds until an event with the same keys would be
            allowed again (this event included); ``0.0`` when allowed.
        exceeded: The limit that was exceeded (the one that blocks longest), or ``None``.
    """

    allowed: bool
    retry_after: float = 0.0
    exceeded: Limit | None = None


_ALLOWED: Final = RateResult(True)


@dataclass(frozen=True, slots=True)
class _ScopePlan:
    scope: Scope
    limits: tuple[Limit, ...]
    window: float
    keep: int


#: The scopes an event touches and their store touches, index for index.
Touched = tuple[list[_ScopePlan], list[Touch]]


class Plan:
    """A validated ladder of limits, and the pure decision over stored timestamps.

    Args:
        limits: One or more limits; several on one key form a ladder.

    Raises:
        ConfigurationError: No limits, or the same limit twice.
    """

    def __init__(self, limits: Iterable[Limit]) -> None:
        ladder = tuple(limits)
        if not ladder:
            raise ConfigurationError("a rate tracker needs at least one Limit")
        if not all(isinstance(limit, Limit) for limit in ladder):
            raise ConfigurationError("limits must be loopguard.Limit instances")
        if len(set(ladder)) != len(ladder):
            raise ConfigurationError(f"duplicate limits in {ladder}")
        self.limits = ladder
        self.scopes = tuple(
            _ScopePlan(
                scope,
                group,
                window=max(limit.per for limit in group),
                keep=max(limit.count for limit in group),
            )
            for scope in SCOPES
            if (group := tuple(limit for limit in ladder if limit.key == scope))
        )

    def touches(
        self,
        deriver: KeyDeriver,
        sender: str | None,
        recipient: str | None,
        thread: str | None,
    ) -> Touched:
        """The keys an event touches; scopes the event has no value for are skipped."""
        plans = []
        touches = []
        for plan in self.scopes:
            key = deriver.key_of(plan.scope, sender, recipient, thread)
            if key is not None:
                plans.append(plan)
                touches.append(Touch(key, plan.window, plan.keep))
        return plans, touches

    @staticmethod
    def decide(
        scopes: Sequence[_ScopePlan],
        stamps: Sequence[Sequence[float]],
        now: float,
        *,
        counted: bool,
    ) -> RateResult:
        """Decide one event from each touched key's live timestamps (sorted, before it).

        ``counted`` says whether the event itself is being recorded (``hit``) or not
        (``peek``); a recorded event can fill a rung it did not exceed, and the key is
        only "under every limit" again once every rung has room.
        """
        if not _any_full(scopes, stamps, now):
            return _ALLOWED
        pairs = [
            (limit, log) for plan, log in zip(scopes, stamps, strict=True) for limit in plan.limits
        ]
        exceeded: Limit | None = None
        longest_block = -1.0
        retry_after = 0.0
        for limit, log in pairs:
            wait = _wait(log, limit, now, counted=counted)
            retry_after = max(retry_after, wait)
            inside = len(log) - bisect_right(log, now - limit.per)
            if inside >= limit.count and wait > longest_block:
                exceeded, longest_block = limit, wait
        return RateResult(False, retry_after, exceeded)


def _any_full(scopes: Sequence[_ScopePlan], stamps: Sequence[Sequence[float]], now: float) -> bool:
    # The common case is a quiet key: settle it with one bisect per limit.
    for plan, log in zip(scopes, stamps, strict=True):
        for limit in plan.limits:
            if len(log) - bisect_right(log, now - limit.per) >= limit.count:
                return True
    return False


def _wait(log: Sequence[float], limit: Limit, now: float, *, counted: bool) -> float:
    # An event at t is allowed when fewer than `count` events lie in (t - per, t], i.e.
    # once the count-th newest event has left the window.
    events = list(log)
    if counted:
        insort(events, now)
    if len(events) < limit.count:
        return 0.0
    return max(0.0, events[-limit.count] + limit.per - now)


class RateTracker:
    """Counts automatic answers per key and decides whether the next one may go out.

    Args:
        limits: The ladder of limits; :data:`DEFAULT_LIMITS` by default.
        store: Where timestamps live; a new :class:`~loopguard.stores.memory.MemoryStore`
            by default.
        clock: Wall-clock seconds; inject a fake one in tests.
        secret: HMAC key so that stores hold no recoverable address (see
            :class:`~loopguard.rate.keys.KeyDeriver`).
        fold_subaddress: Count ``user+tag@`` as ``user@``.

    Raises:
        ConfigurationError: Bad limits or secret.
    """

    def __init__(
        self,
        limits: Iterable[Limit] = DEFAULT_LIMITS,
        *,
        store: Store | None = None,
        clock: Clock = time.time,
        secret: bytes | str | None = None,
        fold_subaddress: bool = False,
    ) -> None:
        self._plan = Plan(limits)
        if store is None:
            from loopguard.stores.memory import MemoryStore

            store = MemoryStore()
        self.store: Store = store
        self.clock = clock
        self.keys = KeyDeriver(secret=secret, fold_subaddress=fold_subaddress)

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The ladder, in the order given."""
        return self._plan.limits

    def hit(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> RateResult:
        """Count one event and decide it; denied events count too.

        Raises:
            StoreError: The store failed.
        """
        plans, touches = self._plan.touches(self.keys, sender, recipient, thread)
        now = self.clock()
        return Plan.decide(plans, self.store.hit(touches, now=now), now, counted=True)

    def peek(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> RateResult:
        """Decide an event without counting it.

        Raises:
            StoreError: The store failed.
        """
        plans, touches = self._plan.touches(self.keys, sender, recipient, thread)
        now = self.clock()
        return Plan.decide(plans, self.store.peek(touches, now=now), now, counted=False)

    def hit_many(self, events: Iterable[MailEvent]) -> list[RateResult]:
        """Count and decide a batch in one store call (one round trip for Redis).

        Events are decided in order, each seeing the ones before it.

        Raises:
            StoreError: The store failed.
        """
        batch = [
            self._plan.touches(self.keys, event.sender, event.recipient, event.thread)
            for event in events
        ]
        now = self.clock()
        stamps = self.store.hit([touch for _, touches in batch for touch in touches], now=now)
        return split_decisions(batch, stamps, now)

    def reset(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> None:
        """Forget the counts of every key this event would touch.

        Raises:
            StoreError: The store failed.
        """
        _, touches = self._plan.touches(self.keys, sender, recipient, thread)
        self.store.reset([touch.key for touch in touches])

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> RateTracker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def split_decisions(
    batch: Sequence[Touched], stamps: Sequence[Sequence[float]], now: float
) -> list[RateResult]:
    """Decide each event of a batch from the store's flat answer list."""
    results = []
    offset = 0
    for plans, _ in batch:
        end = offset + len(plans)
        results.append(Plan.decide(plans, stamps[offset:end], now, counted=True))
        offset = end
    return results
