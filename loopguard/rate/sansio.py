"""The rate tracker without I/O: each operation yields its one store call and decides.

:class:`TrackerCore` knows the keys, the ladder and the clock; its operations are
generators (:data:`loopguard.stores.sansio.Operation`) that yield one
:class:`~loopguard.stores.sansio.StoreCall` with every key of the event (or of the batch)
and return the decision. The blocking :class:`~loopguard.rate.tracker.RateTracker` runs
them, the :class:`~loopguard.rate.aio.AsyncRateTracker` awaits them, and the guard's own
core yields from them inside its steps, so all of them count and decide alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from loopguard.rate.keys import KeyDeriver, MailEvent
from loopguard.rate.ladder import LimitLadder
from loopguard.rate.limits import Clock, Limit, RateResult
from loopguard.stores import Touch
from loopguard.stores.sansio import Operation, StoreCall

__all__ = ["TrackerCore"]


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
        scopes, touches = self.ladder.touches_together(self.keys, events)
        now = self.clock()
        stamps = yield StoreCall(verb, [*touches, *riders], now)
        return LimitLadder.decide(
            scopes, stamps[: len(touches)], now, counted=verb == "hit", touches=touches
        )

    def touches_of(self, events: Iterable[MailEvent]) -> list[Touch]:
        """The store touches of ``events``, each key once."""
        return self.ladder.touches_together(self.keys, events)[1]

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
        _, touches = self.ladder.touches(self.keys, sender, recipient, thread)
        return [touch.key for touch in touches]

    def _one(
        self,
        verb: Literal["hit", "peek"],
        sender: str | None,
        recipient: str | None,
        thread: str | None,
    ) -> Operation[RateResult]:
        scopes, touches = self.ladder.touches(self.keys, sender, recipient, thread)
        now = self.clock()
        stamps = yield StoreCall(verb, touches, now)
        return LimitLadder.decide(scopes, stamps, now, counted=verb == "hit", touches=touches)

    def _many(
        self, verb: Literal["hit", "peek"], events: Iterable[MailEvent]
    ) -> Operation[list[RateResult]]:
        batch = [
            self.ladder.touches(
                self.keys,
                event.sender,
                event.recipient,
                event.thread,
                event.domain,
                event.answering,
            )
            for event in events
        ]
        now = self.clock()
        stamps = yield StoreCall(verb, [touch for _, touches in batch for touch in touches], now)
        return LimitLadder.decide_batch(batch, stamps, now, counted=verb == "hit")
