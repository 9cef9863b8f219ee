"""RFC 3464 delivery status notifications: per-recipient Action, Status and recipient fields.

Read straight from the raw body when the report is plain (no MIME parse at all), else from
the parsed ``message/delivery-status`` parts.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterable, Iterator, Sequence

from loopguard.mail.address import normalize_address
from loopguard.mail.parts import Part

__all__ = ["FAILED_ACTIONS", "StatusReport", "read_status_parts", "scan_delivery_status"]

FAILED_ACTIONS = frozenset({"failed"})
_DELAYED_ACTIONS = frozenset({"delayed"})
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
# What a failure is by its RFC 3463 status class, whatever the Action field says.
_FAILURE_CLASSES = {"5": "failed", "4": "delayed"}
_STATUS = re.compile(r"\s*([245])\.\d{1,3}\.\d{1,3}")
_RECIPIENT_FIELDS = ("final-recipient", "original-recipient", "x-actual-recipient")
# Per-recipient DSN fields (RFC 3464 section 2.3), read straight from the raw body.
_RAW_FIELD = re.compile(
    rb"^(final-recipient|original-recipient|x-actual-recipient|action|status)[ \t]*:[ \t]*"
    rb"([^\r\n]{0,1000})",
    re.IGNORECASE | re.MULTILINE,
)
# Where the returned original starts in a raw multipart/report: its headers are not ours.
_ORIGINAL_MARKERS = (b"message/rfc822", b"text/rfc822-headers", b"message/global-headers")


class StatusReport:
    """The recipients of the per-recipient blocks, by what happened to them."""

    __slots__ = ("actions", "permanent", "temporary")

    def __init__(self, blocks: Iterable[dict[str, str]]) -> None:
        self.permanent: set[str] = set()
        self.temporary: set[str] = set()
        self.actions: set[str] = set()
        for fields in blocks:
            action, recipient = _action_of(fields), _recipient_of(fields)
            if not action:
                continue  # the per-message block (Reporting-MTA, Arrival-Date)
            self.actions.add(action)
            if recipient is None:
                continue
            if action in FAILED_ACTIONS:
                self.permanent.add(recipient)
            elif action in _DELAYED_ACTIONS:
                self.temporary.add(recipient)

    @property
    def success_only(self) -> bool:
        """Every recipient was delivered, relayed or expanded."""
        return bool(self.actions) and self.actions <= _SUCCESS_ACTIONS


def scan_delivery_status(body: bytes) -> StatusReport | None:
    """Fast path for RFC 3464 reports: read the per-recipient fields without a MIME parse.

    Returns ``None`` when the raw body shows no per-recipient block with an Action or a
    Status (an encoded status part, say), or failures without readable recipients: the
    caller then parses the message.
    """
    # bytes.find on a lowered copy is far cheaper than regexes over a 64 KiB body whose
    # HTML part comes first: only the status part itself is scanned.
    lowered = body.lower()
    start = lowered.find(b"message/delivery-status")
    if start == -1:
        return None
    ends = [lowered.find(marker, start) for marker in _ORIGINAL_MARKERS]
    end = min((e for e in ends if e != -1), default=len(body))
    blocks: list[dict[str, str]] = []
    for name, value in _RAW_FIELD.findall(body, start, end):
        key = name.decode("ascii").lower()
        # Recipient fields come in either order (Postfix writes Final- before Original-);
        # a new block starts at a recipient field once the current one is complete.
        starts_block = (
            key in _RECIPIENT_FIELDS
            and bool(blocks)
            and ("action" in blocks[-1] or key in blocks[-1])
        )
        if starts_block or not blocks:
            blocks.append({})
        blocks[-1].setdefault(key, value.decode("utf-8", "replace").strip())
    report = StatusReport(blocks)
    if not report.actions:
        return None
    if not report.success_only and not report.permanent and not report.temporary:
        return None  # failures without readable recipients: let the full parse try
    return report


def read_status_parts(parts: Sequence[Part]) -> StatusReport | None:
    """The blocks of every ``message/delivery-status`` part, or ``None`` when there is none."""
    blocks: list[dict[str, str]] | None = None
    for part in parts:
        if part.content_type == "message/delivery-status":
            blocks = (blocks or []) + list(_status_blocks(part))
    return None if blocks is None else StatusReport(blocks)


def _status_blocks(part: Part) -> Iterator[dict[str, str]]:
    """Per-recipient field blocks of a delivery-status part (the first is per-message)."""
    try:
        payload = part.message.get_payload()
    except (LookupError, ValueError):  # 8-bit text under a hostile charset name
        return
    if isinstance(payload, list):
        # compat32 parses message/delivery-status into one Message per block.
        for block in payload:
            if isinstance(block, email.message.Message):
                yield {k.lower(): str(v) for k, v in block.items()}
        return
    text = payload if isinstance(payload, str) else ""
    for chunk in re.split(r"\r?\n\s*\r?\n", text[:200_000]):
        fields: dict[str, str] = {}
        for line in chunk.splitlines():
            key, sep, value = line.partition(":")
            if sep and not key.startswith((" ", "\t")):
                fields[key.strip().lower()] = value.strip()
        if fields:
            yield fields


def _action_of(fields: dict[str, str]) -> str:
    words = fields.get("action", "").strip().lower().split(None, 1)
    action = words[0].rstrip(";") if words else ""
    match = _STATUS.match(fields.get("status", ""))
    status_class = match.group(1) if match else ""
    if action in FAILED_ACTIONS | _DELAYED_ACTIONS and status_class in _FAILURE_CLASSES:
        # RFC 3463: the status class says whether a failure is permanent. Postfix writes
        # "Action: failed" with "Status: 4.4.7" when a message outlives its queue lifetime:
        # the address may work tomorrow, so that recipient is a temporary failure.
        return _FAILURE_CLASSES[status_class]
    if action or not status_class:
        return action
    # Some MTAs omit Action: the status class says it.
    return {"5": "failed", "4": "delayed", "2": "delivered"}[status_class]


def _recipient_of(fields: dict[str, str]) -> str | None:
    for name in _RECIPIENT_FIELDS:
        value = fields.get(name)
        if value:
            address = value.split(";", 1)[-1].strip()
            normalized = normalize_address(address)
            if normalized and "@" in normalized:
                return normalized
    return None
