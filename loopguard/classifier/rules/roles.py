"""What a hit means to the pipeline, as data on the rule: the engine asks for roles, never names.

Renaming a rule, or adding one that plays a known part (another mail-system sender, another
list header), needs no change in the pipeline: the rule says what it is.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from loopguard.classifier.verdict import Reason

__all__ = ["Role", "RoleIndex", "Traits"]


class Role(enum.StrEnum):
    """The parts a piece of evidence can play besides naming a category.

    The decision table (:mod:`loopguard.classifier.decide`, docs/classification.md) sorts
    evidence into its columns by these roles: ``STRUCTURE``, ``CONTENT``,
    ``GENERIC_AUTOMATION`` (with ``WEAK``), ``PERSON``; evidence with none of them that names
    a category is a *mark*, a header a machine set to say what it sent.
    """

    STRUCTURE = "structure"
    """The message's MIME structure is a machine report (DSN, MDN, ARF): decides first."""
    CONTENT = "content"
    """Read from the subject or the text, not set by a machine: weighed against a person."""
    PERSON = "person"
    """A sign that a person wrote the text (a question, a quote, conversational phrases)."""
    WEAK = "weak"
    """Evidence of a machine that never decides against a person's text (a no-reply sender)."""
    FAILURE_STATEMENT = "failure-statement"
    """A delivery failure stated in a report's text: a bounce only from a mail system, and
    never when the message carries any auto-reply evidence."""
    TEXT_SCORE = "text-score"
    """The out-of-office score of the author's text: where it exists, it speaks for the
    subject evidence it weighed together with the person evidence."""
    NOTICE_SCORE = "notice-score"
    """The notification score of the author's text: below its threshold it names no
    category, but it still weighs one event against many beside list headers."""
    WEIGHED_BY_TEXT = "weighed-by-text"
    """Counted again inside the text score (an auto-reply subject prefix)."""
    REPORTER = "reporter"
    """From is a mail system's reporting account: its auto-replied stamp marks a report."""

    BOUNCE_HINT = "bounce-hint"
    """The body is worth reading thoroughly for failed recipients (DSN type, mail system)."""
    WEAK_BOUNCE_HINT = "weak-bounce-hint"
    """The body is worth a cheap look for a failure stated in words (no-reply, list admin)."""
    MAIL_SYSTEM = "mail-system"
    """A mail system sent the message (MAILER-DAEMON, a null return path)."""
    MACHINE_SENT = "machine-sent"
    """A machine sent it without saying which kind: short reply text makes an autoresponder."""
    GENERIC_AUTOMATION = "generic-automation"
    """Says a machine sent it, not which kind: when it names auto_generated, that holds only
    when no other evidence names a kind (Auto-Submitted: auto-generated, a null path)."""
    LIST_HEADER = "list-header"
    """A list or bulk header."""
    REPORT_EVIDENCE = "report-evidence"
    """The message is a machine report (delivery, feedback, disposition)."""
    NOT_A_BOUNCE = "not-a-bounce"
    """As a mark, a report that is not a bounce, whoever sent it: no bounce step."""
    REPORT_SUBJECT = "report-subject"
    """A report's subject: from a mail system, it is a bounce even without recipients."""
    DELIVERY_STATUS = "delivery-status"
    """Declares a delivery status report; withdrawn when every recipient was delivered."""
    STAMPED_ON_REPORTS = "stamped-on-reports"
    """A reply mark that report generators stamp too: on a report it means auto_generated."""


class _Carrier(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def roles(self) -> frozenset[Role]: ...


class Traits(NamedTuple):
    """The roles the decision asks about, as flags resolved once per rule when a classifier
    is built: one dictionary look-up per reason, not one set test per question."""

    person: bool
    mail_system: bool
    reporter: bool
    list_header: bool
    machine_sent: bool
    structure: bool
    generic: bool
    weak: bool
    failure_statement: bool
    content: bool
    text_score: bool
    notice_score: bool
    weighed_by_text: bool
    flags_sender: bool
    """Any of mail_system, reporter."""

    @classmethod
    def of(cls, played: frozenset[Role]) -> Traits:
        """The flags of a set of roles."""
        return cls(
            person=Role.PERSON in played,
            mail_system=Role.MAIL_SYSTEM in played,
            reporter=Role.REPORTER in played,
            list_header=Role.LIST_HEADER in played,
            machine_sent=Role.MACHINE_SENT in played,
            structure=Role.STRUCTURE in played,
            generic=Role.GENERIC_AUTOMATION in played,
            weak=Role.WEAK in played,
            failure_statement=Role.FAILURE_STATEMENT in played,
            content=Role.CONTENT in played,
            text_score=Role.TEXT_SCORE in played,
            notice_score=Role.NOTICE_SCORE in played,
            weighed_by_text=Role.WEIGHED_BY_TEXT in played,
            flags_sender=bool(played & {Role.MAIL_SYSTEM, Role.REPORTER}),
        )


_NO_TRAITS = Traits.of(frozenset())


class RoleIndex:
    """The roles of every piece of evidence a classifier can produce, by its rule's name."""

    __slots__ = ("_by_name", "_traits")

    def __init__(self, carriers: Iterable[_Carrier]) -> None:
        by_name: dict[str, frozenset[Role]] = {}
        for carrier in carriers:
            by_name[carrier.name] = by_name.get(carrier.name, frozenset()) | carrier.roles
        self._by_name = by_name
        self._traits = {name: Traits.of(played) for name, played in by_name.items()}

    def of(self, reason: Reason) -> frozenset[Role]:
        """The roles of the rule that gave ``reason``."""
        return self._by_name.get(reason.rule, frozenset())

    def traits(self, reason: Reason) -> Traits:
        """The decision's flags for the rule that gave ``reason`` (resolved at construction)."""
        return self._traits.get(reason.rule, _NO_TRAITS)

    def any(self, reasons: Iterable[Reason], role: Role) -> bool:
        """Whether any of ``reasons`` plays ``role``."""
        return any(role in self.of(reason) for reason in reasons)

    @property
    def carried(self) -> frozenset[Role]:
        """Every role some rule carries."""
        return frozenset(role for roles in self._by_name.values() for role in roles)
