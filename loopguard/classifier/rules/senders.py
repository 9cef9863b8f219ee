"""Who sent the message: null return paths, mail system daemons, no-reply addresses."""

from __future__ import annotations

import re

from loopguard.classifier.rules.base import Rule, RuleSettings, rule
from loopguard.classifier.rules.roles import Role
from loopguard.classifier.verdict import Category, Reason
from loopguard.mail.address import local_part_of
from loopguard.mail.view import MessageView

__all__ = ["LIST_ADMIN_LOCAL", "SENDER_RULES", "is_system_sender"]

# Local parts of the accounts mail systems send reports from (RFC 3834 section 2,
# Sieve vacation, BSD vacation junkmail(), Request Tracker, Zammad, Discourse).
_MAIL_SYSTEM_LOCAL = re.compile(
    r"(?:mailer[-_.]?daemon|mail[-_.]?daemon|maildaemon|post[-_.]?master|mdaemon"
    r"|mail[-_.]?delivery[-_.]?(?:sub)?system|mmdf|smtp[-_.]?gateway"
    r"|microsoftexchange[0-9a-f]{32})",  # Exchange's system mailbox that sends NDRs
    re.IGNORECASE,
)
_SYSTEM_NAMES = re.compile(
    r"mail delivery (?:sub)?system|mailer[-_ ]daemon|postmaster|mail administrator",
    re.IGNORECASE,
)


def is_system_sender(address: str | None) -> bool:
    """Whether a normalized address is a mail system's own (MAILER-DAEMON, postmaster...)."""
    return bool(address) and _MAIL_SYSTEM_LOCAL.fullmatch(local_part_of(address or "")) is not None


