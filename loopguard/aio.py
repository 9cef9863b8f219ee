"""Awaitable rate tracking for asyncio hosts (aiosmtpd handlers, async workers).

The decision logic is the synchronous tracker's (:class:`loopguard.tracker.Plan`); only
the store calls are awaited. Redis has a native async store
(:class:`loopguard.stores.redis.AsyncRedisStore`); the memory store is called inline
(microseconds, no I/O) and SQLite runs in a worker thread via :func:`to_async`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from loopguard.keys import KeyDeriver, MailEvent
from loopguard.stores import Store, Touch, store_from_url
from loopguard.tracker import DEFAULT_LIMITS, Clock, Limit, Plan, RateResult, split_decisions

__all__ = ["AsyncRateTracker", "AsyncStore", "async_store_from_url", "to_async"]


@runtime_checkable
class AsyncStore(Protocol):
    """The :class:`loopguard.stores.Store` interface with coroutine methods."""

    async def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Atomically read each key's live timestamps, then record ``now`` under it."""
        ...

    async def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps without recording anything."""
        ...

    async def reset(self, keys: Sequence[str]) -> None:
        """Forget everything recorded under ``keys``."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...


class _Inline:
    """Awaitable face of a store whose calls never wait on I/O (the memory store)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        return self.store.hit(touches, now=now)

    async def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        return self.store.peek(touches, now=now)

    async def reset(self, keys: Sequence[str]) -> None:
        self.store.reset(keys)

    async def close(self) -> None:
        self.store.close()


class _InThread(_Inline):
    """Awaitable face of a blocking store: each call runs in the default thread pool."""

    async def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        return await asyncio.to_thread(self.store.hit, touches, now=now)

    async def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        return await asyncio.to_thread(self.store.peek, touches, now=now)

    async def reset(self, keys: Sequence[str]) -> None:
        await asyncio.to_thread(self.store.reset, keys)

    async def close(self) -> None:
        await asyncio.to_thread(self.store.close)


def to_async(store: Store) -> AsyncStore:
    """Wrap a synchronous store: inline for the memory store, in a thread otherwise."""
    from loopguard.stores.memory import MemoryStore

    return _Inline(store) if isinstance(store, MemoryStore) else _InThread(store)


def async_store_from_url(url: str) -> AsyncStore:
    """Like :func:`loopguard.stores.store_from_url`, with native async for Redis.

    Raises:
        ConfigurationError: An unknown scheme, a malformed URL, or a missing extra.
    """
    if urlsplit(url).scheme.lower() in {"redis", "rediss", "unix"}:
        from loopguard.stores.redis import AsyncRedisStore

        return AsyncRedisStore.from_url(url)
    return to_async(store_from_url(url))


class AsyncRateTracker:
    """The awaitable twin of :class:`loopguard.tracker.RateTracker`.

    Args:
        limits: The ladder of limits; :data:`~loopguard.tracker.DEFAULT_LIMITS` by default.
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
