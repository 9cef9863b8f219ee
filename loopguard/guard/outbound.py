"""Outgoing automatic mail that cannot start a loop: RFC 3834 marks and a loop token.

The loop token is ``lg2.<nonce>.<mac>``: the MAC is a keyed HMAC-SHA256 over our identity
and the nonce. The nonce holds the time the token was issued, a binding tag (a keyed MAC
of that time and the address the mail was sent to) and four random bytes. Only the
holder of the secret can make one that :meth:`LoopToken.verify` accepts (in constant
time), so two systems using loopguard each recognise only their own mail, and nobody can
make a person's mail look like ours; :meth:`LoopToken.binds` says whether a token was sent
to a given address, and how long ago, so a bounce that replays one token cannot name
another address. The token travels in ``X-Loopguard-Token``, in the
Message-ID we generate (so bounces and replies that cite it carry it) and, optionally, as
one line at the end of the text (so an auto-reply that quotes us carries it too).
"""

from __future__ import annotations

import email.charset
import email.message
import email.policy
import hmac
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

from loopguard.errors import ConfigurationError, LoopguardError
from loopguard.mail.address import normalize_address
from loopguard.mail.parts import walk
from loopguard.mail.view import MAX_BODY_BYTES, MessageView

__all__ = [
    "TOKEN_HEADER",
    "HeaderInjectionError",
    "LoopToken",
    "MessageT",
    "ReplyKind",
    "TokenSighting",
    "stamp",
]

TOKEN_HEADER: Final = "X-Loopguard-Token"  # noqa: S105 (a header name, not a secret)
ReplyKind = Literal["auto_replied", "auto_generated"]
_AUTO_SUBMITTED: Final[dict[str, str]] = {
    "auto_replied": "auto-replied",
    "auto_generated": "auto-generated",
}
_NONCE_BYTES: Final = 12  # issue time (4), binding tag (4), random (4)
_TAG_BYTES: Final = 4  # a replayed token names another address with odds of 2**-32
_MAC_BYTES: Final = 10  # 80 bits: forging one needs ~2**79 tries against a live host
_CLOCK_SKEW: Final = 300.0  # seconds a token may seem to come from the future
_TOKEN: Final = re.compile(rb"lg2\.([0-9a-f]{24})\.([0-9a-f]{20})", re.IGNORECASE)
# Copied ids are printable ASCII (RFC 5322 msg-id): no line break, control or 8-bit byte.
_MSG_ID: Final = re.compile(r"<[!-;=?-~]{1,250}>")
# Every value we set is a protocol token: printable ASCII and spaces. A line break of any
# kind (the email package also splits on VT, FF, FS..RS, NEL, LS, PS), NUL or non-ASCII
# text would inject a header or be RFC 2047-encoded into garbage.
_UNSAFE_CHAR: Final = re.compile(r"[^ -~]")
_MAX_WORD: Final = 900  # RFC 5322 2.1.1: a line holds 998 characters, the field name included
_ID_FIELDS: Final = frozenset({"In-Reply-To", "References"})
_MAX_REFERENCES: Final = 20  # RFC 5322 3.6.4 lets senders trim the list; keep it bounded
_MAX_SIGHTINGS: Final = 32  # tokens tried per message: decoys cannot make us loop forever
_MAX_PARTS: Final = 100
_HEADER_FIELDS: Final = ("x-loopguard-token", "message-id")
_REFERENCE_FIELDS: Final = ("in-reply-to", "references")

#: Any message class: ``stamp`` returns what it was given.
MessageT = TypeVar("MessageT", bound=email.message.Message)


class HeaderInjectionError(LoopguardError, ValueError):
    """A header value we were asked to set contains CR or LF (or any other line break,
    a control or non-ASCII character), or a word too long for one header line."""


