"""The decision: which category the gathered evidence names, and how sure it is.

Kept apart from the steps that read a message, so that the way evidence is combined can be
rewritten without touching how the headers and the body are read. Evidence is asked for
the roles it plays (:class:`~loopguard.classifier.rules.roles.Role`), never for rule names.
"""

from __future__ import annotations

from collections.abc import Iterable

from loopguard.classifier.rules.roles import Role, RoleIndex
from loopguard.classifier.verdict import PRECEDENCE, Bounce, Category, Reason, Verdict, clip_detail

__all__ = ["DECIDING_CONFIDENCE", "MARK_CONFIDENCE", "conclude", "decide", "has_mark"]

#: Evidence below this confidence is reported but never decides a category alone.
DECIDING_CONFIDENCE = 0.5
#: Evidence at or above this is a *mark* (a header a machine put there on purpose). When
#: marks exist, only marks compete, by :data:`loopguard.classifier.verdict.PRECEDENCE`;
#: weaker evidence competes only when there is no mark. So a newsletter's List-Unsubscribe
#: (a mark) beats its no-reply sender (a hint), and a bounce's DSN beats the Auto-Submitted
#: it carries.
MARK_CONFIDENCE = 0.9
_HUMAN_CONFIDENCE = 0.9


def has_mark(reasons: Iterable[Reason]) -> bool:
    """Whether any evidence is a mark (names a category at :data:`MARK_CONFIDENCE` or more)."""
    return any(r.category is not None and r.confidence >= MARK_CONFIDENCE for r in reasons)


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
    category, confidence = decide(reasons, roles)
    return Verdict(
        category=category,
        confidence=confidence,
        reasons=_strongest_first(reasons, category),
        no_autoreply=no_autoreply,
        bounce=bounce if category is Category.BOUNCE else None,
        sender=sender,
    )


def decide(reasons: Iterable[Reason], roles: RoleIndex) -> tuple[Category, float]:
    """Pick the category from the evidence, with its confidence (see MARK_CONFIDENCE).

    Generic evidence of automation (a no-reply or system-account sender) says that a
    machine sent the message, not which kind: it names ``auto_generated`` only when no
    other evidence names a category (a no-reply carrier report is a bounce, a no-reply
    mail with an unsubscribe footer bulk), or when the sender is a no-reply address
    and the only other evidence is list headers (a notification service: GitHub,
    carriers, shops).
    """
    deciding = [
        r for r in reasons if r.category is not None and r.confidence >= DECIDING_CONFIDENCE
    ]
    specific = [r for r in deciding if Role.GENERIC_AUTOMATION not in roles.of(r)]
    if roles.any(deciding, Role.NOREPLY_SENDER) and _only_list_headers(specific, roles):
        # List headers on mail from a no-reply address: a notification
        # service (GitHub, carriers, shops), not a discussion list or a newsletter.
        return Category.AUTO_GENERATED, _combined([r.confidence for r in deciding])
    by_category: dict[Category, list[float]] = {}
    for reason in specific or deciding:
        if reason.category is not None:
            by_category.setdefault(reason.category, []).append(reason.confidence)
    marked = {c for c, values in by_category.items() if max(values) >= MARK_CONFIDENCE}
    candidates = marked or set(by_category)
    for category in PRECEDENCE:
        if category in candidates:
            return category, _combined(by_category[category])
    return Category.HUMAN, _HUMAN_CONFIDENCE


def _only_list_headers(specific: list[Reason], roles: RoleIndex) -> bool:
    return bool(specific) and all(Role.LIST_HEADER in roles.of(r) for r in specific)


def _combined(confidences: list[float]) -> float:
    # Independent pieces of evidence for the same category reinforce each other.
    doubt = 1.0
    for value in confidences:
        doubt *= 1.0 - value
    return round(min(0.999, 1.0 - doubt), 3)


def _reports_are_not_replies(reasons: list[Reason], roles: RoleIndex) -> list[Reason]:
    """Postfix and many report generators stamp ``Auto-Submitted: auto-replied`` on their
    reports (RFC 3834 allows it); on a report it does not mean an auto-reply."""
    if not roles.any(reasons, Role.REPORT_EVIDENCE):
        return reasons
    return [
        Reason(
            r.rule,
            Category.AUTO_GENERATED,
            clip_detail(f"{r.detail} (on a machine report)"),
            r.confidence,
        )
        if r.category is Category.AUTO_REPLY and Role.STAMPED_ON_REPORTS in roles.of(r)
        else r
        for r in reasons
    ]


def _strongest_first(reasons: list[Reason], category: Category) -> tuple[Reason, ...]:
    """The evidence for the chosen category first, strongest first; then the rest in
    evaluation order (sorting is stable)."""
    return tuple(sorted(reasons, key=lambda r: -r.confidence if r.category is category else 1.0))
