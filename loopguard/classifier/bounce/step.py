"""The bounce step: when the evidence hints at a report, read its body for failed recipients.

What the body says confirms, refines or demotes the header evidence: failed recipients
make a bounce, a report of deliveries only an ``auto_generated`` notice, and a delay report
that holds the message until its sender proves to be a person a challenge-response
auto-reply.
"""

from __future__ import annotations

import logging

from loopguard.classifier.bounce.report import BounceReport, analyse_bounce, scan_raw_report
from loopguard.classifier.bounce.text import mentions_failure, names_mail
from loopguard.classifier.decide import MARK_CONFIDENCE
from loopguard.classifier.rules.base import Finding
from loopguard.classifier.rules.body import CHALLENGE_RESPONSE, CHALLENGE_WORDS, BodySnapshot
from loopguard.classifier.rules.roles import Role, RoleIndex
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.verdict import Bounce, Category, Reason
from loopguard.mail.address import normalize_address
from loopguard.mail.view import MessageView

__all__ = [
    "BOUNCE_FINDINGS",
    "BOUNCE_TEXT",
    "DELIVERY_REPORT_SUCCESS",
    "FAILED_RECIPIENTS",
    "RETURNED_ORIGINAL",
    "TEXT_RECIPIENTS",
    "bounce_step",
    "needs_bounce_step",
]

log = logging.getLogger(__name__)

_REPORT = frozenset({Role.REPORT_EVIDENCE, Role.STRUCTURE})
_STATED = frozenset({Role.FAILURE_STATEMENT})
FAILED_RECIPIENTS = Finding(
    "failed-recipients",
    Category.BOUNCE,
    0.95,
    "failed recipients named by a delivery-status part (RFC 3464)",
    _REPORT,
)
TEXT_RECIPIENTS = Finding(
    "failure-text-recipients",
    Category.BOUNCE,
    0.95,
    "failed recipients named beside a failure statement in a report's own text, or found by "
    "flufl.bounce's detectors: a bounce only when a mail system sent it and nothing says "
    "auto-reply",
    _STATED,
)
BOUNCE_TEXT = Finding(
    "bounce-text",
    Category.BOUNCE,
    0.9,
    "a failure statement in the report's own text, or a report subject from a mail system "
    "(same conditions)",
    _STATED,
)
DELIVERY_REPORT_SUCCESS = Finding(
    "delivery-report-success",
    Category.AUTO_GENERATED,
    0.95,
    "a delivery-status report in which every recipient was delivered, relayed or expanded",
    _REPORT,
)
RETURNED_ORIGINAL = Finding(
    "returned-original",
    Category.BOUNCE,
    0.9,
    "the message sends back the original (message/rfc822 or its headers), as mail systems "
    "do: with a failure statement from any sender, alone from a mail system",
    frozenset({Role.FAILURE_STATEMENT, Role.MAIL_SYSTEM}),
)
#: What the bounce step states itself, for the roles index and the documentation.
BOUNCE_FINDINGS = (
    FAILED_RECIPIENTS,
    TEXT_RECIPIENTS,
    BOUNCE_TEXT,
    DELIVERY_REPORT_SUCCESS,
    RETURNED_ORIGINAL,
)
_CHALLENGE_WINDOW = 16 * 1024
# Of the words every challenge text holds one of (CHALLENGE_WORDS), those a delay report
# rarely holds ("deliver" it always does; TMDA and Boxbe texts hold another one too).
_CHALLENGE_WORDS = tuple(word for word in CHALLENGE_WORDS if word != "deliver")
_RETURNED = frozenset({"message/rfc822", "text/rfc822-headers", "message/global"})
# A report returns the original (and sometimes its headers apart): more is a collection.
_MAX_RETURNED = 2


def needs_bounce_step(view: MessageView, reasons: list[Reason], roles: RoleIndex) -> bool:
    """Whether the evidence hints at a report whose body may name failed recipients."""
    if any(r.confidence >= MARK_CONFIDENCE and Role.NOT_A_BOUNCE in roles.of(r) for r in reasons):
        return False  # a typed feedback report or a receipt is not a bounce, whoever sent it
    if _hinted(reasons, roles):
        return True
    return _subject_only(reasons, roles) and _returned_original(view)


def _hinted(reasons: list[Reason], roles: RoleIndex) -> bool:
    """Whether some evidence hints at a report (a null sender, a DSN's type, a no-reply
    sender ...), strongly or weakly."""
    return roles.any(reasons, Role.BOUNCE_HINT) or roles.any(reasons, Role.WEAK_BOUNCE_HINT)


def _subject_only(reasons: list[Reason], roles: RoleIndex) -> bool:
    """A report's subject from an address no rule knows (a gateway's ``ndr@``), and no sign
    of a person: worth reading when the message sends one back, as mail systems do."""
    return roles.any(reasons, Role.REPORT_SUBJECT) and not roles.any(reasons, Role.PERSON)


def bounce_step(
    view: MessageView, reasons: list[Reason], roles: RoleIndex, patterns: PatternSet
) -> tuple[list[Reason], Bounce | None]:
    """The reasons with what the body says added, and the failed recipients it names."""
    report = _read_bounce(view, thorough=roles.any(reasons, Role.BOUNCE_HINT))
    if not _hinted(reasons, roles) and not (report.failure and names_mail(report.failure)):
        # Only the subject spoke for a report: its text must state a failure of mail
        # ("could not be delivered to one or more of its recipients"), not of a parcel.
        return reasons, None
    reasons = _apply_report(reasons, report, view, roles)
    if report.bounce is not None and not report.bounce.permanent:
        reasons = _challenge_instead_of_delay(view, reasons, patterns)
    return reasons, report.bounce


