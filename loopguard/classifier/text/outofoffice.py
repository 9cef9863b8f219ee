"""Out-of-office evidence from a message's text: its subject and its author's own words.

Header rules (``Auto-Submitted``, ``X-Autoreply`` …) decide most auto-replies; this module
handles those that mark nothing. Its confidence therefore stays below header evidence
(:data:`MAX_TEXT_CONFIDENCE`), and it penalizes signs that a person wrote the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loopguard.classifier.text.authortext import BodyText
from loopguard.classifier.text.notices import (
    NOTICE_CHARS,
    NoticeMatch,
    Searchable,
    notice_patterns,
)
from loopguard.classifier.text.patterns import (
    PatternSet,
    PhraseKind,
    PhraseMatch,
    fold,
    language_of,
)
from loopguard.classifier.verdict import Category, Reason

__all__ = [
    "DEFAULT_TEXT_THRESHOLD",
    "MAX_TEXT_CONFIDENCE",
    "SUBJECT_PREFIX_CONFIDENCE",
    "SUBJECT_QUOTED_CONFIDENCE",
    "SUBJECT_SUFFIX_CONFIDENCE",
    "TextAssessment",
    "assess_text",
    "author_words",
    "searched_words",
    "subject_evidence",
]

#: An auto-reply prefix at the very start of the subject ("Automatic reply: …").
SUBJECT_PREFIX_CONFIDENCE = 0.85
#: An auto-reply marker at the end of the subject ("… (Automatic Response)", AOL style).
SUBJECT_SUFFIX_CONFIDENCE = 0.6
#: The prefix only after reply/forward prefixes ("Re: Automatic reply: …"): a person may be
#: answering or forwarding an auto-reply, so this never decides alone.
SUBJECT_QUOTED_CONFIDENCE = 0.3
#: Text evidence never reaches the confidence of header evidence.
MAX_TEXT_CONFIDENCE = 0.9
#: ``assess_text`` confidence at or above which a host should call a message an auto-reply.
DEFAULT_TEXT_THRESHOLD = 0.6

# Weights of positive body signals, combined as independent evidence: 1 - Π(1 - w).
# One absence phrase (0.5) plus a short text (0.15) stays below the default threshold: an
# auto-reply nearly always says two things (away + until, away + urgent contact …).
_BODY_WEIGHTS: dict[PhraseKind, tuple[str, float, int]] = {
    # kind: (rule, weight per distinct match, matches counted at most)
    "autoreply_statements": ("body-autoreply-statement", 0.8, 1),
    "absence_phrases": ("body-absence-phrase", 0.5, 2),
    "return_phrases": ("body-return-date", 0.35, 1),
    "ack_phrases": ("body-ack-phrase", 0.2, 2),
}
_ACK_RULE = "body-ack-statement"
_ACK_WEIGHT = 0.6
_ACKS = 2
_SHORT_WEIGHT = 0.15
_SHORT_RULE = "body-short"
_SUBJECT_RULES = "subject-"
_REPLY_TO_OURS_WEIGHT = 0.15
# Auto-replies are short: a few lines, perhaps with a long legal footer.
_SHORT_CHARS = 600
_LONG_CHARS = 1500
_VERY_LONG_CHARS = 4000
_SEARCH_CHARS = 4000
# Penalty factors for signs of a person (multiplied into the confidence).
_PERSON_FACTORS = (0.45, 0.7)
# A question, and a second one: "can you send it?" is a person's; auto-replies ask nothing.
_QUESTION_FACTORS = (0.7, 0.85)
_REPLY_QUOTE_FACTOR = 0.6
_LONG_FACTOR = 0.75
_VERY_LONG_FACTOR = 0.5
_QUOTED_FACTOR = 0.85
_URL = re.compile(r"(?:https?|ftp|mailto):[^\s<>\"]{1,2000}", re.IGNORECASE)
_QUESTION_MARKS = ("?", "？", "؟")
# Words a person cites in quotation marks ('my auto-reply says "I am out of the office"')
# are not the person's own statement; phrases are not searched inside them.
_INLINE_QUOTE = re.compile(
    r'"[^"\n]{1,300}"|“[^”\n]{1,300}”|„[^“”\n]{1,300}[“”]|«[^»\n]{1,300}»|‘[^’\n]{1,300}’'
    # Single quotes only where no word touches them: "don't ... isn't" is no quotation. The
    # look-behind comes after the quote, so the engine still skips ahead to quote characters.
    r"|'(?<!\w')[^'\n]{1,300}'(?!\w)"
)

_DETAIL_CHARS = 120
# A suffix marker sits in the last few words; never scan a megabyte subject for it.
_SUFFIX_WINDOW = 200
# Gateways add a tag or two ("[EXTERNAL]", "[SPAM]"); more than this is not a real subject.
_MAX_TAGS = 10


@dataclass(frozen=True, slots=True)
class TextAssessment:
    """How strongly the text says "automatic reply", with the reasons behind the number.

    Attributes:
        confidence: 0 (a person) to :data:`MAX_TEXT_CONFIDENCE` (certainly an auto-reply).
        reasons: Every signal found, including the penalties (``category`` ``HUMAN``).
    """

    confidence: float
    reasons: tuple[Reason, ...] = ()

    def is_auto_reply(self, threshold: float = DEFAULT_TEXT_THRESHOLD) -> bool:
        """Whether the confidence reaches ``threshold``."""
        return self.confidence >= threshold

    @property
    def body_signals(self) -> tuple[Reason, ...]:
        """The signals read in the body and its length, without the subject's."""
        return tuple(r for r in self.reasons if not r.rule.startswith(_SUBJECT_RULES))

    @property
    def short(self) -> bool:
        """The text is short (``body-short``), as autoresponders' texts are."""
        return any(r.rule == _SHORT_RULE for r in self.reasons)


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
    position, replies = _skip_reply_prefixes(text, patterns)
    match = patterns.autoreply_subject.match(text, position)
    if match:
        rule, confidence = _prefix_rule(replies)
        return _subject_reason(rule, confidence, text, language_of(match))
    suffix = patterns.autoreply_subject_suffix.search(text[-_SUFFIX_WINDOW:])
    if suffix:
        # An AOL-style responder adds one "Re:" itself; more than one means a person replied.
        quoted = replies > 1
        rule = "subject-quoted-autoreply" if quoted else "subject-autoreply-suffix"
        confidence = SUBJECT_QUOTED_CONFIDENCE if quoted else SUBJECT_SUFFIX_CONFIDENCE
        return _subject_reason(rule, confidence, text, language_of(suffix))
    return None


