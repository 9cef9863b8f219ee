"""The multilingual fixtures under tests/fixtures/ooo, judged by the text functions alone.

``expected.jsonl`` is the contract: every listed file exists, every file is listed, each
language has enough cases, and subject_evidence/author_text/assess_text label each one as
expected (the classifier's own tests run the same files through the header rules too).
"""

from __future__ import annotations

import collections
import email.message
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loopguard.classifier.text.authortext import author_text
from loopguard.classifier.text.outofoffice import DEFAULT_TEXT_THRESHOLD, assess_text
from loopguard.classifier.text.patterns import PatternSet

Parse = Callable[[bytes], tuple[email.message.Message, str]]
AUTO_HEADERS = ("Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence")


def test_expectations_and_files_agree(expected: list[dict[str, Any]], fixtures_dir: Path) -> None:
    listed = {row["file"] for row in expected}
    present = {str(path.relative_to(fixtures_dir)) for path in fixtures_dir.rglob("*.eml")}
    assert listed == present
    assert {row["label"] for row in expected} == {"auto_reply", "human"}


def test_every_language_has_two_auto_replies_and_a_human(expected: list[dict[str, Any]]) -> None:
    counts = collections.Counter((row["lang"], row["label"]) for row in expected)
    languages = {row["lang"] for row in expected}
    assert len(languages) >= 25
    for language in languages:
        assert counts[(language, "auto_reply")] >= 2, language
        assert counts[(language, "human")] >= 1, language


def test_special_cases_are_covered(expected: list[dict[str, Any]]) -> None:
    names = " ".join(row["file"] for row in expected)
    for case in ("quoted_autoreply", "forwarded_autoreply", "replied_to_autoreply", "lotus"):
        assert case in names


def test_most_auto_replies_carry_no_auto_headers(
    expected: list[dict[str, Any]], fixtures_dir: Path, parse: Parse
) -> None:
    auto = [row for row in expected if row["label"] == "auto_reply"]
    bare = [
        row
        for row in auto
        if not any(parse((fixtures_dir / row["file"]).read_bytes())[0].get(h) for h in AUTO_HEADERS)
    ]
    assert len(bare) == len(auto)


def _rows() -> list[dict[str, Any]]:
    import json

    path = Path(__file__).parent.parent / "fixtures" / "ooo" / "expected.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row["file"])
def test_fixture_is_labelled_as_expected(
    row: dict[str, Any], fixtures_dir: Path, parse: Parse, patterns: PatternSet
) -> None:
    message, subject = parse((fixtures_dir / row["file"]).read_bytes())
    body = author_text(message, patterns=patterns)
    assessment = assess_text(subject, body, patterns)
    label = "auto_reply" if assessment.confidence >= DEFAULT_TEXT_THRESHOLD else "human"
    assert label == row["label"], [str(reason) for reason in assessment.reasons]
