"""The evidence columns of the decision table: every reason sorted by the part it plays.

Rules and steps only state evidence; :class:`Evidence` sorts it by the roles of the rules
that gave it (:class:`~loopguard.classifier.rules.roles.Role`), never by rule names, into the
columns that :mod:`loopguard.classifier.decide` reads:

* *structure*: the MIME structure is a machine report (a DSN, an MDN, an ARF report);
* *marks*: headers a machine set to say which kind it sent (``Auto-Submitted: auto-replied``,
  ``X-Autoreply``, ``List-Id`` …);
* *automatic*: headers that say a machine sent it, not which kind (``Auto-Submitted:
  auto-generated``, a null return path, MAILER-DAEMON, ``Precedence: bulk``); *weak* ones
  (a no-reply sender) never decide against a person's text;
* *content*: what the subject and the text say (an auto-reply prefix, absence wording, a
  read-receipt statement, an unsubscribe footer); *failures*: a delivery failure stated in a
  report's text;
* *person*: signs that a person wrote the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loopguard.classifier.rules.roles import Role, RoleIndex, Traits
from loopguard.classifier.verdict import PRECEDENCE, Category, Reason

__all__ = [
    "DECIDING_CONFIDENCE",
    "MARK_CONFIDENCE",
    "PERSON_OUTWEIGHS_HINT",
    "PERSON_OUTWEIGHS_WEAK",
    "REPLY_VETO_CONFIDENCE",
    "Evidence",
    "is_settled",
    "reads_no_absence",
    "reports_failure",
]

#: Evidence below this confidence is reported but never decides a category.
DECIDING_CONFIDENCE = 0.5
#: A mark this strong names its kind for sure: the body is not read for another kind.
MARK_CONFIDENCE = 0.9
#: Any auto-reply evidence this strong (even a prefix behind "Re:") vetoes a bounce read
#: from failure words: a vacation text saying "your message will not be forwarded" is no
#: delivery failure.
REPLY_VETO_CONFIDENCE = 0.3
#: Person evidence this strong, from two signs or more, outweighs weak evidence of a machine
#: (a no-reply sender): a conversational phrase alone ("is attached") does not.
PERSON_OUTWEIGHS_WEAK = 0.45
PERSON_SIGNS_OUTWEIGH_WEAK = 2
#: One sign of a person this strong (a question, a conversational phrase, a reply quoting
#: what it answers) outweighs ``Precedence: bulk`` alone.
PERSON_OUTWEIGHS_HINT = 0.3

_SETTLING_PREFIX = 0.85  # an auto-reply prefix at the start of the subject


@dataclass(slots=True)
class Evidence:
    """Every piece of evidence of one message, sorted into the decision table's columns."""

    structure: dict[Category, list[float]] = field(default_factory=dict)
    marks: dict[Category, list[float]] = field(default_factory=dict)
    content: dict[Category, list[float]] = field(default_factory=dict)
    failures: list[float] = field(default_factory=list)
    automatic: list[float] = field(default_factory=list)
    listed: list[float] = field(default_factory=list)
    """List and bulk headers (List-*, Precedence: bulk, Feedback-ID ...)."""
    weak: list[float] = field(default_factory=list)
    bulk_hint: list[float] = field(default_factory=list)
    notice_hint: float = 0.0
    """The notification score where it stays below its threshold: it names no category,
    but weighs one event for this recipient against many beside list headers."""
    """Weak evidence of same-content mail (``Precedence: bulk/junk``): relays and forwarders
    add it to people's mail too, so it never decides against a person's text."""
    mail_system: bool = False
    reporter: bool = False
    """From is a mail system's reporting account (MAILER-DAEMON, postmaster, <>)."""
    replied: bool = False
    """Some auto-reply evidence exists (at REPLY_VETO_CONFIDENCE or more)."""
    overruled: bool = False
    """Some evidence of a machine or of a kind was present but did not decide."""
    person: float = 0.0
    """Person evidence combined as independent signals, 0..1."""
    person_signs: int = 0

    @classmethod
    def gather(cls, reasons: Iterable[Reason], roles: RoleIndex) -> Evidence:
        """Sort ``reasons`` into the columns by the roles of their rules."""
        evidence = cls()
        person_doubt = 1.0
        played = [(reason, roles.traits(reason)) for reason in reasons]
        text_scored = any(traits.text_score for _, traits in played)
        for reason, traits in played:
            if traits.person:
                person_doubt *= 1.0 - reason.confidence
                evidence.person_signs += 1
                continue
            if traits.flags_sender:
                evidence._note_sender(traits)
            category, confidence = reason.category, reason.confidence
            if category is Category.AUTO_REPLY and confidence >= REPLY_VETO_CONFIDENCE:
                evidence.replied = True
            if traits.notice_score and category is None:
                evidence.notice_hint = max(evidence.notice_hint, confidence)
            if confidence < DECIDING_CONFIDENCE or category is None:
                continue
            if traits.list_header:
                evidence.listed.append(confidence)
            if traits.machine_sent and category is not Category.AUTO_GENERATED:
                # Precedence says "a machine"; bulk/junk only weakly (relays add it).
                (evidence.bulk_hint if traits.weak else evidence.automatic).append(confidence)
            if not (text_scored and traits.weighed_by_text):
                # (the text score weighed the subject already, with the person evidence)
                evidence._file(confidence, category, traits)
        evidence.person = round(1.0 - person_doubt, 3)
        return evidence

    def _note_sender(self, traits: Traits) -> None:
        self.mail_system = self.mail_system or traits.mail_system
        self.reporter = self.reporter or traits.reporter

    def _file(self, confidence: float, category: Category, traits: Traits) -> None:
        if traits.structure and confidence >= MARK_CONFIDENCE:
            column = self.structure
        elif traits.structure:
            column = self.marks  # a report of no declared type: a notification mark
        elif traits.generic and category is Category.AUTO_GENERATED:
            (self.weak if traits.weak else self.automatic).append(confidence)
            return
        elif traits.failure_statement:
            self.failures.append(confidence)
            return
        elif traits.weak:
            return  # (a weak hint of another kind: bulk_hint above)
        elif traits.content:
            column = self.content
        else:
            column = self.marks
        column.setdefault(category, []).append(confidence)

    @property
    def machine(self) -> list[float]:
        """Every piece of evidence that a machine sent it, strong or weak."""
        return self.automatic + self.weak + self.bulk_hint

    @property
    def shows_a_person(self) -> bool:
        """Person evidence from two signs or more (a reply quoting what it answers, a
        question and a conversational phrase): it outweighs a no-reply or system sender."""
        return (
            self.person >= PERSON_OUTWEIGHS_WEAK and self.person_signs >= PERSON_SIGNS_OUTWEIGH_WEAK
        )

    @property
    def outweighs_weak_evidence(self) -> bool:
        """The person evidence outweighs the weak evidence of a machine: two signs of a
        person against a no-reply or system sender, one against ``Precedence: bulk``
        alone (relays add it to people's mail)."""
        if self.weak:
            return self.shows_a_person
        return self.person >= PERSON_OUTWEIGHS_HINT

    def kind(self, column: dict[Category, list[float]]) -> Category | None:
        """The category a column names, by precedence when it names several."""
        if not column:
            return None
        return next((category for category in PRECEDENCE if category in column), None)

    def strength(self, category: Category, *columns: dict[Category, list[float]]) -> list[float]:
        """Every confidence naming ``category`` in ``columns``."""
        return [value for column in columns for value in column.get(category, ())]


