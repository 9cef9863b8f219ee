"""The decision: one verdict from all the evidence a message carries.

Rules and steps only state evidence; :class:`~loopguard.classifier.evidence.Evidence` sorts
it into the columns of one table, and this module tries the table's rows in order
(docs/classification.md shows the same table). The first row whose evidence is present
decides the category and says how sure it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from loopguard.classifier.evidence import (
    DECIDING_CONFIDENCE,
    MARK_CONFIDENCE,
    Evidence,
    is_settled,
    reads_no_absence,
    reports_failure,
)
from loopguard.classifier.rules.roles import Role, RoleIndex
from loopguard.classifier.verdict import Bounce, Category, Reason, Verdict, clip_detail

__all__ = [
    "DECIDING_CONFIDENCE",
    "MARK_CONFIDENCE",
    "Evidence",
    "conclude",
    "decide",
    "is_settled",
    "reads_no_absence",
    "reports_failure",
]

#: Content read from a text, with no header saying a machine sent it, is never surer than
#: this: a person can write anything.
CONTENT_ONLY_CEILING = 0.85
#: A machine sent it and nothing names the kind: ``auto_generated`` is the default, never
#: surer than this (an out-of-office reply in a language the data lacks looks the same).
KINDLESS_CEILING = 0.88
# Confidence of a human verdict: with person evidence, with none either way, and when some
# evidence of a machine was outweighed.
_HUMAN_WITH_PERSON = 0.93
_HUMAN_PLAIN = 0.85
_HUMAN_OVERRULED = 0.7


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
    if not content or not e.machine:
        return None
    # Weak evidence of a machine (a no-reply sender, Precedence: bulk) says a machine may
    # have sent it, and adds nothing to which kind: the content alone is that sure.
    return Category.AUTO_REPLY, combined(content + e.automatic if e.automatic else content)


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
    """List headers: the same content to many (bulk), unless the message is about one
    event for this recipient: a machine's mark of 0.9 or more beside them (``Auto-Submitted:
    auto-generated``, an event header such as ``X-GitHub-Reason``), or, where no list
    manager distributed it, one-event evidence that weighs at least as much as the
    evidence of many (:func:`one_event_or_many`)."""
    marks = e.listed
    if not marks:
        return None
    event = [value for value in e.automatic if value >= MARK_CONFIDENCE]
    distributed = max(marks) >= MARK_CONFIDENCE  # a list manager's headers
    one, many = one_event_or_many(e)
    if event or (not distributed and one >= DECIDING_CONFIDENCE and one >= many):
        found = combined([*event, one, min(marks)])
        return Category.AUTO_GENERATED, found if event else min(KINDLESS_CEILING, found)
    found = combined([*marks, many, *e.bulk_hint])
    # List headers that no list manager set (List-Unsubscribe from a mailing service) say
    # "many" only as long as nothing names the event: never surer than a kindless guess.
    return Category.BULK, found if distributed else min(KINDLESS_CEILING, found)


def one_event_or_many(e: Evidence) -> tuple[float, float]:
    """How strongly the message is about one event for this recipient (a notification text,
    even below its threshold; a 'do not reply' notice; a no-reply or system sender), and
    how strongly it is the same content for many (an unsubscribe footer, newsletter
    wording), each combined as independent evidence."""
    one = e.strength(Category.AUTO_GENERATED, e.content) + e.weak
    if e.notice_hint:
        one.append(e.notice_hint)
    return combined(one), combined(e.strength(Category.BULK, e.content))


def _automatic(e: Evidence) -> Decision | None:
    """A machine sent it and nothing names another kind: a notification. What the text
    names wins (an unsubscribe footer: bulk); weak evidence alone loses to a person."""
    if not e.machine:
        return None
    if not e.automatic and e.outweighs_weak_evidence:
        e.overruled = True
        return None
    named = e.kind(e.content)
    if named is not None and named is not Category.AUTO_GENERATED:
        return named, combined(e.strength(named, e.content) + e.weak + e.bulk_hint)
    content = e.strength(Category.AUTO_GENERATED, e.content)
    if not (e.automatic or e.weak or content):
        # Precedence: bulk/junk alone: the same content to many, weakly.
        return Category.BULK, min(KINDLESS_CEILING, combined(e.bulk_hint))
    found = combined(e.automatic + e.weak + content)
    return Category.AUTO_GENERATED, found if content else min(KINDLESS_CEILING, found)


def _content_alone(e: Evidence) -> Decision | None:
    """Nothing but the subject and the text: their kind, never surer than a text can be."""
    named = e.kind(e.content)
    if named is None:
        return None
    if named is not Category.AUTO_REPLY and e.shows_a_person:
        # "Please do not reply to this email, I will call you" in a person's reply: the
        # out-of-office score weighed the person already, a notice phrase did not.
        e.overruled = True
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
    return _HUMAN_WITH_PERSON if e.shows_a_person else _HUMAN_PLAIN


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
    their reports (RFC 3834 allows it); on a report it does not mean an auto-reply. Nor does
    a mail system's own report text that reads like an absence notice ("This mailbox is no
    longer in use"). A message that reports nothing (no report structure, no failure
    statement) is no report: a vacation reply sent from ``mail-daemon@`` is one."""
    if not any(reason.category is Category.AUTO_REPLY for reason in reasons):
        return reasons  # nothing to reinterpret (most messages)
    if not reports_failure(reasons, roles):
        return reasons
    reporter = roles.any(reasons, Role.REPORTER)
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
