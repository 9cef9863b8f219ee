"""The author's own words in a message: decoded, reduced to text, quotes and signature cut.

Out-of-office evidence must come from what the sender's software wrote now, not from the
message it quotes: a person answering an auto-reply quotes "I am out of the office" too.
:func:`author_text` never raises; a broken part yields less text, not an exception.
"""

from __future__ import annotations

import email.message
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.text.quotes import cut_author_part
from loopguard.mail.html import html_to_text
from loopguard.mail.parts import Part, walk
from loopguard.mail.view import MessageView

__all__ = ["BodyText", "author_text"]


@dataclass(frozen=True, slots=True)
class BodyText:
    """The author's part of a message body.

    Attributes:
        text: The author's own top part, quotes, forwarded blocks and signature cut.
        quoted: A quote, quote header or forwarded block was cut.
        forwarded: The cut started at a forward marker ("Forwarded message" …).
        truncated: The decoded body was longer than ``max_chars`` and was cut first.
        html_only: The text came from a text/html part (no text/plain part, or an empty one).
        charset: The codec that decoded the part, or ``None`` when there was no text part.
    """

    text: str
    quoted: bool = False
    forwarded: bool = False
    truncated: bool = False
    html_only: bool = False
    charset: str | None = None


def author_text(
    msg: email.message.Message | MessageView,
    *,
    max_chars: int = 20_000,
    patterns: PatternSet | None = None,
) -> BodyText:
    """Extract the author's own text from a parsed message or a view; never raises.

    Picks the first inline text/plain part (else the first text/html, reduced to text),
    decodes its transfer encoding and charset, then keeps the part above the first quote,
    quote header, forwarded block or signature. Given a
    :class:`~loopguard.mail.view.MessageView`, it reads the parts the view has already
    walked and decoded.

    Args:
        msg: A parsed message (any policy; may be truncated or malformed), or a view.
        max_chars: Decoded characters kept before cutting; the rest is ignored.
        patterns: Language data for quote and forward markers; the packaged default if None.

    Returns:
        The author's text and what was cut.
    """
    patterns = patterns or default_patterns()
    try:
        parts = msg.parts if isinstance(msg, MessageView) else tuple(walk(msg))
        plain, html = _text_parts(parts)
    except Exception:  # a hostile structure must yield "no text", never a crash
        return BodyText("")
    decoded, codec = plain.text() if plain else ("", None)
    html_only = False
    if not decoded.strip() and html is not None:
        # No text/plain, or an empty one beside the real HTML body (some clients send that).
        markup, codec = html.text()
        decoded = html_to_text(markup[: max_chars * 4], limit=max_chars)
        html_only = True
    truncated = len(decoded) > max_chars
    # Composed accents, as the phrases are written: Windows-1258 Vietnamese and some Mac
    # clients send base letters followed by combining marks.
    cut = cut_author_part(unicodedata.normalize("NFC", decoded[:max_chars]), patterns)
    return BodyText(
        text=cut.text,
        quoted=cut.quoted,
        forwarded=cut.forwarded,
        truncated=truncated,
        html_only=html_only,
        charset=codec,
    )


def _text_parts(parts: Sequence[Part]) -> tuple[Part | None, Part | None]:
    """The first inline text/plain and the first inline text/html part, in document order.

    Attached or quoted messages (compat32 calls them multipart) are not the author's.
    """
    plain: Part | None = None
    html: Part | None = None
    for part in parts:
        if not part.is_leaf or part.content_type.startswith("message/") or part.is_attachment:
            continue
        if part.content_type == "text/plain" and plain is None:
            plain = part
        elif part.content_type == "text/html" and html is None:
            html = part
        if plain is not None and html is not None:
            break
    return plain, html
