"""Fail fast while a store is stuck, instead of waiting out its timeout on every call.

A stopped Redis or a SQLite file locked by a long backup makes every call wait the full
timeout; a mail pipeline would crawl at one message per timeout for the whole outage.
After a call timed out, calls fail at once for ``cooldown`` seconds; the next one then
tries the store again (and trips the breaker again if it still times out).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from loopguard.errors import ConfigurationError, StoreError

__all__ = ["Breaker", "seconds_option"]


class Breaker:
    """The fail-fast state of one store.

    Args:
        cooldown: Seconds to fail at once after a timeout; ``0`` never fails fast.
        store: The store's name in error messages ("Redis rate store").
        clock: Monotonic seconds (injected by tests).

    Raises:
        ConfigurationError: A negative or non-finite cooldown.
    """

    def __init__(
        self, cooldown: float, store: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not 0 <= cooldown < float("inf"):
            raise ConfigurationError(f"cooldown must be >= 0 seconds, got {cooldown!r}")
        self.cooldown = cooldown
        self.store = store
        self.clock = clock
        self._tripped_at: float | None = None

    def check(self) -> None:
        """Raise StoreError while the breaker is open."""
        tripped = self._tripped_at
        if tripped is None:
            return
        waited = self.clock() - tripped
        if waited < self.cooldown:
            raise StoreError(
                f"{self.store} skipped: a call timed out {waited:.1f} s ago "
                f"(retrying after {self.cooldown:g} s)"
            )

    def record(self, *, timed_out: bool) -> None:
        """Note how the last call ended: a timeout opens the breaker, anything else closes it."""
        self._tripped_at = self.clock() if timed_out else None


def seconds_option(value: str, name: str, url: str, *, zero: bool = True) -> float:
    """A store URL's option of seconds (``?timeout=0.5``), or a ConfigurationError naming it."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not (0 <= seconds < float("inf")) or (seconds == 0 and not zero):
        raise ConfigurationError(f"{name} must be a number of seconds in {url!r}")
    return seconds