@dataclass(frozen=True, slots=True)
class TokenSighting:
    """Where a valid token of ours was found in an incoming message.

    Attributes:
        where: ``"header"`` (the message's own X-Loopguard-Token or Message-ID: our mail
            itself came back, e.g. redirected by a forwarding rule), ``"reference"``
            (In-Reply-To/References: an answer to our mail) or ``"body"`` (quoted text
            or a returned original inside a bounce).
        token: The token.
    """

    where: Literal["header", "reference", "body"]
    token: str


class LoopToken:
    """Issues and recognises this installation's loop tokens.

    Args:
        secret: The HMAC key; keep it stable and private.
        identity: Who we are (a host name or our main address); part of the MAC, so one
            secret can serve several identities without them recognising each other.

    Raises:
        ConfigurationError: An empty secret or identity.
    """

    def __init__(self, secret: bytes | str, identity: str) -> None:
        if not secret:
            raise ConfigurationError("a loop token needs a non-empty secret")
        if not identity or not identity.strip():
            raise ConfigurationError("a loop token needs a non-empty identity")
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        self._key = hmac.digest(key, b"loopguard token\0" + identity.encode(), "sha256")
        self.identity = identity

    def issue(self, recipient: str | None = None, *, at: float | None = None) -> str:
        """A new token for mail to ``recipient`` (its normalized address), issued ``at``
        (wall-clock seconds, now by default)."""
        issued = int(time.time() if at is None else at).to_bytes(4, "big")
        nonce = issued + self._tag(issued, recipient) + secrets.token_bytes(4)
        return f"lg2.{nonce.hex()}.{self._mac(nonce).hex()}"

    def verify(self, token: str) -> bool:
        """Whether ``token`` was issued with this secret and identity (constant time)."""
        return self._nonce(token) is not None

    def binds(self, token: str, recipient: str, *, now: float, max_age: float) -> bool:
        """Whether ``token`` is ours, was issued for mail to ``recipient`` (normalized)
        and at most ``max_age`` seconds before ``now``."""
        nonce = self._nonce(token)
        if nonce is None:
            return False
        issued, tag = nonce[:4], nonce[4 : 4 + _TAG_BYTES]
        age = now - int.from_bytes(issued, "big")
        fresh = -_CLOCK_SKEW <= age <= max_age
        return fresh and hmac.compare_digest(tag, self._tag(issued, recipient))

    def _nonce(self, token: str) -> bytes | None:
        """The nonce of a valid token of ours, else None."""
        match = _TOKEN.fullmatch(token.strip().encode("ascii", "replace"))
        if match is None:
            return None
        nonce = bytes.fromhex(match[1].decode())
        valid = hmac.compare_digest(self._mac(nonce).hex(), match[2].decode().lower())
        return nonce if valid else None

    def _tag(self, issued: bytes, recipient: str | None) -> bytes:
        material = b"to\0" + issued + (recipient or "").encode("utf-8", "surrogatepass")
        return hmac.digest(self._key, material, "sha256")[:_TAG_BYTES]

    def find(self, view: MessageView, *, decode: bool = True) -> TokenSighting | None:
        """The strongest sighting of a valid token of ours in an incoming message.

        Headers of the message itself beat references, which beat the body (see
        :meth:`find_in_headers` and :meth:`find_in_body`).
        """
        return self.find_in_headers(view) or self.find_in_body(view, decode=decode)

    def answered_by(self, view: MessageView) -> bool:
        """Whether ``view`` answers one of our automatic answers: a valid token of ours in
        its In-Reply-To (the message it replies to), not merely somewhere in its thread."""
        parent = view.get("in-reply-to")
        if not parent:
            return False
        return self._first_valid(parent.encode("utf-8", "surrogateescape")) is not None

    def find_in_headers(self, view: MessageView) -> TokenSighting | None:
        """A token in the message's own headers, else in its references; cheap."""
        for where, fields in (("header", _HEADER_FIELDS), ("reference", _REFERENCE_FIELDS)):
            for name in fields:
                for value in view.get_all(name):
                    token = self._first_valid(value.encode("utf-8", "surrogateescape"))
                    if token is not None:
                        return TokenSighting(where, token)  # type: ignore[arg-type]
        return None

    def find_in_body(self, view: MessageView, *, decode: bool = True) -> TokenSighting | None:
        """A token in the body: quoted text, a returned original or its headers.

        ``decode`` false reads only the raw body, never decoding base64 or
        quoted-printable parts (which needs a MIME parse).
        """
        for chunk in _body_chunks(view, decode=decode):
            token = self._first_valid(chunk)
            if token is not None:
                return TokenSighting("body", token)
        return None

    def _first_valid(self, data: bytes) -> str | None:
        if b"lg2." not in data and b"LG2." not in data:
            return None
        for count, match in enumerate(_TOKEN.finditer(data)):
            if count == _MAX_SIGHTINGS:
                break
            token = match[0].decode("ascii").lower()
            if self.verify(token):
                return token
        return None

    def _mac(self, nonce: bytes) -> bytes:
        return hmac.digest(self._key, nonce, "sha256")[:_MAC_BYTES]


