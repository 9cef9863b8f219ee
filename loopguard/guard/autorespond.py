"""may_autorespond(): the RFC 3834 section 2 and Sieve vacation (RFC 5230) rules.

For personal responders (vacation, out-of-office): every refusal is collected and named,
in the order Pigeonhole's vacation action checks them, so that a host can log exactly why
no answer went out. Headers only; the body is never parsed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from loopguard.classifier.rules.bulk import suppress_flags
from loopguard.classifier.verdict import Reason
from loopguard.mail.address import local_part_of, normalize_address, parse_address_list
from loopguard.mail.view import MessageView

__all__ = ["may_autorespond", "refusals"]

# RFC 2369 and RFC 2919 list headers, as Sieve vacation checks them.
_LIST_HEADERS: Final = (
    "list-id",
    "list-owner",
    "list-subscribe",
    "list-post",
    "list-unsubscribe",
    "list-help",
    "list-archive",
)
_BULK_PRECEDENCE: Final = frozenset({"junk", "bulk", "list"})
_SUPPRESS_FLAGS: Final = frozenset({"all", "oof", "autoreply", "-1"})
_SYSTEM_LOCALS: Final = frozenset({"mailer-daemon", "listserv", "majordomo"})
_ADDRESSED_FIELDS: Final = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")
_MAX_ADDRESSES: Final = 500


def may_autorespond(
    message: object,
    *,
    recipient: str | None = None,
    envelope_sender: str | None = None,
    addresses: Iterable[str] = (),
) -> tuple[bool, tuple[Reason, ...]]:
    """Whether a personal automatic answer (vacation, out-of-office) may be sent.

    Args:
        message: The incoming message (bytes, str, ``email.message.Message``, path).
        recipient: Our address that received it; when given, it must appear in
            To/Cc/Bcc/Resent-* (RFC 3834 section 2, Sieve's "implicitly delivered").
        envelope_sender: The SMTP MAIL FROM, when the host knows it (``""`` or ``"<>"``
            is the null return path).
        addresses: Our other addresses (Sieve ``:addresses``).

    Returns:
        ``(allowed, refusals)``: ``allowed`` is true when there is no refusal.
    """
    view = MessageView.from_input(message, envelope_sender=envelope_sender)
    found = refusals(view, recipient=recipient, addresses=addresses)
    return not found, found


def refusals(
    view: MessageView, *, recipient: str | None = None, addresses: Iterable[str] = ()
) -> tuple[Reason, ...]:
    """Every RFC 3834 / RFC 5230 reason not to answer ``view``, in Sieve's order."""
    ours = {a for a in (normalize_address(x) for x in (recipient, *addresses)) if a}
    sender = _return_path(view)
    found: list[Reason] = []
    if sender == "":
        found.append(_refuse("null-return-path", "the return path is <> (RFC 3834 §2 MUST NOT)"))
    elif sender is None:
        found.append(_refuse("no-sender", "no return path, From or Sender to answer"))
    elif sender in ours:
        found.append(_refuse("sender-is-recipient", f"the sender is our own address {sender}"))
    found.extend(_header_refusals(view))
    if sender and _is_system_sender(sender):
        found.append(_refuse("system-sender", f"{sender} is a list or mail system address"))
    if recipient is not None and not _addressed_to(view, ours):
        found.append(
            _refuse("not-addressed", f"{recipient} is not in To, Cc or Bcc (implicit delivery)")
        )
    return tuple(found)


def _header_refusals(view: MessageView) -> list[Reason]:
    found = []
    for name in _LIST_HEADERS:
        value = view.get(name)
        if value is not None:
            found.append(_refuse("list-headers", f"{_title(name)}: {value}"))
            break
    auto = view.get("auto-submitted")
    if auto is not None and _first_token(auto) != "no":
        found.append(_refuse("auto-submitted", f"Auto-Submitted: {auto}"))
    precedence = view.get("precedence")
    if precedence is not None and _first_token(precedence) in _BULK_PRECEDENCE:
        found.append(_refuse("precedence", f"Precedence: {precedence}"))
    suppress = view.get("x-auto-response-suppress")
    if suppress is not None and suppress_flags(suppress) & _SUPPRESS_FLAGS:
        found.append(_refuse("x-auto-response-suppress", f"X-Auto-Response-Suppress: {suppress}"))
    return found


def _return_path(view: MessageView) -> str | None:
    """The address an answer goes to: ``""`` for the null path, ``None`` when unknown."""
    envelope = view.envelope_sender
    if envelope is not None:
        if envelope.strip() in ("", "<>"):
            return ""
        return normalize_address(envelope)
    path = view.return_path
    if path is not None and path.replace(" ", "") in ("<>", ""):
        return ""
    return normalize_address(path) or view.sender


def _is_system_sender(address: str) -> bool:
    # Sieve: MAILER-DAEMON, LISTSERV, majordomo, *-request*, owner-*; RFC 3834 section 2.
    local = local_part_of(address)
    return local in _SYSTEM_LOCALS or "-request" in local or local.startswith("owner-")


def _addressed_to(view: MessageView, ours: set[str]) -> bool:
    values = [v for name in _ADDRESSED_FIELDS for v in view.get_all(name)]
    pairs = [pair for value in values for pair in parse_address_list(value)][:_MAX_ADDRESSES]
    return any(normalize_address(address) in ours for _, address in pairs)


def _first_token(value: str) -> str:
    # Cut at the comment and the parameters first: "; x" has no token at all.
    head = value.split("(", 1)[0].split(";", 1)[0].strip().lower()
    return head.split(None, 1)[0] if head else ""


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _refuse(rule: str, detail: str) -> Reason:
    return Reason(rule, None, detail[:200])
