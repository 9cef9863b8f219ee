"""The decision: one verdict from all the evidence a message carries.

Rules and steps only state evidence; this module sorts it into the columns of one table
and tries the table's rows in order (docs/classification.md shows the same table). The
first row whose evidence is present decides the category and says how sure it is. Evidence
is asked for the roles it plays (:class:`~loopguard.classifier.rules.roles.Role`), never for
rule names.

Columns (what :class:`Evidence` holds):

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from loopguard.classifier.rules.roles import Role, RoleIndex
from loopguard.classifier.verdict import PRECEDENCE, Bounce, Category, Reason, Verdict, clip_detail

__all__ = [
    "DECIDING_CONFIDENCE",
    "MARK_CONFIDENCE",
    "Evidence",
    "conclude",
    "decide",
    "is_settled",
    "reads_no_absence",
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
#: Content read from a text, with no header saying a machine sent it, is never surer than
#: this: a person can write anything.
CONTENT_ONLY_CEILING = 0.85
# Confidence of a human verdict: with person evidence, with none either way, and when some
# evidence of a machine was outweighed.
_HUMAN_WITH_PERSON = 0.93
_HUMAN_PLAIN = 0.85
_HUMAN_OVERRULED = 0.7
_PERSON_EVIDENCE = 0.3
# An auto-reply prefix at the very start of the subject (subject-autoreply-prefix).
_SETTLING_PREFIX = 0.85


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
            evidence._note(reason, traits)
            if text_scored and traits.weighed_by_text:
                continue  # the text score weighed it already, with the person evidence
            if reason.category is not None and reason.confidence >= DECIDING_CONFIDENCE:
                evidence._file(reason, reason.category, traits)
        evidence.person = round(1.0 - person_doubt, 3)
        return evidence

    def _note(self, reason: Reason, traits: _Traits) -> None:
        self.mail_system = self.mail_system or traits.mail_system
        self.reporter = self.reporter or traits.reporter
        self.noreply_sender = self.noreply_sender or traits.noreply_sender
        if reason.category is Category.AUTO_REPLY and reason.confidence >= REPLY_VETO_CONFIDENCE:
            self.replied = True
        if traits.list_header and reason.confidence >= DECIDING_CONFIDENCE:
            self.listed.append(reason.confidence)
        if traits.machine_sent and reason.category is not Category.AUTO_GENERATED:
            self.automatic.append(reason.confidence)  # Precedence: bulk/junk says "a machine"

    def _file(self, reason: Reason, category: Category, traits: _Traits) -> None:
        if traits.structure and reason.confidence >= MARK_CONFIDENCE:
            column = self.structure
        elif traits.structure:
            column = self.marks  # a report of no declared type: a notification mark
        elif traits.generic and category is Category.AUTO_GENERATED:
            (self.weak if traits.weak else self.automatic).append(reason.confidence)
            return
        elif traits.failure_statement:
            self.failures.append(reason.confidence)
            return
        elif traits.content:
            column = self.content
        else:
            column = self.marks
        column.setdefault(category, []).append(reason.confidence)

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
    )


Decision = tuple[Category, float]
Row = Callable[[Evidence], "Decision | None"]


def _report_structure(e: Evidence) -> Decision | None:
    """A machine report by its MIME structure is what its structure says."""
    category = e.kind(e.structure)
    if category is None:
        return None
    return category, combined(e.strength(category, e.structure, e.marks, e.content))


def _receipt_statement(e: Evidence) -> Decision | None:
    """A read receipt says so in its subject and its text."""
    found = e.strength(Category.RECEIPT, e.marks, e.content)
    return (Category.RECEIPT, combined(found)) if found else None


def _auto_reply_mark(e: Evidence) -> Decision | None:
    """A header only autoresponders set (RFC 3834 auto-replied, vendor marks)."""
    marks = e.strength(Category.AUTO_REPLY, e.marks)
    if not marks:
        return None
    return Category.AUTO_REPLY, combined(marks + e.strength(Category.AUTO_REPLY, e.content))


def _auto_reply_from_a_machine(e: Evidence) -> Decision | None:
    """A machine sent it (any strength) and its subject or text says auto-reply: the
    Exchange out-of-office reply with Auto-Submitted: auto-generated, a vacation responder
    with Precedence: bulk and a null sender, an acknowledgement from a no-reply address."""
    content = e.strength(Category.AUTO_REPLY, e.content)
    if not content or not (e.automatic or e.weak):
        return None
    return Category.AUTO_REPLY, combined(content + e.automatic + e.weak)


def _mail_system_failure(e: Evidence) -> Decision | None:
    """A mail system (MAILER-DAEMON, postmaster, a null sender) states a delivery failure,
    and nothing in the message says auto-reply."""
    if not e.failures or not e.mail_system or e.replied:
        return None
    return Category.BOUNCE, combined(e.failures + e.automatic)


def _notification_mark(e: Evidence) -> Decision | None:
    """A header only notification generators set."""
    marks = e.strength(Category.AUTO_GENERATED, e.marks)
    if not marks:
        return None
    return Category.AUTO_GENERATED, combined(marks + e.automatic)


def _list(e: Evidence) -> Decision | None:
    """List headers: bulk, unless a machine says the message is about one event for this
    recipient (Auto-Submitted: auto-generated beside them, or a no-reply sender: GitHub,
    carriers, shops) or its text does (a notification text)."""
    marks = e.listed
    if not marks:
        return None
    event = [value for value in e.automatic if value >= MARK_CONFIDENCE]
    if event or e.noreply_sender or Category.AUTO_GENERATED in e.content:
        found = event + e.weak + e.strength(Category.AUTO_GENERATED, e.content)
        return Category.AUTO_GENERATED, combined([*found, min(marks)])
    return Category.BULK, combined(marks + e.strength(Category.BULK, e.content))


def _automatic(e: Evidence) -> Decision | None:
    """A machine sent it and nothing names another kind: a notification. What the text
    names wins (an unsubscribe footer: bulk); weak evidence alone loses to a person."""
    if not (e.automatic or e.weak):
        return None
    if not e.automatic and e.outweighs_weak_evidence:
        e.overruled = True
        return None
    named = e.kind(e.content)
    if named is not None and named is not Category.AUTO_GENERATED:
        return named, combined(e.strength(named, e.content) + e.weak)
    found = e.automatic + e.weak + e.strength(Category.AUTO_GENERATED, e.content)
    return Category.AUTO_GENERATED, combined(found)


def _content_alone(e: Evidence) -> Decision | None:
    """Nothing but the subject and the text: their kind, never surer than a text can be."""
    named = e.kind(e.content)
    if named is None:
        return None
    return named, min(CONTENT_ONLY_CEILING, combined(e.strength(named, e.content)))


#: The decision table, in the order its rows are tried; docs/classification.md shows it.
DECISION_TABLE: tuple[Row, ...] = (
    _report_structure,
    _receipt_statement,
    _auto_reply_mark,
    _auto_reply_from_a_machine,
    _mail_system_failure,
    _notification_mark,
    _list,
    _automatic,
    _content_alone,
)


def decide(reasons: Iterable[Reason], roles: RoleIndex) -> Decision:
    """The category the evidence names and how sure it is (see :data:`DECISION_TABLE`)."""
    return _decide(Evidence.gather(reasons, roles))


def _decide(evidence: Evidence) -> Decision:
    for row in DECISION_TABLE:
        found = row(evidence)
        if found is not None:
            return found
    return Category.HUMAN, _human_confidence(evidence)


def _human_confidence(e: Evidence) -> float:
    if e.overruled or e.replied or e.failures or any(e.content.values()):
        return _HUMAN_OVERRULED
    return _HUMAN_WITH_PERSON if e.person >= _PERSON_EVIDENCE else _HUMAN_PLAIN


def is_settled(reasons: Iterable[Reason], roles: RoleIndex) -> bool:
    """Whether the header evidence already names the kind for sure, so that the body need
    not be read for another one: a report structure, a mark, an auto-reply prefix on mail a
    machine says it sent (the Exchange out-of-office reply), or a mail system's reporting
    account stamping its mail automatic (the bounce step reads what it reports)."""
    e = Evidence.gather(reasons, roles)
    if e.structure or any(max(values) >= MARK_CONFIDENCE for values in e.marks.values()):
        return True
    if e.reporter and any(value >= MARK_CONFIDENCE for value in e.automatic):
        return True
    replies = e.strength(Category.AUTO_REPLY, e.content)
    return bool(replies) and max(replies) >= _SETTLING_PREFIX and bool(e.automatic)


def reads_no_absence(reasons: Iterable[Reason], roles: RoleIndex) -> bool:
    """Whether out-of-office text would not count: a mail system's own report."""
    return roles.any(reasons, Role.REPORTER)