def _skip_reply_prefixes(text: str, patterns: PatternSet) -> tuple[int, int]:
    """Walk past "Re: AW: [tag] Fwd:" …; returns the position reached and the replies seen.

    The count saturates at 2: callers only ask "none, one, or several". A run of reply
    prefixes is consumed by one possessive regex, so 100k of them cost one C-level match.
    The auto-reply prefix is tried first at each step, so "[Automatyczna odpowiedź] …" is
    never skipped as a tag.
    """
    position = replies = tags = 0
    while position < len(text) and not patterns.autoreply_subject.match(text, position):
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
    return position, replies


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


def assess_text(
    subject: str,
    body: BodyText | None,
    patterns: PatternSet,
    *,
    reply_to_ours: bool = False,
    person_phrases: bool = False,
) -> TextAssessment:
    """Score how likely the subject and the author's text come from an autoresponder.

    Positive signals (subject prefix, "this is an automatic reply", absence phrases, a
    return date, acknowledgement phrases, a short text, a reply to one of our messages) are
    combined as independent evidence; signs of a person (conversational phrases such as
    "let me know" or "out next week", a question, a long text, a cut quote) scale it down.
    The result never exceeds :data:`MAX_TEXT_CONFIDENCE`.

    Args:
        subject: The decoded subject.
        body: The author's text from
            :func:`loopguard.classifier.text.authortext.author_text`, or ``None``.
        patterns: The compiled language data.
        reply_to_ours: The message answers one we sent (In-Reply-To/References match).
        person_phrases: Look for conversational phrases even when nothing says auto-reply
            (the other signs of a person, a question, a long text, a quote, are always
            reported: they are cheap).

    Returns:
        The confidence and the reasons, penalties included (category ``HUMAN``).
    """
    text = _unwrap(body.text) if body else ""
    searched = searched_words(text)
    folded = fold(searched)
    positive = _positive_signals(subject, text, searched, folded, patterns, reply_to_ours)
    # Person signs are reported even without positive signals: they are the person evidence
    # the decision weighs against weak evidence of a machine (a no-reply sender).
    phrases = person_phrases or bool(positive)
    reply = patterns.reply_prefix.match(subject.lstrip()) is not None
    penalties = _person_signs(text, searched, folded, body, patterns, phrases=phrases, reply=reply)
    confidence = _combine(positive, penalties) if positive else 0.0
    return TextAssessment(round(confidence, 4), tuple(positive + penalties))


def searched_words(text: str) -> str:
    """The part of an (unwrapped) author text that phrases are looked for in.

    Autoresponders and notifications state their business at the top; a long text is
    already a sign of a person. Phrases are looked for in the head only, which bounds the
    cost of a hundred phrase regexes on a long letter, and never inside quotation marks.
    """
    return _INLINE_QUOTE.sub("…", text[:_SEARCH_CHARS])