@rule(
    "null-return-path",
    Category.AUTO_GENERATED,
    0.75,
    evidence="Return-Path: <> or an empty envelope sender given by the host",
    source="RFC 5321 section 4.5.5 (reports use a null reverse-path); RFC 3834 section 2; "
    "Request Tracker; Sieve vacation",
    false_positives="none for person-written mail; auto-replies may use it too (their marks win)",
    roles=(Role.BOUNCE_HINT, Role.MAIL_SYSTEM, Role.MACHINE_SENT, Role.GENERIC_AUTOMATION),
)
def null_return_path(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    envelope = view.envelope_sender
    if envelope is not None and envelope.strip() in ("", "<>"):
        return self.hit("envelope sender <>")
    path = view.return_path
    if path is not None and path.replace(" ", "") in ("<>", ""):
        return self.hit(f"Return-Path: {path or '(empty)'}")
    return None


@rule(
    "mailer-daemon-sender",
    Category.AUTO_GENERATED,
    0.85,
    evidence="From (or Return-Path) is MAILER-DAEMON, postmaster, Mail Delivery System ..., "
    "or an empty address (From: <>)",
    source="RFC 3834 section 2; Sieve vacation; Request Tracker; Zammad; Discourse",
    false_positives="a postmaster writing by hand (rare; that mail is not a trigger's business)",
    headers=("from",),
    # (MACHINE_SENT: a short reply text from a mail system's own account is an
    # autoresponder's, once the bounce step found no failure in it.)
    roles=(
        Role.BOUNCE_HINT,
        Role.MAIL_SYSTEM,
        Role.REPORTER,
        Role.GENERIC_AUTOMATION,
        Role.MACHINE_SENT,
    ),
)
def mailer_daemon_sender(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    sender = view.from_address
    if is_system_sender(sender):
        return self.hit(f"From: {view.get('from')}")
    from_header = view.get("from") or ""
    if from_header.replace(" ", "") == "<>":
        return self.hit("From: <> (a mail system's own report)")
    if _SYSTEM_NAMES.search(from_header[:300]):
        return self.hit(f"From: {from_header}", confidence=0.7)
    return None


@rule(
    "noreply-sender",
    Category.AUTO_GENERATED,
    0.6,
    evidence=(
        "sender local part like noreply, no-reply, do-not-reply, donotreply, or the same "
        "words in another language (ne-pas-repondre, nicht-antworten, no-responder; "
        "noreply_senders in the language data)"
    ),
    source="Zammad send_no_auto_response_reg_exp; Discourse is_auto_generated?",
    false_positives="evidence, not proof: a person may answer from a no-reply alias",
    roles=(Role.WEAK_BOUNCE_HINT, Role.GENERIC_AUTOMATION, Role.WEAK),
)
def noreply_sender(self: Rule, view: MessageView, settings: RuleSettings) -> Reason | None:
    noreply = settings.patterns.noreply_local
    for candidate in (view.from_address, view.sender):
        if candidate and noreply.search(local_part_of(candidate)):
            return self.hit(f"sender {candidate}")
    return None


# Unix accounts that daemons, cron jobs and web applications run as.
_SYSTEM_ACCOUNTS = frozenset(
    {"root", "nobody", "daemon", "cron", "www-data", "www", "wwwrun", "apache", "httpd", "nginx"}
)
_AUTH_WARNING = re.compile(r"\s*\S{1,200}: ([\w.-]{1,64}) set sender to", re.IGNORECASE)


@rule(
    "system-account-sender",
    Category.AUTO_GENERATED,
    0.65,
    evidence="From is a Unix system account (root, nobody, daemon, cron, www-data, apache ...) "
    "or sendmail's X-Authentication-Warning says such an account set the sender (a web "
    "application or cron job sending mail)",
    source="BSD vacation junkmail(); Sisimai RFC3834 exclusions; sendmail "
    "X-Authentication-Warning (sendmail -f by an untrusted user)",
    false_positives="an administrator writing by hand as root",
    headers=("from", "x-authentication-warning"),
    roles=(Role.GENERIC_AUTOMATION, Role.WEAK),
)
def system_account_sender(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    sender = view.from_address
    if sender and local_part_of(sender) in _SYSTEM_ACCOUNTS:
        return self.hit(f"From: {view.get('from')}")
    for warning in view.get_all("x-authentication-warning"):
        match = _AUTH_WARNING.match(warning)
        if match and match.group(1).lower() in _SYSTEM_ACCOUNTS:
            return self.hit(f"X-Authentication-Warning: {warning}")
    return None


#: Local parts of a list's administrative addresses (owner-*, *-owner, *-request ...).
LIST_ADMIN_LOCAL = re.compile(r"owner-.+|.+-(?:owner|request|bounces?|admin)", re.IGNORECASE)
# Of those, RFC 3834 section 2 names owner-* and *-request as machine addresses.
_MACHINE_ADMIN_LOCAL = re.compile(r"owner-.+|.+-(?:owner|request)", re.IGNORECASE)


@rule(
    "list-admin-sender",
    None,
    0.6,
    evidence="From is a list's administrative address (owner-*, *-owner, *-request, "
    "*-bounces, *-admin): owner-*/*-owner/*-request are machine addresses (generic "
    "automation, auto_generated unless other evidence names a kind); all make the body "
    "worth reading for a rejection notice",
    source="RFC 3834 section 2 (owner-*, *-request); Mailman 2 and fml <list>-admin",
    headers=("from",),
    roles=(Role.WEAK_BOUNCE_HINT, Role.GENERIC_AUTOMATION, Role.WEAK, Role.MAIL_SYSTEM),
)
def list_admin_sender(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    sender = view.from_address
    local = local_part_of(sender or "")[:128]
    if not sender or not LIST_ADMIN_LOCAL.fullmatch(local):
        return None
    if _MACHINE_ADMIN_LOCAL.fullmatch(local):
        return self.hit(f"From: {view.get('from')}", category=Category.AUTO_GENERATED)
    return self.hit(f"From: {view.get('from')}")


# Display names that name a machine rather than a person: what trackers, schedulers and
# notification services call themselves in From ("Debian Bug Tracking System", "(Cron
# Daemon)"). Whole names only: "Acme Systems Support" is a team of people.
_MACHINE_NAMES = re.compile(
    r"\b(?:bug[- ]tracking system|ticket(?:ing)? system|tracking system|notification "
    r"(?:system|service)|monitoring system|alerting system|cron daemon|automated system"
    r"|automatic mailer|mail robot|mailbot)\b",
    re.IGNORECASE,
)


@rule(
    "machine-display-name",
    Category.AUTO_GENERATED,
    0.6,
    evidence="From's display name names a machine: '(Cron Daemon)', 'Bug Tracking System', "
    "'Ticket System', 'Notification Service', 'Monitoring System', 'Mail Robot'",
    source="cron's '(Cron Daemon)' sender name; debbugs, OTRS/Znuny, Zabbix default sender names",
    false_positives="evidence, not proof: weak, it never decides against a person's text",
    headers=("from",),
    roles=(Role.GENERIC_AUTOMATION, Role.WEAK),
)
def machine_display_name(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    name = (view.get("from") or "")[:300]
    if view.from_address:
        name = name.replace(view.from_address, " ")
    return self.hit(f"From: {view.get('from')}") if _MACHINE_NAMES.search(name) else None


# Mail programs people write with (X-Mailer, User-Agent), never a notification service's or
# a help desk's. Names at the start of the value or after "Mozilla/... ": whole names only.
_PERSONAL_CLIENTS = re.compile(
    r"\s*(?:Mozilla/\S{1,40}[^\n]{0,200}?\b(?=Thunderbird|SeaMonkey))?"
    r"(?:Apple Mail|iPhone Mail|iPad Mail|Microsoft Outlook(?! Express)|Microsoft-MacOutlook"
    r"|Outlook-(?:iOS|Android)"
    r"|Thunderbird|SeaMonkey|K-9 Mail|FairEmail|Evolution|KMail|NeoMutt|Mutt|Claws Mail"
    r"|Roundcube Webmail|SquirrelMail|Horde|Airmail|Spark|Postbox|Mailbird|eM Client"
    r"|The Bat!|Sylpheed|Alpine|Gnus|Geary|Mailspring|MailMate|BlackBerry)\b",
    re.IGNORECASE,
)


@rule(
    "personal-mail-client",
    None,
    0.3,
    evidence="X-Mailer or User-Agent names a mail program people write with (Apple Mail, "
    "Microsoft Outlook, Thunderbird, K-9 Mail, Mutt, Roundcube ...): a sign of a person, "
    "weaker than a question; with another one it outweighs weak machine evidence (a "
    "no-reply sender), never a mark or a report's structure",
    source="the mail programs' own X-Mailer/User-Agent values; Zammad's and RT's "
    "agent-detection of mail clients",
    false_positives="a script sending through a desktop client's automation (Outlook COM): "
    "alone it decides nothing",
    headers=("x-mailer", "user-agent"),
    roles=(Role.PERSON,),
)
def personal_mail_client(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    for header in ("x-mailer", "user-agent"):
        value = (view.get(header) or "")[:300]
        if value and _PERSONAL_CLIENTS.match(value):
            return self.hit(f"{header.title()}: {value}")
    return None


SENDER_RULES: tuple[Rule, ...] = (
    null_return_path,
    mailer_daemon_sender,
    noreply_sender,
    system_account_sender,
    list_admin_sender,
    machine_display_name,
    personal_mail_client,
)
