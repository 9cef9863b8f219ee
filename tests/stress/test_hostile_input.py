"""Inputs built to hurt: classify() answers each one, in bounded time and memory.

The bounds are deliberately generous (catastrophic behaviour costs minutes, not
milliseconds); benchmarks/bench_hostile.py measures the real cost.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from loopguard import Category, classify

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_hostile.py"
_SPEC = importlib.util.spec_from_file_location("loopguard_bench_hostile", _PATH)
assert _SPEC is not None
assert _SPEC.loader is not None
HOSTILE = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = HOSTILE
_SPEC.loader.exec_module(HOSTILE)

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
