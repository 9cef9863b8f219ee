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

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from loopguard.classifier.rules.roles import Role, RoleIndex
from loopguard.classifier.verdict import PRECEDENCE, Category, Reason

__all__ = [
    "DECIDING_CONFIDENCE",
    "MARK_CONFIDENCE",
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
    noreply_sender: bool = False
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
        played = [(reason, _traits(roles.of(reason))) for reason in reasons]
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
            if confidence < DECIDING_CONFIDENCE or category is None:
                continue
            if traits.list_header:
                evidence.listed.append(confidence)
            if traits.machine_sent and category is not Category.AUTO_GENERATED:
                evidence.automatic.append(confidence)  # Precedence: bulk/junk says "a machine"
            if not (text_scored and traits.weighed_by_text):
                # (the text score weighed the subject already, with the person evidence)
                evidence._file(confidence, category, traits)
        evidence.person = round(1.0 - person_doubt, 3)
        return evidence

    def _note_sender(self, traits: _Traits) -> None:
        self.mail_system = self.mail_system or traits.mail_system
        self.reporter = self.reporter or traits.reporter
        self.noreply_sender = self.noreply_sender or traits.noreply_sender

    def _file(self, confidence: float, category: Category, traits: _Traits) -> None:
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
        elif traits.content:
            column = self.content
        else:
            column = self.marks
        column.setdefault(category, []).append(confidence)

    @property
    def outweighs_weak_evidence(self) -> bool:
        """The person evidence outweighs weak evidence of a machine."""
        return (
            self.person >= PERSON_OUTWEIGHS_WEAK and self.person_signs >= PERSON_SIGNS_OUTWEIGH_WEAK
        )

    def kind(self, column: dict[Category, list[float]], *extra: Category) -> Category | None:
        """The category a column names, by precedence when it names several."""
        named = set(column) | set(extra)
        return next((category for category in PRECEDENCE if category in named), None)

    def strength(self, category: Category, *columns: dict[Category, list[float]]) -> list[float]:
        """Every confidence naming ``category`` in ``columns``."""
        return [value for column in columns for value in column.get(category, ())]


class _Traits(NamedTuple):
    """The roles the table asks for, as flags: one look-up per rule, not one per question."""

    person: bool
    mail_system: bool
    reporter: bool
    noreply_sender: bool
    list_header: bool
    machine_sent: bool
    structure: bool
    generic: bool
    weak: bool
    failure_statement: bool
    content: bool
    text_score: bool
    weighed_by_text: bool
    flags_sender: bool
    """Any of mail_system, reporter, noreply_sender."""


@functools.cache
def _traits(played: frozenset[Role]) -> _Traits:
    return _Traits(
        person=Role.PERSON in played,
        mail_system=Role.MAIL_SYSTEM in played,
        reporter=Role.REPORTER in played,
        noreply_sender=Role.NOREPLY_SENDER in played,
        list_header=Role.LIST_HEADER in played,
        machine_sent=Role.MACHINE_SENT in played,
        structure=Role.STRUCTURE in played,
        generic=Role.GENERIC_AUTOMATION in played,
        weak=Role.WEAK in played,
        failure_statement=Role.FAILURE_STATEMENT in played,
        content=Role.CONTENT in played,
        text_score=Role.TEXT_SCORE in played,
        weighed_by_text=Role.WEIGHED_BY_TEXT in played,
        flags_sender=bool(played & {Role.MAIL_SYSTEM, Role.REPORTER, Role.NOREPLY_SENDER}),
    )


def is_settled(reasons: Iterable[Reason], roles: RoleIndex) -> bool:
    """Whether the header evidence already names the kind for sure, so that the body need
    not be read for another one: a report structure, a mark, an auto-reply prefix on mail a
    machine says it sent (the Exchange out-of-office reply), or a mail system's reporting
    account stamping its mail automatic (the bounce step reads what it reports).

    The same columns as :class:`Evidence`, read in one pass that stops at the first mark:
    this runs on every message, so it builds nothing.
    """
    reporter = prefixed = False
    automatic = stamped = 0.0
    for reason in reasons:
        traits = _traits(roles.of(reason))
        category, confidence = reason.category, reason.confidence
        reporter = reporter or traits.reporter
        if category is None or confidence < DECIDING_CONFIDENCE or traits.person:
            continue
        marked = traits.structure or not (
            traits.generic or traits.content or traits.failure_statement
        )
        if marked and confidence >= MARK_CONFIDENCE:
            return True  # a report's structure or a mark
        generic = traits.generic and category is Category.AUTO_GENERATED
        if (generic and not traits.weak) or (traits.machine_sent and not generic):
            automatic = max(automatic, confidence)
            stamped = max(stamped, confidence if generic else 0.0)
        if traits.content and category is Category.AUTO_REPLY:
            prefixed = prefixed or confidence >= _SETTLING_PREFIX
    if reporter and stamped >= MARK_CONFIDENCE:
        return True
    return prefixed and automatic > 0.0


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
