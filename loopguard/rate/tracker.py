"""Exact sliding-window rate tracking of automatic answers, with blocking store calls.

:class:`RateTracker` runs the operations of the sans-IO
:class:`~loopguard.rate.sansio.TrackerCore` against a :class:`~loopguard.stores.Store`;
its awaitable twin is :class:`loopguard.rate.aio.AsyncRateTracker`. The values it works
with (:class:`Limit`, :class:`RateResult`, :data:`DEFAULT_LIMITS`) live in
:mod:`loopguard.rate.limits` and are importable from here, where the documentation has
always shown them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from loopguard.rate.keys import KeyDeriver, MailEvent
from loopguard.rate.ladder import LimitLadder
from loopguard.rate.limits import DEFAULT_LIMITS, Clock, Limit, RateResult, parse_duration
from loopguard.rate.sansio import TrackerCore
from loopguard.stores import Store, blocking_store
from loopguard.stores.sansio import blocking

if TYPE_CHECKING:
    from loopguard.stores.aio import AsyncStore

__all__ = [
    "DEFAULT_LIMITS",
    "Clock",
    "Limit",
    "MailEvent",
    "RateResult",
    "RateTracker",
    "TrackerBase",
    "parse_duration",
]


class TrackerBase:
    """What :class:`RateTracker` and its async twin share: all but the store calls.

    See :class:`RateTracker` for the arguments.
    """

    def __init__(
        self,
        limits: Iterable[Limit] = DEFAULT_LIMITS,
        *,
        store: Store | AsyncStore | None = None,
        clock: Clock = time.time,
        secret: bytes | str | None = None,
        fold_subaddress: bool = False,
    ) -> None:
        self.core = TrackerCore(limits, clock=clock, secret=secret, fold_subaddress=fold_subaddress)
        self.store = self._adopt_store(store)

    def _adopt_store(self, store: Store | AsyncStore | None) -> Store | AsyncStore:
        raise NotImplementedError

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The ladder, in the order given."""
        return self.core.ladder.limits

    @property
    def keys(self) -> KeyDeriver:
        """How events become store keys."""
        return self.core.keys

    @property
    def clock(self) -> Clock:
        """Wall-clock seconds."""
        return self.core.clock


class RateTracker(TrackerBase):
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
        ConfigurationError: Bad limits or secret, or an async store.
    """

    store: Store

    # The operations are the core's, each run to its result with blocking store calls.
    hit_many = blocking(TrackerCore.hit_many)
    reset = blocking(TrackerCore.reset)

    # The hot two make the core's one store call themselves, inline: even a shared helper
    # costs 0.4 µs, and the core's generator and driver more, of a decision's 4-7 µs
    # (benchmarks/bench_tracker.py). The ladder, keys, clock and decision are the core's
    # all the same.
    def hit(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> RateResult:
        """Count one event and decide it; denied events count too.

        Raises:
            StoreError: The store failed.
        """
        core = self.core
        parts = (sender, recipient, thread, None, False)
        known = core.known.get(parts)
        scopes, touches = touched = known or core.touched(*parts)
        now = core.clock()
        stamps = self.store.hit(touches, now=now)
        if known is None and all(stamps):  # seen before: remember its keys (core.learn)
            core.known.put(parts, touched)
        return LimitLadder.decide(scopes, stamps, now, counted=True, touches=touches)

    def peek(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> RateResult:
        """Decide an event without counting it.

        Raises:
            StoreError: The store failed.
        """
        core = self.core
        parts = (sender, recipient, thread, None, False)
        known = core.known.get(parts)
        scopes, touches = touched = known or core.touched(*parts)
        now = core.clock()
        stamps = self.store.peek(touches, now=now)
        if known is None and all(stamps):  # seen before: remember its keys (core.learn)
            core.known.put(parts, touched)
        return LimitLadder.decide(scopes, stamps, now, counted=False, touches=touches)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> RateTracker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _adopt_store(self, store: Store | AsyncStore | None) -> Store:
        return blocking_store(store, "RateTracker")
