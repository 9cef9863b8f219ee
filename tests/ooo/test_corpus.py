"""The shared labelled corpus, judged by the text functions alone (no header rules).

Human mail must stay human (≥ 99 %), the other machine categories must not be pulled into
auto_reply, and the text rules alone must still find most corpus auto-replies.
"""

from __future__ import annotations

import collections
import email.message
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from loopguard.classifier.text.authortext import author_text
from loopguard.classifier.text.outofoffice import DEFAULT_TEXT_THRESHOLD, assess_text
from loopguard.classifier.text.patterns import PatternSet

pytestmark = pytest.mark.corpus

Parse = Callable[[bytes], tuple[email.message.Message, str]]


@pytest.fixture(scope="module")
def flagged(corpus_dir: Path, parse: Parse, patterns: PatternSet) -> dict[str, list[bool]]:
    """Per corpus label, whether each message's text crosses the default threshold."""
    results: dict[str, list[bool]] = collections.defaultdict(list)
    for line in (corpus_dir / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        message, subject = parse((corpus_dir / row["file"]).read_bytes())
        assessment = assess_text(subject, author_text(message, patterns=patterns), patterns)
        results[row["label"]].append(assessment.confidence >= DEFAULT_TEXT_THRESHOLD)
    return results


def test_human_mail_stays_human(flagged: dict[str, list[bool]]) -> None:
    humans = flagged["human"]
    assert sum(humans) <= len(humans) // 100


@pytest.mark.parametrize("label", ["bounce", "bulk", "auto_generated", "receipt"])
def test_other_categories_are_not_pulled_into_auto_reply(
    flagged: dict[str, list[bool]], label: str
) -> None:
    assert sum(flagged[label]) <= max(1, len(flagged[label]) // 100)


def test_text_rules_find_most_auto_replies(flagged: dict[str, list[bool]]) -> None:
    auto = flagged["auto_reply"]
    assert sum(auto) >= 0.7 * len(auto)
