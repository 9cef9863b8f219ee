"""A small bounded cache of values worth remembering: those asked for again.

The key derivation remembers normalized addresses and the tracker the keys of an event,
but mail brings many one-off correspondents: remembering every one would cost memory for
nothing. A :class:`RepeatCache` therefore keeps what its user offers on a repeat sighting
only, and holds at most ``size`` entries in two generations (a young and an old ``dict``
of ``size // 2`` each): when the young one is full it becomes the old one, and an entry
found in the old one moves back to the young one, so what is used often stays while the
rest ages out in O(1). Measured against ``functools.lru_cache`` and a dict cleared when
full in docs/rate-tracking.md.

Thread safety: every step is one ``dict`` or ``bytearray`` operation, atomic under the
GIL. A race can lose an entry or admit one early, so a value is computed once more; a
value is a pure function of its key, so no race can return a wrong one.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final, Generic, TypeVar

__all__ = ["RepeatCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# The doorkeeper: one bit per hash bucket marks a first sighting. 2**17 bits (16 KiB) are
# cleared after 2**15 marks, so a one-off passes for a repeat at most a quarter of the time.
_DOOR_BITS: Final = 1 << 17
_DOOR_MARKS: Final = _DOOR_BITS >> 2


class RepeatCache(Generic[K, V]):
    """At most ``size`` values (rounded up to an even number), kept from their key's
    second sighting on.

    Args:
        size: How many entries to hold at most (``0`` holds none).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._half = (size + 1) // 2
        self._young: dict[K, V] = {}
        self._old: dict[K, V] = {}
        self._door = bytearray(_DOOR_BITS >> 3) if size else bytearray()
        self._marks = 0

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
        """Remember ``value`` for ``key``; the caller knows it is a repeat."""
        if not self.size:
            return
        young = self._young
        if len(young) >= self._half:
            self._old = young
            young = self._young = {}
        young[key] = value

    def offer(self, key: K, value: V) -> None:
        """Remember ``value`` if ``key`` was offered before (give it on every miss)."""
        if not self.size:
            return
        bucket = hash(key) & (_DOOR_BITS - 1)
        index, bit = bucket >> 3, 1 << (bucket & 7)
        door = self._door
        if door[index] & bit:
            self.put(key, value)
            return
        door[index] |= bit
        self._marks += 1
        if self._marks >= _DOOR_MARKS:
            self._marks = 0
            self._door = bytearray(len(door))
