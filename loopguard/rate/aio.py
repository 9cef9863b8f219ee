"""Awaitable rate tracking for asyncio hosts (aiosmtpd handlers, async workers).

The decisions are the blocking tracker's (:class:`loopguard.rate.sansio.TrackerCore`); only
the store calls are awaited (see :mod:`loopguard.stores.aio`).
"""

from __future__ import annotations

from loopguard.rate.sansio import TrackerCore
from loopguard.rate.tracker import TrackerBase
from loopguard.stores import Store
from loopguard.stores.aio import AsyncStore, async_store, awaiting

__all__ = ["AsyncRateTracker"]


class AsyncRateTracker(TrackerBase):
    """The awaitable twin of :class:`loopguard.rate.tracker.RateTracker`; same arguments.

    ``store`` is an :class:`~loopguard.stores.aio.AsyncStore` or a blocking store, which is
    wrapped with :func:`~loopguard.stores.aio.to_async`; an inline memory store by default.
    """

    store: AsyncStore

    # The operations are the core's, each run to its result awaiting the store calls.
    hit = awaiting(TrackerCore.hit)
    peek = awaiting(TrackerCore.peek)
    hit_many = awaiting(TrackerCore.hit_many)
    reset = awaiting(TrackerCore.reset)

    async def aclose(self) -> None:
        """Close the store."""
        await self.store.close()

    async def __aenter__(self) -> AsyncRateTracker:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _adopt_store(self, store: Store | AsyncStore | None) -> AsyncStore:
        return async_store(store)