def _read_bounce(view: MessageView, *, thorough: bool) -> BounceReport:
    if not thorough and view.has_raw and not mentions_failure(view.body_bytes(8192)):
        return BounceReport(None, False, False)  # a weak candidate that states nothing
    ctype, params = view.content_type
    if (
        view.has_raw
        and ctype == "multipart/report"
        and params.get("report-type") == ("delivery-status")
    ):
        fast = scan_raw_report(view.body_bytes())
        if fast is not None:
            return fast
    try:
        parts = view.parts
    except Exception as exc:  # the stdlib parser on hostile bytes
        log.debug("body parse failed", exc_info=True)
        return BounceReport(None, False, False, damage=f"MIME parse: {type(exc).__name__}")
    # The report's own From and To (the original sender) are never failed recipients.
    exclude = {view.from_address, normalize_address(view.get("to"))}
    return analyse_bounce(parts, exclude=frozenset(a for a in exclude if a), thorough=thorough)


def _apply_report(
    reasons: list[Reason], report: BounceReport, view: MessageView, roles: RoleIndex
) -> list[Reason]:
    """Turn what the body said into reasons: confirm, refine or demote the bounce evidence."""
    out = list(reasons)
    if report.damage:
        out.append(Reason("malformed-mime", None, report.damage, 0.0))
    if report.success_only:
        # A DSN that reports only deliveries is a notification, not a failure.
        out = [r for r in out if Role.DELIVERY_STATUS not in roles.of(r)]
        out.append(
            DELIVERY_REPORT_SUCCESS.hit(
                "delivery-status: every recipient delivered, relayed or expanded"
            )
        )
        return out
    mail_system = roles.any(reasons, Role.MAIL_SYSTEM)
    if report.bounce is not None:
        failed = sorted(report.bounce.recipients)
        shown = ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else "")
        if report.has_status_part:
            out.append(FAILED_RECIPIENTS.hit(f"delivery-status: {shown}"))
        else:
            out.append(TEXT_RECIPIENTS.hit(f"bounce text: {shown}"))
    elif report.failure:
        out.append(BOUNCE_TEXT.hit(report.failure))
    elif mail_system and roles.any(reasons, Role.REPORT_SUBJECT):
        out.append(BOUNCE_TEXT.hit(f"report subject from a mail system: {view.subject[:80]}"))
    elif _reporting_system(reasons, roles) and _returned_original(view):
        # Whatever language its text is in, a mail system that sends a message back
        # (attached, or its headers) reports that it was not delivered. A list's admin
        # address is no such system: it sends digests and moderation notices.
        out.append(RETURNED_ORIGINAL.hit("a mail system sent back a message"))
        return out
    stated = report.bounce is not None or report.failure is not None
    if stated and not (mail_system or report.has_status_part) and _returned_original(view):
        # A failure statement that sends the original back is a mail system's report,
        # whatever address it comes from (a carrier's no-reply gateway).
        out.append(RETURNED_ORIGINAL.hit("the failure report sends back the original"))
    return out


def _reporting_system(reasons: list[Reason], roles: RoleIndex) -> bool:
    """A mail system's own sender (MAILER-DAEMON, postmaster, a null path), not the weak
    kind (a list's ``-request`` or ``-owner`` address)."""
    return any(
        Role.MAIL_SYSTEM in played and Role.WEAK not in played for played in map(roles.of, reasons)
    )


def _returned_original(view: MessageView) -> bool:
    """The message sends one message back (attached, or its headers), as a bounce does; a
    digest (``multipart/digest``, or more attached messages than a report returns) collects
    posts instead."""
    try:
        types = [part.content_type for part in view.parts]
    except Exception:  # the parse failed: nothing more to learn from the body
        return False
    returned = sum(ctype in _RETURNED for ctype in types)
    return 0 < returned <= _MAX_RETURNED and "multipart/digest" not in types


def _challenge_instead_of_delay(
    view: MessageView, reasons: list[Reason], patterns: PatternSet
) -> list[Reason]:
    """Boxbe and TMDA word their challenges as delay reports ("Action: delayed"): a
    message held until its sender proves to be a person is a challenge-response
    auto-reply, not a delivery failure."""
    phrases = CHALLENGE_RESPONSE.phrases
    if view.has_raw and phrases is not None:
        # A cheap look at the raw bytes first: most delay reports (a queue that expired)
        # are no challenge, and the full parse costs more than the rest of the verdict.
        raw = view.body_bytes(_CHALLENGE_WINDOW).decode("utf-8", "replace").lower()
        if not any(word in raw for word in _CHALLENGE_WORDS):
            return reasons  # (every challenge phrase holds one of these words)
        if phrases.search(" ".join(raw.split())) is None:
            return reasons
    try:
        challenge = CHALLENGE_RESPONSE(BodySnapshot(view, patterns))
    except Exception:  # the parse failed already in the bounce stage, nothing to add
        return reasons
    if challenge is None:
        return reasons
    demoted = [
        Reason(r.rule, None, r.detail, r.confidence) if r.category is Category.BOUNCE else r
        for r in reasons
    ]
    return [*demoted, Reason(challenge.rule, challenge.category, challenge.detail, 0.95)]
