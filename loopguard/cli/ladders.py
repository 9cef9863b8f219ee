"""The candidate ladders ``loopguard tune`` compares: loopguard's default and the peers'
limits, each as it is, halved and doubled.

The peers' numbers (see docs/rate-tracking.md and docs/guard.md): Zammad's trigger loop
protection per ticket and recipient, 10/15/25/50/100 answers in 10/30/60/180/600 minutes;
Znuny's ``PostmasterMaxEmails``, 40 automatic answers per address per day; Mailman's
``max_autoresponses_per_day``, 10. A day bucket becomes a sliding day here, and a per-ticket
count a per-pair one: the mailbox being tuned says who wrote to whom, not which ticket.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from loopguard import DEFAULT_LIMITS, Limit

__all__ = ["PEER_LADDERS", "Candidate", "candidate_ladders", "limit_spec", "scaled"]

#: The ladders the candidates start from, by name, in the order ties are broken.
PEER_LADDERS: Final[tuple[tuple[str, tuple[Limit, ...]], ...]] = (
    ("default", DEFAULT_LIMITS),
    (
        "zammad",
        (Limit(10, "10m"), Limit(15, "30m"), Limit(25, "1h"), Limit(50, "3h"), Limit(100, "10h")),
    ),
    ("znuny", (Limit(40, "1d"),)),
    ("mailman", (Limit(10, "1d"),)),
)

# Each ladder as it is, stricter and looser: the name's suffix says which.
_SCALES: Final = ((1.0, ""), (0.5, " x0.5"), (2.0, " x2"))
_UNITS: Final = (("d", 86400), ("h", 3600), ("m", 60))


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ladder of limits to try.

    Attributes:
        name: What it is called in the table (``"default"``, ``"mailman x2"``...).
        limits: The limits, checked together as the guard checks its own.
    """

    name: str
    limits: tuple[Limit, ...]

    def specs(self) -> list[str]:
        """The limits as a config file writes them: ``"5/10m pair"``."""
        return [limit_spec(limit) for limit in self.limits]

    def brief(self) -> str:
        """The limits grouped by key: ``pair 5/10m 15/1h; thread 10/10m``."""
        groups: dict[str, list[str]] = {}
        for spec in self.specs():
            rate, key = spec.split()
            groups.setdefault(key, []).append(rate)
        return "; ".join(f"{key} {' '.join(rates)}" for key, rates in groups.items())


def candidate_ladders(configured: Sequence[Limit] = ()) -> list[Candidate]:
    """Every peer ladder at each scale, then ``configured`` (the limits of a config file)
    as candidate ``"config"``; a ladder equal to an earlier one is left out."""
    found: dict[tuple[Limit, ...], str] = {}
    for name, limits in PEER_LADDERS:
        for factor, suffix in _SCALES:
            found.setdefault(scaled(limits, factor), name + suffix)
    if configured:
        found.setdefault(tuple(configured), "config")
    return [Candidate(name, limits) for limits, name in found.items()]


def scaled(limits: Sequence[Limit], factor: float) -> tuple[Limit, ...]:
    """``limits`` with every count times ``factor`` (rounded up, at least 1), same windows."""
    return tuple(
        Limit(max(1, math.ceil(limit.count * factor)), limit.per, limit.key) for limit in limits
    )


def limit_spec(limit: Limit) -> str:
    """``Limit(5, "10m")`` as ``"5/10m pair"``, in the largest unit that is exact."""
    per = limit.per
    window = f"{per:g}s"
    for unit, seconds in _UNITS:
        if per >= seconds and (per / seconds).is_integer():
            window = f"{per / seconds:g}{unit}"
            break
    return f"{limit.count}/{window} {limit.key}"
