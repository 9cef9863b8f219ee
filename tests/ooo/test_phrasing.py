"""Realistic phrasings beyond the .eml fixtures, from ``phrasing_cases.jsonl``.

Auto-replies whose only evidence is their body text (the subject is "Re: x"), and people
who mention an absence in passing ("I'm on vacation until Monday, but I checked: all fine").
Each text goes through author_text and assess_text, like a message body.
"""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loopguard.classifier.text.authortext import author_text
from loopguard.classifier.text.outofoffice import assess_text
from loopguard.classifier.text.patterns import PatternSet

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "phrasing_cases.jsonl").read_text("utf-8").splitlines()
]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{case['lang']}-{case['label']}-{i}" for i, case in enumerate(CASES)]
)
def test_realistic_phrasing(
    build: Callable[..., bytes], patterns: PatternSet, case: dict[str, Any]
) -> None:
    message = email.message_from_bytes(build(case["text"], subject="Re: x"))
    assessment = assess_text("Re: x", author_text(message, patterns=patterns), patterns)
    got = "auto_reply" if assessment.is_auto_reply() else "human"
    assert got == case["label"], [str(reason) for reason in assessment.reasons]


def test_both_labels_and_many_languages_are_covered() -> None:
    assert {case["label"] for case in CASES} == {"auto_reply", "human"}
    assert len({case["lang"] for case in CASES}) >= 25
