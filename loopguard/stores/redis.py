"""The multi-host store: one atomic Lua script per decision (or per batch) on Redis or Valkey.

The script (``sliding_log.lua``) reads and records every key of a decision in one
server-side step, so concurrent clients cannot interleave a read and a write. Keys
carry their digest as a Cluster hash tag (``loopguard:v1:pair:{3f9a…}``); in cluster
mode a batch is split into one script call per hash slot, and the calls go out in one
pipeline (one round trip per node). ``redis`` is imported only when a Redis store is
built (see :mod:`loopguard.stores.redisclient`).
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Final,
    Generic,
    Literal,
    NamedTuple,
    Self,
    TypeAlias,
    TypeVar,
)

from loopguard.errors import ConfigurationError, StoreError
from loopguard.stores import Touch
from loopguard.stores.breaker import Breaker
from loopguard.stores.redisclient import DEFAULT_PREFIX, client_builder, import_redis, split_url

if TYPE_CHECKING:
    import redis
    import redis.asyncio

    SyncClient: TypeAlias = redis.Redis | redis.RedisCluster
    AsyncClient: TypeAlias = redis.asyncio.Redis | redis.asyncio.RedisCluster

__all__ = ["AsyncRedisStore", "RedisStore"]

_SCRIPT: Final = resources.files(__package__).joinpath("sliding_log.lua").read_text("utf-8")
#: What one script call does to its keys (the script's ARGV[2]).
Mode = Literal["hit", "peek", "refund"]
_MODES: Final[dict[Mode, str]] = {"hit": "1", "peek": "0", "refund": "-1"}
_ACTIONS: Final[dict[Mode, str]] = {"hit": "record", "peek": "read", "refund": "refund"}
_DEFAULT_TIMEOUT: Final = 5.0
_DEFAULT_COOLDOWN: Final = 5.0


class _Layout:
    """Key names, script arguments, hash-slot grouping and answer parsing of both stores."""

    def __init__(self, prefix: str, *, cluster: bool) -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            raise ConfigurationError(
                f"a Redis key prefix must be non-empty and free of braces, got {prefix!r}"
            )
        self.prefix = prefix
        self.cluster = cluster

    def full_key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def groups(self, keys: Sequence[str]) -> list[list[int]]:
        """Indices of ``keys`` per script call: all at once, or one call per hash slot."""
        if not self.cluster:
            return [list(range(len(keys)))] if keys else []
        from redis.crc import key_slot

        by_slot: dict[int, list[int]] = {}
        for index, key in enumerate(keys):
            by_slot.setdefault(key_slot(key.encode()), []).append(index)
        return list(by_slot.values())

    def script_args(
        self, touches: Sequence[Touch], indices: Sequence[int], now: float, *, mode: Mode
    ) -> tuple[list[str], list[str]]:
        keys = [self.full_key(touches[i].key) for i in indices]
        args = [repr(float(now)), _MODES[mode]]
        for i in indices:
            args += (repr(float(touches[i].window)), str(touches[i].keep))
        return keys, args

    @staticmethod
    def place(answers: list[list[float]], indices: Sequence[int], raw: Any) -> None:
        """Put one script call's answer into ``answers`` at ``indices``."""
        # The script returns stamps newest first, as recorded; the contract wants ascending.
        for index, stamps in zip(indices, raw, strict=True):
            answers[index] = sorted(float(stamp) for stamp in stamps)


Client = TypeVar("Client")


class _Call(NamedTuple):
    """One script call: which touches it answers, its keys and its arguments."""

    indices: list[int]
    keys: list[str]
    args: list[str]


