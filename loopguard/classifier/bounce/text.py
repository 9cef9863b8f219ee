"""Non-RFC bounces: failure phrases and the addresses beside them, in the report's own text.

Many MTAs (qmail, Exim text mode, Domino, GroupWise, carrier gateways) send a plain
message instead of an RFC 3464 report. This reads the report's own text parts (never the
returned original) and finds the failure statement and the recipients it names.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from loopguard.classifier.text.anyof import AnyOf
from loopguard.classifier.text.patterns import has_case_twins
from loopguard.mail.address import normalize_address
from loopguard.mail.html import strip_tags
from loopguard.mail.parts import Part

__all__ = ["TextBounce", "mentions_failure", "names_mail", "read_text_bounce", "report_text"]

_MAX_TEXT = 32 * 1024
_THOROUGH_WINDOW = 16 * 1024
_STRICT_WINDOW = 4 * 1024

# Statements of a delivery failure (Postfix, Exim, qmail, Sendmail, Exchange, Domino,
# GroupWise, carrier gateways; RFC 3463 enhanced codes; RFC 5321 5yz replies). Literal
# alternatives and bounded gaps only: linear time on any input.
_FAILURE = AnyOf(
    (
        r"could ?n[o']t be delivered",
        "undeliverable",
        "undelivered",
        r"delivery (?:has )?failed",
        r"delivery to the following recipients? failed",
        r"permanent(?:ly)? (?:error|fatal|failure)",
        "fatal error",
        "user unknown",
        "unknown user",
        "unknown recipient",
        r"no such (?:user|mailbox|address|recipient|account)",
        r"mailbox (?:is )?(?:full|unavailable|not found|does not exist)",
        "over quota",
        "quota exceeded",
        r"does ?n[o']t exist",
        r"not a valid (?:user|recipient|mailbox|address)",
        r"invalid (?:recipient|address|user|mailbox)",
        r"recipient (?:address )?rejected",
        "address rejected",
        r"relay(?:ing)? denied",
        "host unknown",
        "host not found",
        r"message (?:was )?rejected",
        "was not delivered",
        "not be delivered",
        "failed to deliver",
        "unable to deliver",
        "could not deliver",
        r"delivery to [^\n]{0,80}? failed",
        "returned to sender",
        "rejected your message",
        "refused to accept",
        "delivery error",
        r"account (?:has been )?(?:disabled|suspended|expired)",
        "user not found",
        "recipient not found",
        "not our customer",
        "hop count exceeded",
        "mail loop",
        "rejected by",
        r"following (?:addresses|recipients) (?:had|have|were|was)",
        r"failure reasons?",
        "not listed in",
        r"are not (?:a )?member",
        "non-member",
        "loop alert",
        "duplicated message-id",
        "no valid recipients",
        "unzustellbar",
        "nicht zugestellt",
        r"konnte nicht (?:an [^\n.]{1,60}? )?zugestellt",
        r"n'a pas pu être (?:remis|distribué)",
        r"adresse (?:inconnue|invalide)",
        "no se pudo entregar",
        "non è stato possibile recapitare",
        "kon niet worden bezorgd",
        "не может быть доставлено",
        "не доставлено",
        "送信できませんでした",
        "配信できませんでした",
        "宛先不明",
        "無法傳遞",
        "无法投递",
    )
)
# RFC 3463 enhanced status codes and RFC 5321 5yz replies: failure statements too, but
# only where other evidence says the message is a report (an invoice says "550 EUR").
# A 5yz reply is followed by its text or an enhanced code, never by more digits: "555 0120"
# is a telephone number.
_CODES = re.compile(r"\b[45]\.[0-7]\.\d{1,3}\b|(?<![\d.])\b5[05][0-7][ -](?!\d{2})")
# Where the returned original begins: nothing after this is the report's own text.
_ORIGINAL = re.compile(
    r"^(?:[ \t]*-{2,}[^\n]{0,20}(?:original|returned message|unsent message|copy of)"
    r"|[ \t]*(?:the )?original message (?:follows|below|is attached)"
    r"|[ \t]*this is a copy of the message|[ \t]*below this line is a copy"
    r"|[ \t]*original mail as follows|[ \t]*included is the original"
    r"|[ \t]*unsent message (?:below|follows)|[ \t]*message headers follow"
    r"|(?:return-path|received):\s)",
    re.IGNORECASE | re.MULTILINE,
)
# Words (lower case) every match of _ORIGINAL holds one of, on the line it starts: "copy"
# stands for "copy of" and "below this line is a copy".
_ORIGINAL_WORDS = (
    "original",
    "returned message",
    "unsent message",
    "copy",
    "message headers follow",
    "return-path",
    "received",
)
_ADDRESS = re.compile(r"[\w.+=-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# SMTP transcripts name the failed recipient after RCPT TO.
_RCPT = re.compile(r"rcpt to:\s*<?([\w.+=-]{1,64}@[\w.-]{1,253})", re.IGNORECASE)
# Lines that name the sender or the message, never a recipient ("Absender", "Expéditeur",
# "Message-ID: <...@host>" looks like an address).
_SENDER_LINE = re.compile(
    r"\s*(?:>>>\s*)?(?:mail from|from|sender|reply-to|return-path|message-id|in-reply-to"
    r"|references|absender|von|expéditeur|de|remitente|mittente|afzender|van|nadawca"
    r"|отправитель|от|差出人|发件人)(?:\s*\([^)\n]{0,40}\))?\s*:",
    re.I,
)
# Mail systems name themselves beside the failure; they are not the failed recipients.
_REPORTER_LOCAL = re.compile(r"(?:mailer-?daemon|postmaster|post_master|mail-?daemon)", re.I)


@dataclass(frozen=True, slots=True)
class TextBounce:
    """What the report's own text says."""

    failure: str | None
    """The first failure statement found, or ``None``."""
    recipients: frozenset[str]
    """Addresses named beside the failure statements."""


