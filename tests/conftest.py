"""Shared fixtures: where the labelled corpus is, when it is there; hypothesis settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Speed is the benchmarks' business: on a slow or busy CI machine a property test must fail
# on a counterexample only, never on hypothesis' wall-clock deadline or too-slow check.
settings.register_profile(
    "loopguard", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("loopguard")

CORPUS = Path(
    os.environ.get("LOOPGUARD_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared labelled corpus (../shared/corpus); the test skips when it is absent."""
    if not (CORPUS / "labels.jsonl").exists():
        pytest.skip(f"no labelled corpus at {CORPUS} (set LOOPGUARD_CORPUS to point at one)")
    return CORPUS
