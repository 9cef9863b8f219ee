"""Messages as the lab writes and reads them: raw bytes with CRLF line ends, and the few
headers it reads back (compat32, cheaper than the guard's whole decision)."""

from __future__ import annotations

import email.message
import email.utils
import random
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import BytesHeaderParser, BytesParser


@dataclass(frozen=True)
class Mail:
    """A message as it travels: its bytes and the SMTP ``MAIL FROM``."""

    raw: bytes
    envelope_sender: str


def compose(headers: Iterable[tuple[str, str]], body: str, *, content_type: str = "") -> bytes:
    """The raw bytes of a message, CRLF line ends as on the wire."""
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type or 'text/plain; charset=utf-8'}"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def wire_bytes(message: email.message.Message) -> bytes:
    """A single-part message we built, as sent: header lines, blank line, encoded text.

    (email's generator refolds every header through the default policy's registry, which
    costs more than the guard's whole decision.)
    """
    head = "".join(f"{name}: {value}\r\n" for name, value in message.items())
    body = str(message.get_payload()).replace("\r\n", "\n").replace("\n", "\r\n")
    return (head + "\r\n" + body).encode()  # SMTPUTF8 when an address is not ASCII


def new_message_id(rng: random.Random, domain: str) -> str:
    return f"<{rng.getrandbits(80):020x}@{domain}>"


def date_at(now: float) -> str:
    return email.utils.formatdate(now)


def headers_of(raw: bytes) -> email.message.Message:
    # compat32: the lab reads plain ASCII headers it wrote itself, and the default
    # policy's header registry would cost more than the guard's whole decision.
    return BytesHeaderParser().parsebytes(raw)


def header(message: email.message.Message, *names: str) -> str:
    """The first of ``names`` present, unfolded (compat32 keeps the line breaks)."""
    for name in names:
        value = message.get(name)
        if value:
            return " ".join(str(value).split())
    return ""


def text_of(raw: bytes) -> str:
    payload = BytesParser().parsebytes(raw).get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def delivered(mail: Mail, mailbox: str) -> bytes:
    """The message as the mailbox stores it: the MTA adds the envelope as headers."""
    trace = f"Return-Path: <{mail.envelope_sender}>\r\nDelivered-To: {mailbox}\r\n"
    return trace.encode() + mail.raw