class _RedisStoreBase(Generic[Client]):
    """All of a Redis store that never waits on the server; each twin adds the verbs that do.

    Building the client, the URL options, the key layout, the pipeline of script calls,
    the breaker and the wrapping of redis-py's errors live here once, so that
    :class:`RedisStore` and :class:`AsyncRedisStore` differ only in calling the server
    blocking or awaiting.
    """

    #: The redis-py module whose ``Redis`` and ``RedisCluster`` clients a twin calls.
    _client_module: ClassVar[str]

    def __init__(
        self,
        client_or_url: Client | str,
        *,
        prefix: str = DEFAULT_PREFIX,
        cluster: bool | None = None,
        timeout: float = _DEFAULT_TIMEOUT,
        cooldown: float = _DEFAULT_COOLDOWN,
    ) -> None:
        module = import_redis()
        api = importlib.import_module(self._client_module)
        # A cluster client raises RedisClusterException (not a RedisError) when it finds
        # no node or no owner of a slot.
        self._errors = (module.RedisError, module.exceptions.RedisClusterException)
        self._timeouts: type[Exception] = module.TimeoutError
        self._no_script: type[Exception] = module.exceptions.NoScriptError
        self._breaker = Breaker(cooldown, "Redis rate store")
        self._owns_client = isinstance(client_or_url, str)
        if cluster is None:
            cluster = isinstance(client_or_url, api.RedisCluster)
        self._layout = _Layout(prefix, cluster=cluster)
        self._client: Any = client_or_url
        self._building = threading.Lock()
        if isinstance(client_or_url, str):
            self._client = None
            self._build = client_builder(api, client_or_url, timeout, cluster=cluster)

    @property
    def client(self) -> Client:
        """The redis-py client; one built from a URL is made on its first use.

        (A synchronous ``RedisCluster`` connects as it is made, so that an unreachable
        cluster is a ``StoreError`` of the first call, not an error of the constructor.)
        """
        with self._building:
            if self._client is None:
                self._client = self._build()
            client: Client = self._client
            return client

    @functools.cached_property
    def _script(self) -> Any:
        return self.client.register_script(_SCRIPT)  # type: ignore[attr-defined]

    @classmethod
    def from_url(cls, url: str) -> Self:
        """Build from ``redis://host:port/db?prefix=name`` (also ``rediss://``, ``unix://``).

        ``prefix``, ``cluster=yes|no``, ``timeout`` and ``cooldown`` (seconds) are the
        store's own options; every other query option goes to redis-py.
        """
        redis_url, options = split_url(url)
        return cls(redis_url, **options)

    @property
    def prefix(self) -> str:
        """The key prefix."""
        return self._layout.prefix

    def _calls(self, touches: Sequence[Touch], now: float, *, mode: Mode) -> list[_Call]:
        """The script calls that answer ``touches``; StoreError while the breaker is open."""
        self._breaker.check()
        return [
            _Call(indices, *self._layout.script_args(touches, indices, now, mode=mode))
            for indices in self._layout.groups([touch.key for touch in touches])
        ]

    def _pipeline(self, calls: Sequence[_Call]) -> Any:
        """A pipeline with one EVALSHA per call: one round trip per node for a whole batch."""
        pipe = self.client.pipeline(transaction=False)  # type: ignore[attr-defined]
        for call in calls:
            pipe.evalsha(self._script.sha, len(call.keys), *call.keys, *call.args)
        return pipe

    def _unscripted(self, replies: Sequence[Any]) -> list[int]:
        """The calls a node answered NOSCRIPT, after raising any other error reply.

        A node that never saw the script (new, restarted, a replica just promoted) runs
        nothing and says so; the caller sends those calls again through the script object,
        which loads the script first.
        """
        for reply in replies:
            if isinstance(reply, Exception) and not isinstance(reply, self._no_script):
                raise reply
        return [index for index, reply in enumerate(replies) if isinstance(reply, Exception)]

    def _answers(
        self, touches: Sequence[Touch], calls: Sequence[_Call], raws: Sequence[Any]
    ) -> list[list[float]]:
        """The replies of all script calls, as answers in the order of ``touches``."""
        answers: list[list[float]] = [[] for _ in touches]
        for call, raw in zip(calls, raws, strict=True):
            self._layout.place(answers, call.indices, raw)
        return answers

    def _own_client(self) -> Any:
        """The client to close: one this store built, or None."""
        return self._client if self._owns_client else None

    def _key_groups(self, keys: Sequence[str]) -> list[list[str]]:
        """Full key names, one list per DEL call (per hash slot in cluster mode)."""
        return [
            [self._layout.full_key(keys[i]) for i in group] for group in self._layout.groups(keys)
        ]

    @contextmanager
    def _wrap(self, action: str) -> Iterator[None]:
        """Turn redis-py's errors into StoreError, and tell the breaker how the call ended."""
        try:
            yield
        except self._errors as exc:
            self._breaker.record(timed_out=isinstance(exc, self._timeouts))
            raise StoreError(f"Redis rate store failed to {action}: {exc}") from exc
        self._breaker.record(timed_out=False)


