"""Inputs built to hurt: classify() answers each one, in bounded time and memory.

The bounds are deliberately generous (catastrophic behaviour costs minutes, not
milliseconds); benchmarks/bench_hostile.py measures the real cost.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from scripts import load_script

from loopguard import Category, classify

HOSTILE = load_script("benchmarks/bench_hostile.py")

SIZE = 2 * 1024 * 1024


@pytest.mark.parametrize("name", list(HOSTILE.CASES))
def test_hostile_case_is_answered_quickly_in_bounded_memory(name: str) -> None:
    raw = HOSTILE.CASES[name](SIZE)
    tracemalloc.start()
    started = time.perf_counter()
    verdict = classify(raw)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(verdict.category, Category)
    assert elapsed < 5.0
    assert peak < 3 * len(raw) + 8 * 1024 * 1024


def test_damage_is_reported_for_the_huge_header_block() -> None:
    verdict = classify(HOSTILE.CASES["100k+ headers"](SIZE))
    assert "malformed-headers" in {reason.rule for reason in verdict.reasons}
