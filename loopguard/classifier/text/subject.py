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
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
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
    while position < len(text):
        found = _prefix_at(text, position, patterns)
        if found:
            return found, replies
        run = patterns.reply_run.match(text, position)
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


def _prefix_at(text: str, position: int, patterns: PatternSet) -> re.Match[str] | None:
    """The auto-reply prefix at ``position``: the alternation of every language's prefixes
    is only tried when the subject's first word there starts one of them (most subjects
    start with a word no prefix starts with)."""
    word = _first_word(text, position)
    if word is None or word not in _first_words(patterns):
        return None
    return patterns.autoreply_subject.match(text, position)


def _first_word(text: str, position: int = 0) -> str | None:
    """The first word at ``position`` behind an opening bracket, folded, up to a space or a
    separator; ``None`` when it is longer than any prefix's first word can be."""
    found = _FIRST_WORD.match(text, position)
    if found is None or len(found.group(1)) > _MAX_FIRST_WORD:
        return None
    return fold(found.group(1)).translate(_APOSTROPHES)


@functools.lru_cache(maxsize=8)
def _first_words(patterns: PatternSet) -> frozenset[str]:
    """The first words of every language's auto-reply prefixes, as :func:`_first_word`
    reads a subject."""
    return frozenset(
        word
        for data in patterns.languages
        for entry in data.autoreply_subjects
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
