"""A small bounded cache that keeps what is used: two generations of ``dict``.

The key derivation remembers normalized addresses (the guard derives several keys from
one correspondent per message) and the tracker the keys of events seen again (a loop's
pairs). A :class:`BoundedCache` holds at most ``size`` entries in two generations (a young
and an old ``dict`` of ``size // 2`` each): when the young one is full it becomes the old
one, and an entry found in the old one moves back to the young one, so what is used often
stays while the rest ages out, in O(1) and without the bookkeeping of an LRU order.

Thread safety: every step is one ``dict`` operation or attribute swap, atomic under the
GIL. A race can lose an entry, so a value is computed once more; a value is a pure
function of its key, so no race can return a wrong one.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["BoundedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``size`` values (rounded up to an even number); ``0`` holds none.

    Args:
        size: How many entries to hold at most.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._half = (size + 1) // 2
        self._young: dict[K, V] = {}
        self._old: dict[K, V] = {}

    def __len__(self) -> int:
        return len(self._young) + len(self._old)

    def get(self, key: K) -> V | None:
        """The value remembered for ``key``, or ``None``."""
        value = self._young.get(key)
        if value is None and self._old:
            value = self._old.get(key)
            if value is not None:
                self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``."""
        if not self.size:
            return
        young = self._young
        if len(young) >= self._half:
            self._old = young
            young = self._young = {}
        young[key] = value