def conclude(
    reasons: list[Reason],
    roles: RoleIndex,
    *,
    no_autoreply: bool,
    bounce: Bounce | None,
    sender: str | None,
) -> Verdict:
    """The verdict on all the evidence gathered; ``bounce`` is kept only for a bounce."""
    reasons = _reports_are_not_replies(reasons, roles)
    evidence = Evidence.gather(reasons, roles)
    category, confidence = _decide(evidence)
    if category is Category.BOUNCE and bounce is not None:
        bounce = Bounce(bounce.permanent, bounce.temporary, structural=not evidence.replied)
    return Verdict(
        category=category,
        confidence=confidence,
        reasons=_strongest_first(reasons, category),
        no_autoreply=no_autoreply,
        bounce=bounce if category is Category.BOUNCE else None,
        sender=sender,
    )


def combined(confidences: list[float]) -> float:
    """Independent pieces of evidence for the same conclusion reinforce each other."""
    doubt = 1.0
    for value in confidences:
        doubt *= 1.0 - value
    return round(min(0.999, 1.0 - doubt), 3)


def _reports_are_not_replies(reasons: list[Reason], roles: RoleIndex) -> list[Reason]:
    """Postfix, Exim and many report generators stamp ``Auto-Submitted: auto-replied`` on
    their reports (RFC 3834 allows it); on a report, or on mail from a mail system's
    reporting account, it does not mean an auto-reply. Nor does a mail system's own report
    text that reads like an absence notice ("This mailbox is no longer in use")."""
    reporter = roles.any(reasons, Role.REPORTER)
    if not (reporter or roles.any(reasons, Role.REPORT_EVIDENCE)):
        return reasons
    return [_as_report_evidence(r, roles.of(r), reporter=reporter) for r in reasons]


def _as_report_evidence(reason: Reason, played: frozenset[Role], *, reporter: bool) -> Reason:
    if reason.category is not Category.AUTO_REPLY:
        return reason
    if Role.STAMPED_ON_REPORTS in played:
        detail = clip_detail(f"{reason.detail} (on a machine report)")
        return Reason(reason.rule, Category.AUTO_GENERATED, detail, reason.confidence)
    if reporter and (Role.TEXT_SCORE in played or Role.WEIGHED_BY_TEXT in played):
        detail = clip_detail(f"{reason.detail} (in a mail system's report)")
        return Reason(reason.rule, None, detail, reason.confidence)
    return reason


def _strongest_first(reasons: list[Reason], category: Category) -> tuple[Reason, ...]:
    """The evidence for the chosen category first, strongest first; then the rest in
    evaluation order (sorting is stable)."""
    return tuple(sorted(reasons, key=lambda r: -r.confidence if r.category is category else 1.0))
