"""Redis clients of the Redis stores: the package on demand, store URLs, clients from URLs.

A store URL is redis-py's URL plus the store's own query options (``prefix``,
``cluster``, ``timeout``, ``cooldown``). ``cluster=yes`` builds a cluster client, which
finds the other nodes from the one in the URL.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from loopguard.errors import ConfigurationError
from loopguard.stores.breaker import seconds_option

__all__ = ["DEFAULT_PREFIX", "client_builder", "import_redis", "split_url"]

DEFAULT_PREFIX: Final = "loopguard"
_OWN_QUERY_OPTIONS: Final = frozenset({"prefix", "cluster", "timeout", "cooldown"})


def import_redis() -> ModuleType:
    """The ``redis`` package, or a ConfigurationError that says how to install it."""
    try:
        import redis
    except ImportError as exc:
        raise ConfigurationError(
            "the Redis store needs the redis package: pip install 'loopguard[redis]'"
        ) from exc
    return redis


def client_builder(
    api: ModuleType, url: str, timeout: float, *, cluster: bool
) -> Callable[[], Any]:
    """Check ``url`` now; the builder makes a client of ``api`` (redis or redis.asyncio).

    A cluster client is told not to retry: its default policy retries a call that timed
    out, which runs the script twice (an event counted twice), and waits far longer
    than ``timeout`` during a failover.
    """
    from redis.backoff import NoBackoff
    from redis.connection import parse_url

    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    try:
        if not cluster:
            client = api.Redis.from_url(url, **options)
            return lambda: client
        target = parse_url(url)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
    except ValueError as exc:
        raise ConfigurationError(f"bad Redis URL {url!r}: {exc}") from exc
    if target.get("db", 0) != 0 or "path" in target:
        raise ConfigurationError(f"a Redis Cluster URL names a host and database 0: {url!r}")
    retry = importlib.import_module(f"{api.__name__}.retry").Retry(NoBackoff(), 0)
    return functools.partial(api.RedisCluster.from_url, url, retry=retry, **options)


def split_url(url: str) -> tuple[str, dict[str, Any]]:
    """Separate loopguard's own query options from redis-py's; the own ones as kwargs."""
    base, _, query = url.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    own = {name: value for name, value in pairs if name in _OWN_QUERY_OPTIONS}
    rest = urlencode([(name, value) for name, value in pairs if name not in _OWN_QUERY_OPTIONS])
    options: dict[str, Any] = {"prefix": own.get("prefix", DEFAULT_PREFIX)}
    cluster = own.get("cluster")
    if cluster not in (None, "yes", "no"):
        raise ConfigurationError(f"cluster must be yes or no in {url!r}")
    if cluster is not None:
        options["cluster"] = cluster == "yes"
    for name in ("timeout", "cooldown"):
        if name in own:
            options[name] = seconds_option(own[name], name, url, zero=name != "timeout")
    return f"{base}?{rest}" if rest else base, options
