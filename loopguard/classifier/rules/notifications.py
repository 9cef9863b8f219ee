"""Headers that notification generators set: a machine sent the message about one event.

They say that a machine sent the message, not which kind (a tracker's acknowledgement of a
request is an auto-reply, its status change a notification): generic automation in the
decision table, which the subject and the text refine. Beside list headers they mark the
notification a service sends about one event for this recipient (GitHub, Jenkins posting to
a list): ``auto_generated``, not ``bulk``.
"""

from __future__ import annotations

from loopguard.classifier.rules.base import Rule, RuleSettings, rule
from loopguard.classifier.rules.roles import Role
from loopguard.classifier.verdict import Category, Reason
from loopguard.mail.view import MessageView

__all__ = ["NOTIFICATION_RULES"]

# Header -> the generator that sets it on every notification it sends.
_EVENT_HEADERS: dict[str, str] = {
    "x-cron-env": "cron (cronie, Vixie cron)",
    "x-jenkins-job": "Jenkins Mailer",
    "x-github-reason": "GitHub notifications",
    "x-gitea-reason": "Gitea notifications",
    "x-forgejo-reason": "Forgejo notifications",
    "x-gitlab-notificationreason": "GitLab notifications",
    "x-redmine-host": "Redmine",
    "x-bugzilla-reason": "Bugzilla",
    "x-jira-fingerprint": "Atlassian Jira",
    "x-phabricator-sent-this-message": "Phabricator",
    "x-gerrit-messagetype": "Gerrit",
    "x-launchpad-message-rationale": "Launchpad",
}


@rule(
    "event-headers",
    Category.AUTO_GENERATED,
    0.9,
    evidence="a header only a notification generator sets: X-Cron-Env (cron), X-Jenkins-Job, "
    "X-GitHub-Reason, X-Gitea-Reason, X-Forgejo-Reason, X-GitLab-NotificationReason, "
    "X-Redmine-Host, X-Bugzilla-Reason, "
    "X-JIRA-FingerPrint, X-Phabricator-Sent-This-Message, X-Gerrit-MessageType, "
    "X-Launchpad-Message-Rationale; generic: the text may name another kind (a tracker's "
    "acknowledgement is an auto_reply)",
    source="cronie (X-Cron-Env), Jenkins Mailer plugin, GitHub, Gitea (services/mailer) and "
    "GitLab notification docs, "
    "Redmine Mailer, Bugzilla, Jira, Phabricator, Gerrit, Launchpad",
    headers=tuple(_EVENT_HEADERS),
    roles=(Role.GENERIC_AUTOMATION,),
)
def event_headers(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    present = sorted(_EVENT_HEADERS.keys() & view.headers.fields.keys())
    if not present:
        return None
    header = present[0]
    return self.hit(f"{header}: {view.get(header)} ({_EVENT_HEADERS[header]})")


@rule(
    "exchange-journal-report",
    Category.AUTO_GENERATED,
    0.95,
    evidence="X-MS-Journal-Report present: an Exchange journal report, which attaches the "
    "journaled message (not a returned one)",
    source="Microsoft Exchange journaling (envelope journal reports)",
    headers=("x-ms-journal-report",),
    roles=(Role.GENERIC_AUTOMATION, Role.NOT_A_BOUNCE, Role.REPORT_EVIDENCE),
)
def exchange_journal_report(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    value = view.get("x-ms-journal-report")
    return None if value is None else self.hit(f"X-MS-Journal-Report: {value}")


@rule(
    "unsubscribe-request",
    Category.AUTO_GENERATED,
    0.9,
    evidence="X-Apple-Unsubscribe: true: a mail client's automatic unsubscribe request to a "
    "list's mailto: address (it may carry Auto-Submitted: auto-replied)",
    source="Apple Mail one-click unsubscribe (RFC 2369 mailto: List-Unsubscribe)",
    headers=("x-apple-unsubscribe",),
    roles=(Role.GENERIC_AUTOMATION, Role.NOT_A_BOUNCE, Role.REPORT_EVIDENCE),
)
def unsubscribe_request(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    value = view.get("x-apple-unsubscribe")
    if value is None or value.strip().lower() != "true":
        return None
    return self.hit(f"X-Apple-Unsubscribe: {value}")


NOTIFICATION_RULES: tuple[Rule, ...] = (event_headers, exchange_journal_report, unsubscribe_request)
