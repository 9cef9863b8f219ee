"""Shared fixtures of the rate-tracker tests: a fake clock and every store, one contract.

Redis tests use ``LOOPGUARD_TEST_REDIS_URL`` or a server on 127.0.0.1:6379. Without one
they skip with a message, except under CI (``CI`` set), where a missing server fails.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loopguard.stores import Store
from loopguard.testing import FakeClock

StoreFactory = Callable[[], Store]

STORE_KINDS = (
    "memory",
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster-mode", marks=pytest.mark.redis),
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _redis_url() -> str:
    return os.environ.get("LOOPGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a reachable real redis-server, or skip (fail under CI)."""
    import redis

    url = _redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        # One short line in the test summary; README.md says how to start a server.
        message = f"no redis-server at {url} ({type(exc).__name__}); set LOOPGUARD_TEST_REDIS_URL"
        if os.environ.get("CI"):
            pytest.fail(f"CI requires the Redis store tests: {message}")
        pytest.skip(message)
    return url


def delete_prefix(url: str, prefix: str) -> None:
    """Remove every key a test wrote under ``prefix``."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture(params=STORE_KINDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Builds fresh, empty stores of one kind; everything built is closed afterwards."""
    kind: str = request.param
    built: list[Store] = []
    prefixes: list[str] = []
    counter = itertools.count()
    url = request.getfixturevalue("redis_url") if kind.startswith("redis") else ""

    def make() -> Store:
        store: Store
        if kind == "memory":
            from loopguard.stores.memory import MemoryStore

            store = MemoryStore()
        elif kind == "sqlite":
            from loopguard.stores.sqlite import SQLiteStore

            store = SQLiteStore(tmp_path / f"rates-{next(counter)}.db")
        else:
            from loopguard.stores.redis import RedisStore

            prefix = f"lgtest-{uuid.uuid4().hex[:12]}"
            prefixes.append(prefix)
            store = RedisStore(url, prefix=prefix, cluster=kind == "redis-cluster-mode")
        built.append(store)
        return store

    yield make
    for store in built:
        store.close()
    for prefix in prefixes:
        delete_prefix(url, prefix)


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    return store_factory()
