"""Awaitable stores for asyncio hosts (aiosmtpd handlers, async workers).

Redis has a native async store (:class:`loopguard.stores.redis.AsyncRedisStore`); the
memory store is called inline (microseconds, no I/O) and SQLite runs in a worker thread
via :func:`to_async`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from loopguard.stores import Store, Touch, store_from_url

__all__ = ["AsyncStore", "async_store_from_url", "to_async"]


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
