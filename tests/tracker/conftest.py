"""Shared fixtures of the rate-tracker tests: a fake clock and every store, one contract.

Redis tests run against a standalone server and a Redis Cluster (see
``tests/redis_servers.py`` for the environment variables); a missing server skips them,
except under CI (``CI`` set), where it fails them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis_servers import RealRedis, kinds_params, reach, server_of

from loopguard.stores import Store
from loopguard.testing import FakeClock

StoreFactory = Callable[[], Store]

STORE_KINDS = (
    "memory",
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", marks=pytest.mark.redis),
    pytest.param("redis-cluster-client", marks=pytest.mark.redis),
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session", params=kinds_params())
def real_redis(request: pytest.FixtureRequest) -> RealRedis:
    """A reachable real server: once a standalone redis-server, once a Redis Cluster."""
    return reach(request.param)


@pytest.fixture(scope="session")
def redis_url(real_redis: RealRedis) -> str:
    """The store URL of ``real_redis`` (with ``cluster=yes`` for the cluster)."""
    return real_redis.store_url()


def delete_prefix(url: str, prefix: str) -> None:
    """Remove every key a test wrote under ``prefix`` on the server of store URL ``url``."""
    server_of(url).delete_prefix(prefix)


@pytest.fixture(params=STORE_KINDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Builds fresh, empty stores of one kind; everything built is closed afterwards."""
    kind: str = request.param
    built: list[Store] = []
    clients: list[Any] = []
    prefixes: list[str] = []
    counter = itertools.count()
    server = reach("cluster" if "cluster" in kind else "standalone") if "redis" in kind else None

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

            assert server is not None
            prefix = f"lgtest-{uuid.uuid4().hex[:12]}"
            prefixes.append(prefix)
            if kind == "redis-cluster-client":
                clients.append(server.client())
                store = RedisStore(clients[-1], prefix=prefix)
            else:
                store = RedisStore.from_url(server.store_url(prefix=prefix))
        built.append(store)
        return store

    yield make
    for store in built:
        store.close()
    for prefix in prefixes:
        assert server is not None
        server.delete_prefix(prefix)
    for client in clients:
        client.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    return store_factory()
