"""One view of an incoming message, whatever form the host hands it in, parsed at most once."""

from __future__ import annotations

import email.header
import email.message
import os
import re
from functools import cached_property
from typing import Any

from loopguard.mail.address import normalize_address
from loopguard.mail.headers import HeaderBlock, split_headers
from loopguard.mail.mime import parse
from loopguard.mail.parts import Part, walk

__all__ = ["MAX_BODY_BYTES", "MessageView"]

#: The body step reads at most this much of the raw message (performance.md: parsing
#: ``raw[:64 KiB]`` turns 50 ms into 1.6 ms on a 2 MB message; reports fit in it).
MAX_BODY_BYTES = 64 * 1024

# Header blocks larger than this are not handed to the stdlib parser as they are.
_MAX_PARSED_HEADERS = 32 * 1024
_PARSED_HEADER_NAMES = (
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "from",
    "to",
    "subject",
    "return-path",
    "message-id",
    "in-reply-to",
    "references",
)
# Multipart levels the stdlib parser may see; real mail nests a handful.
_MAX_BOUNDARIES = 64
# Parts the stdlib parser may see; a report or a person's mail has a handful.
_MAX_PARTS = 200
# Rules read the start of a subject; decoding a megabyte of encoded words would not pay.
_MAX_SUBJECT = 4096


class MessageView:
    """Headers split without a MIME parse; the body parsed lazily, size-capped, once."""

    def __init__(
        self,
        headers: HeaderBlock,
        *,
        raw: bytes | None = None,
        parsed: email.message.Message | None = None,
        envelope_sender: str | None = None,
    ) -> None:
        self.headers = headers
        self._raw = raw
        self._parsed = parsed
        self.envelope_sender = envelope_sender

    @classmethod
    def from_input(cls, message: object, *, envelope_sender: str | None = None) -> MessageView:
        """Build a view from bytes, str, a Message (any policy), a MailParser or a path.

        Raises:
            TypeError: ``message`` is none of those.
        """
        if isinstance(message, bytes | bytearray | memoryview):
            return cls.from_bytes(bytes(message), envelope_sender=envelope_sender)
        if isinstance(message, str):
            return cls.from_bytes(_text_bytes(message), envelope_sender=envelope_sender)
        if isinstance(message, email.message.Message):
            return cls.from_message(message, envelope_sender=envelope_sender)
        if isinstance(message, os.PathLike):
            with open(message, "rb") as handle:
                return cls.from_bytes(handle.read(), envelope_sender=envelope_sender)
        inner = _mailparser_message(message)
        if inner is not None:
            return cls.from_message(inner, envelope_sender=envelope_sender)
        raise TypeError(
            "classify() takes bytes, str, email.message.Message, mailparser.MailParser or "
            f"an os.PathLike to a .eml file, not {type(message).__name__}"
        )

    @classmethod
    def from_bytes(cls, raw: bytes, *, envelope_sender: str | None = None) -> MessageView:
        """Build a view from the raw RFC 5322 bytes."""
        return cls(split_headers(raw), raw=raw, envelope_sender=envelope_sender)

    @classmethod
    def from_message(
        cls, message: email.message.Message, *, envelope_sender: str | None = None
    ) -> MessageView:
        """Build a view from an already parsed message, reading its raw header values."""
        fields: dict[str, list[str]] = {}
        damage: list[str] = []
        try:
            for name, value in message.raw_items():
                fields.setdefault(name.lower(), []).append(_unfold_value(value))
        except Exception as exc:  # a hostile Message subclass must not break the host
            damage.append(f"headers unreadable: {type(exc).__name__}")
        block = HeaderBlock(fields, 0, tuple(damage))
        return cls(block, parsed=message, envelope_sender=envelope_sender)

    # -- header conveniences -------------------------------------------------------

    def get(self, name: str) -> str | None:
        """First value of a header (name in any case), or ``None``."""
        return self.headers.get(name.lower())

    def get_all(self, name: str) -> list[str]:
        """Every value of a header (name in any case)."""
        return self.headers.get_all(name.lower())

    @cached_property
    def subject(self) -> str:
        """The Subject with RFC 2047 encoded words decoded (best effort, never raises)."""
        return decode_words((self.get("subject") or "")[:_MAX_SUBJECT])

    @cached_property
    def from_address(self) -> str | None:
        """The normalized address of the From header: the bracketed one that mail programs
        answer, whatever the display name before it (``Adler, Ann <a@example.com>`` unquoted,
        or an address posing as a name: ``victim@example.net <a@example.com>``)."""
        value = self.get("from")
        parsed = normalize_address(value)
        if value is None or "<" not in value or f"<{parsed}>" in value.lower():
            return parsed  # (nearly every From: a bare address, or "Name <address>")
        return _bracketed_address(value) or parsed

    @cached_property
    def return_path(self) -> str | None:
        """The raw Return-Path value (``"<>"`` for a null path), or ``None`` when absent."""
        value = self.get("return-path")
        return value.strip() if value is not None else None

    @cached_property
    def sender(self) -> str | None:
        """Who wrote the message: the envelope sender the host gave, else From, else Sender."""
        envelope = normalize_address(self.envelope_sender)
        return envelope or self.from_address or normalize_address(self.get("sender"))

    @cached_property
    def content_type(self) -> tuple[str, dict[str, str]]:
        """Top-level ``(maintype/subtype, params)``, lower-cased; text/plain when absent."""
        return parse_content_type(self.get("content-type"))

    # -- body ------------------------------------------------------------------

    @property
    def has_raw(self) -> bool:
        """Whether the view was built from raw bytes (sizes and offsets are known)."""
        return self._raw is not None

    def body_bytes(self, limit: int = MAX_BODY_BYTES) -> bytes:
        """Up to ``limit`` bytes of the raw body (empty for a parsed Message)."""
        if self._raw is None:
            return b""
        start = self.headers.body_offset
        return self._raw[start : start + limit]

    def header_bytes(self) -> bytes:
        """The raw header block, in its order (empty for a parsed Message)."""
        return b"" if self._raw is None else self._raw[: self.headers.body_offset]

    @cached_property
    def parsed(self) -> email.message.Message:
        """The message as the stdlib (compat32) parses it, at most ``MAX_BODY_BYTES`` of it
        (built by :func:`loopguard.mail.mime.parse`, the same tree at a fraction of the cost).

        A cut multipart only loses its closing boundary, which compat32 tolerates and
        records as a defect.
        """
        if self._parsed is not None:
            return self._parsed
        assert self._raw is not None
        return parse(self._parse_input())

    @cached_property
    def parts(self) -> tuple[Part, ...]:
        """The message's own MIME parts (:func:`~loopguard.mail.parts.walk` of
        :attr:`parsed`), each decoded at most once; raises what :attr:`parsed` raises."""
        return tuple(walk(self.parsed))

    def _parse_input(self) -> bytes:
        """What the stdlib parser gets: bounded headers, a bounded body, bounded nesting.

        The stdlib parser's cost grows with every header line and every nested multipart
        (500 levels take seconds), so hostile shapes are cut before it sees them.
        """
        assert self._raw is not None
        offset = self.headers.body_offset
        body = self._raw[offset : offset + MAX_BODY_BYTES]
        if offset <= _MAX_PARSED_HEADERS:
            head = self._raw[:offset]
        else:
            # A huge header block: the body step needs the MIME headers and the few that
            # name the parties, nothing else.
            head = (
                b"".join(
                    f"{name}: {value[:2000]}\n".encode("utf-8", "surrogateescape")
                    for name in _PARSED_HEADER_NAMES
                    for value in self.headers.get_all(name)[:5]
                )
                + b"\n"
            )
        return head + _cut_nesting(body)


