"""Shared fixtures: where the labelled corpus is, when it is there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(
    os.environ.get("LOOPGUARD_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared labelled corpus (../shared/corpus); the test skips when it is absent."""
    if not (CORPUS / "labels.jsonl").exists():
        pytest.skip(f"no labelled corpus at {CORPUS} (set LOOPGUARD_CORPUS to point at one)")
    return CORPUS