def author_words(body: BodyText | None) -> str:
    """:func:`searched_words` of a body's author text, wrapped lines joined."""
    return searched_words(_unwrap(body.text)) if body else ""


def _positive_signals(
    subject: str, text: str, searched: str, folded: str, patterns: PatternSet, ours: bool
) -> list[Reason]:
    """The signals of an autoresponder: the subject, phrases, a short text, a reply to us."""
    positive: list[Reason] = []
    subject_reason = subject_evidence(subject, patterns)
    if subject_reason:
        positive.append(subject_reason)
    for kind, (rule, weight, most) in _BODY_WEIGHTS.items():
        positive.extend(
            _phrase_reason(rule, match, weight)
            for match in patterns.find(kind, searched, folded)[:most]
        )
    # A ticket system's stock acknowledgement ("we have received your request, case 4711
    # has been created") is what RFC 3834 calls a response, even when nothing marks it.
    # The subject is searched too: "We have received your request [#4711]".
    heard = Searchable.of(f"{subject}\n{searched[:NOTICE_CHARS]}")
    acks = notice_patterns(patterns).find("request_acknowledgements", heard)
    positive.extend(_phrase_reason(_ACK_RULE, match, _ACK_WEIGHT) for match in acks[:_ACKS])
    if positive and text and len(text) <= _SHORT_CHARS:
        positive.append(
            Reason(_SHORT_RULE, Category.AUTO_REPLY, f"{len(text)} characters", _SHORT_WEIGHT)
        )
    if positive and ours:
        detail = "answers a message we sent"
        positive.append(Reason("reply-to-ours", Category.AUTO_REPLY, detail, _REPLY_TO_OURS_WEIGHT))
    return positive


def _unwrap(text: str) -> str:
    """Join wrapped lines into paragraphs, so a phrase broken by a line wrap still matches.

    Paragraphs stay on separate lines: a ``*`` in a phrase never spans two of them.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            current.append(stripped)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def _phrase_reason(
    rule: str,
    match: PhraseMatch | NoticeMatch,
    weight: float,
    category: Category = Category.AUTO_REPLY,
) -> Reason:
    shown = " ".join(match.text.split())[:_DETAIL_CHARS]
    return Reason(rule, category, f"{shown} [{match.language}]", weight)


def _person_signs(
    text: str,
    searched: str,
    folded: str,
    body: BodyText | None,
    patterns: PatternSet,
    *,
    phrases: bool = True,
    reply: bool = False,
) -> list[Reason]:
    """Penalty reasons; ``confidence`` holds 1 - factor, the strength of the human evidence.

    Phrases and questions are looked up in ``searched`` (``text`` without quoted speech,
    folded as ``folded``): an auto-reply citing the subject "Can we meet?" asks nothing.
    Length is judged on the whole ``text``. ``reply``: the subject answers another message
    and the text quotes it, as people's replies do (autoresponders rarely quote).
    """
    found = patterns.find("person_phrases", searched, folded) if phrases else ()
    signs = [
        _phrase_reason("body-person-phrase", match, 1 - factor, Category.HUMAN)
        for match, factor in zip(found, _PERSON_FACTORS, strict=False)
    ]
    unlinked = _URL.sub("", searched)
    questions = sum(unlinked.count(mark) for mark in _QUESTION_MARKS)
    for factor in _QUESTION_FACTORS[:questions]:
        signs.append(_sign("body-question", "the author asks a question", factor))
    if len(text) > _LONG_CHARS:
        factor = _VERY_LONG_FACTOR if len(text) > _VERY_LONG_CHARS else _LONG_FACTOR
        signs.append(_sign("body-long", f"{len(text)} characters", factor))
    if body and body.quoted:
        signs.append(_sign("body-quoted", "the author quotes another message", _QUOTED_FACTOR))
        if reply:
            detail = "a reply that quotes the message it answers"
            signs.append(_sign("body-reply-quote", detail, _REPLY_QUOTE_FACTOR))
    return signs


def _sign(rule: str, detail: str, factor: float) -> Reason:
    return Reason(rule, Category.HUMAN, detail, round(1 - factor, 3))


def _combine(positive: list[Reason], penalties: list[Reason]) -> float:
    missing = 1.0
    for reason in positive:
        missing *= 1.0 - reason.confidence
    confidence = 1.0 - missing
    for reason in penalties:
        confidence *= 1.0 - reason.confidence
    return min(confidence, MAX_TEXT_CONFIDENCE)
