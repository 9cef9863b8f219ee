"""The real Redis servers the tests run against: a standalone server and a Redis Cluster.

``LOOPGUARD_TEST_REDIS_URL`` names a standalone server (``redis://127.0.0.1:6379/0`` when
unset) and ``LOOPGUARD_TEST_REDIS_CLUSTER_URL`` one node of a Redis Cluster (unset: the
cluster tests skip; ``python3 tests/redis_cluster.py start 7001 /tmp/lg-cluster`` starts
one). A missing server skips its tests with one line, except under CI (``CI`` set),
where it fails them. Never a mock: these are the servers production runs on.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

#: The kinds of server every Redis test runs against.
KINDS = ("standalone", "cluster")

_ENVIRONMENT = {
    "standalone": "LOOPGUARD_TEST_REDIS_URL",
    "cluster": "LOOPGUARD_TEST_REDIS_CLUSTER_URL",
}
_DEFAULTS = {"standalone": "redis://127.0.0.1:6379/0", "cluster": ""}


@dataclass(frozen=True)
class RealRedis:
    """A reachable server of one kind, and how the tests talk to it directly."""

    kind: str
    node_url: str  # redis-py's URL of the server (of one node, for a cluster)

    def store_url(self, **options: str) -> str:
        """The store URL of this server (``cluster=yes`` for a cluster), with ``options``."""
        if self.kind == "cluster":
            options = {"cluster": "yes", **options}
        return with_options(self.node_url, **options)

    def client(self) -> Any:
        """A synchronous redis-py client of the right kind."""
        import redis

        if self.kind == "cluster":
            return redis.RedisCluster.from_url(self.node_url)
        return redis.Redis.from_url(self.node_url)

    def async_client(self) -> Any:
        """An asyncio redis-py client of the right kind."""
        import redis.asyncio

        if self.kind == "cluster":
            return redis.asyncio.RedisCluster.from_url(self.node_url)
        return redis.asyncio.Redis.from_url(self.node_url)

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key a test wrote under ``prefix`` (on every master of a cluster)."""
        client = self.client()
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()


def with_options(url: str, **options: str) -> str:
    """``url`` with more query options."""
    if not options:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(options)}"


def server_of(store_url: str) -> RealRedis:
    """The server a store URL of a test points at (its own options left out)."""
    from loopguard.stores.redisclient import split_url

    node_url, options = split_url(store_url)
    return RealRedis("cluster" if options.get("cluster") else "standalone", node_url)


@functools.cache
def _probe(kind: str) -> RealRedis | str:
    """The server of ``kind``, or why it cannot be reached (asked once per session)."""
    import redis

    url = os.environ.get(_ENVIRONMENT[kind], _DEFAULTS[kind])
    if not url:
        return f"no Redis Cluster: set {_ENVIRONMENT[kind]}"
    server = RealRedis(kind, url)
    try:
        client = server.client()
        client.ping()
        client.close()
    except (redis.RedisError, redis.exceptions.RedisClusterException) as exc:
        # One short line in the test summary; README.md says how to start a server.
        what = "Redis Cluster" if kind == "cluster" else "redis-server"
        return f"no {what} at {url} ({type(exc).__name__}): set {_ENVIRONMENT[kind]}"
    return server


def reach(kind: str) -> RealRedis:
    """The reachable server of ``kind``, or skip the test (fail it under CI)."""
    found = _probe(kind)
    if isinstance(found, str):
        if os.environ.get("CI"):
            pytest.fail(f"CI requires the Redis tests: {found}")
        pytest.skip(found)
    return found


def kinds_params() -> list[Any]:
    """``KINDS`` as pytest params marked ``redis``."""
    return [pytest.param(kind, marks=pytest.mark.redis) for kind in KINDS]
