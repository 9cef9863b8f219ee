"""A small bounded cache: a ``dict`` cleared when full.

The key derivation remembers normalized addresses (the guard derives several keys from
one correspondent per message) and the tracker the keys of events seen again (a loop's
pairs). Both sit on the hot path of every decision, so a look-up is the ``dict``'s own
``get`` (no Python frame: 40 ns where a method that checks two generations costs 170 ns,
a twentieth of a loop's decision); the bound is kept by clearing the ``dict`` when it is
full, so a working set larger than the cache pays one recomputation per entry and clear.

Thread safety: a look-up, an insertion and the clearing are each one ``dict`` operation,
atomic under the GIL. A race can lose an entry, so a value is computed once more; a value
is a pure function of its key, so no race can return a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["BoundedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``size`` values; ``0`` holds none.

    Args:
        size: How many entries to hold at most.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[K, V] = {}
        #: The value remembered for a key, or ``None``: the ``dict``'s own ``get``.
        self.get: Callable[[K], V | None] = self._entries.get

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``."""
        entries = self._entries
        if len(entries) >= self.size:
            entries.clear()
        if self.size:
            entries[key] = value
