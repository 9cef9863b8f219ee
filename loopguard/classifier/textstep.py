"""The text step: what the subject and the author's own words say about who wrote them.

Run only while the headers leave the kind open. It reports the out-of-office score
(``ooo-text``), the notification score (``notice-text``) and the signs of a person, each as
evidence for the decision table (:mod:`loopguard.classifier.decide`); the single signals
behind the scores are shown for explanation only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from loopguard.classifier.rules.content import NOTICE_TEXT, OOO_TEXT
from loopguard.classifier.text.authortext import BodyText, author_text
from loopguard.classifier.text.notices import NOTICE_CHARS, NOTICE_THRESHOLD, assess_notice
from loopguard.classifier.text.outofoffice import TextAssessment, assess_text, author_words
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.verdict import Category, Reason
from loopguard.mail.view import MessageView

__all__ = ["TextStep"]

log = logging.getLogger(__name__)

# Author text read: phrases are looked for in its first 4,000 characters, and anything
# longer than that already counts as a person's long letter.
_AUTHOR_CHARS = 6000
_LISTED_CHARS = NOTICE_CHARS
# A short reply text from a sender the headers call a machine (null return path,
# Precedence: bulk/junk) completes an autoresponder's picture: the weight of that.
_MACHINE_SENT_WEIGHT = 0.5
_MAX_SCORE = 0.9


@dataclass(frozen=True, slots=True)
class TextStep:
    """The text step of one classifier: its language data and its threshold."""

    patterns: PatternSet
    threshold: float

    def read(
        self,
        view: MessageView,
        *,
        machine_sent: bool,
        automatic: bool,
        weak: bool,
        reply_to_ours: bool,
        listed: bool = False,
    ) -> Iterator[Reason]:
        """Every piece of evidence the text holds; never raises.

        ``machine_sent``: the headers say a machine sent it without saying which kind (a
        null return path, ``Precedence: bulk``); a short text with reply evidence from such
        a sender is an autoresponder. ``automatic``: some header says a machine sent it,
        so the text's length is no sign of a person. ``weak``: weak machine evidence (a
        no-reply sender) is to be weighed, so conversational phrases are looked for even
        when nothing says auto-reply. ``listed``: list headers are present, so the text only
        weighs one event against many (the notification score reads the head): a long
        newsletter is read no further than that.
        """
        try:
            chars = _LISTED_CHARS if listed else _AUTHOR_CHARS
            body = author_text(view, max_chars=chars, patterns=self.patterns)
            assessment = assess_text(
                view.subject,
                body,
                self.patterns,
                reply_to_ours=reply_to_ours,
                person_phrases=weak,
                automatic=automatic,
            )
            reply = body.quoted and self.patterns.reply_prefix.match(view.subject) is not None
            notice = self._notice(view, body, assessment, reply=reply)
        except Exception as exc:  # the text step must never break the host's pipeline
            log.exception("text heuristics failed")
            yield Reason("rule-error", None, f"text heuristics: {type(exc).__name__}", 0.0)
            return
        # The single signals are shown for explanation only: the scores decide. The person
        # signs are evidence of their own (Role.PERSON).
        for signal in assessment.body_signals:
            yield Reason(signal.rule, None, signal.detail, signal.confidence)
        yield from self._out_of_office(assessment, machine_sent=machine_sent)
        yield from notice

    def _out_of_office(self, assessment: TextAssessment, *, machine_sent: bool) -> Iterator[Reason]:
        score = assessment.confidence
        # (``short`` is only reported where the context counts: reply evidence, and no
        # sign of a person against it.)
        if machine_sent and assessment.short and 0.0 < score < self.threshold:
            score = 1.0 - (1.0 - score) * (1.0 - _MACHINE_SENT_WEIGHT)
            yield Reason("machine-sent-reply-text", None, "reply text from a machine sender", 0.5)
        if score > 0.0:
            # Below the threshold the score names no category, but it still speaks for the
            # subject evidence it weighed (Role.TEXT_SCORE).
            above = score >= self.threshold
            detail = f"text score {score:.2f} {'≥' if above else '<'} {self.threshold:.2f}"
            category = OOO_TEXT.category if above else None
            yield Reason(OOO_TEXT.name, category, detail, round(min(score, _MAX_SCORE), 3))

    def _notice(
        self, view: MessageView, body: BodyText, assessment: TextAssessment, *, reply: bool
    ) -> list[Reason]:
        person = tuple(r for r in assessment.reasons if r.category is Category.HUMAN)
        notice = assess_notice(
            view.subject,
            author_words(body),
            view.from_address,
            self.patterns,
            person=person,
            reply=reply,
        )
        found = list(notice.reasons)
        if notice.confidence > 0.0:
            # Below the threshold it names no category, but weighs one event against many
            # beside list headers (Role.NOTICE_SCORE).
            above = notice.confidence >= NOTICE_THRESHOLD
            detail = f"notification score {notice.confidence:.2f} {'≥' if above else '<'} "
            detail += f"{NOTICE_THRESHOLD:.2f}"
            category = NOTICE_TEXT.category if above else None
            found.append(NOTICE_TEXT.hit(detail, category=category, confidence=notice.confidence))
        return found
