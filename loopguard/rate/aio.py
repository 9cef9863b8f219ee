"""Awaitable rate tracking for asyncio hosts (aiosmtpd handlers, async workers).

The decision logic is the synchronous tracker's (:class:`loopguard.rate.tracker.Plan`);
only the store calls are awaited (see :mod:`loopguard.stores.aio`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from loopguard.rate.keys import KeyDeriver, MailEvent
from loopguard.rate.tracker import DEFAULT_LIMITS, Clock, Limit, Plan, RateResult, split_decisions
from loopguard.stores.aio import AsyncStore, to_async

__all__ = ["AsyncRateTracker"]


class AsyncRateTracker:
    """The awaitable twin of :class:`loopguard.rate.tracker.RateTracker`.

    Args:
        limits: The ladder of limits; :data:`~loopguard.rate.tracker.DEFAULT_LIMITS` by default.
        store: An :class:`AsyncStore`; an inline memory store by default.
        clock: Wall-clock seconds; inject a fake one in tests.
        secret: HMAC key so that stores hold no recoverable address.
        fold_subaddress: Count ``user+tag@`` as ``user@``.

    Raises:
        ConfigurationError: Bad limits or secret.
    """

    def __init__(
        self,
        limits: Iterable[Limit] = DEFAULT_LIMITS,
        *,
        store: AsyncStore | None = None,
        clock: Clock = time.time,
        secret: bytes | str | None = None,
        fold_subaddress: bool = False,
    ) -> None:
        self._plan = Plan(limits)
        if store is None:
            from loopguard.stores.memory import MemoryStore

            store = to_async(MemoryStore())
        self.store = store
        self.clock = clock
        self.keys = KeyDeriver(secret=secret, fold_subaddress=fold_subaddress)

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The ladder, in the order given."""
        return self._plan.limits

    async def hit(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> RateResult:
        """Count one event and decide it; denied events count too."""
        plans, touches = self._plan.touches(self.keys, sender, recipient, thread)
        now = self.clock()
        return Plan.decide(plans, await self.store.hit(touches, now=now), now, counted=True)

    async def peek(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> RateResult:
        """Decide an event without counting it."""
        plans, touches = self._plan.touches(self.keys, sender, recipient, thread)
        now = self.clock()
        return Plan.decide(plans, await self.store.peek(touches, now=now), now, counted=False)

    async def hit_many(self, events: Iterable[MailEvent]) -> list[RateResult]:
        """Count and decide a batch in one store call, each event seeing the ones before."""
        batch = [
            self._plan.touches(self.keys, event.sender, event.recipient, event.thread)
            for event in events
        ]
        now = self.clock()
        stamps = await self.store.hit([touch for _, touches in batch for touch in touches], now=now)
        return split_decisions(batch, stamps, now)

    async def reset(
        self, *, sender: str | None = None, recipient: str | None = None, thread: str | None = None
    ) -> None:
        """Forget the counts of every key this event would touch."""
        _, touches = self._plan.touches(self.keys, sender, recipient, thread)
        await self.store.reset([touch.key for touch in touches])

    async def aclose(self) -> None:
        """Close the store."""
        await self.store.close()

    async def __aenter__(self) -> AsyncRateTracker:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
