"""Every verdict pinned: the shared corpus and every fixture, against a committed record.

Restructuring and speed work must not change what the classifier says. This test stores,
for every message, the category, the confidence, the rule names in order, no_autoreply
and the bounce recipients (verdict_pin.json), and fails on any difference. A change that
is meant to alter verdicts rewrites the record on purpose:
``LOOPGUARD_UPDATE_PIN=1 python3 -m pytest tests/classifier/test_verdict_pin.py``, and
the diff of verdict_pin.json shows what changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from loopguard import Verdict, classify

PIN = Path(__file__).with_name("verdict_pin.json")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
UPDATE = os.environ.get("LOOPGUARD_UPDATE_PIN") == "1"


def summary(verdict: Verdict) -> dict[str, Any]:
    """What the pin compares: everything a host acts on."""
    bounce = verdict.bounce
    return {
        "category": verdict.category.value,
        "confidence": verdict.confidence,
        "rules": list(verdict.rules),
        "no_autoreply": verdict.no_autoreply,
        "permanent": sorted(bounce.permanent) if bounce else [],
        "temporary": sorted(bounce.temporary) if bounce else [],
    }


def verdicts(folder: Path, pattern: str) -> dict[str, dict[str, Any]]:
    return {
        path.relative_to(folder).as_posix(): summary(classify(path))
        for path in sorted(folder.glob(pattern))
    }


def _check(section: str, found: dict[str, dict[str, Any]]) -> None:
    record = json.loads(PIN.read_text(encoding="utf-8")) if PIN.exists() else {}
    if UPDATE:
        record[section] = found
        lines = [
            f"  {json.dumps(section)}: {{\n"
            + ",\n".join(
                f"    {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}"
                for name, value in sorted(entries.items())
            )
            + "\n  }"
            for section, entries in sorted(record.items())
        ]
        PIN.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
        pytest.skip(f"rewrote the {section} section of {PIN.name}")
    pinned = record.get(section, {})
    changed = {
        name: {"pinned": pinned.get(name), "now": value}
        for name, value in found.items()
        if pinned.get(name) != value
    }
    assert not changed, json.dumps(changed, indent=1, ensure_ascii=False)[:20_000]
    assert not set(pinned) - set(found), f"pinned messages gone: {sorted(set(pinned) - set(found))}"


def test_fixture_verdicts_are_pinned() -> None:
    _check("fixtures", verdicts(FIXTURES, "**/*.eml"))


@pytest.mark.corpus
def test_corpus_verdicts_are_pinned(corpus_dir: Path) -> None:
    _check("corpus", verdicts(corpus_dir, "messages/**/*.eml"))