# What a mail system's failure statement is about: a message, its recipients, a mailbox.
# A person's "my parcel was not delivered" names none of them.
_MAIL_TERMS = re.compile(
    r"\b(?:e-?mail|mail|message|recipients?|address(?:es)?|mailbox|user)"
    r"|nachricht|e-mail|empfänger|adresse|postfach|destinataire|courriel|messaggio"
    r"|destinatari|mensaje|bericht|ontvanger|wiadomo|adresat|сообщени|письм|адрес"
    r"|邮件|郵件|メール|宛先",
    re.IGNORECASE,
)


_CLAUSE_END = re.compile(r"[,;!?()]|[.:](?!\S)")


# A failure "to you": a content filter telling the reader a message for them was held
# (amavis: "Sie wurde Ihnen NICHT zugestellt"), not a report on mail the reader sent.
_TO_READER = re.compile(
    r"(?:not|n[o']t be|never) (?:been )?delivered to you\b|\bihnen (?:\w+ ){0,2}zugestellt"
    r"|ne vous a pas été (?:remis|distribué)|niet aan u (?:afgeleverd|bezorgd)"
    r"|no (?:se )?le ha sido entregad",
    re.IGNORECASE,
)
# A field line repeating the original's subject: the words in it are the original's.
_SUBJECT_LINE = re.compile(
    r"\s*(?:subject|betreff|objet|asunto|oggetto|onderwerp|temat|assunto|ämne|emne"
    r"|тема|件名|主题|主旨)\s*:",
    re.IGNORECASE,
)


def _states_failure(line: str) -> bool:
    """Whether a line holding a failure phrase states a failure of the reader's mail."""
    return not (_SUBJECT_LINE.match(line) or _TO_READER.search(line))


def names_mail(statement: str) -> bool:
    """Whether a failure statement is about mail (a message, a recipient, a mailbox): the
    clause that states the failure names one."""
    line = statement[:500].lower()
    found = _FAILURE.search(line)
    if found is None:
        return False
    start = max((m.end() for m in _CLAUSE_END.finditer(line, 0, found.start())), default=0)
    end = _CLAUSE_END.search(line, found.end())
    return _MAIL_TERMS.search(line[start : end.start() if end else len(line)]) is not None


def mentions_failure(raw: bytes) -> bool:
    """Whether raw (undecoded) body bytes state a delivery failure in words: a cheap
    pre-check before a weak bounce candidate is parsed at all."""
    return _FAILURE.search(raw.decode("utf-8", "replace").lower()) is not None


