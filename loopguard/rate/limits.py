"""The values of rate tracking: durations, limits, the default ladder, a decision's result.

An event is over a :class:`Limit` when ``count`` events are already inside the window
``(now - per, now]`` of its key. Every checked event counts, allowed or not, so a flood
stays suppressed while it lasts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from loopguard.errors import ConfigurationError
from loopguard.rate.keys import SCOPES, Scope

__all__ = ["DEFAULT_LIMITS", "Clock", "Limit", "RateResult", "denied", "parse_duration"]

#: Returns wall-clock seconds; wall clock because SQLite and Redis state outlives processes.
Clock = Callable[[], float]

_UNITS: Final[Mapping[str, float]] = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# Anchored, no nested quantifiers: linear on any input.
_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


def parse_duration(value: float | str) -> float:
    """Seconds in ``value``: a number of seconds, or ``"90s"``, ``"10m"``, ``"1h"``, ``"1d"``.

    Raises:
        ConfigurationError: Not a positive, finite duration.
    """
    raw: object = value  # checked at run time: configuration often comes from files
    if isinstance(raw, str):
        match = _DURATION.fullmatch(raw.strip().lower())
        if match is None:
            raise ConfigurationError(
                f"bad duration {value!r}: expected seconds or a number with s, m, h or d"
            )
        seconds = float(match[1]) * _UNITS[match[2]]
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = float(raw)
    else:
        raise ConfigurationError(f"bad duration {value!r}: expected seconds or a string")
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ConfigurationError(f"a duration must be positive and finite, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True, init=False)
class Limit:
    """At most ``count`` events per sliding window of ``per`` seconds, per ``key``.

    Args:
        count: Events allowed inside one window (at least 1).
        per: The window: seconds, or a string such as ``"90s"``, ``"10m"``, ``"1h"``, ``"1d"``.
        key: What events are counted by: ``"pair"`` (sender and recipient), ``"sender"``,
            ``"recipient"``, ``"thread"`` (the conversation's root Message-ID, per sender),
            ``"domain"`` (the sender's organization) or ``"answers"`` (answers to our own
            automatic answers, per the sender's organization).

    Raises:
        ConfigurationError: A bad count, duration or key.
    """

    count: int
    per: float
    key: Scope

    def __init__(self, count: int, per: float | str, key: Scope = "pair") -> None:
        if not _is_positive_int(count):
            raise ConfigurationError(f"a limit's count must be an integer >= 1, got {count!r}")
        if key not in SCOPES:
            raise ConfigurationError(f"a limit's key must be one of {SCOPES}, got {key!r}")
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "per", parse_duration(per))
        object.__setattr__(self, "key", key)

    def __str__(self) -> str:
        return f"{self.count} per {self.per:g}s by {self.key}"


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


#: The default ladder; docs/rate-tracking.md justifies each rung from Zammad, Znuny and
#: the scenario lab (benchmarks/scenarios.py).
DEFAULT_LIMITS: Final[tuple[Limit, ...]] = (
    Limit(5, "10m"),
    Limit(15, "1h"),
    Limit(40, "1d"),
    Limit(10, "10m", "thread"),
    Limit(25, "1h", "thread"),
    Limit(100, "10h", "thread"),
    Limit(30, "10m", "domain"),
    Limit(120, "1h", "domain"),
    Limit(10, "10m", "answers"),
    Limit(30, "1h", "answers"),
)


@dataclass(frozen=True, slots=True)
class RateResult:
    """The answer for one event.

    Attributes:
        allowed: Whether the event is within every limit.
        retry_after: When not allowed, seconds until an event with the same keys would be
            allowed again (this event included); ``0.0`` when allowed.
        exceeded: The limit that was exceeded (the one that blocks longest), or ``None``.
        key: The store key of ``exceeded`` (a hash, safe to log), or ``None``.
    """

    allowed: bool
    retry_after: float = 0.0
    exceeded: Limit | None = None
    key: str | None = field(default=None, compare=False)


# A frozen dataclass sets each field through object.__setattr__ (1.2 µs for a RateResult,
# a fifth of a denied decision); the slots' own setters do it in a third of that.
_new = object.__new__
_set_allowed, _set_retry_after, _set_exceeded, _set_key = (
    RateResult.__dict__[name].__set__ for name in ("allowed", "retry_after", "exceeded", "key")
)


def denied(retry_after: float, exceeded: Limit | None, key: str | None) -> RateResult:
    """``RateResult(False, retry_after, exceeded, key)``, made faster (the loop's path)."""
    result: RateResult = _new(RateResult)
    _set_allowed(result, False)
    _set_retry_after(result, retry_after)
    _set_exceeded(result, exceeded)
    _set_key(result, key)
    return result
