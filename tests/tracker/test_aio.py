"""The async tracker decides exactly like the sync one, on every store."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import pytest
import redis
from redis_servers import server_of

from loopguard.errors import StoreError
from loopguard.rate.aio import AsyncRateTracker
from loopguard.rate.keys import MailEvent
from loopguard.rate.tracker import Limit, RateResult, RateTracker
from loopguard.stores import Touch
from loopguard.stores.aio import AsyncStore, async_store_from_url, to_async
from loopguard.stores.memory import MemoryStore
from loopguard.stores.redis import AsyncRedisStore

from .conftest import FakeClock, delete_prefix

LIMITS = (Limit(2, "1m"), Limit(3, "1h", "thread"))
SCRIPT = [
    MailEvent("a@x.org", "b@y.org", "<t@h>"),
    MailEvent("A@X.org", "b@y.org"),
    MailEvent("c@x.org", "b@y.org", "<t@h>"),
    MailEvent("a@x.org", "b@y.org", "<t@h>"),
    MailEvent("d@x.org", "e@y.org", "<t@h>"),
]


def expected_results() -> list[RateResult]:
    clock = FakeClock()
    rates = RateTracker(LIMITS, store=MemoryStore(), clock=clock)
    results = rates.hit_many(SCRIPT[:2])
    for event in SCRIPT[2:]:
        clock.advance(10)
        results.append(
            rates.hit(sender=event.sender, recipient=event.recipient, thread=event.thread)
        )
    return results


async def async_results(store: AsyncStore) -> list[RateResult]:
    clock = FakeClock()
    async with AsyncRateTracker(LIMITS, store=store, clock=clock) as rates:
        results = await rates.hit_many(SCRIPT[:2])
        for event in SCRIPT[2:]:
            clock.advance(10)
            results.append(
                await rates.hit(sender=event.sender, recipient=event.recipient, thread=event.thread)
            )
        assert not (await rates.peek(sender="a@x.org", recipient="b@y.org")).allowed
        await rates.reset(sender="a@x.org", recipient="b@y.org")
        assert (await rates.peek(sender="a@x.org", recipient="b@y.org")).allowed
        touch, now = Touch("v1:pair:{aio-refund}", 60, 5), clock()
        await store.hit([touch], now=now)
        await store.refund([touch], now=now)
        assert await store.peek([touch], now=now) == [[]]
    return results


def test_memory_runs_inline() -> None:
    assert asyncio.run(async_results(to_async(MemoryStore()))) == expected_results()
    assert asyncio.run(async_results(async_store_from_url("memory://"))) == expected_results()


def test_sqlite_runs_in_a_thread(tmp_path: Path) -> None:
    store = async_store_from_url(f"sqlite:///{tmp_path}/r.db")
    assert asyncio.run(async_results(store)) == expected_results()


@pytest.mark.redis
def test_redis_is_native(redis_url: str) -> None:
    prefix = f"lgtest-{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in redis_url else "?"
    store = async_store_from_url(f"{redis_url}{separator}prefix={prefix}")
    assert isinstance(store, AsyncRedisStore)
    try:
        assert asyncio.run(async_results(store)) == expected_results()
    finally:
        delete_prefix(redis_url, prefix)


@pytest.mark.redis
def test_an_async_client_passed_in_is_left_open(redis_url: str) -> None:
    prefix = f"lgtest-{uuid.uuid4().hex[:12]}"

    async def scenario() -> bool:
        client = server_of(redis_url).async_client()
        async with AsyncRedisStore(client, prefix=prefix) as store:
            assert await store.hit([Touch("k", 60, 2)], now=5.0) == [[]]
            assert await store.peek([Touch("k", 60, 2)], now=6.0) == [[5.0]]
        alive = bool(await client.ping())
        await client.aclose()
        return alive

    try:
        assert asyncio.run(scenario())
    finally:
        delete_prefix(redis_url, prefix)


def test_async_redis_failures_are_store_errors() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> None:
        store = AsyncRedisStore(f"redis://127.0.0.1:{port}/0", timeout=0.5)
        with pytest.raises(StoreError) as caught:
            await store.hit([Touch("k", 60, 2)], now=1.0)
        assert isinstance(caught.value.__cause__, redis.ConnectionError)
        with pytest.raises(StoreError):
            await store.reset(["k"])
        await store.close()

    asyncio.run(scenario())
