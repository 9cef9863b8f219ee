"""Headers of list and bulk mail, and requests not to be answered automatically."""

from __future__ import annotations

from loopguard.classifier.rules.base import Rule, RuleSettings, rule
from loopguard.classifier.rules.roles import Role
from loopguard.classifier.rules.senders import LIST_ADMIN_LOCAL
from loopguard.classifier.verdict import Category, Reason
from loopguard.mail.address import local_part_of, normalize_address
from loopguard.mail.view import MessageView

__all__ = ["BULK_RULES", "suppress_flags"]

_LIST_HEADERS = (
    "list-id",
    "list-post",
    "list-unsubscribe",
    "list-subscribe",
    "list-help",
    "list-owner",
    "list-archive",
)
_BULK_PRECEDENCE = frozenset({"bulk", "junk"})
# MS-OXCMAIL 2.1.3.2.20: these flags ask for no out-of-office or other automatic reply.
_NO_REPLY_FLAGS = frozenset({"all", "oof", "autoreply", "-1"})


@rule(
    "precedence-bulk",
    Category.BULK,
    0.6,
    evidence="Precedence (or X-Precedence): bulk or junk: a request not to be answered and "
    "weak evidence of same-content mail (weak: it never decides against a person's text); "
    "above the last Received field a relay added it on the way: a request only (0.45)",
    source="de-facto convention (RFC 3834 section 3.1.8 notes it is unreliable); "
    "Sieve vacation, Mailman, Zammad, BSD vacation",
    false_positives="relays and forwarders add it to people's mail (hence weak); Gmail's "
    "vacation replies carry it (their auto-reply marks win)",
    no_autoreply=True,
    headers=("precedence", "x-precedence"),
    roles=(Role.MACHINE_SENT, Role.WEAK),
)
def precedence_bulk(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    value = _precedence(view, _BULK_PRECEDENCE)
    if value is None:
        return None
    if _stamped_in_transit(view):
        # A relay's stamp on whatever passed through it: still a request, no evidence.
        return self.hit(f"Precedence: {value} (added in transit)", confidence=_IN_TRANSIT)
    return self.hit(f"Precedence: {value}")


# Below the deciding confidence: a request not to answer, no evidence of a kind.
_IN_TRANSIT = 0.45


def _stamped_in_transit(view: MessageView) -> bool:
    """Whether a Precedence field sits above the last Received field: a relay added it on
    the way (each hop prepends its fields), not the sender's program. A list that
    redistributes a post does the same, but says so in its own list headers."""
    head = b"\n" + view.header_bytes().lower()
    last_received = head.rfind(b"\nreceived:")
    if last_received < 0:
        return False
    stamps = (head.find(name) for name in (b"\nprecedence:", b"\nx-precedence:"))
    return any(0 <= stamp < last_received for stamp in stamps)


@rule(
    "precedence-list",
    Category.BULK,
    0.8,
    evidence="Precedence (or X-Precedence): list: a list distributed the message",
    source="Mailman, Sympa, Google Groups; Sieve vacation and BSD vacation skip it",
    no_autoreply=True,
    headers=("precedence", "x-precedence"),
    roles=(Role.MACHINE_SENT, Role.LIST_HEADER),
)
def precedence_list(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    value = _precedence(view, frozenset({"list"}))
    return None if value is None else self.hit(f"Precedence: {value}")


def _precedence(view: MessageView, wanted: frozenset[str]) -> str | None:
    """The first Precedence (or X-Precedence) value whose token is one of ``wanted``."""
    for header in ("precedence", "x-precedence"):
        for value in view.get_all(header):
            token = value.strip().split(None, 1)[0].lower().strip(";") if value.strip() else ""
            if token in wanted:
                return value
    return None


@rule(
    "list-headers",
    Category.BULK,
    0.8,
    evidence="any RFC 2369 / RFC 2919 List-* header (List-Id, List-Unsubscribe, List-Post, "
    "...); 0.8: mailing services add List-Unsubscribe and List-Help, forges List-Id, to "
    "one-event notifications too, so the text decides unless a list manager's header "
    "(X-BeenThere, Mailing-List, X-Mailing-List, X-Mailman-Version, a list's Sender) says a "
    "list distributed it",
    source="RFC 2369, RFC 2919, RFC 8058; Sieve vacation (RFC 5230), Mailman can_acknowledge",
    false_positives="a person's post through a list: still bulk for a help desk's triggers",
    no_autoreply=True,
    headers=_LIST_HEADERS,
    roles=(Role.LIST_HEADER,),
)
def list_headers(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    for header in _LIST_HEADERS:
        value = view.get(header)
        if value is not None:
            name = "-".join(part.capitalize() for part in header.split("-")).replace("Id", "ID")
            return self.hit(f"{name}: {value}")
    return None


@rule(
    "list-sender",
    Category.BULK,
    0.9,
    evidence="Sender is a list's administrative address (owner-*, *-owner, *-request, "
    "*-bounces) other than From: a list distributed the author's message",
    source="RFC 2369 practice; majordomo, Mailman 2, ezmlm and LISTSERV set Sender",
    false_positives="none known",
    no_autoreply=True,
    headers=("sender",),
    roles=(Role.LIST_HEADER,),
)
def list_sender(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    sender = normalize_address(view.get("sender"))
    if not sender or sender == view.from_address:
        return None
    if not LIST_ADMIN_LOCAL.fullmatch(local_part_of(sender)[:128]):
        return None
    return self.hit(f"Sender: {sender}")


def _presence_rule(name: str, header: str, label: str, source: str, confidence: float) -> Rule:
    def check(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
        value = view.get(header)
        return None if value is None else self.hit(f"{label}: {value}")

    return Rule(
        name,
        Category.BULK,
        confidence,
        f"{label} present",
        source,
        check,
        no_autoreply=True,
        headers=frozenset({header}),
        roles=frozenset({Role.LIST_HEADER}),
    )


@rule(
    "x-auto-response-suppress",
    None,
    0.0,
    evidence="X-Auto-Response-Suppress with All, OOF or AutoReply: a request, NOT a mark of "
    "automatic mail (Exchange puts it on ordinary human mail)",
    source="MS-OXCMAIL 2.1.3.2.20; Sieve vacation; Sisimai #491 and Discourse quirks_exchange_xars",
    no_autoreply=True,
    headers=("x-auto-response-suppress",),
)
def x_auto_response_suppress(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    value = view.get("x-auto-response-suppress")
    if value is None or not (suppress_flags(value) & _NO_REPLY_FLAGS):
        return None
    return self.hit(f"X-Auto-Response-Suppress: {value}")


# Loop headers that mail programs, forwarding rules and ticket systems stamp on what they
# send or pass on; a person's mail client never adds one.
_LOOP_HEADERS = ("x-loop", "x-no-loop", "x-otrs-loop")


@rule(
    "x-loop",
    None,
    0.0,
    evidence="X-Loop (any value), X-No-Loop or X-OTRS-Loop (any value but no/false): a "
    "request, not a category (forwarding rules add it to a person's mail too)",
    source="procmail/formail vacation recipes (procmailex(5)); Zammad auto_response_check; "
    "Znuny PostMaster GetEmailParams",
    no_autoreply=True,
    headers=_LOOP_HEADERS,
)
def x_loop(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    for header in _LOOP_HEADERS:
        for value in view.get_all(header):
            if header == "x-loop" or value.strip().lower() not in ("no", "false"):
                return self.hit(f"{_title(header)}: {value}")
    return None


@rule(
    "x-ack-no",
    None,
    0.0,
    evidence="X-Ack: no or X-No-Ack present: the sender asks for no acknowledgement "
    "(Mailman stamps it on its own automatic answers)",
    source="GNU Mailman replybot and can_acknowledge (X-Ack, X-No-Ack)",
    no_autoreply=True,
    headers=("x-ack", "x-no-ack"),
)
def x_ack_no(self: Rule, view: MessageView, _: RuleSettings) -> Reason | None:
    if view.get("x-no-ack") is not None:
        return self.hit(f"X-No-Ack: {view.get('x-no-ack')}")
    for value in view.get_all("x-ack"):
        if value.strip().lower().startswith("no"):
            return self.hit(f"X-Ack: {value}")
    return None


def _title(header: str) -> str:
    return "-".join(
        part.upper() if part == "otrs" else part.capitalize() for part in header.split("-")
    )


def suppress_flags(value: str) -> frozenset[str]:
    """The comma-separated flags of an X-Auto-Response-Suppress value, lower-cased."""
    return frozenset(flag.strip().lower() for flag in value[:200].split(",") if flag.strip())


BULK_RULES: tuple[Rule, ...] = (
    precedence_bulk,
    precedence_list,
    list_headers,
    _presence_rule(
        "feedback-id",
        "feedback-id",
        "Feedback-ID",
        "Google's bulk-sender feedback loop header (set by ESPs on campaigns)",
        0.8,
    ),
    _presence_rule("x-beenthere", "x-beenthere", "X-BeenThere", "Mailman 2.1 loop header", 0.9),
    _presence_rule("mailing-list", "mailing-list", "Mailing-List", "ezmlm; Znuny", 0.9),
    _presence_rule(
        "x-mailing-list", "x-mailing-list", "X-Mailing-List", "vger (the Linux kernel lists)", 0.9
    ),
    _presence_rule(
        "x-mailman-version", "x-mailman-version", "X-Mailman-Version", "GNU Mailman 2 and 3", 0.9
    ),
    list_sender,
    x_auto_response_suppress,
    x_loop,
    x_ack_no,
)
