"""Awaitable stores for asyncio hosts (aiosmtpd handlers, async workers).

Redis has a native async store (:class:`loopguard.stores.redis.AsyncRedisStore`); the
memory store is called inline (microseconds, no I/O) and SQLite runs in a worker thread
via :func:`to_async`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import urlsplit

from loopguard.errors import StoreError
from loopguard.stores import Store, Touch, blocking_store, is_async_store, store_from_url
from loopguard.stores.sansio import Operation, Stamps, StoreCall, signed_like

__all__ = ["AsyncStore", "async_store", "async_store_from_url", "awaiting", "run", "to_async"]

P = ParamSpec("P")
R = TypeVar("R")


@runtime_checkable
class AsyncStore(Protocol):
    """The :class:`loopguard.stores.Store` interface with coroutine methods."""

    async def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Atomically read each key's live timestamps, then record ``now`` under it."""
        ...

    async def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps without recording anything."""
        ...

    async def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        """Atomically remove one timestamp equal to ``now`` under each key."""
        ...

    async def reset(self, keys: Sequence[str]) -> None:
        """Forget everything recorded under ``keys``."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...


async def run(operation: Operation[R], store: AsyncStore) -> R:
    """Drive ``operation`` to its result, awaiting each call of ``store``.

    The twin of :func:`loopguard.stores.sansio.run`; only the await differs.

    Raises:
        StoreError: The store failed and the operation did not handle it.
    """
    try:
        call = next(operation)
        while True:
            try:
                answer = await _answer(store, call)
            except StoreError as error:
                call = operation.throw(error)
            else:
                call = operation.send(answer)
    except StopIteration as done:
        result: R = done.value
        return result


async def _answer(store: AsyncStore, call: StoreCall) -> Stamps:
    if call.verb == "reset":
        await store.reset(call.keys)
        return []
    if call.verb == "refund":
        await store.refund(call.touches, now=call.now)
        return []
    return await (store.hit if call.verb == "hit" else store.peek)(call.touches, now=call.now)


def awaiting(
    operation: Callable[Concatenate[Any, P], Operation[R]],
) -> Callable[Concatenate[Any, P], Awaitable[R]]:
    """The coroutine method of an awaitable face (with ``core`` and ``store``) that runs
    ``operation`` of its core to the result; see :func:`loopguard.stores.sansio.blocking`."""

    async def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await run(operation(self.core, *args, **kwargs), self.store)

    return signed_like(method, operation)


class _Inline:
    """Awaitable face of a store whose calls never wait on I/O (the memory store)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        return self.store.hit(touches, now=now)

    async def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        return self.store.peek(touches, now=now)

    async def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        self.store.refund(touches, now=now)

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

    async def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        await asyncio.to_thread(self.store.refund, touches, now=now)

    async def reset(self, keys: Sequence[str]) -> None:
        await asyncio.to_thread(self.store.reset, keys)

    async def close(self) -> None:
        await asyncio.to_thread(self.store.close)


def to_async(store: Store) -> AsyncStore:
    """Wrap a synchronous store: inline for the memory store, in a thread otherwise."""
    from loopguard.stores.memory import MemoryStore

    return _Inline(store) if isinstance(store, MemoryStore) else _InThread(store)


def async_store(store: AsyncStore | Store | None) -> AsyncStore:
    """``store`` as an awaitable store: as it is, wrapped with :func:`to_async`, or a new
    inline memory store for ``None``."""
    if is_async_store(store):
        return cast(AsyncStore, store)
    return to_async(blocking_store(cast(Store | None, store), "to_async"))


def async_store_from_url(url: str) -> AsyncStore:
    """Like :func:`loopguard.stores.store_from_url`, with native async for Redis.

    Raises:
        ConfigurationError: An unknown scheme, a malformed URL, or a missing extra.
    """
    if urlsplit(url).scheme.lower() in {"redis", "rediss", "unix"}:
        from loopguard.stores.redis import AsyncRedisStore

        return AsyncRedisStore.from_url(url)
    return to_async(store_from_url(url))