def _body_chunks(view: MessageView, *, decode: bool) -> Iterator[bytes]:
    """The raw body, then (when it may hide the token in base64 or quoted-printable, or
    when only a parsed message was given) every decoded part and attached header block."""
    raw = view.body_bytes()
    yield raw
    if view.has_raw and not decode:
        return
    lowered = raw.lower() + (view.get("content-transfer-encoding") or "").lower().encode()
    if view.has_raw and b"base64" not in lowered and b"quoted-printable" not in lowered:
        return
    try:
        yield from _decoded_parts(view.parsed)
    except Exception:  # a hostile structure yields nothing more, never an error
        return


def _decoded_parts(message: email.message.Message) -> Iterator[bytes]:
    for part in walk(message, limit=_MAX_PARTS, enter_attached=True):
        if part.depth > 0:
            # An attached original (message/rfc822) is a Message: its own headers count.
            for name in _HEADER_FIELDS:
                value = part.message.get(name)
                if value:
                    yield str(value).encode("utf-8", "surrogateescape")
        if part.is_leaf:
            yield part.payload[:MAX_BODY_BYTES]


def stamp(
    reply: MessageT,
    *,
    token: LoopToken | None,
    replying_to: MessageView | None = None,
    kind: ReplyKind = "auto_replied",
    precedence: str | None = None,
    body_token: bool = True,
    at: float | None = None,
) -> MessageT:
    """Mark an outgoing automatic message so that it cannot start or feed a loop.

    Sets ``Auto-Submitted`` (RFC 3834), ``X-Auto-Response-Suppress: All``, ``In-Reply-To``
    and ``References`` when answering ``replying_to``, ``Precedence`` only when asked, and
    the loop token, issued ``at`` (now by default) for the reply's first To address: in
    ``X-Loopguard-Token``, in the Message-ID when the reply has none, and (``body_token``)
    as a last line of each text part. Existing values of these headers are replaced. The
    message is changed in place and returned.

    Raises:
        HeaderInjectionError: A value we would set contains a line break, NUL, control or
            non-ASCII character, or a word over 900 characters.
        ValueError: An unknown ``kind``.
    """
    if kind not in _AUTO_SUBMITTED:
        raise ValueError(f"kind must be 'auto_replied' or 'auto_generated', not {kind!r}")
    _replace(reply, "Auto-Submitted", _AUTO_SUBMITTED[kind])
    _replace(reply, "X-Auto-Response-Suppress", "All")
    if precedence is not None:
        _replace(reply, "Precedence", precedence)
    if replying_to is not None:
        _thread(reply, replying_to)
    if token is None:
        return reply
    value = token.issue(normalize_address(str(reply.get("To") or "")), at=at)
    if reply.get("Message-ID") is None:
        domain = _ascii_domain(token.identity.rpartition("@")[2] or token.identity)
        _replace(reply, "Message-ID", f"<{value}@{domain}>")
    _replace(reply, TOKEN_HEADER, value)
    if body_token:
        _append_to_text_parts(reply, value)
    return reply


