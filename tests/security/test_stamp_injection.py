"""stamp() cannot be made to write a header the host did not ask for.

Every value a host passes (``precedence``, the guard's ``identity``) and every value taken
from the incoming mail (Message-ID, In-Reply-To, References) is tried with each line
break the email package knows (it splits on more than CR and LF), NUL, non-ASCII text
and overlong words, under both message classes (compat32 ``Message``, ``EmailMessage``).
"""

from __future__ import annotations

import email
import email.message
import email.policy
from email.message import EmailMessage, Message

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopguard import Guard, HeaderInjectionError
from loopguard.mail.view import MessageView

HELP = "help@example.org"
# Every character str.splitlines() breaks on, plus NUL.
LINE_BREAKS = [
    "\r",
    "\n",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "\x00",
]
MESSAGE_CLASSES = [Message, EmailMessage]
PAYLOAD = "Bcc: victim@example.net"


def new_reply(cls: type[Message]) -> Message:
    reply = cls()
    reply["From"] = HELP
    reply["To"] = "ann@example.com"
    reply["Subject"] = "We received your request"
    reply.set_payload("Thank you.\n")
    return reply


def guard(identity: str | None = None) -> Guard:
    return Guard(own_addresses=[HELP], secret=b"s", identity=identity)


def wire_header_lines(reply: Message) -> list[bytes]:
    """The header block as it goes out, one physical line each."""
    head = reply.as_bytes(policy=reply.policy.clone(linesep="\r\n")).split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def field_names(reply: Message) -> list[str]:
    parsed = email.message_from_bytes(reply.as_bytes(), policy=email.policy.compat32)
    return sorted(name.lower() for name in parsed)


def expected_names(reply: Message) -> list[str]:
    return sorted(name.lower() for name in reply)


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
@pytest.mark.parametrize("newline", LINE_BREAKS)
def test_precedence_with_any_line_break_is_refused(cls: type[Message], newline: str) -> None:
    with pytest.raises(HeaderInjectionError):
        guard().stamp(new_reply(cls), precedence=f"bulk{newline}{PAYLOAD}")


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
@pytest.mark.parametrize("newline", LINE_BREAKS)
def test_identity_with_any_line_break_is_refused(cls: type[Message], newline: str) -> None:
    # The identity's domain becomes our Message-ID's right-hand side.
    with pytest.raises(HeaderInjectionError):
        guard(identity=f"example.org{newline}X-Evil: 1").stamp(new_reply(cls))


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
@pytest.mark.parametrize("value", ["bülk", "bulk\x1b[31m", "bulk\x7f", "b" * 2000])
def test_non_ascii_control_and_overlong_precedence_is_refused(
    cls: type[Message], value: str
) -> None:
    with pytest.raises(HeaderInjectionError):
        guard().stamp(new_reply(cls), precedence=value)


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
def test_overlong_identity_is_refused(cls: type[Message]) -> None:
    with pytest.raises(HeaderInjectionError, match="longer than"):
        guard(identity="help@" + "a" * 1000 + ".example").stamp(new_reply(cls))


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
def test_non_ascii_identity_is_written_as_idna(cls: type[Message]) -> None:
    reply = guard(identity="help@bücher.example").stamp(new_reply(cls))
    assert str(reply["Message-ID"]).endswith("@xn--bcher-kva.example>")
    assert reply.as_bytes().isascii()


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
@pytest.mark.parametrize("newline", LINE_BREAKS)
def test_line_breaks_in_incoming_ids_are_not_copied(cls: type[Message], newline: str) -> None:
    incoming = (
        f"From: a@example.com\nMessage-ID: <x{newline}{PAYLOAD}>\n"
        f"References: <r@example.com{newline}{PAYLOAD}> <ok@example.com>\n\nhi\n"
    ).encode("utf-8", "surrogateescape")
    reply = guard().stamp(new_reply(cls), replying_to=incoming)
    assert field_names(reply) == expected_names(reply)
    assert "bcc" not in field_names(reply)
    assert reply["In-Reply-To"] is None  # the only Message-ID was not well formed


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
def test_non_ascii_and_control_ids_are_not_copied(cls: type[Message]) -> None:
    incoming = (
        "From: a@example.com\nMessage-ID: <ok@example.com>\n"
        "References: <é@example.com> <\x1b[2J@example.com> <\x7f@example.com>"
        " <r@example.com>\n\nhi\n"
    ).encode()
    reply = guard().stamp(new_reply(cls), replying_to=incoming)
    assert str(reply["References"]).split() == ["<r@example.com>", "<ok@example.com>"]
    assert reply.as_bytes().isascii()


@pytest.mark.parametrize("cls", MESSAGE_CLASSES)
def test_long_ids_are_copied_verbatim_and_lines_stay_short(cls: type[Message]) -> None:
    # Gmail's ids often exceed a 78-character line; the default policy used to
    # RFC 2047-encode them, which breaks threading and hides our token in References.
    long_id = "<CA" + "x" * 200 + "@mail.gmail.com>"
    chain = " ".join(f"<id{n}.{'y' * 200}@example.com>" for n in range(40))
    incoming = f"From: a@example.com\nMessage-ID: {long_id}\nReferences: {chain}\n\nhi\n"
    reply = guard().stamp(new_reply(cls), replying_to=incoming.encode())
    wire = reply.as_bytes()
    assert b"=?" not in wire
    assert all(len(line) <= 998 for line in wire_header_lines(reply))
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert str(parsed["In-Reply-To"]).strip() == long_id
    references = str(parsed["References"]).split()
    assert len(references) == 20
    assert references[-1] == long_id


@settings(max_examples=150, deadline=None)
@given(
    cls=st.sampled_from(MESSAGE_CLASSES),
    precedence=st.one_of(st.none(), st.text(max_size=60)),
    message_id=st.text(max_size=120),
    references=st.text(max_size=300),
)
def test_any_values_give_exactly_the_headers_we_set(
    cls: type[Message], precedence: str | None, message_id: str, references: str
) -> None:
    incoming = f"From: a@example.com\nMessage-ID: {message_id}\nReferences: {references}\n\nhi\n"
    view = MessageView.from_bytes(incoming.encode("utf-8", "surrogatepass"))
    reply = new_reply(cls)
    try:
        guard().stamp(reply, replying_to=view, precedence=precedence)
    except HeaderInjectionError:
        assert precedence is not None  # only a host value is ever refused
        return
    wire = reply.as_bytes()
    assert wire.isascii()
    assert field_names(reply) == expected_names(reply)
    assert all(len(line) <= 998 for line in wire_header_lines(reply))
    if precedence is not None:
        parsed = email.message_from_bytes(wire, policy=email.policy.compat32)
        assert parsed["Precedence"] == precedence.strip()