def read_text_bounce(
    parts: Sequence[Part], *, exclude: frozenset[str], strict: bool = False
) -> TextBounce:
    """Find a failure statement and the failed recipients in the report's own text.

    Args:
        parts: the parts of the (size-capped) parsed bounce candidate.
        exclude: normalized addresses that cannot be failed recipients (the report's
            own From and To: the original sender).
        strict: only failures stated in words count, not bare status codes.
    """
    # Reports state the failure at the top; weak candidates (a no-reply newsletter) get
    # a shorter look so that they cost little.
    text = report_text(parts)[: _STRICT_WINDOW if strict else _THOROUGH_WINDOW]
    recipients: set[str] = set()
    for rcpt in _RCPT.findall(text):
        recipients.update(_addresses(rcpt, exclude))
    hits = _FAILURE.starts(text.lower() if text.isascii() else _lowered(text))
    if not strict:
        hits += [m.start() for m in _CODES.finditer(text)]
    if not hits:
        return TextBounce(None, frozenset(recipients))
    lines = text.splitlines()
    starts = _line_starts(text)
    failure: str | None = None
    for index in sorted({bisect.bisect_right(starts, hit) - 1 for hit in hits})[:50]:
        if not _states_failure(lines[index]):
            continue
        failure = failure or lines[index].strip()[:160]
        for nearby in lines[max(0, index - 3) : index + 4]:
            recipients.update(_addresses(nearby, exclude))
    return TextBounce(failure, frozenset(recipients))


def _lowered(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _line_starts(text: str) -> list[int]:
    # Offsets where each line of text.splitlines() starts; ignoring the rarer line
    # separators (form feed, \x1c...) only shifts which neighbours are read.
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def _addresses(line: str, exclude: frozenset[str]) -> Iterator[str]:
    if _SENDER_LINE.match(line):
        return
    for raw in _ADDRESS.findall(line):
        address = normalize_address(raw.strip(".=-"))
        if address and address not in exclude and not _REPORTER_LOCAL.match(address):
            yield address


def report_text(parts: Sequence[Part], *, every_alternative: bool = False) -> str:
    """The decoded text of a report's own text parts, up to the returned original.

    Of a multipart/alternative only the plain-text rendering is read, unless
    ``every_alternative`` (a newsletter's footer may exist in its HTML only).
    """
    chunks: list[str] = []
    size = 0
    for part in _own_text_parts(parts, every_alternative):
        text = part.text()[0][: _MAX_TEXT * 2]
        if part.content_type == "text/html":
            text = _html_lines(text)
        cut = _cut_original(text)
        chunks.append(cut)
        size += len(cut)
        if size >= _MAX_TEXT or len(cut) < len(text):
            break
    return "\n".join(chunks)[:_MAX_TEXT]


def _own_text_parts(parts: Sequence[Part], every_alternative: bool) -> Iterator[Part]:
    # Never message/* or rfc822-headers parts: those hold the returned original, whose
    # addresses are not failures.
    for part in parts:
        ctype = part.content_type
        if not (part.preferred or every_alternative) or not part.is_leaf:
            continue
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            continue
        if ctype.partition("/")[0] in ("text", "multipart") or (
            ctype == "application/octet-stream" and part.depth == 0
        ):
            # A multipart whose boundary did not parse holds its parts as plain text.
            yield part


def _html_lines(markup: str) -> str:
    """HTML as lines of text, cheaply: block tags end a line (so an Outlook quote header,
    "<b>Von:</b> … <br><b>Gesendet:</b> …", is a block of field lines the quote cut finds),
    other tags become spaces, entities their characters."""
    return html.unescape(strip_tags(_BLOCK_END.sub("\n", markup)))


# A tag that ends a line of text in an HTML rendering; bounded, so linear on any input.
_BLOCK_END = re.compile(
    r"<(?:br|hr|/?(?:p|div|tr|li|h[1-6]|table|blockquote))\b[^<>]{0,500}>", re.IGNORECASE
)


def _cut_original(text: str) -> str:
    start = _original_start(text)
    return text if start is None else text[:start]


def _original_start(text: str) -> int | None:
    """Where ``_ORIGINAL.search(text)`` matches: tried only at the starts of the lines that
    hold one of its words (the search itself tries every position of up to 64 KB, about 1 ms
    on 23 KB of newsletter text, for a match that is seldom there)."""
    lowered = text.lower()
    if len(lowered) != len(text) or has_case_twins(lowered, "".join(_ORIGINAL_WORDS)):
        found = _ORIGINAL.search(text)  # folding moved offsets or hides a match
        return None if found is None else found.start()
    for start in sorted({lowered.rfind("\n", 0, hit) + 1 for hit in _hits(lowered)}):
        if _ORIGINAL.match(text, start):
            return start
    return None


def _hits(lowered: str) -> Iterator[int]:
    for word in _ORIGINAL_WORDS:
        hit = lowered.find(word)
        while hit != -1:
            yield hit
            hit = lowered.find(word, hit + 1)
