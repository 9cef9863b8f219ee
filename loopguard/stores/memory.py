"""The in-process store: an LRU-ordered map of compact timestamp arrays.

Measured against a plain ``dict`` and cachetools' ``LRUCache`` (docs/rate-tracking.md), a
C ``OrderedDict`` gives true LRU order for ~50 B more per key than a ``dict`` and stays
faster than ``LRUCache``. Its order also makes idle expiry cheap: keys are ordered by last
use, so expired ones gather at the front and are popped in O(1) each. Each log is an
``array('d')`` (8 bytes per timestamp instead of a 24-byte float object plus a pointer).
"""

from __future__ import annotations

import logging
import threading
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final
from urllib.parse import parse_qs, urlsplit

from loopguard.errors import ConfigurationError
from loopguard.stores import Touch

__all__ = ["MemoryStore"]

_logger = logging.getLogger(__name__)

_DEFAULT_MAX_KEYS: Final = 1_000_000


class MemoryStore:
    """Thread-safe, bounded, in-process store (the embedded default).

    Beyond ``max_keys`` the least recently used key is evicted; keys idle for longer than
    the largest window seen expire. An eviction forgets a live counter, so a loop under a
    flood of other keys could start again: evictions are counted in :attr:`evictions`
    (size ``max_keys`` so that it stays at zero) and logged at WARNING on the 1st, 10th,
    100th... one; expirations are counted in :attr:`expirations`. A key in use is never
    evicted while fewer than ``max_keys`` other keys arrive between two of its events.

    Args:
        max_keys: The most keys held at once.

    Raises:
        ConfigurationError: ``max_keys`` is not a positive integer.
    """

    def __init__(self, max_keys: int = _DEFAULT_MAX_KEYS) -> None:
        if not _is_positive_int(max_keys):
            raise ConfigurationError(f"max_keys must be a positive integer, got {max_keys!r}")
        self.max_keys = max_keys
        self._logs: OrderedDict[str, array[float]] = OrderedDict()
        self._lock = threading.Lock()
        self._longest_window = 0.0
        self._evictions = 0
        self._expirations = 0

    @classmethod
    def from_url(cls, url: str) -> MemoryStore:
        """Build from ``memory://`` or ``memory://?max_keys=N``."""
        query = parse_qs(urlsplit(url).query)
        unknown = set(query) - {"max_keys"}
        if unknown:
            raise ConfigurationError(f"unknown memory:// option(s): {', '.join(sorted(unknown))}")
        if "max_keys" not in query:
            return cls()
        raw = query["max_keys"][-1]
        try:
            return cls(max_keys=int(raw))
        except ValueError as exc:
            raise ConfigurationError(f"max_keys must be an integer, got {raw!r}") from exc

    @property
    def evictions(self) -> int:
        """Live keys dropped because ``max_keys`` was reached (each may hide a loop)."""
        return self._evictions

    @property
    def expirations(self) -> int:
        """Keys dropped because they were idle for longer than the largest window."""
        return self._expirations

    def __len__(self) -> int:
        return len(self._logs)

    def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps, then record ``now`` under it (see :class:`Store`)."""
        with self._lock:
            answers = [self._hit_one(touch, now) for touch in touches]
            self._expire_idle(now)
        return answers

    def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps without recording anything."""
        with self._lock:
            return [self._live(touch, now) for touch in touches]

    def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        """Remove one timestamp equal to ``now`` under each key, if it is still kept."""
        with self._lock:
            for touch in touches:
                log = self._logs.get(touch.key)
                if log is not None:
                    _remove_one(log, now)

    def reset(self, keys: Sequence[str]) -> None:
        """Forget everything recorded under ``keys``."""
        with self._lock:
            for key in keys:
                self._logs.pop(key, None)

    def close(self) -> None:
        """Drop all state."""
        with self._lock:
            self._logs.clear()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _hit_one(self, touch: Touch, now: float) -> list[float]:
        key, window, keep = touch
        if window > self._longest_window:
            self._longest_window = window
        log = self._logs.get(key)
        if log is None:
            log = self._logs[key] = array("d")
            if len(self._logs) > self.max_keys:
                self._evict_oldest(now)
        else:
            self._logs.move_to_end(key)
            dead = bisect_right(log, now - window)
            if dead:
                del log[:dead]
        live = log.tolist()
        insort(log, now)
        if len(log) > keep:
            del log[: len(log) - keep]
        return live

    def _live(self, touch: Touch, now: float) -> list[float]:
        log = self._logs.get(touch.key)
        if log is None:
            return []
        return log[bisect_right(log, now - touch.window) :].tolist()

    def _evict_oldest(self, now: float) -> None:
        _, log = self._logs.popitem(last=False)
        if log and log[-1] > now - self._longest_window:
            self._evictions += 1
            if _is_power_of_ten(self._evictions):
                _warn_evictions(self._evictions, self.max_keys)
        else:
            self._expirations += 1

    def _expire_idle(self, now: float) -> None:
        # Keys are in last-use order, so the idle ones are at the front; each key is
        # popped at most once, which keeps this O(1) amortized per hit.
        horizon = now - self._longest_window
        logs = self._logs
        while logs:
            oldest = next(iter(logs))
            log = logs[oldest]
            if log and log[-1] > horizon:
                return
            del logs[oldest]
            self._expirations += 1


def _remove_one(log: array[float], stamp: float) -> None:
    index = bisect_left(log, stamp)
    if index < len(log) and log[index] == stamp:
        del log[index]


def _is_power_of_ten(number: int) -> bool:
    while number % 10 == 0:
        number //= 10
    return number == 1


def _warn_evictions(evictions: int, max_keys: int) -> None:
    # Logged at the 1st, 10th, 100th... eviction: visible without flooding the log.
    _logger.warning(
        "loopguard MemoryStore evicted %d live keys at max_keys=%d: a loop under a flood "
        "of other keys may start counting again; raise max_keys",
        evictions,
        max_keys,
        extra={"evictions": evictions, "max_keys": max_keys},
    )


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
