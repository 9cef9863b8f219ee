"""A short, deterministic budget of the mutation fuzzer over every target (CI).

The long runs are by hand (``python benchmarks/fuzz.py --runs 200000`` or ``--engine
atheris``); this one replays every seed and a fixed series of mutations of them, so a
crash found once stays found.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType

import pytest

# Executions per target: every seed (about 230 messages) and then mutations; about
# 15 seconds in all.
BUDGET = {
    "classify": 4000,
    "guard": 3000,
    "autorespond": 10_000,
    "address": 10_000,
    "mailbox": 3000,
    "stamp": 4000,
}


@pytest.mark.parametrize("name", list(BUDGET))
def test_no_target_fails_on_its_budget(
    harness: ModuleType, name: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    targets = harness.build_targets(tmp_path)
    with caplog.at_level(logging.CRITICAL):
        report = harness.run_mutation(
            name, targets[name], runs=BUDGET[name], seed=20261129, out=None, slow=5.0
        )
    assert report.executions == BUDGET[name]
    assert report.findings == {}


def test_the_mutations_are_deterministic(harness: ModuleType) -> None:
    import random

    seeds = harness.seed_messages()
    first = [harness.mutate(seeds[0], random.Random(7), seeds) for _ in range(3)]
    again = [harness.mutate(seeds[0], random.Random(7), seeds) for _ in range(3)]
    assert first == again
    assert any(mutant != seeds[0] for mutant in first)


def test_a_failing_target_is_reported(harness: ModuleType) -> None:
    # The oracle of the budget run itself: an exception becomes a finding, not a crash.
    def broken(data: bytes) -> None:
        if b"Subject" in data:
            raise ValueError("boom")

    report = harness.run_mutation("classify", broken, runs=50, seed=1, out=None)
    assert report.executions == 50
    assert report.findings
    assert all(key.startswith("ValueError at test_fuzz_budget.py") for key in report.findings)