def _replace(message: email.message.Message, name: str, value: str) -> None:
    unsafe = _UNSAFE_CHAR.search(value)
    if unsafe is not None:
        what = "CR or LF" if unsafe[0] in "\r\n" else f"character {unsafe[0]!r}"
        raise HeaderInjectionError(f"{name}: {what} in header value {value[:200]!r}")
    if any(len(word) > _MAX_WORD for word in value.split()):
        raise HeaderInjectionError(f"{name}: a word longer than {_MAX_WORD} characters")
    # Surrounding blanks mean nothing in a header, and policies disagree on keeping them.
    value = value.strip()
    del message[name]
    if name in _ID_FIELDS and isinstance(message.policy, email.policy.EmailPolicy):
        message[name] = _FoldedIds(name, value)
    else:
        message[name] = value


class _FoldedIds(str):
    """Message ids written as they are, one per line.

    The default policy RFC 2047-encodes every word that does not fit a 78-character line,
    and many real ids do not (Gmail's, ours under a long domain): the encoded id no longer
    threads, and our token in it is no longer found.
    """

    name: str

    def __new__(cls, name: str, value: str) -> _FoldedIds:
        folded = super().__new__(cls, value)
        folded.name = name
        return folded

    def fold(self, *, policy: email.policy.Policy) -> str:
        """The header as the generator writes it (the email package's header protocol)."""
        return f"{self.name}: " + f"{policy.linesep} ".join(self.split()) + policy.linesep


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # not a domain IDNA can write: _replace refuses it
        return domain


def _thread(reply: email.message.Message, original: MessageView) -> None:
    # Only well-formed ids from the incoming mail are copied: its text is not ours to trust.
    parent = _MSG_ID.findall(original.get("message-id") or "")[:1]
    if not parent:
        return
    ancestors = _MSG_ID.findall(original.get("references") or "")
    if not ancestors:
        ancestors = _MSG_ID.findall(original.get("in-reply-to") or "")[:1]
    chain = [*ancestors, *parent]
    if len(chain) > _MAX_REFERENCES:
        chain = [chain[0], *chain[-(_MAX_REFERENCES - 1) :]]
    _replace(reply, "In-Reply-To", parent[0])
    _replace(reply, "References", " ".join(chain))


def _append_to_text_parts(message: email.message.Message, token: str) -> None:
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.get_filename() or part.get("Content-Disposition", "").startswith("attachment"):
            continue
        subtype = part.get_content_subtype()
        if subtype not in ("plain", "html"):
            continue
        charset = part.get_content_charset() or "utf-8"
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        try:
            text = data.decode(charset)
        except (LookupError, ValueError):  # unknown, undecodable, a NUL in the name
            charset, text = "utf-8", data.decode("utf-8", "replace")
        line = f"\n[ref {token}]\n" if subtype == "plain" else f"\n<p>[ref {token}]</p>\n"
        del part["Content-Transfer-Encoding"]
        part.set_payload(text + line, charset=_output_charset(charset, text + line))


def _output_charset(charset: str, text: str) -> email.charset.Charset:
    # Quoted-printable (not base64) keeps the token readable in the raw text, where a
    # plain search finds it again without decoding.
    if text.isascii():
        return email.charset.Charset("us-ascii")
    try:
        # An ASCII-incompatible charset (UTF-16, UTF-32) would hide the token's bytes.
        name = charset if text.encode(charset) and "a".encode(charset) == b"a" else "utf-8"
    except (LookupError, ValueError):
        name = "utf-8"
    result = email.charset.Charset(name)
    if result.body_encoding == email.charset.BASE64:
        result.body_encoding = email.charset.QP
    return result
