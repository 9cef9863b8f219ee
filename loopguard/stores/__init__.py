"""Rate stores: where the tracker keeps its sliding logs of timestamps.

Every store offers the same small interface (:class:`Store`), passes the same contract
tests, and is found by URL through :func:`store_from_url`. Concrete stores are imported
lazily so that ``import loopguard`` never imports ``redis``.

The trackers and the guard decide without I/O: their operations yield the store calls
they need (:mod:`loopguard.stores.sansio`), and a driver makes them, blocking or awaited.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast, runtime_checkable
from urllib.parse import urlsplit

from loopguard.errors import ConfigurationError

if TYPE_CHECKING:
    from loopguard.stores.aio import AsyncStore

__all__ = ["Store", "Touch", "blocking_store", "is_async_store", "store_from_url"]


class Touch(NamedTuple):
    """One key touched by one decision.

    Attributes:
        key: The store key (see :mod:`loopguard.rate.keys`).
        window: The largest window of the limits on this key, in seconds; older entries
            are dead and may be dropped.
        keep: How many of the newest timestamps to keep (the largest count of the limits).
    """

    key: str
    window: float
    keep: int


@runtime_checkable
class Store(Protocol):
    """The interface every rate store implements.

    ``hit`` and ``peek`` take all keys of one decision (or of a whole batch) at once, so
    a remote store answers them in one round trip. Both return, per touch and in order,
    the timestamps still inside the touch's window *before* this event, sorted
    ascending. ``hit`` then records ``now`` under every key and trims each log to its
    newest ``keep`` entries; when a key occurs twice, the second touch sees the first.
    Failures raise :class:`loopguard.errors.StoreError`.
    """

    def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Atomically read each key's live timestamps, then record ``now`` under it."""
        ...

    def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps without recording anything."""
        ...

    def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        """Atomically remove one timestamp equal to ``now`` under each key, if it is still
        kept (a key listed twice loses two)."""
        ...

    def reset(self, keys: Sequence[str]) -> None:
        """Forget everything recorded under ``keys``."""
        ...

    def close(self) -> None:
        """Release connections and files; the store is unusable afterwards."""
        ...


def is_async_store(store: object) -> bool:
    """Whether ``store``'s methods are coroutines (a protocol check only sees their names)."""
    return inspect.iscoroutinefunction(getattr(store, "hit", None))


def blocking_store(store: Store | AsyncStore | None, user: str) -> Store:
    """``store`` for a blocking ``user``, a new memory store for ``None``.

    Raises:
        ConfigurationError: ``store`` is an async store.
    """
    if store is None:
        from loopguard.stores.memory import MemoryStore

        return MemoryStore()
    if is_async_store(store):
        raise ConfigurationError(f"{user} needs a blocking store; use its async twin")
    return cast(Store, store)


# Scheme -> "module:attribute", resolved on first use: a missing optional package only
# matters to those who ask for its scheme.
_REGISTRY: dict[str, str] = {
    "memory": "loopguard.stores.memory:MemoryStore",
    "sqlite": "loopguard.stores.sqlite:SQLiteStore",
    "redis": "loopguard.stores.redis:RedisStore",
    "rediss": "loopguard.stores.redis:RedisStore",
    "unix": "loopguard.stores.redis:RedisStore",
}


def store_from_url(url: str) -> Store:
    """Build a store from a URL.

    ``memory://`` (optionally ``memory://?max_keys=100000``), ``sqlite:///relative.db``
    or ``sqlite:////absolute/path.db``, and ``redis://host:6379/0``, ``rediss://…`` or
    ``unix:///run/redis.sock`` (optionally ``?prefix=myapp``).

    Raises:
        ConfigurationError: An unknown scheme, a malformed URL, or a missing extra.
    """
    scheme = urlsplit(url).scheme.lower()
    target = _REGISTRY.get(scheme)
    if target is None:
        known = ", ".join(f"{name}://" for name in sorted(_REGISTRY))
        raise ConfigurationError(f"unknown store URL scheme in {url!r}; expected one of {known}")
    module_name, _, attribute = target.partition(":")
    store_class: Any = getattr(importlib.import_module(module_name), attribute)
    store: Store = store_class.from_url(url)
    return store
