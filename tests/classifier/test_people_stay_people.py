"""People writing about machine things stay people: customers on orders, invoices,
passwords, backups and quotas, in several languages, with and without a question mark
(tests/fixtures/people/customers.jsonl, messages written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loopguard import Category, classify
from loopguard.testing import build_message

CUSTOMERS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).resolve().parents[1] / "fixtures" / "people" / "customers.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line
]


@pytest.mark.parametrize("case", CUSTOMERS, ids=[case["subject"] for case in CUSTOMERS])
def test_a_customer_stays_human(case: dict[str, Any]) -> None:
    raw = build_message(body=case["body"] + "\n", sender=case["sender"], subject=case["subject"])
    verdict = classify(raw)
    assert verdict.category is Category.HUMAN, verdict.reasons


@pytest.mark.parametrize("case", CUSTOMERS, ids=[case["subject"] for case in CUSTOMERS])
def test_a_customer_without_a_question_stays_human(case: dict[str, Any]) -> None:
    # The question mark is a sign of a person, not the only thing that keeps one human.
    body = case["body"].replace("?", ".").replace("？", "。")
    raw = build_message(
        body=body + "\n", sender=case["sender"], subject=case["subject"].replace("?", "")
    )
    verdict = classify(raw)
    assert verdict.category is Category.HUMAN, verdict.reasons
