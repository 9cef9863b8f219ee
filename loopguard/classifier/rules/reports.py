"""Machine reports: delivery status (RFC 3464), receipts (RFC 8098), feedback (RFC 5965)."""

from __future__ import annotations

import re

from loopguard.classifier.bounce.text import report_text
from loopguard.classifier.rules.base import Rule, RuleSettings, rule
from loopguard.classifier.rules.roles import Role
from loopguard.classifier.text.notices import Searchable, notice_patterns
from loopguard.classifier.text.patterns import PatternSet, fold
from loopguard.classifier.text.subject import starts_like
from loopguard.classifier.verdict import Category, Reason
from loopguard.mail.address import normalize_address
from loopguard.mail.view import MessageView

__all__ = ["BOUNCE_SUBJECT", "REPORT_RULES"]


@rule(
    "multipart-report-dsn",
    Category.BOUNCE,
    0.99,
    evidence="Content-Type: multipart/report; report-type=delivery-status (or a bare "
    "message/delivery-status); success-only reports become auto_generated",
    source="RFC 3464 (DSN), RFC 6522 (multipart/report)",
    headers=("content-type",),
    roles=(Role.BOUNCE_HINT, Role.REPORT_EVIDENCE, Role.DELIVERY_STATUS, Role.STRUCTURE),
)
def multipart_report_dsn(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    ctype, params = view.content_type
    if ctype == "message/delivery-status" or (
        ctype == "multipart/report" and params.get("report-type") == "delivery-status"
    ):
        return self.hit(f"Content-Type: {ctype}; report-type={params.get('report-type', '')}")
    return None


@rule(
    "mdn-report",
    Category.RECEIPT,
    0.98,
    evidence="Content-Type: multipart/report; report-type=disposition-notification",
    source="RFC 8098 (Message Disposition Notification)",
    headers=("content-type",),
    roles=(Role.REPORT_EVIDENCE, Role.NOT_A_BOUNCE, Role.STRUCTURE),
)
def mdn_report(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    if _is_mdn(view) and not _rejects(view):
        return self.hit("Content-Type: multipart/report; report-type=disposition-notification")
    return None


@rule(
    "mdn-rejection",
    Category.BOUNCE,
    0.95,
    evidence="a disposition notification that reports the message deleted automatically "
    "('Disposition: automatic-action/MDN-sent-automatically; deleted') by the delivery "
    "agent ('Auto-Submitted: auto-replied (rejected)', or a Reporting-UA that names a "
    "delivery agent or Sieve): a Sieve reject refused it, so it was not delivered",
    source="RFC 5429 section 2.1.2 (Sieve reject by MDN); RFC 8098 section 3.2.6",
    false_positives="none known; a mail client's 'Not read' receipt (same disposition, no "
    "delivery agent) stays a receipt",
    headers=("content-type",),
    roles=(Role.BOUNCE_HINT, Role.REPORT_EVIDENCE, Role.STRUCTURE),
)
def mdn_rejection(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    if _is_mdn(view) and _rejects(view):
        return self.hit("Disposition: automatic-action/MDN-sent-automatically; deleted")
    return None


def _is_mdn(view: MessageView) -> bool:
    ctype, params = view.content_type
    return ctype == "multipart/report" and params.get("report-type") == "disposition-notification"


# RFC 8098 disposition fields, folded whitespace and case aside.
_AUTOMATIC_DELETION = re.compile(
    rb"^disposition[ \t]*:[ \t]*automatic-action[ \t]*/[ \t]*mdn-sent-automatically[ \t]*;"
    rb"[ \t]*deleted\b",
    re.IGNORECASE | re.MULTILINE,
)


# Who refused it: a Sieve reject says so in Auto-Submitted ("auto-replied (rejected)",
# Pigeonhole) or reports as the delivery agent. A mail client's "Not read" receipt (Outlook
# sends one when its user deletes the message unread) has the same disposition.
_DELIVERY_AGENT = re.compile(
    rb"^reporting-ua[ \t]*:[^\n]{0,200}(?:delivery agent|\blda\b|\blmtp\b|sieve)",
    re.IGNORECASE | re.MULTILINE,
)


def _rejects(view: MessageView) -> bool:
    """Whether a Sieve reject refused the message: it was deleted automatically and the
    delivery agent says it refused it (an MDN is a few hundred bytes of ASCII fields)."""
    body = view.body_bytes(16 * 1024)
    if _AUTOMATIC_DELETION.search(body) is None:
        return False
    refused = "rejected" in (view.get("auto-submitted") or "").lower()
    return refused or _DELIVERY_AGENT.search(body) is not None


@rule(
    "feedback-report",
    Category.AUTO_GENERATED,
    0.97,
    evidence="Content-Type: multipart/report with report-type feedback-report (ARF) or "
    "tlsrpt; a missing, misspelled or anonymised report-type only 0.8: the body's parts "
    "then decide (a disposition-notification part is a receipt, a delivery-status part a "
    "bounce)",
    source="RFC 5965 (ARF), RFC 8460 (TLS-RPT), RFC 6522",
    headers=("content-type",),
    roles=(Role.BOUNCE_HINT, Role.REPORT_EVIDENCE, Role.NOT_A_BOUNCE, Role.STRUCTURE),
)
def feedback_report(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    ctype, params = view.content_type
    report = params.get("report-type")
    if ctype != "multipart/report" or report in ("delivery-status", "disposition-notification"):
        return None
    if report not in _FEEDBACK_TYPES:
        # Untyped, misspelled or scrubbed: the parts say what it reports (the body rules
        # and the bounce step read them), so this is only a hint, below a mark.
        shown = f"report-type={report}" if report else "without report-type"
        return self.hit(f"Content-Type: {ctype} {shown}", confidence=_UNTYPED_REPORT)
    return self.hit(f"Content-Type: {ctype}; report-type={report}")


# The report types that name a notification themselves (RFC 5965, RFC 8460).
_FEEDBACK_TYPES = frozenset({"feedback-report", "tlsrpt"})
_UNTYPED_REPORT = 0.8


# Subjects MTAs give their non-delivery reports, in the languages they ship. Anchored at
# the start: a person's "Fwd: Undelivered Mail ..." is not a report.
BOUNCE_SUBJECT = re.compile(
    r"\s*(?:"
    r"undeliver(?:ed|able)|undelivered mail|returned mail|return(?:ed)? to sender"
    r"|delivery (?:status notification|failure|failed|has failed|notification|problem|report)"
    r"|(?:mail|message) delivery (?:failed|failure|report|problem)"
    r"|(?:mail|message) (?:not delivered|could not be delivered|returned)"
    r"|failure notice|non[- ]?deliver(?:y|able)|nondeliverable|delivery_failure"
    r"|mail system error|warning: could not send|could not send message"
    r"|unzustellbar|nicht zustellbar|non remis|non distribuable|échec de (?:la )?remise"
    r"|no entregado|imposible entregar|non recapitabile|mancato recapito|onbestelbaar"
    r"|niet afgeleverd|nie dostarczono|недоставлен|не доставлено|邮件退回|退信|配信不能"
    r"|returned mail|mail failure|delivery status|undelivered message|permanent error"
    r")",
    re.IGNORECASE,
)


@rule(
    "bounce-subject",
    Category.BOUNCE,
    0.45,
    evidence="Subject starts like an MTA's non-delivery report (Undelivered Mail Returned to "
    "Sender, Mail delivery failed, failure notice, Unzustellbar, ...)",
    source="Postfix, Exim, qmail, Sendmail, Exchange, Domino report subjects",
    false_positives="people write such subjects about parcels ('Delivery failure on my "
    "order'): alone it never decides (0.45), it confirms a mail system's report; from an "
    "address no rule knows, the body is read only when the message sends one back and no "
    "sign of a person is present, and its failure statement must be about mail",
    headers=("subject",),
    roles=(Role.REPORT_SUBJECT, Role.CONTENT),
)
def bounce_subject(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    subject = view.subject
    if subject and BOUNCE_SUBJECT.match(subject[:300]):
        return self.hit(f"Subject: {subject}")
    return None


# Read receipts are short: a few field lines and one statement (Outlook's plain-text form).
_RECEIPT_CHARS = 3000


@rule(
    "outlook-read-receipt",
    Category.RECEIPT,
    0.9,
    evidence="Subject 'Read:'/'Not read:' in the language data (read_receipt_subjects: "
    "'Gelesen:', 'Lu :', 'Przeczytano:', '開封済み:' ...) and a receipt in the text: a "
    "statement ('was read on', 'a été lu le'; read_receipt_statements), a field line that "
    "repeats the original's subject (Outlook's plain-text form, in any language), or a "
    "message/disposition-notification part",
    source="Microsoft Outlook/Exchange read receipts (plain text and multipart); RFC 8098",
    false_positives="a short message whose subject starts with 'Read:' and that repeats "
    "that subject after a 'Subject:' label",
    headers=("subject",),
    roles=(Role.CONTENT,),
)
def outlook_read_receipt(self: Rule, view: MessageView, settings: RuleSettings) -> Reason | None:
    subject = view.subject.strip()
    if not starts_like(subject, settings.patterns, "read_receipt_subjects"):
        return None
    prefix = notice_patterns(settings.patterns).read_receipt_subject.match(subject[:200])
    if prefix is None:
        return None
    if b"disposition-notification" in view.body_bytes(16 * 1024).lower():
        return self.hit(f"Subject: {subject} (with a disposition-notification part)")
    found = _receipt_in_text(view, settings.patterns, subject[prefix.end() :].strip())
    return None if found is None else self.hit(f"Subject: {subject} ({found})")


def _receipt_in_text(view: MessageView, patterns: PatternSet, original: str) -> str | None:
    """What in the receipt's own text says it is one, or ``None``."""
    try:
        text = report_text(view.parts)[:_RECEIPT_CHARS]
    except Exception:  # an unreadable body states nothing
        return None
    joined = Searchable.of(" ".join(text.split()))
    statement = notice_patterns(patterns).find("read_receipt_statements", joined)
    if statement:
        return statement[0].text
    if not original or len(text) >= _RECEIPT_CHARS:
        return None
    wanted = fold(" ".join(original.split()))
    for line in text.splitlines():
        label = patterns.header_field.match(line)
        if label and wanted in fold(" ".join(line[label.end() :].split())):
            return "a field line repeats the original's subject"
    return None


@rule(
    "hop-count",
    Category.AUTO_GENERATED,
    0.7,
    evidence="more Received headers than the hop limit (default 30): mail going round a loop",
    source="Exim received_headers_max 30; Postfix hopcount_limit 50; sendmail MaxHopCount 25",
    false_positives="very long legitimate relay chains (raise hop_limit)",
    headers=("received",),
    roles=(Role.GENERIC_AUTOMATION,),
)
def hop_count(self: Rule, view: MessageView, settings: RuleSettings) -> Reason | None:
    hops = len(view.get_all("received"))
    if hops > settings.hop_limit:
        return self.hit(f"{hops} Received headers (limit {settings.hop_limit})")
    return None


@rule(
    "complaint-report",
    Category.AUTO_GENERATED,
    0.9,
    evidence="Subject of a feedback-loop complaint or policy report: 'complaint about message "
    "from <ip>' (Hotmail/Outlook.com JMRP), 'Report Domain: ... Submitter:' (DMARC "
    "aggregate), 'DMARC Forensic Report', 'SMTP TLS Reporting' (a person's 'Abuse report' "
    "is not one); or a feedback loop's reporting address in From or Return-Path "
    "(staff@hotmail.com, complaints@email-abuse.amazonses.com), which forwards the "
    "complained-about message under its own subject",
    source="Microsoft JMRP; Sisimai ARF detector (reporter addresses); RFC 7489 section "
    "7.2.1.1 (DMARC report subject); RFC 8460 section 5.3",
    headers=("subject", "from", "return-path"),
    roles=(Role.REPORT_EVIDENCE, Role.NOT_A_BOUNCE),
)
def complaint_report(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    if _COMPLAINT_SUBJECT.match(view.subject[:200]):
        return self.hit(f"Subject: {view.subject}")
    if view.from_address in _FEEDBACK_LOOP_REPORTERS:
        return self.hit(f"feedback loop reporter {view.from_address}")
    path = view.return_path or ""
    if "@" in path and normalize_address(path) in _FEEDBACK_LOOP_REPORTERS:
        return self.hit(f"feedback loop reporter {path}")
    return None


# The addresses feedback loops send their complaint reports from (Sisimai's ARF detector).
_FEEDBACK_LOOP_REPORTERS = frozenset({"staff@hotmail.com", "complaints@email-abuse.amazonses.com"})


_COMPLAINT_SUBJECT = re.compile(
    r"\s*(?:complaint about message from|report domain: "
    r"|dmarc (?:forensic|failure|aggregate) report|smtp tls reporting\b)",
    re.IGNORECASE,
)


REPORT_RULES: tuple[Rule, ...] = (
    multipart_report_dsn,
    mdn_report,
    mdn_rejection,
    feedback_report,
    bounce_subject,
    outlook_read_receipt,
    complaint_report,
    hop_count,
)
