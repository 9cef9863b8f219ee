"""Auto-reply evidence in a subject: a localized prefix ("Automatic reply:", "自動応答:"), a
marker at its end ("(Automatic Response)"), or a prefix behind reply prefixes."""

from __future__ import annotations

import functools
import re

from loopguard.classifier.text.patterns import PatternSet, fold, language_of
from loopguard.classifier.verdict import Category, Reason

__all__ = [
    "SUBJECT_PREFIX_CONFIDENCE",
    "SUBJECT_QUOTED_CONFIDENCE",
    "SUBJECT_SUFFIX_CONFIDENCE",
    "starts_like",
    "subject_evidence",
]

#: An auto-reply prefix at the very start of the subject ("Automatic reply: …").
SUBJECT_PREFIX_CONFIDENCE = 0.85
#: An auto-reply marker at the end of the subject ("… (Automatic Response)", AOL style).
SUBJECT_SUFFIX_CONFIDENCE = 0.6
#: The prefix only after reply/forward prefixes ("Re: Automatic reply: …"): a person may be
#: answering or forwarding an auto-reply, so this never decides alone.
SUBJECT_QUOTED_CONFIDENCE = 0.3
_DETAIL_CHARS = 120
# A suffix marker sits in the last few words; never scan a megabyte subject for it.
_SUFFIX_WINDOW = 200
# Gateways add a tag or two ("[EXTERNAL]", "[SPAM]"); more than this is not a real subject.
_MAX_TAGS = 10
# A subject's first word, as prefixes are compared: behind an opening bracket, up to a space,
# a colon, a dash, a bracket or a bar (bounded, so linear on any subject).
_MAX_FIRST_WORD = 40
_FIRST_WORD = re.compile(
    rf"(?:[\[(【「]\s*+){{0,2}}([^\s:：\-–—|\]\)】」\[(【「]{{1,{_MAX_FIRST_WORD + 1}}})"
)
# Apostrophes, and letters the regex engine's case folding takes as another ("I" for "ı").
_SAME_LETTERS = str.maketrans({"’": "'", "‘": "'", "`": "'", "ı": "i", "ſ": "s"})
# Every AOL-style suffix closes a bracket ("(Automatic Response)", "[Auto-Reply]").
_SUFFIX_ENDS = frozenset(")]）】")


def subject_evidence(subject: str, patterns: PatternSet) -> Reason | None:
    """Find an auto-reply prefix in an (RFC 2047-decoded) subject.

    Reply and forward prefixes in every loaded language are skipped first, however many
    there are; the walk is linear in the subject's length.

    Args:
        subject: The decoded subject.
        patterns: The compiled language data.

    Returns:
        ``subject-autoreply-prefix`` (confidence 0.85) for a prefix at the very start,
        ``subject-quoted-autoreply`` (0.3) for one behind reply/forward prefixes,
        ``subject-autoreply-suffix`` (0.6, or 0.3 when quoted) for an AOL-style marker at the
        end, or ``None``.
    """
    text = subject.strip()
    match, replies = _skip_reply_prefixes(text, patterns)
    if match:
        rule, confidence = _prefix_rule(replies)
        return _subject_reason(rule, confidence, text, language_of(match))
    suffix = (
        patterns.autoreply_subject_suffix.search(text[-_SUFFIX_WINDOW:])
        if text[-1:] in _SUFFIX_ENDS
        else None
    )
    if suffix:
        # An AOL-style responder adds one "Re:" itself; more than one means a person replied.
        quoted = replies > 1
        rule = "subject-quoted-autoreply" if quoted else "subject-autoreply-suffix"
        confidence = SUBJECT_QUOTED_CONFIDENCE if quoted else SUBJECT_SUFFIX_CONFIDENCE
        return _subject_reason(rule, confidence, text, language_of(suffix))
    return None


def _skip_reply_prefixes(text: str, patterns: PatternSet) -> tuple[re.Match[str] | None, int]:
    """Walk past "Re: AW: [tag] Fwd:" …; returns the auto-reply prefix found where the walk
    stopped (or ``None``) and the replies seen.

    The count saturates at 2: callers only ask "none, one, or several". A run of reply
    prefixes is consumed by one possessive regex, so 100k of them cost one C-level match.
    The auto-reply prefix is tried first at each step, so "[Automatyczna odpowiedź] …" is
    never skipped as a tag.
    """
    position = replies = tags = 0
    starts = _first_words(patterns, "autoreply_subjects")
    reply_starts = _first_words(patterns, "reply_prefixes")
    while position < len(text):
        # The alternations of every language's prefixes are only tried where the first word
        # can start one: most subjects start with none.
        word = _first_word(text, position)
        found = patterns.autoreply_subject.match(text, position) if word in starts else None
        if found:
            return found, replies
        run = patterns.reply_run.match(text, position) if word in reply_starts else None
        if run:
            first = patterns.reply_prefix.match(text, position)
            replies = min(2, replies + (1 if first and first.end() == run.end() else 2))
            position = run.end()
            continue
        tag = patterns.subject_tag.match(text, position)
        if not tag or tags == _MAX_TAGS:
            break
        tags += 1
        position = tag.end()
    return None, replies


def starts_like(subject: str, patterns: PatternSet, kind: str) -> bool:
    """Whether ``subject``'s first word starts some entry of a subject-prefix list of the
    language data (``read_receipt_subjects`` ...): a cheap test before the alternation of
    every language's entries is tried."""
    return _first_word(subject) in _first_words(patterns, kind)


def _first_word(text: str, position: int = 0) -> str | None:
    """The first word at ``position`` behind an opening bracket, folded, up to a space or a
    separator; ``None`` when it is longer than any prefix's first word can be."""
    found = _FIRST_WORD.match(text, position)
    if found is None or len(found.group(1)) > _MAX_FIRST_WORD:
        return None
    word = fold(found.group(1))
    return word if word.isascii() and word.isalnum() else word.translate(_SAME_LETTERS)


@functools.lru_cache(maxsize=16)
def _first_words(patterns: PatternSet, kind: str) -> frozenset[str]:
    """The first words of every language's entries of a subject list (``autoreply_subjects``,
    ``reply_prefixes``), as :func:`_first_word` reads a subject."""
    return frozenset(
        word
        for data in patterns.languages
        for entry in getattr(data, kind)
        if (word := _first_word(entry)) is not None
    )


def _prefix_rule(replies: int) -> tuple[str, float]:
    if replies:
        return "subject-quoted-autoreply", SUBJECT_QUOTED_CONFIDENCE
    return "subject-autoreply-prefix", SUBJECT_PREFIX_CONFIDENCE


def _subject_reason(rule: str, confidence: float, subject: str, language: str) -> Reason:
    shown = subject[:_DETAIL_CHARS] + ("…" if len(subject) > _DETAIL_CHARS else "")
    return Reason(
        rule=rule,
        category=Category.AUTO_REPLY,
        detail=f"Subject: {shown} [{language}]",
        confidence=confidence,
    )