# The first <local@domain> of a header value: what mail programs answer to, whatever the
# display name before it holds. Bounded pieces, no nesting: linear on any input.
_BRACKETED = re.compile(r"<[ \t]*([^<>@\s]{1,64}@[^<>@\s]{1,255})[ \t]*>")


def _bracketed_address(value: str | None) -> str | None:
    if not value or "@" not in value:
        return None
    found = _BRACKETED.search(value[:2048])
    return normalize_address(found.group(1)) if found else None


# Surrogates that "surrogateescape" cannot turn back into bytes: lone halves of a pair, as
# a JSON webhook may deliver them ("\ud83d" without its partner).
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def _text_bytes(text: str) -> bytes:
    """A message given as ``str`` as bytes: bytes decoded with "surrogateescape" come back
    as they were; lone surrogates become U+FFFD, never an error."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8", "surrogateescape")


def _cut_nesting(body: bytes) -> bytes:
    """The body up to its ``_MAX_BOUNDARIES``-th boundary declaration (hostile nesting)
    and its ``_MAX_PARTS``-th part header (thousands of parts)."""
    lowered = body.lower()
    end = min(
        _nth(lowered, b"boundary=", _MAX_BOUNDARIES),
        _nth(lowered, b"content-type:", _MAX_PARTS),
    )
    return body[:end]


def _nth(data: bytes, needle: bytes, count: int) -> int:
    """Offset of the ``count``-th occurrence of ``needle`` (``len(data)`` if fewer)."""
    position = -1
    for _ in range(count):
        position = data.find(needle, position + 1)
        if position == -1:
            return len(data)
    return position


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words, on one line; on failure return the value as it is.

    Every line break (also one an encoded word hides, and VT, FF, NEL, U+2028) becomes
    a space: a header value is one line, and the text reaches logs and terminals in
    reason details.
    """
    return " ".join(_decoded_words(value).splitlines())


def _decoded_words(value: str) -> str:
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:  # undecodable charsets and broken words: keep the raw text
        return value


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """Parse a Content-Type value into ``(type, params)`` without the email package."""
    if not value:
        return "text/plain", {}
    head, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";")[:32]:
        key, sep, val = item.partition("=")
        if sep:
            params[key.strip().lower()] = val.strip().strip('"').lower()
    return head.strip().lower() or "text/plain", params


def _unfold_value(value: Any) -> str:
    text = str(value)
    if "\n" in text:
        text = " ".join(line.strip() for line in text.splitlines())
    return text.strip()


def _mailparser_message(candidate: object) -> email.message.Message | None:
    # Duck-typed so that mail-parser is imported only by hosts that use it.
    if type(candidate).__module__.split(".")[0] != "mailparser":
        return None
    inner = getattr(candidate, "message", None)
    return inner if isinstance(inner, email.message.Message) else None
