"""Phrases that say which kind of machine wrote a text, and the notification score.

Besides out-of-office wording, the language files hold what other machines write: read
receipts (``read_receipt_subjects``, ``read_receipt_statements``), ticket and case
acknowledgements (``request_acknowledgements``), notifications about one event for the
recipient (``notification_phrases``: an order shipped, an invoice, a sign-in code, an
alert, a quarantine digest), statements that nobody reads the answer
(``automatic_notices``) and the local parts machines send them from
(``notification_senders``). :func:`notice_patterns` compiles them once per
:class:`~loopguard.classifier.text.patterns.PatternSet`; :func:`assess_notice` scores a
text as a machine's notification, lowered by the signs of a person.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from loopguard.classifier.text.compiler import (
    compile_address_words,
    compile_greetings,
    compile_phrase_list,
    compile_prefixes,
)
from loopguard.classifier.text.languagedata import EVIDENCE_KINDS, EvidenceKind
from loopguard.classifier.text.patterns import PatternSet, fold, phrase_matches
from loopguard.classifier.text.phraseindex import PhraseIndex
from loopguard.classifier.verdict import Reason
from loopguard.mail.address import local_part_of

__all__ = [
    "NOTICE_CHARS",
    "NOTICE_THRESHOLD",
    "EvidenceKind",
    "NoticeAssessment",
    "NoticeMatch",
    "NoticePatterns",
    "Searchable",
    "assess_notice",
    "notice_patterns",
]

#: A notification score at or above this names ``auto_generated``.
NOTICE_THRESHOLD = 0.6
#: Machines state their business at the top: acknowledgements and notifications are looked
#: for in this much of the author's text (footers are the body rules' business).
NOTICE_CHARS = 1200
# Weights of the notification signals, combined as independent evidence: 1 - Π(1 - w).
# One notification phrase (0.45) is not enough alone: an order confirmation says two things
# ("thank you for your order" + "your order number"), or comes from an orders@ address.
_PHRASE_WEIGHT = 0.45
_PHRASES_COUNTED = 2
_NOTICE_WEIGHT = 0.6
_SENDER_WEIGHT = 0.3
_MAX_NOTICE = 0.9
# Factors for the signs of a person (a notification asks "Questions?" in its footer, so a
# question weighs less than in the out-of-office score; a quoted reply weighs more).
_PERSON_PHRASE_FACTORS = (0.45, 0.7)
_SENDER_PHRASE_FACTORS = (0.8,)
_QUESTION_FACTOR = 0.8
_QUOTED_FACTOR = 0.7
_REPLY_FACTOR = 0.5
_DETAIL_CHARS = 120
# A greeting opens the text: its salutation and the few words after it.
_GREETING_CHARS = 160
_GREETING_WORDS = 3
_MIN_NAME = 2
_NAME_WORD = re.compile(r"([^\W\d_][^\W\d_'’]*)(\.?)")
_AFTER_NAME = frozenset(",!:;.?")


@dataclass(frozen=True, slots=True)
class NoticeMatch:
    """One evidence phrase found in a text."""

    kind: EvidenceKind
    language: str
    text: str
    start: int


@dataclass(frozen=True, slots=True)
class Searchable:
    """A text prepared once for the phrase lists: folded once; the phrase index looks it up
    once for every list (its words and characters are kept for the last few texts)."""

    text: str
    folded: str

    @classmethod
    def of(cls, text: str) -> Searchable:
        """Prepare ``text`` (the last few are kept: the acknowledgement and the notification
        scores read the same subject and text)."""
        return _prepared(text)


@functools.lru_cache(maxsize=4)
def _prepared(text: str) -> Searchable:
    return Searchable(text, fold(text))


@dataclass(frozen=True, slots=True, eq=False)
class NoticePatterns:
    """The evidence lists of every loaded language, compiled."""

    read_receipt_subject: re.Pattern[str]
    notification_sender: re.Pattern[str]
    index: PhraseIndex
    """Every evidence list in one index: a text is looked up once for all of them."""
    greeting: re.Pattern[str]
    generic_addressees: frozenset[str]
    """Words after a salutation that name nobody ("Sir", "Kunde", "Madame", "team")."""

    def find(self, kind: EvidenceKind, text: Searchable) -> tuple[NoticeMatch, ...]:
        """Matches of one list in ``text``, left to right, overlapping ones dropped."""
        hits = sorted(
            (
                NoticeMatch(kind, phrase.language, match.group(), match.start())
                for phrase in self.index.candidates(text.folded).get(kind, ())
                for match in phrase_matches(phrase.regex, text.text, text.folded)
            ),
            key=lambda hit: (hit.start, -len(hit.text)),
        )
        kept: list[NoticeMatch] = []
        for hit in hits:
            if not kept or hit.start >= kept[-1].start + len(kept[-1].text):
                kept.append(hit)
        return tuple(kept)

    def greeted_by_name(self, text: str) -> str | None:
        """The salutation that opens ``text`` when it names a person ("Hi Anna,", "Hallo
        Herr Becker,", "Здравствуйте, Анна!"), else ``None``.

        After the salutation, honorifics and generic addressees ("Dear Customer", "Sehr
        geehrte Damen und Herren") name nobody; one to three capitalized words that end
        at punctuation or the end of the line do ("Hello, My name is" does not). Scripts
        without letter case never match.
        """
        found = self.greeting.match(text[:_GREETING_CHARS])
        if found is None:
            return None
        rest = found.group("words")
        names = position = 0
        ended = False
        for token in _NAME_WORD.finditer(rest):
            if rest[position : token.start()].strip(" \t") or names == _GREETING_WORDS:
                break  # punctuation ends the name
            word = token.group(1)
            position = token.end()
            if word.casefold() in self.generic_addressees:
                if names:
                    break
                continue
            if len(word) < _MIN_NAME or not word[0].isupper():
                return None
            names += 1
            ended = bool(token.group(2))
            if ended:
                break  # "Tom." ends the name
        tail = rest[position:].lstrip(" \t")
        if not names or not (ended or not tail or tail[0] in _AFTER_NAME):
            return None
        return text[found.start() : found.start("words") + position].strip()[:_DETAIL_CHARS]


@functools.lru_cache(maxsize=8)
def notice_patterns(patterns: PatternSet) -> NoticePatterns:
    """The evidence lists of ``patterns``' languages, compiled once per pattern set."""
    languages = patterns.languages
    return NoticePatterns(
        read_receipt_subject=compile_prefixes(languages, "read_receipt_subjects"),
        notification_sender=compile_address_words(languages, "notification_senders"),
        index=PhraseIndex.build(
            (kind, compile_phrase_list(languages, kind)) for kind in EVIDENCE_KINDS
        ),
        greeting=compile_greetings(languages),
        generic_addressees=frozenset(
            word.casefold() for data in languages for word in data.generic_addressees
        ),
    )


@dataclass(frozen=True, slots=True)
class NoticeAssessment:
    """How strongly a text reads as a machine's notification, and why."""

    confidence: float
    reasons: tuple[Reason, ...] = ()


def assess_notice(
    subject: str,
    searched: str,
    sender: str | None,
    patterns: PatternSet,
    *,
    person: tuple[Reason, ...] = (),
    reply: bool = False,
) -> NoticeAssessment:
    """Score a text as a machine's notification about one event for its recipient.

    Args:
        subject: The decoded subject (searched with the text).
        searched: The head of the author's own words (quotes cut, wrapped lines joined).
        sender: The sender's normalized address.
        patterns: The compiled language data.
        person: Person signs the text step found (``body-question``, ``body-quoted``, …).
        reply: The message answers another and quotes it (a person's reply).

    Returns:
        The score (at most 0.9) and its signals, penalties included.
    """
    compiled = notice_patterns(patterns)
    text = Searchable.of(f"{subject}\n{searched[:NOTICE_CHARS]}")
    # Distinct phrases: "Backup failed" in the subject and again in the text say one thing.
    distinct = {fold(match.text): match for match in compiled.find("notification_phrases", text)}
    positive = [
        _reason("notice-phrase", match, _PHRASE_WEIGHT)
        for match in list(distinct.values())[:_PHRASES_COUNTED]
    ]
    positive += [
        _reason("notice-automatic", match, _NOTICE_WEIGHT)
        for match in compiled.find("automatic_notices", text)[:1]
    ]
    machine_address = bool(
        positive and sender and compiled.notification_sender.search(local_part_of(sender))
    )
    if machine_address:
        positive.append(Reason("notice-sender", None, f"sender {sender}", _SENDER_WEIGHT))
    if not positive:
        return NoticeAssessment(0.0)
    # From a notification address ("scanner@", "orders@"), "attached" is the machine's word.
    phrase_factors = _SENDER_PHRASE_FACTORS if machine_address else _PERSON_PHRASE_FACTORS
    factor = _person_factor(text, patterns, person, phrase_factors, reply=reply)
    missing = 1.0
    for reason in positive:
        missing *= 1.0 - reason.confidence
    return NoticeAssessment(round(min(_MAX_NOTICE, (1.0 - missing) * factor), 4), tuple(positive))


def _person_factor(
    text: Searchable,
    patterns: PatternSet,
    person: tuple[Reason, ...],
    phrase_factors: tuple[float, ...],
    *,
    reply: bool,
) -> float:
    found = {reason.rule for reason in person}
    factor = _QUESTION_FACTOR if "body-question" in found else 1.0
    factor *= _QUOTED_FACTOR if "body-quoted" in found else 1.0
    factor *= _REPLY_FACTOR if reply else 1.0
    phrases = patterns.find("person_phrases", text.text, text.folded)
    for _, phrase_factor in zip(phrases, phrase_factors, strict=False):
        factor *= phrase_factor
    return factor


def _reason(rule: str, match: NoticeMatch, weight: float) -> Reason:
    shown = " ".join(match.text.split())[:_DETAIL_CHARS]
    return Reason(rule, None, f"{shown} [{match.language}]", weight)
