"""The rate tracker without I/O: each operation yields its one store call and decides.

:class:`TrackerCore` knows the keys, the ladder and the clock; its operations are
generators (:data:`loopguard.stores.sansio.Operation`) that yield one
:class:`~loopguard.stores.sansio.StoreCall` with every key of the event (or of the batch)
and return the decision. The blocking :class:`~loopguard.rate.tracker.RateTracker` runs
them, the :class:`~loopguard.rate.aio.AsyncRateTracker` awaits them, and the guard's own
core yields from them inside its steps, so all of them count and decide alike.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Final, Literal

from loopguard.rate.cache import BoundedCache
from loopguard.rate.keys import KeyDeriver, MailEvent
from loopguard.rate.ladder import LimitLadder, Touched
from loopguard.rate.limits import Clock, Limit, RateResult
from loopguard.stores import Touch
from loopguard.stores.sansio import Operation, Stamps, StoreCall

__all__ = ["Parts", "TrackerCore"]

#: An event as its parts: sender, recipient, thread, domain, answering.
Parts = tuple[str | None, str | None, str | None, str | None, bool]
# Events whose keys are remembered: a loop's pairs are few (the loop workload of
# benchmarks/bench_tracker.py has 1,000), and each entry costs about 400 bytes.
_KNOWN_EVENTS: Final = 2048


class TrackerCore:
    """Keys, limit ladder and clock of a tracker; its operations as store-call generators.

    Args:
        limits: The ladder of limits.
        clock: Wall-clock seconds.
        secret: HMAC key of the store keys (see :class:`~loopguard.rate.keys.KeyDeriver`).
        fold_subaddress: Count ``user+tag@`` as ``user@``.

    Raises:
        ConfigurationError: Bad limits or secret.
    """

    def __init__(
        self,
        limits: Iterable[Limit],
        *,
        clock: Clock,
        secret: bytes | str | None = None,
        fold_subaddress: bool = False,
    ) -> None:
        self.ladder = LimitLadder(limits)
        self.keys = KeyDeriver(secret=secret, fold_subaddress=fold_subaddress)
        self.clock = clock
        #: The keys of events seen again: a key is derived once its event repeats
        #: (every one of its keys held stamps), not on every call.
        self.known: BoundedCache[Parts, Touched] = BoundedCache(_KNOWN_EVENTS)
        #: The scopes and store touches of an event (sender, recipient, thread, domain,
        #: answering), derived: the ladder's own method with the keys bound, a Python
        #: frame less on every first sighting.
        self.touched = functools.partial(self.ladder.touches, self.keys)

    def hit(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> Operation[RateResult]:
        """Count one event and decide it; denied events count too.

        Raises:
            StoreError: The store failed.
        """
        return self._one("hit", sender, recipient, thread)

    def peek(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> Operation[RateResult]:
        """Decide an event without counting it.

        Raises:
            StoreError: The store failed.
        """
        return self._one("peek", sender, recipient, thread)

    def hit_many(self, events: Iterable[MailEvent]) -> Operation[list[RateResult]]:
        """Count and decide a batch in one store call (one round trip for Redis).

        Events are decided in order, each seeing the ones before it.

        Raises:
            StoreError: The store failed.
        """
        return self._many("hit", events)

    def peek_many(self, events: Iterable[MailEvent]) -> Operation[list[RateResult]]:
        """Decide a batch in one store call without counting any of it."""
        return self._many("peek", events)

    def together(
        self,
        verb: Literal["hit", "peek"],
        events: Iterable[MailEvent],
        *,
        riders: Sequence[Touch] = (),
    ) -> Operation[RateResult]:
        """Decide (and with ``"hit"`` count) one answer that reaches several people: every
        key of every event once, in one store call, and one result (allowed only when
        every key is under its limits). ``riders`` (another tracker's touches, see
        :meth:`touches_of`) go along in the same call, their answers unread."""
        derived = self._derive(events)
        scopes, touches = LimitLadder.together(touched for _, touched, _ in derived)
        now = self.clock()
        stamps = yield StoreCall(verb, [*touches, *riders], now)
        stamps = stamps[: len(touches)]
        for parts, touched, known in derived:
            if not known:
                # Every key of the answer held stamps only if every event was seen before.
                self.learn(parts, touched, stamps)
        return LimitLadder.decide(scopes, stamps, now, counted=verb == "hit", touches=touches)

    def touches_of(self, events: Iterable[MailEvent]) -> list[Touch]:
        """The store touches of ``events``, each key once."""
        derived = self._derive(events)
        return list(LimitLadder.together(touched for _, touched, _ in derived)[1])

    def learn(self, parts: Parts, touched: Touched, stamps: Stamps) -> None:
        """Remember the keys of an event that was seen before: every key held stamps."""
        if all(stamps):
            self.known.put(parts, touched)

    def reset(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> Operation[None]:
        """Forget the counts of every key this event would touch.

        Raises:
            StoreError: The store failed.
        """
        yield StoreCall(
            "reset", keys=self.keys_of(sender=sender, recipient=recipient, thread=thread)
        )

    def keys_of(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> list[str]:
        """The store keys an event touches."""
        parts = (sender, recipient, thread, None, False)
        _, touches = self.known.get(parts) or self.touched(*parts)
        return [touch.key for touch in touches]

    def _one(
        self,
        verb: Literal["hit", "peek"],
        sender: str | None,
        recipient: str | None,
        thread: str | None,
    ) -> Operation[RateResult]:
        parts = (sender, recipient, thread, None, False)
        known = self.known.get(parts)
        scopes, touches = touched = known or self.touched(*parts)
        now = self.clock()
        stamps = yield StoreCall(verb, touches, now)
        if known is None:
            self.learn(parts, touched, stamps)
        return LimitLadder.decide(scopes, stamps, now, counted=verb == "hit", touches=touches)

    def _many(
        self, verb: Literal["hit", "peek"], events: Iterable[MailEvent]
    ) -> Operation[list[RateResult]]:
        derived = self._derive(events)
        batch = [touched for _, touched, _ in derived]
        now = self.clock()
        stamps = yield StoreCall(verb, [touch for _, touches in batch for touch in touches], now)
        offset = 0
        for parts, touched, known in derived:
            end = offset + len(touched[1])
            if not known:
                self.learn(parts, touched, stamps[offset:end])
            offset = end
        return LimitLadder.decide_batch(batch, stamps, now, counted=verb == "hit")

    def _derive(self, events: Iterable[MailEvent]) -> list[tuple[Parts, Touched, bool]]:
        """Each event's parts, its touches, and whether they were known."""
        derived = []
        for event in events:
            parts = (event.sender, event.recipient, event.thread, event.domain, event.answering)
            known = self.known.get(parts)
            touched = known or self.touched(*parts)
            derived.append((parts, touched, known is not None))
        return derived