class RedisStore(_RedisStoreBase["SyncClient"]):
    """Store on Redis (or Valkey) for hosts on many machines.

    Args:
        client_or_url: A ``redis.Redis`` (or ``redis.RedisCluster``) client, or a URL
            such as ``redis://host:6379/0``; a client built from a URL is closed by
            :meth:`close`, a client passed in is not.
        prefix: Prepended to every key, to share a database with other data.
        cluster: The server is a Redis Cluster: a URL gets a cluster client (which
            never retries), and batches are split by hash slot. Guessed from the client
            type when ``None``.
        timeout: Connect and socket timeout in seconds of a client built from a URL (a
            client passed in keeps its own); a call fails with ``StoreError`` after it.
        cooldown: After a call timed out, calls fail at once for this many seconds
            instead of each waiting ``timeout``; ``0`` turns this off.

    Raises:
        ConfigurationError: The redis package is missing, or a bad URL, prefix or cooldown.
    """

    _client_module = "redis"

    def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps, then record ``now`` under it (see :class:`Store`)."""
        return self._run(touches, now, mode="hit")

    def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps without recording anything."""
        return self._run(touches, now, mode="peek")

    def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        """Remove one timestamp equal to ``now`` under each key, if it is still kept."""
        self._run(touches, now, mode="refund")

    def reset(self, keys: Sequence[str]) -> None:
        """Forget everything recorded under ``keys``."""
        with self._wrap("reset"):
            for names in self._key_groups(keys):
                self.client.delete(*names)

    def close(self) -> None:
        """Close the client if this store created it."""
        client = self._own_client()
        if client is not None:
            with self._wrap("close"):
                client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, touches: Sequence[Touch], now: float, *, mode: Mode) -> list[list[float]]:
        calls = self._calls(touches, now, mode=mode)
        with self._wrap(_ACTIONS[mode]):
            replies = self._pipeline(calls).execute(raise_on_error=False) if calls else []
            for index in self._unscripted(replies):
                replies[index] = self._script(calls[index].keys, calls[index].args)
        return self._answers(touches, calls, replies)


class AsyncRedisStore(_RedisStoreBase["AsyncClient"]):
    """The awaitable twin of :class:`RedisStore`, on ``redis.asyncio``.

    Args:
        client_or_url: A ``redis.asyncio.Redis`` (or ``RedisCluster``) client, or a URL.
        prefix: Prepended to every key.
        cluster: The server is a Redis Cluster (see :class:`RedisStore`).
        timeout: Connect and socket timeout in seconds of a client built from a URL.
        cooldown: After a call timed out, calls fail at once for this many seconds.

    Raises:
        ConfigurationError: The redis package is missing, or a bad URL, prefix or cooldown.
    """

    _client_module = "redis.asyncio"

    async def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps, then record ``now`` under it (see :class:`Store`)."""
        return await self._run(touches, now, mode="hit")

    async def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps without recording anything."""
        return await self._run(touches, now, mode="peek")

    async def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        """Remove one timestamp equal to ``now`` under each key, if it is still kept."""
        await self._run(touches, now, mode="refund")

    async def reset(self, keys: Sequence[str]) -> None:
        """Forget everything recorded under ``keys``."""
        with self._wrap("reset"):
            for names in self._key_groups(keys):
                await self.client.delete(*names)

    async def close(self) -> None:
        """Close the client if this store created it."""
        client = self._own_client()
        if client is not None:
            with self._wrap("close"):
                await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self, touches: Sequence[Touch], now: float, *, mode: Mode) -> list[list[float]]:
        calls = self._calls(touches, now, mode=mode)
        with self._wrap(_ACTIONS[mode]):
            replies = await self._pipeline(calls).execute(raise_on_error=False) if calls else []
            for index in self._unscripted(replies):
                replies[index] = await self._script(calls[index].keys, calls[index].args)
        return self._answers(touches, calls, replies)
