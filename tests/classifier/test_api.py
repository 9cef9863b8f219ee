"""The contract of classify(): accepted inputs, the Verdict and Category types."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from pathlib import Path

import mailparser
import pytest

import loopguard
from loopguard import Category, Classifier, ConfigurationError, Verdict, classify
from loopguard.testing import build_message

RAW = build_message({"Auto-Submitted": "auto-replied"}, sender="Ann <Ann@Example.COM>")


def test_category_values_are_exactly_the_six() -> None:
    assert [c.value for c in Category] == [
        "human",
        "auto_reply",
        "auto_generated",
        "bounce",
        "bulk",
        "receipt",
    ]
    assert isinstance(Category.BULK, str)
    assert Category("bounce") is Category.BOUNCE


@pytest.mark.parametrize(
    "convert",
    [
        lambda raw, _: raw,
        lambda raw, _: bytearray(raw),
        lambda raw, _: memoryview(raw),
        lambda raw, _: raw.decode(),
        lambda raw, _: email.message_from_bytes(raw),
        lambda raw, _: email.message_from_bytes(raw, policy=email.policy.default),
        lambda raw, _: mailparser.parse_from_bytes(raw),
        lambda raw, tmp: _write(tmp / "m.eml", raw),
    ],
    ids=["bytes", "bytearray", "memoryview", "str", "compat32", "default", "mailparser", "path"],
)
def test_every_accepted_input_gives_the_same_verdict(convert, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    verdict = classify(convert(RAW, tmp_path))
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.sender == "ann@example.com"
    assert verdict.reasons[0].rule == "auto-submitted"


def _write(path: Path, raw: bytes) -> Path:
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("bad", [None, 42, 3.5, ["x"], {"subject": "x"}, object()])
def test_wrong_types_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="classify"):
        classify(bad)


def test_wrong_envelope_sender_type() -> None:
    with pytest.raises(TypeError, match="envelope_sender"):
        classify(RAW, envelope_sender=b"x")  # type: ignore[arg-type]


def test_verdict_is_frozen_and_explains_itself() -> None:
    verdict = classify(RAW)
    assert isinstance(verdict, Verdict)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.category = Category.HUMAN  # type: ignore[misc]
    assert verdict.is_automated
    assert 0.0 <= verdict.confidence <= 1.0
    reason = verdict.reasons[0]
    assert reason.category is Category.AUTO_REPLY
    assert reason.detail == "Auto-Submitted: auto-replied"
    assert str(reason) == "auto-submitted: Auto-Submitted: auto-replied"


def test_human_verdict() -> None:
    verdict = classify(build_message())
    assert verdict.category is Category.HUMAN
    assert not verdict.is_automated
    # Only signs of a person, none naming a machine's kind.
    assert {reason.category for reason in verdict.reasons} <= {None}
    assert verdict.bounce is None
    assert not verdict.no_autoreply


def test_classify_does_not_change_a_parsed_message() -> None:
    message = email.message_from_bytes(RAW)
    before = message.as_bytes()
    classify(message)
    assert message.as_bytes() == before


def test_classifier_configuration_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="hop_limit"):
        Classifier(hop_limit=0)
    rules = loopguard.classifier.rules.DEFAULT_RULES
    with pytest.raises(ConfigurationError, match="unique"):
        Classifier(rules=(*rules, rules[0]))


def test_headers_only_classifier_skips_the_body() -> None:
    raw = build_message(body="Please do not reply to this e-mail.\n")
    assert classify(raw).category is Category.AUTO_GENERATED
    headers_only = Classifier(body_rules=(), text_heuristics=False)
    assert headers_only.classify(raw).category is Category.HUMAN


def test_a_reply_to_our_mail_weighs_out_of_office_text_more() -> None:
    raw = build_message(subject="Re: We received your request", body="I am out of the office.\n")
    assert classify(raw).category is Category.HUMAN
    verdict = classify(raw, reply_to_ours=True)
    assert verdict.category is Category.AUTO_REPLY
    assert "reply-to-ours" in verdict.rules
    # It tips text that says something; it never makes a plain answer automatic.
    thanks = build_message(subject="Re: We received your request", body="Thanks, that works.\n")
    assert classify(thanks, reply_to_ours=True).category is Category.HUMAN
