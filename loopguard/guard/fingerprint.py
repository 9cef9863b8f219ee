"""A keyed digest of what the author wrote, for loops whose addresses keep changing.

Two help desks that rewrite senders, or a responder behind a rotating relay, defeat
per-address counters, but they repeat their text. The digest covers the author's own text
(quotes, forwarded blocks and signature cut by
:func:`loopguard.classifier.text.authortext.author_text`),
case-folded, with every word that contains a digit (dates, times, ticket and order
numbers, tracking links) and every weekday and month name folded to one placeholder, so
that "Ticket #4711 received on 3 March" and "Ticket #4712 received on 4 March" match.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from loopguard.classifier.text.authortext import author_text
from loopguard.classifier.text.patterns import PatternSet, fold
from loopguard.mail.view import MessageView

__all__ = ["CALENDAR_WORDS", "content_digest", "normalized_text"]

_NUMBER: Final = "#"
_CALENDAR: Final = "@"
_PLACEHOLDERS: Final = (_NUMBER, _CALENDAR)
#: Weekday and month names folded to one placeholder. English names only: the digest is a
#: loop detector, not a date parser, and a loop repeats itself in one language.
CALENDAR_WORDS: Final = frozenset(
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip
_PUNCTUATION: Final = ".,;:!?()[]{}<>\"'`*_-=/\\|"
_DEFAULT_KEY: Final = b"loopguard content digest"


def normalized_text(text: str) -> str:
    """``text`` case-folded, whitespace collapsed, numbers and calendar words folded."""
    words: list[str] = []
    previous = ""
    for raw in fold(text).split():
        word = raw.strip(_PUNCTUATION)  # punctuation holds no digit: raw has one iff word has
        if word.isalpha():  # letters only, settled in C: most words
            if word in CALENDAR_WORDS:
                word = _CALENDAR
        elif any(map(str.isdigit, word)):  # map() with the C method, not a generator
            word = _NUMBER
        elif not word:
            continue  # punctuation-only tokens ("--", "*") carry nothing
        if word == previous and word in _PLACEHOLDERS:
            continue  # "10 : 30" and "12 05 2026" fold to one placeholder
        words.append(word)
        previous = word
    return " ".join(words)


def content_digest(
    view: MessageView,
    *,
    secret: bytes | None = None,
    patterns: PatternSet | None = None,
    min_chars: int = 20,
) -> str | None:
    """A 128-bit keyed digest of the author's normalized text, or ``None`` when too short.

    Texts with fewer than ``min_chars`` characters besides placeholders and spaces
    ("Thanks!", "OK") are never compared: people repeat those. Never raises.
    """
    try:
        body = author_text(view, patterns=patterns)
    except Exception:  # a body the parser cannot read has no comparable text
        return None
    text = normalized_text(body.text)
    if len(text) - text.count(" ") - text.count(_NUMBER) - text.count(_CALENDAR) < min_chars:
        return None
    key = secret or _DEFAULT_KEY
    return hmac.digest(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256)[:16].hex()
