"""Shared helpers of the fuzz tests: the harness module of benchmarks/fuzz.py, loaded once."""

from __future__ import annotations

from types import ModuleType

import pytest
from scripts import load_script


@pytest.fixture(scope="session")
def harness() -> ModuleType:
    """benchmarks/fuzz.py: the targets, their oracles and the mutation engine."""
    return load_script("benchmarks/fuzz.py")
