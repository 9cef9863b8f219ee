"""A flood of distinct senders through a capped MemoryStore: bounded, visible, loop kept.

The active pair is touched once per 1,000 flood keys, far fewer than ``max_keys``, so
LRU order keeps it; a pair touched more rarely than ``max_keys`` new keys is forgotten
(the control case, showing the test can fail). Full run by hand: 5,000,000 senders
through 1,000,000 keys with ``benchmarks/stress_stores.py flood`` (RSS measured).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from loopguard.rate.tracker import DEFAULT_LIMITS, RateTracker
from loopguard.stores.memory import MemoryStore

from .conftest import slow

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "stress_stores.py"
SENDERS = 200_000
MAX_KEYS = 20_000


class Flood:
    """Distinct senders, one per clock tick of 10 ms, through one capped store."""

    def __init__(self, max_keys: int) -> None:
        self.now = 1_800_000_000.0
        self.store = MemoryStore(max_keys=max_keys)
        self.tracker = RateTracker(DEFAULT_LIMITS, store=self.store, clock=lambda: self.now)
        self.sent = 0

    def send(self, count: int) -> None:
        for _ in range(count):
            self.now += 0.01
            self.sent += 1
            self.tracker.hit(sender=f"flood{self.sent}@spam.example", recipient="help@ex.org")

    def loop_allowed(self, sender: str) -> bool:
        return self.tracker.hit(sender=sender, recipient="help@ex.org").allowed


def test_an_active_loop_survives_the_flood(caplog: pytest.LogCaptureFixture) -> None:
    flood = Flood(MAX_KEYS)
    answers = []
    with caplog.at_level(logging.WARNING, logger="loopguard.stores.memory"):
        while flood.sent < SENDERS:
            answers.append(flood.loop_allowed("bot@loop.example"))
            flood.send(1000)
    first_rung = DEFAULT_LIMITS[0].count
    assert answers[:first_rung] == [True] * first_rung
    assert not any(answers[first_rung:])  # suppressed from then on, never forgotten
    assert len(flood.store) == MAX_KEYS  # bounded
    # Every flood key is live (a day's window): each one past the cap evicted a live key.
    assert flood.store.evictions == SENDERS + 1 - MAX_KEYS
    assert flood.store.expirations == 0
    logged = [record.evictions for record in caplog.records]  # type: ignore[attr-defined]
    assert logged == [1, 10, 100, 1000, 10_000, 100_000]


def test_a_pair_quieter_than_the_cap_is_forgotten() -> None:
    """The control: LRU keeps a pair only while fewer than max_keys keys come between."""
    flood = Flood(MAX_KEYS)
    answers = []
    for _ in range(8):
        answers.append(flood.loop_allowed("slow@loop.example"))
        flood.send(MAX_KEYS + 1)
    assert all(answers)  # evicted between every two events: the limit never bites
    assert flood.store.evictions > 0


@slow
def test_full_flood_keeps_memory_bounded() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "flood", "--senders", "5000000", "--max-keys", "1000000"],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["loop_suppressed_throughout"]
    assert report["keys_held"] == 1_000_000
    rss = report["rss_mib_at_each_max_keys"]
    # The map settles one cap's worth of keys after the cap is reached, then stays flat.
    settled = rss[1:]
    assert max(settled) - min(settled) < 0.05 * min(settled)
    assert rss[-1] < 1.5 * rss[0]
