"""stamp() and the loop token: marks, threading, header injection, forgery, sightings."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopguard.guard.outbound import TOKEN_HEADER, HeaderInjectionError, LoopToken, stamp
from loopguard.mail.view import MessageView

from .conftest import SECRET, person

TOKENS = LoopToken(SECRET, "help@example.org")


def reply(body: str = "We received your request.\n") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "help@example.org"
    message["To"] = "ann@example.com"
    message["Subject"] = "Re: printer"
    message.set_content(body)
    return message


def view_of(message: EmailMessage | bytes) -> MessageView:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    return MessageView.from_bytes(raw)


def test_marks_and_threading() -> None:
    incoming = person(References="<root@example.com> <mid@example.com>")
    out = stamp(reply(), token=TOKENS, replying_to=view_of(incoming))
    assert out["Auto-Submitted"] == "auto-replied"
    assert out["X-Auto-Response-Suppress"] == "All"
    assert out["In-Reply-To"] == "<test.1@example.com>"
    assert out["References"] == "<root@example.com> <mid@example.com> <test.1@example.com>"
    assert out["Precedence"] is None
    assert TOKENS.verify(out[TOKEN_HEADER])
    assert out["Message-ID"].startswith(f"<{out[TOKEN_HEADER]}@example.org")


def test_kind_and_precedence_replace_existing_values() -> None:
    message = reply()
    message["Auto-Submitted"] = "no"
    message["Message-ID"] = "<given@example.org>"
    out = stamp(message, token=TOKENS, kind="auto_generated", precedence="bulk")
    assert out.get_all("Auto-Submitted") == ["auto-generated"]
    assert out["Precedence"] == "bulk"
    assert out["Message-ID"] == "<given@example.org>"  # the host's id is kept
    assert TOKENS.verify(out[TOKEN_HEADER])


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        stamp(reply(), token=TOKENS, kind="auto_notified")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["bulk\r\nBcc: victim@example.com", "bulk\nX-Evil: 1", "a\rb"])
def test_header_injection_is_rejected(value: str) -> None:
    with pytest.raises(HeaderInjectionError, match="CR or LF"):
        stamp(reply(), token=TOKENS, precedence=value)


def test_hostile_ids_in_the_incoming_mail_are_not_copied() -> None:
    incoming = MessageView.from_bytes(
        b"From: a@example.com\nMessage-ID: <ok@example.com> junk\n"
        b"References: <r1@example.com> Bcc: x@evil.example <r2@example.com>\n\nhi\n"
    )
    out = stamp(reply(), token=TOKENS, replying_to=incoming)
    assert out["In-Reply-To"] == "<ok@example.com>"
    assert out["References"] == "<r1@example.com> <r2@example.com> <ok@example.com>"


def test_references_stay_bounded() -> None:
    chain = " ".join(f"<id{n}@example.com>" for n in range(100))
    incoming = view_of(person(References=chain))
    out = stamp(reply(), token=TOKENS, replying_to=incoming)
    ids = out["References"].split()
    assert len(ids) == 20
    assert ids[0] == "<id0@example.com>"
    assert ids[-1] == "<test.1@example.com>"


def test_no_threading_without_a_message_id() -> None:
    incoming = MessageView.from_bytes(b"From: a@example.com\n\nhi\n")
    out = stamp(reply(), token=TOKENS, replying_to=incoming)
    assert out["In-Reply-To"] is None


def test_without_a_token_only_the_marks_are_set() -> None:
    out = stamp(reply(), token=None)
    assert out["Auto-Submitted"] == "auto-replied"
    assert out[TOKEN_HEADER] is None


def test_body_token_in_plain_and_html_parts_but_not_attachments() -> None:
    message = reply("Grüße aus dem Help Desk.\n")
    message.add_alternative("<p>Grüße</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    message.add_attachment("notes", filename="notes.txt")
    out = stamp(message, token=TOKENS)
    token = out[TOKEN_HEADER]
    parsed = email.message_from_bytes(out.as_bytes(), policy=email.policy.default)
    texts = {
        part.get_content_type() + (part.get_filename() or ""): part.get_content()
        for part in parsed.walk()
        if part.get_content_maintype() == "text"
    }
    assert texts["text/plain"].startswith("Grüße aus dem Help Desk.")
    assert f"[ref {token}]" in texts["text/plain"]
    assert f"[ref {token}]" in texts["text/html"]
    assert token not in texts["text/plainnotes.txt"]
    assert token.encode() in out.as_bytes()  # quoted-printable keeps it searchable raw


def test_body_token_can_be_left_out() -> None:
    out = stamp(reply(), token=TOKENS, body_token=False)
    assert out[TOKEN_HEADER] not in out.get_content()


def test_stamps_a_compat32_message() -> None:
    message = email.message_from_string("From: help@example.org\nSubject: x\n\nHello\n")
    out = stamp(message, token=TOKENS)
    assert TOKENS.find(MessageView.from_bytes(out.as_bytes())) is not None


def test_tokens_verify_and_resist_forgery() -> None:
    token = TOKENS.issue("x@example.org")
    assert TOKENS.issue("x@example.org") != token  # four random bytes in every nonce
    assert TOKENS.verify(token)
    assert TOKENS.verify(token.upper())
    other_identity = LoopToken(SECRET, "sales@example.org")
    other_secret = LoopToken(b"another secret", "help@example.org")
    assert not other_identity.verify(token)
    assert not other_secret.verify(token)
    nonce, mac = token.split(".")[1:]
    assert not TOKENS.verify(f"lg2.{nonce}.{'0' * 20}")
    assert not TOKENS.verify(f"lg2.{'0' * 24}.{mac}")
    assert not TOKENS.verify("not a token")


@given(st.text(max_size=80))
def test_arbitrary_text_never_verifies(text: str) -> None:
    assert not TOKENS.verify(text)


def test_token_needs_secret_and_identity() -> None:
    from loopguard.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        LoopToken(b"", "x")
    with pytest.raises(ConfigurationError):
        LoopToken(b"k", " ")


def test_sightings() -> None:
    token = TOKENS.issue()
    header = view_of(person(X_Loopguard_Token=token))
    reference = view_of(person(References=f"<{token}@example.org>"))
    body = view_of(person(body=f"> We received it.\n> [ref {token}]\n"))
    assert TOKENS.find(header).where == "header"  # type: ignore[union-attr]
    assert TOKENS.find(reference).where == "reference"  # type: ignore[union-attr]
    assert TOKENS.find(body).where == "body"  # type: ignore[union-attr]
    assert TOKENS.find(view_of(person())) is None


def test_decoys_do_not_hide_a_real_token() -> None:
    decoys = " ".join(f"lg2.{n:024x}.{'0' * 20}" for n in range(10))
    real = TOKENS.issue()
    view = view_of(person(body=f"{decoys}\n{real}\n"))
    assert TOKENS.find(view).token == real  # type: ignore[union-attr]


def test_token_inside_base64_and_a_parsed_message() -> None:
    token = TOKENS.issue()
    quoted = EmailMessage()
    quoted["From"] = "auto@example.net"
    quoted.set_content(f"Out of office.\n> [ref {token}]\n", cte="base64")
    assert TOKENS.find(view_of(quoted)) is not None
    assert TOKENS.find(MessageView.from_message(quoted)) is not None


def test_token_in_an_attached_original() -> None:
    original = stamp(reply(), token=TOKENS, body_token=False)
    wrapper = EmailMessage()
    wrapper["From"] = "MAILER-DAEMON@mx.example.net"
    wrapper.set_content("Delivery failed.")
    wrapper.add_attachment(original)
    parsed = MessageView.from_message(wrapper)
    assert TOKENS.find(parsed).where == "body"  # type: ignore[union-attr]
