"""Hypothesis properties of the fuzzed entry points: what must hold for any input."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopguard import Action, Category, Guard, MemoryStore, may_autorespond
from loopguard.cli.mailbox import MailItem, read_inputs, read_mbox, reread
from loopguard.mail.address import normalize_address
from loopguard.testing import build_message

HELP = "help@example.org"

LOCAL = st.text(alphabet="abcXYZ019.+_-'éß", min_size=1, max_size=12)
LABEL = st.text(alphabet="abcXYZ019-éßİüΣ", min_size=1, max_size=10)
DOMAIN = st.lists(LABEL, min_size=1, max_size=3).map(".".join)
DISPLAY = st.text(alphabet='Ann Bé,"()', max_size=10)
FORMS = st.sampled_from(["{l}@{d}", "<{l}@{d}>", "{n} <{l}@{d}>", '"{n}" <{l}@{d}>'])


@given(st.text(max_size=300), st.booleans())
def test_a_normalized_address_is_one_folded_token(value: str, fold: bool) -> None:
    result = normalize_address(value, fold_subaddress=fold)
    if result is not None:
        assert result
        assert not any(char.isspace() for char in result)
        assert result == result.casefold() or not result.isascii()


@given(LOCAL, DOMAIN, DISPLAY, FORMS)
def test_normalizing_twice_changes_nothing(local: str, domain: str, name: str, form: str) -> None:
    # Learned bounces are stored under an already normalized address and looked up under
    # a raw one: both must give the same key.
    result = normalize_address(form.format(l=local, d=domain, n=name))
    if result is not None:
        assert normalize_address(result) == result
        assert normalize_address(f"<{result}>") == result


HEADER_LINES = st.lists(
    st.sampled_from(
        [
            "Auto-Submitted: auto-replied",
            "Auto-Submitted: no",
            "Auto-Submitted: ;",
            "Precedence: bulk",
            "List-Id: <l.example.org>",
            "X-Auto-Response-Suppress: OOF",
            "Return-Path: <>",
            "Return-Path: <mailer-daemon@example.net>",
            "Reply-To: owner-list@example.net",
            "Reply-To: ann@example.com, bob@example.com",
            "X-Loopguard-Token: lg1.0123456789abcdef.0123456789abcdef0123",
            "References: <a@example.com> <lg1.0123456789abcdef.0123456789abcdef0123@x>",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b",
            "Content-Type: text/plain; charset=idna",
            "Subject: Automatic reply: away",
            "From: help@example.org",
            "Received: from a by b",
        ]
    ),
    max_size=6,
)
BODIES = st.sampled_from(
    [
        "Hello,\n\nmy printer is broken.\n",
        "I am out of the office until Monday.\n",
        "--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@example.com\n"
        "Action: failed\nStatus: 5.1.1\n--b--\n",
        "\xff\xfe broken \x00 bytes\n",
    ]
)


def structured(lines: list[str], body: str, sender: str) -> bytes:
    pairs = [tuple(line.split(": ", 1)) for line in lines]
    return build_message([(n, v) for n, v in pairs], body=body, sender=sender, to=HELP)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HEADER_LINES, BODIES, st.sampled_from(["ann@example.com", "<>", "MAILER-DAEMON", ""]))
def test_the_guard_decides_every_message(lines: list[str], body: str, sender: str) -> None:
    guard = Guard(store=MemoryStore(), own_addresses=[HELP], secret=b"s")
    decision = guard.check(structured(lines, body, sender), recipient=HELP)
    assert isinstance(decision.action, Action)
    if decision.allowed:
        assert decision.verdict.category is Category.HUMAN
    assert decision.key is None or decision.key.startswith("v1:pair:{")
    assert "rule-error" not in [reason.rule for reason in decision.verdict.reasons]


REFUSALS = {
    "null-return-path",
    "no-sender",
    "sender-is-recipient",
    "list-headers",
    "auto-submitted",
    "precedence",
    "x-auto-response-suppress",
    "system-sender",
    "not-addressed",
}


@given(HEADER_LINES, BODIES, st.sampled_from([None, "", "<>", "ann@example.com", HELP]))
def test_may_autorespond_names_every_refusal(
    lines: list[str], body: str, envelope: str | None
) -> None:
    raw = structured(lines, body, "ann@example.com")
    allowed, reasons = may_autorespond(raw, recipient=HELP, envelope_sender=envelope)
    assert allowed is (not reasons)
    assert {reason.rule for reason in reasons} <= REFUSALS


MESSAGE_LINES = st.lists(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"") + b"\n"),
    max_size=8,
).map(lambda lines: [line for line in lines if not line.startswith(b"From ")])
MESSAGES = st.lists(MESSAGE_LINES.map(b"".join), min_size=1, max_size=5)


def as_mbox(messages: list[bytes]) -> bytes:
    return b"".join(
        b"From sender@example.com Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in messages
    )


@given(MESSAGES)
def test_an_mbox_gives_back_each_message(messages: list[bytes]) -> None:
    items = list(read_mbox(io.BytesIO(as_mbox(messages)), "-"))
    assert [item.raw for item in items if isinstance(item, MailItem)] == messages
    assert [item.location for item in items] == [f"-:{n}" for n in range(1, len(messages) + 1)]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MESSAGES)
def test_each_mbox_message_can_be_read_again_by_offset(
    tmp_path: Path, messages: list[bytes]
) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(as_mbox(messages))
    items = [item for item in read_inputs([str(path)]) if isinstance(item, MailItem)]
    assert len(items) == len(messages)
    for item in items:
        assert item.path is not None
        assert reread(item.path, item.offset, len(item.raw)) == item.raw
