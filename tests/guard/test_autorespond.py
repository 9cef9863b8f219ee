"""may_autorespond(): RFC 3834 section 2 and Sieve vacation rules, each refusal named."""

from __future__ import annotations

import pytest

from loopguard.guard.autorespond import may_autorespond
from loopguard.testing import build_message

ME = "ann@example.com"


def message(*headers: tuple[str, str], sender: str = "bob@example.net", to: str = ME) -> bytes:
    return build_message(list(headers), sender=sender, to=to)


def rules(raw: bytes, **kwargs: object) -> list[str]:
    allowed, reasons = may_autorespond(raw, recipient=ME, **kwargs)  # type: ignore[arg-type]
    assert allowed is (not reasons)
    return [reason.rule for reason in reasons]


def test_a_personal_message_may_be_answered() -> None:
    assert may_autorespond(message(), recipient=ME) == (True, ())


@pytest.mark.parametrize(
    ("headers", "rule"),
    [
        ((("Return-Path", "<>"),), "null-return-path"),
        ((("List-Id", "<users.example.net>"),), "list-headers"),
        ((("List-Unsubscribe", "<mailto:u@example.net>"),), "list-headers"),
        ((("Auto-Submitted", "auto-replied"),), "auto-submitted"),
        ((("Auto-Submitted", "auto-notified; owner-email=x@example.net"),), "auto-submitted"),
        ((("Precedence", "bulk"),), "precedence"),
        ((("Precedence", "junk"),), "precedence"),
        ((("Precedence", "list"),), "precedence"),
        ((("X-Auto-Response-Suppress", "DR, OOF"),), "x-auto-response-suppress"),
        ((("X-Auto-Response-Suppress", "All"),), "x-auto-response-suppress"),
        ((("X-Auto-Response-Suppress", "AutoReply"),), "x-auto-response-suppress"),
    ],
)
def test_each_refusal_is_named(headers: tuple[tuple[str, str], ...], rule: str) -> None:
    assert rules(message(*headers)) == [rule]


@pytest.mark.parametrize(
    "headers",
    [
        (("Auto-Submitted", "no"),),
        (("Auto-Submitted", "No (a person wrote this)"),),
        (("Precedence", "first-class"),),
        (("X-Auto-Response-Suppress", "DR, RN, NRN"),),
    ],
)
def test_values_that_do_not_refuse(headers: tuple[tuple[str, str], ...]) -> None:
    assert rules(message(*headers)) == []


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.net",
        "listserv@lists.example.net",
        "majordomo@example.net",
        "users-request@lists.example.net",
        "owner-users@lists.example.net",
    ],
)
def test_system_senders(sender: str) -> None:
    assert rules(message(sender=sender)) == ["system-sender"]


def test_null_envelope_sender_given_by_the_host() -> None:
    assert rules(message(), envelope_sender="<>") == ["null-return-path"]
    assert rules(message(), envelope_sender="") == ["null-return-path"]
    assert rules(message(), envelope_sender="bob@example.net") == []


def test_return_path_is_who_gets_the_answer() -> None:
    raw = message(("Return-Path", "<owner-users@lists.example.net>"))
    assert rules(raw) == ["system-sender"]


def test_sender_is_recipient_or_one_of_our_addresses() -> None:
    assert rules(message(sender=ME)) == ["sender-is-recipient"]
    raw = message(sender="Ann at home <ann@home.example>")
    assert rules(raw, addresses=["ann@home.example"]) == ["sender-is-recipient"]


def test_not_addressed_to_us() -> None:
    assert rules(message(to="team@example.com")) == ["not-addressed"]
    assert rules(message(("Cc", "Ann <ANN@example.com>"), to="team@example.com")) == []
    assert rules(message(("Resent-To", ME), to="team@example.com")) == []
    allowed, _ = may_autorespond(message(to="team@example.com"))
    assert allowed  # without a recipient there is nothing to check


def test_no_sender_at_all() -> None:
    raw = b"To: ann@example.com\nSubject: hi\n\nhello\n"
    assert rules(raw) == ["no-sender"]


def test_refusals_accumulate_in_sieve_order() -> None:
    raw = message(
        ("Return-Path", "<>"),
        ("List-Id", "<x.example.net>"),
        ("Auto-Submitted", "auto-generated"),
        ("Precedence", "bulk"),
        ("X-Auto-Response-Suppress", "OOF"),
        sender="MAILER-DAEMON@example.net",
        to="team@example.com",
    )
    assert rules(raw) == [
        "null-return-path",
        "list-headers",
        "auto-submitted",
        "precedence",
        "x-auto-response-suppress",
        "not-addressed",
    ]


def test_refusal_details_quote_the_evidence() -> None:
    _, reasons = may_autorespond(message(("Precedence", "bulk")), recipient=ME)
    assert reasons[0].detail == "Precedence: bulk"
    assert str(reasons[0]) == "precedence: Precedence: bulk"
