"""Every crash the fuzzers found, as a small hand-written input that once broke the code.

Each test says what broke and where; the fix is in the module named.
"""

from __future__ import annotations

import base64
import email.message
import logging
import tracemalloc
from pathlib import Path

import pytest

from loopguard import Category, Guard, MemoryStore, classify, may_autorespond
from loopguard.cli.mailbox import MAX_MESSAGE_BYTES, MailItem, read_inputs
from loopguard.mail.address import normalize_address

# Charset names on which bytes.decode() raises ValueError rather than LookupError:
# a NUL in the name, a codec without a "replace" handler, a codec that always fails.
HOSTILE_CHARSETS = [b"windows-\x001251", b"idna", b"undefined"]


def _rules(raw: bytes) -> list[str]:
    return [reason.rule for reason in classify(raw).reasons]


@pytest.mark.parametrize("charset", HOSTILE_CHARSETS)
def test_hostile_charset_on_8bit_text_breaks_no_rule(
    charset: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # Found by the mutation fuzzer (guard target): bouncetext._decoded caught only
    # LookupError, and the stdlib's Message.get_payload() re-decodes 8-bit text with the
    # part's charset, so three body rules failed (mime.own_parts, bouncetext).
    raw = (
        b"From: ann@example.org\nSubject: hi\n"
        b'Content-Type: text/plain; charset="' + charset + b'"\n\nhello there \xff\n'
    )
    with caplog.at_level(logging.ERROR):
        assert "rule-error" not in _rules(raw)
    assert not caplog.records


@pytest.mark.parametrize("charset", HOSTILE_CHARSETS)
def test_hostile_charset_in_a_report_part_still_finds_the_failure(charset: bytes) -> None:
    # Same root cause in bounce._status_blocks (a delivery-status part outside
    # multipart/report is read through the stdlib parser).
    raw = (
        b"From: a@example.org\nReturn-Path: <>\nSubject: hi\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b'--b\nContent-Type: text/plain; charset="' + charset + b'"\n\nhello \xff\n'
        b'--b\nContent-Type: message/delivery-status; charset="' + charset + b'"\n\n'
        b"Final-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 5.1.1\n\xff\n--b--\n"
    )
    verdict = classify(raw)
    assert "rule-error" not in [reason.rule for reason in verdict.reasons]
    assert verdict.category is Category.BOUNCE


def test_hostile_charset_through_the_guard() -> None:
    raw = (
        b"From: ann@example.org\nTo: help@example.org\nSubject: printer\n"
        b'Content-Type: text/plain; charset="idna"\n\nmy printer is broken \xe9\n'
    )
    guard = Guard(store=MemoryStore(), own_addresses=["help@example.org"], secret=b"s")
    decision = guard.check(raw, recipient="help@example.org")
    assert decision.allowed
    assert "rule-error" not in [reason.rule for reason in decision.verdict.reasons]


def test_failed_recipients_detail_stays_one_short_line() -> None:
    # Found by atheris (classify target): five long failed addresses made a
    # 'failed-recipients' detail of 300+ characters; details are capped at 200 (classify).
    recipients = [f"{'x' * 50}.{n}@{'mail' * 5}.example.org" for n in range(6)]
    blocks = "".join(
        f"Final-Recipient: rfc822; {address}\nAction: failed\nStatus: 5.1.1\n\n"
        for address in recipients
    )
    raw = (
        "From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        f"{blocks}--b--\n"
    ).encode()
    verdict = classify(raw)
    assert verdict.bounce is not None
    assert len(verdict.bounce.permanent) == len(recipients)
    details = [reason.detail for reason in verdict.reasons if reason.rule == "failed-recipients"]
    assert details
    assert all(len(detail) <= 200 for detail in details)


@pytest.mark.parametrize("value", [";auto-replied", ";", " ; x", "(comment) ;"])
def test_auto_submitted_without_a_token_does_not_crash_may_autorespond(value: str) -> None:
    # Found by atheris (autorespond target): "Auto-Submitted: ;auto-replied" raised
    # IndexError out of may_autorespond (autorespond._first_token). Present and not
    # "no", it refuses, as RFC 3834 asks of anything but "no".
    raw = f"From: ann@example.com\nTo: help@example.org\nAuto-Submitted: {value}\n\nhi\n"
    allowed, reasons = may_autorespond(raw.encode(), recipient="help@example.org")
    assert not allowed
    assert [reason.rule for reason in reasons] == ["auto-submitted"]


@pytest.mark.parametrize("accent", ["\u00b8", "\u00a8", "\u00b4", "\u00af", "\u02d8"])
def test_spacing_accents_in_a_domain_never_give_whitespace(accent: str) -> None:
    # Found by atheris (address target): "+@¸" normalized to "+@xn-- -3db": IDNA's
    # NFKC step turns a spacing accent into a space and a combining mark (address).
    result = normalize_address(f"ann@ex{accent}ample.org")
    assert result is not None
    assert not any(char.isspace() for char in result)


def test_one_huge_mbox_line_is_not_held_whole(tmp_path: Path) -> None:
    # Found while writing the mailbox harness: the mbox reader iterated whole lines, so
    # one 20 MiB line without a newline was kept entirely (past MAX_MESSAGE_BYTES) and
    # peaked at twice its size (mailbox.read_mbox now reads lines in 64 KiB pieces).
    path = tmp_path / "one-line.mbox"
    with path.open("wb") as handle:
        handle.write(b"From a@example.com Mon Jan  1 00:00:00 2024\nSubject: x\n\n")
        for _ in range(20):
            handle.write(b"a" * 1024 * 1024)
    tracemalloc.start()
    items = list(read_inputs([str(path)]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(items) == 1
    assert isinstance(items[0], MailItem)
    assert len(items[0].raw) == MAX_MESSAGE_BYTES
    assert peak < 2 * MAX_MESSAGE_BYTES + 4 * 1024 * 1024


DEEP_COMMENTS = "(" * 1500 + "x@example.com"
DEEP_GROUPS = ": " * 1500 + "x@example.com"


@pytest.mark.parametrize(
    "value", [DEEP_COMMENTS, "Ann (" + "((" * 1000, "a" + "(b" * 900, DEEP_GROUPS]
)
def test_deeply_nested_comments_and_groups_are_no_address(value: str) -> None:
    # Found while building the fuzz seeds (comments) and by the mutation fuzzer (groups,
    # autorespond target): the stdlib's address parser recurses per nested comment and
    # per nested group and raised RecursionError (address).
    assert normalize_address(value) is None


def test_sequential_comments_still_parse() -> None:
    assert normalize_address("(a)" * 40 + " ann@example.com") == "ann@example.com"


@pytest.mark.parametrize("nesting", [DEEP_COMMENTS, DEEP_GROUPS])
@pytest.mark.parametrize("field", ["To", "Cc", "Return-Path", "Resent-To"])
def test_deep_nesting_in_any_address_field_does_not_crash_may_autorespond(
    field: str, nesting: str
) -> None:
    raw = f"From: ann@example.com\n{field}: {nesting}\nSubject: x\n\nhi\n".encode()
    allowed, reasons = may_autorespond(raw, recipient="help@example.org")
    assert not allowed
    assert "not-addressed" in [reason.rule for reason in reasons]


@pytest.mark.parametrize("field", ["From", "Sender", "To", "Delivered-To"])
def test_deep_comments_in_address_fields_do_not_crash_the_guard(field: str) -> None:
    raw = f"{field}: {DEEP_COMMENTS}\nSubject: x\n\nmy printer is broken\n".encode()
    guard = Guard(store=MemoryStore(), own_addresses=["help@example.org"], secret=b"s")
    assert classify(raw).category is Category.HUMAN
    guard.check(raw, recipient="help@example.org", envelope_sender=DEEP_COMMENTS)


def test_deep_comments_in_reply_to_do_not_crash_the_guard() -> None:
    raw = f"From: ann@example.com\nReply-To: {DEEP_COMMENTS}\n\nmy printer is broken\n"
    guard = Guard(store=MemoryStore(), own_addresses=["help@example.org"], secret=b"s")
    assert guard.check(raw.encode(), recipient="help@example.org").allowed


def test_auto_submitted_detail_on_a_report_stays_short() -> None:
    # Found by the mutation fuzzer (classify target): on a machine report the
    # auto-submitted detail, already cut to 200 characters, got " (on a machine
    # report)" appended (classify._reports_are_not_replies).
    raw = (
        "From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n"
        f"Auto-Submitted: auto-replied ({'x' * 400})\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        "Final-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.1\n\n--b--\n"
    ).encode()
    reasons = {reason.rule: reason for reason in classify(raw).reasons}
    assert reasons["auto-submitted"].category is Category.AUTO_GENERATED
    assert all(len(reason.detail) <= 200 for reason in reasons.values())


@pytest.mark.parametrize("charset", ["undefined", "windows-\x001251", "utf-16", "utf-32"])
def test_stamp_keeps_the_token_readable_whatever_the_reply_charset(charset: str) -> None:
    # Found while writing the stamp harness: a reply part labelled "undefined" or with a
    # NUL in its charset made stamp raise, and UTF-16/32 hid the token's bytes from the
    # raw-text search (outbound._append_to_text_parts, _output_charset).
    reply = email.message.Message()
    reply["From"] = "help@example.org"
    reply["Content-Type"] = f'text/plain; charset="{charset}"'
    reply.set_payload("thanks, we are on it\n")
    guard = Guard(own_addresses=["help@example.org"], secret=b"s")
    guard.stamp(reply)
    body = reply.as_bytes().split(b"\n\n", 1)[1]
    assert f"[ref {reply['X-Loopguard-Token']}]".encode() in body


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028", "\x85"])
def test_a_line_break_hidden_in_an_encoded_subject_stays_out_of_reason_details(
    newline: str,
) -> None:
    # Found by the mutation fuzzer (guard target): a base64 encoded word decoding to a
    # line break put it into the subject-autoreply-prefix detail, which reaches logs
    # (message.decode_words).
    hidden = base64.b64encode(f"Automatic reply: away{newline}X-Injected: 1".encode()).decode()
    raw = f"From: ann@example.com\nSubject: =?utf-8?B?{hidden}?=\n\nI am away.\n".encode()
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_REPLY
    for reason in verdict.reasons:
        assert len(reason.detail.splitlines()) <= 1, reason


@pytest.mark.parametrize("newline", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_header_rule_detail_is_one_line_whatever_the_line_break(newline: str) -> None:
    # Found while widening the fuzz oracle from LF to every line break: a header rule's
    # detail kept VT, FF, NEL or U+2028 from the header value (rules.base._clip).
    raw = f"From: ann@example.com\nX-Autoreply: yes{newline}X-Evil: 1\n\nhi\n".encode()
    for reason in classify(raw).reasons:
        assert len(reason.detail.splitlines()) <= 1, reason


@pytest.mark.parametrize("newline", ["\x0b", "\x0c", "\x85", "\u2028"])
def test_a_raw_line_break_in_the_subject_stays_out_of_reason_details(newline: str) -> None:
    # Found by the mutation fuzzer with the widened oracle: a form feed in a plain
    # (not encoded) subject reached the subject-autoreply-prefix detail (message).
    raw = f"From: ann@example.com\nSubject: Automatic reply: away{newline}x\n\nhi\n".encode()
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_REPLY
    assert all(len(reason.detail.splitlines()) <= 1 for reason in verdict.reasons)
