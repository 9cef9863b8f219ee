"""Out-of-office evidence from a message's text: its subject and its author's own words.

Header rules (``Auto-Submitted``, ``X-Autoreply`` …) decide most auto-replies; this module
handles those that mark nothing. Its confidence therefore stays below header evidence
(:data:`MAX_TEXT_CONFIDENCE`), and it penalizes signs that a person wrote the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from loopguard.classifier.text.authortext import BodyText
from loopguard.classifier.text.notices import (
    NOTICE_CHARS,
    NoticeMatch,
    Searchable,
    notice_patterns,
)
from loopguard.classifier.text.patterns import PatternSet, PhraseKind, PhraseMatch, fold
from loopguard.classifier.text.subject import subject_evidence
from loopguard.classifier.verdict import Category, Reason

__all__ = [
    "DEFAULT_TEXT_THRESHOLD",
    "MAX_TEXT_CONFIDENCE",
    "PERSON_SIGNS",
    "REPLY_EVIDENCE",
    "TextAssessment",
    "assess_text",
    "author_words",
    "context_counts",
    "searched_words",
    "subject_evidence",
]

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
# Service formulas anyone writes ("please contact", "as soon as possible", "our opening
# hours"): they add a little to reply evidence and are none themselves.
_CONTACT_RULE = "body-contact-phrase"
_CONTACT_WEIGHT = 0.2
_CONTACTS = 2
# "This is an automatic message" says a machine wrote the text, not that it answers one:
# it adds to reply evidence, and alone it is a notification's statement (notices.py).
_AUTOMATIC_RULE = "body-automatic-statement"
_AUTOMATIC_WEIGHT = 0.4
_SHORT_WEIGHT = 0.15
_SHORT_RULE = "body-short"
_SUBJECT_RULES = "subject-"
_REPLY_TO_OURS_WEIGHT = 0.15
#: Evidence that the text answers a message on its own: a subject prefix, a statement that
#: it is an automatic reply, absence wording, thanks for the sender's message or a promise
#: to answer it, a ticket acknowledgement. Without it, weak formulas ("please contact",
#: "back on", "this is an automatic message") never make an auto-reply, whatever the
#: context adds.
REPLY_EVIDENCE = frozenset(
    {
        "subject-autoreply-prefix",
        "subject-autoreply-suffix",
        "body-autoreply-statement",
        "body-absence-phrase",
        "body-ack-phrase",
        _ACK_RULE,
    }
)
# Statements a person does not write in their own words: with one of them, the context
# (a short text, an answer to our mail) still counts although the text greets someone.
_MACHINE_STATEMENTS = frozenset({"body-autoreply-statement", _ACK_RULE})
# Where the evidence falls short (no reply evidence, or a subject prefix alone over a text
# that shows a person), the score stays below any sensible threshold.
_SHORT_OF_EVIDENCE = 0.5
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
# A greeting that names someone ("Hi Anna,"): a sign of a person for the decision and for
# the context above, but no penalty: acknowledgements greet by name too.
_GREETING_RULE = "body-greeting-name"
_GREETING_WEIGHT = 0.35
#: The signs of a person that speak against the context and against a subject prefix alone.
PERSON_SIGNS = frozenset(
    {"body-person-phrase", "body-question", _GREETING_RULE, "body-quoted", "body-reply-quote"}
)
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


def assess_text(
    subject: str,
    body: BodyText | None,
    patterns: PatternSet,
    *,
    reply_to_ours: bool = False,
    person_phrases: bool = False,
    automatic: bool = False,
) -> TextAssessment:
    """Score how likely the subject and the author's text come from an autoresponder.

    Positive signals (subject prefix, "this is an automatic reply", absence phrases, a
    return date, acknowledgement phrases, a short text, a reply to one of our messages) are
    combined as independent evidence; signs of a person (conversational phrases such as
    "let me know" or "out next week", a question, a long text, a cut quote) scale it down.
    Without reply evidence (:data:`REPLY_EVIDENCE`) the score stays below any threshold;
    the context (a short text, a reply to our mail) counts only where no sign of a person
    speaks against it, and a subject prefix alone never decides over a text that shows a
    person. The result never exceeds :data:`MAX_TEXT_CONFIDENCE`.

    Args:
        subject: The decoded subject.
        body: The author's text from
            :func:`loopguard.classifier.text.authortext.author_text`, or ``None``.
        patterns: The compiled language data.
        reply_to_ours: The message answers one we sent (In-Reply-To/References match).
        person_phrases: Look for conversational phrases even when nothing says auto-reply
            (the other signs of a person, a question, a long text, a quote, are always
            reported: they are cheap).
        automatic: The headers say a machine sent the message: its length is then no sign
            of a person.

    Returns:
        The confidence and the reasons, penalties included (category ``HUMAN``).
    """
    text = _unwrap(body.text) if body else ""
    searched = searched_words(text)
    folded = fold(searched)
    reply = patterns.reply_prefix.match(subject.lstrip()) is not None
    evidence = _evidence_signals(subject, searched, folded, patterns, reply=reply)
    # Person signs are reported even without positive signals: they are the person evidence
    # the decision weighs against weak evidence of a machine (a no-reply sender).
    phrases = person_phrases or bool(evidence)
    signs = _person_signs(
        text, searched, folded, body, patterns, phrases=phrases, reply=reply, automatic=automatic
    )
    if not evidence:
        return TextAssessment(0.0, tuple(signs))
    positive = evidence + _context_signals(evidence, signs, text, ours=reply_to_ours)
    confidence = min(_combine(positive, signs), _ceiling(evidence, signs))
    return TextAssessment(round(confidence, 4), tuple(positive + signs))


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


def _evidence_signals(
    subject: str, searched: str, folded: str, patterns: PatternSet, *, reply: bool
) -> list[Reason]:
    """What the subject and the text say: a prefix, statements, phrases (no context)."""
    found: list[Reason] = []
    subject_reason = subject_evidence(subject, patterns)
    if subject_reason:
        found.append(subject_reason)
    for kind, (rule, weight, most) in _BODY_WEIGHTS.items():
        found.extend(
            _phrase_reason(rule, match, weight)
            for match in patterns.find(kind, searched, folded)[:most]
        )
    # A ticket system's stock acknowledgement ("we have received your request, case 4711
    # has been created") is what RFC 3834 calls a response, even when nothing marks it.
    # The subject is searched too ("We have received your request [#4711]"), unless it
    # answers another message: "Re: We have received your request" quotes our subject.
    # (One prepared text, shared with the notification score; an acknowledgement in a
    # replied-to subject is dropped by its offset.)
    heard = Searchable.of(f"{subject}\n{searched[:NOTICE_CHARS]}")
    notices = notice_patterns(patterns)
    skipped = len(subject) + 1 if reply else 0
    acks = [ack for ack in notices.find("request_acknowledgements", heard) if ack.start >= skipped]
    found.extend(_phrase_reason(_ACK_RULE, match, _ACK_WEIGHT) for match in acks[:_ACKS])
    if any(reason.rule in REPLY_EVIDENCE for reason in found):
        # What only adds to reply evidence is looked for where there is some.
        contacts = notices.find("contact_phrases", heard)[:_CONTACTS]
        found.extend(_phrase_reason(_CONTACT_RULE, match, _CONTACT_WEIGHT) for match in contacts)
        automatic = notices.find("automatic_notices", heard)[:1]
        found.extend(
            _phrase_reason(_AUTOMATIC_RULE, match, _AUTOMATIC_WEIGHT) for match in automatic
        )
    return found


def _context_signals(
    evidence: list[Reason], signs: list[Reason], text: str, *, ours: bool
) -> list[Reason]:
    """A short text and an answer to our mail complete reply evidence, unless the text
    shows a person and states nothing only a machine states."""
    if not context_counts(evidence, signs):
        return []
    context: list[Reason] = []
    if text and len(text) <= _SHORT_CHARS:
        detail = f"{len(text)} characters"
        context.append(Reason(_SHORT_RULE, Category.AUTO_REPLY, detail, _SHORT_WEIGHT))
    if ours:
        detail = "answers a message we sent"
        context.append(Reason("reply-to-ours", Category.AUTO_REPLY, detail, _REPLY_TO_OURS_WEIGHT))
    return context


def context_counts(evidence: Iterable[Reason], signs: Iterable[Reason]) -> bool:
    """Whether the context (a short text, an answer to our mail, a machine sender) may add
    to the reply evidence: there is some, and no sign of a person speaks against it unless
    the text states what only machines state ("your request has been registered")."""
    rules = {reason.rule for reason in evidence}
    if not rules & REPLY_EVIDENCE:
        return False
    return bool(rules & _MACHINE_STATEMENTS) or not any(s.rule in PERSON_SIGNS for s in signs)


def _ceiling(evidence: list[Reason], signs: list[Reason]) -> float:
    """Where the evidence falls short of an auto-reply, the score stays below a threshold:
    no reply evidence at all, or a subject prefix over a silent text that shows a person
    ("Auto: Unfall gestern" and a question)."""
    rules = {reason.rule for reason in evidence}
    if not rules & REPLY_EVIDENCE:
        return _SHORT_OF_EVIDENCE
    subject_only = not any(
        r.rule in REPLY_EVIDENCE and not r.rule.startswith(_SUBJECT_RULES) for r in evidence
    )
    if subject_only and any(sign.rule in PERSON_SIGNS for sign in signs):
        return _SHORT_OF_EVIDENCE
    return MAX_TEXT_CONFIDENCE


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
    automatic: bool = False,
) -> list[Reason]:
    """Penalty reasons; ``confidence`` holds 1 - factor, the strength of the human evidence.

    Phrases and questions are looked up in ``searched`` (``text`` without quoted speech,
    folded as ``folded``): an auto-reply citing the subject "Can we meet?" asks nothing.
    Length is judged on the whole ``text``, unless the headers say a machine sent it
    (``automatic``). ``reply``: the subject answers another message and the text quotes
    it, as people's replies do (autoresponders rarely quote).
    """
    found = patterns.find("person_phrases", searched, folded) if phrases else ()
    signs = [
        _phrase_reason("body-person-phrase", match, 1 - factor, Category.HUMAN)
        for match, factor in zip(found, _PERSON_FACTORS, strict=False)
    ]
    # (The greeting only speaks against reply evidence: looked for where there is some.)
    greeted = notice_patterns(patterns).greeted_by_name(searched) if phrases else None
    if greeted:
        signs.append(Reason(_GREETING_RULE, Category.HUMAN, greeted, _GREETING_WEIGHT))
    unlinked = _URL.sub("", searched)
    questions = sum(unlinked.count(mark) for mark in _QUESTION_MARKS)
    for factor in _QUESTION_FACTORS[:questions]:
        signs.append(_sign("body-question", "the author asks a question", factor))
    if len(text) > _LONG_CHARS and not automatic:
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
        if reason.rule != _GREETING_RULE:
            confidence *= 1.0 - reason.confidence
    return min(confidence, MAX_TEXT_CONFIDENCE)