def is_settled(reasons: Iterable[Reason], roles: RoleIndex) -> bool:
    """Whether the header evidence already names the kind for sure, so that the body need
    not be read for another one: a report structure, a mark, ``Auto-Submitted:
    auto-replied`` from any sender but a mail system's reporting account (whose reports
    carry it too), an auto-reply prefix on mail a machine says it sent (the Exchange
    out-of-office reply), or a mail system's reporting account stamping its mail automatic
    (the bounce step reads what it reports).

    The same columns as :class:`Evidence`, read in one pass that stops at the first mark:
    this runs on every message, so it builds nothing.
    """
    reporter = prefixed = replied = False
    automatic = stamped = 0.0
    for reason in reasons:
        traits = roles.traits(reason)
        category, confidence = reason.category, reason.confidence
        reporter = reporter or traits.reporter
        if category is None or confidence < DECIDING_CONFIDENCE or traits.person:
            continue
        marked = traits.structure or not (
            traits.generic or traits.content or traits.failure_statement
        )
        if marked and confidence >= MARK_CONFIDENCE:
            return True  # a report's structure or a mark
        if traits.generic and category is Category.AUTO_REPLY:
            replied = replied or confidence >= MARK_CONFIDENCE
        generic = traits.generic and category is Category.AUTO_GENERATED
        if not traits.weak and (generic or traits.machine_sent):
            automatic = max(automatic, confidence)
            stamped = max(stamped, confidence if generic else 0.0)
        if traits.content and category is Category.AUTO_REPLY:
            prefixed = prefixed or confidence >= _SETTLING_PREFIX
    if reporter:
        return stamped >= MARK_CONFIDENCE
    return replied or (prefixed and automatic > 0.0)


def reads_no_absence(reasons: Iterable[Reason], roles: RoleIndex) -> bool:
    """Whether a mail system's own account sent the message (MAILER-DAEMON, postmaster,
    ``From: <>``): its text reads like an absence notice in reports ("this mailbox is no
    longer in use"), so it is read only when nothing reports a failure."""
    return roles.any(reasons, Role.REPORTER)


def reports_failure(reasons: Iterable[Reason], roles: RoleIndex) -> bool:
    """Whether the message reports a delivery, by its structure or a failure statement."""
    return any(
        reason.category is not None
        and reason.confidence >= DECIDING_CONFIDENCE
        and bool(roles.of(reason) & _REPORTING)
        for reason in reasons
    )


_REPORTING = frozenset({Role.STRUCTURE, Role.FAILURE_STATEMENT, Role.REPORT_EVIDENCE})
