"""Failed recipients of a bounce: RFC 3464 parsing first, flufl.bounce for the rest."""

from __future__ import annotations

import email.message
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from loopguard.classifier.bounce.text import read_text_bounce
from loopguard.classifier.verdict import Bounce
from loopguard.mail.address import normalize_address
from loopguard.mail.parts import own_parts

__all__ = ["BounceReport", "analyse_bounce", "scan_delivery_status"]

log = logging.getLogger(__name__)

_FLUFL_MAX_PARTS = 20  # flufl.bounce runs only on messages of a bounce's size
_FAILED_ACTIONS = frozenset({"failed"})
_DELAYED_ACTIONS = frozenset({"delayed"})
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
_STATUS = re.compile(r"\s*([245])\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True, slots=True)
class BounceReport:
    """What the body of a bounce candidate says."""

    bounce: Bounce | None
    """Failed recipients, or ``None`` when none were found."""
    has_status_part: bool
    """An RFC 3464 ``message/delivery-status`` part was found."""
    success_only: bool
    """Every recipient in the status part was delivered, relayed or expanded."""
    failure: str | None = None
    """A failure statement read in the report's own text (non-RFC bounces)."""
    damage: str | None = None
    """Why the body could not be read fully, if it could not."""


def analyse_bounce(
    message: email.message.Message,
    *,
    exclude: frozenset[str] = frozenset(),
    thorough: bool = True,
) -> BounceReport:
    """Read failed recipients from a (size-capped) parsed bounce candidate; never raises.

    Order: the RFC 3464 delivery-status part; else the report's own text; else
    flufl.bounce's detectors. ``exclude`` lists addresses that cannot be failed recipients
    (the report's From and To). With ``thorough=False`` (weak evidence of a bounce)
    flufl.bounce is skipped and the text must state the failure in words.
    """
    try:
        permanent, temporary, actions = _from_status_parts(message)
    except Exception as exc:  # broken MIME must not break the host's pipeline
        log.debug("delivery-status parse failed", exc_info=True)
        return BounceReport(None, False, False, damage=f"delivery-status: {type(exc).__name__}")
    has_status = actions is not None
    if has_status and actions and actions <= _SUCCESS_ACTIONS:
        return BounceReport(None, True, True)
    if permanent or temporary:
        return BounceReport(Bounce(frozenset(permanent), frozenset(temporary)), has_status, False)
    damage = failure = None
    try:
        text = read_text_bounce(message, exclude=exclude, strict=not thorough)
    except Exception as exc:  # same shield as above, for the text reader
        log.debug("bounce text read failed", exc_info=True)
        damage = f"bounce text: {type(exc).__name__}"
    else:
        failure, permanent = text.failure, set(text.recipients)
    # flufl.bounce costs milliseconds (its detectors walk every line dozens of times):
    # it only runs when our own reading of the report found no recipient.
    if thorough and not permanent:
        permanent, temporary, flufl_damage = _from_flufl(message)
        damage = damage or flufl_damage
    bounce = Bounce(frozenset(permanent), frozenset(temporary)) if permanent or temporary else None
    return BounceReport(bounce, has_status, False, failure, damage)


# Per-recipient DSN fields (RFC 3464 section 2.3), read straight from the raw body.
_RAW_FIELD = re.compile(
    rb"^(final-recipient|original-recipient|x-actual-recipient|action|status)[ \t]*:[ \t]*"
    rb"([^\r\n]{0,1000})",
    re.IGNORECASE | re.MULTILINE,
)
# Where the returned original starts in a raw multipart/report: its headers are not ours.
_ORIGINAL_MARKERS = (b"message/rfc822", b"text/rfc822-headers", b"message/global-headers")


_RECIPIENT_FIELDS = frozenset({"final-recipient", "original-recipient", "x-actual-recipient"})


def scan_delivery_status(body: bytes) -> BounceReport | None:
    """Fast path for RFC 3464 reports: read the per-recipient fields without a MIME parse.

    Returns ``None`` when the raw body shows no per-recipient block with an Action or
    a Status (an encoded status part, say): the caller then parses the message.
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
    permanent, temporary, actions = _classify_blocks(blocks)
    if not actions:
        return None
    if actions <= _SUCCESS_ACTIONS:
        return BounceReport(None, True, True)
    if not permanent and not temporary:
        return None  # failures without readable recipients: let the full parse try
    return BounceReport(Bounce(frozenset(permanent), frozenset(temporary)), True, False)


def _classify_blocks(blocks: list[dict[str, str]]) -> tuple[set[str], set[str], set[str]]:
    permanent: set[str] = set()
    temporary: set[str] = set()
    actions: set[str] = set()
    for fields in blocks:
        action, recipient = _action_of(fields), _recipient_of(fields)
        if not action:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        actions.add(action)
        if recipient is None:
            continue
        if action in _FAILED_ACTIONS:
            permanent.add(recipient)
        elif action in _DELAYED_ACTIONS:
            temporary.add(recipient)
    return permanent, temporary, actions


def _from_status_parts(
    message: email.message.Message,
) -> tuple[set[str], set[str], set[str] | None]:
    blocks: list[dict[str, str]] | None = None
    for part in own_parts(message):
        if part.get_content_type() == "message/delivery-status":
            blocks = (blocks or []) + list(_status_blocks(part))
    if blocks is None:
        return set(), set(), None
    return _classify_blocks(blocks)


def _status_blocks(part: email.message.Message) -> Iterator[dict[str, str]]:
    """Per-recipient field blocks of a delivery-status part (the first is per-message)."""
    try:
        payload = part.get_payload()
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
    action = fields.get("action", "").strip().lower().split(None, 1)
    if action:
        return action[0].rstrip(";")
    # Some MTAs omit Action: the status class says it (RFC 3463).
    match = _STATUS.match(fields.get("status", ""))
    if match is None:
        return ""
    return {"5": "failed", "4": "delayed", "2": "delivered"}[match.group(1)]


def _recipient_of(fields: dict[str, str]) -> str | None:
    for name in ("final-recipient", "original-recipient", "x-actual-recipient"):
        value = fields.get(name)
        if value:
            address = value.split(";", 1)[-1].strip()
            normalized = normalize_address(address)
            if normalized and "@" in normalized:
                return normalized
    return None


def _from_flufl(message: email.message.Message) -> tuple[set[str], set[str], str | None]:
    # flufl.bounce walks every body line 48 times on mail that is not a bounce, so the
    # caller gates it to bounce candidates and caps the size. Its all_failures() stops at
    # the first detector that raises (some do on real mail, e.g. Yale on an empty From)
    # and logs a traceback; running the detectors one by one skips only the broken one.
    parts = sum(1 for _ in own_parts(message, limit=_FLUFL_MAX_PARTS + 1))
    if parts > _FLUFL_MAX_PARTS:
        # Its detectors re-walk the whole tree for every body line: quadratic on hostile
        # structures (seconds for a few thousand parts). Real bounces have a handful.
        return set(), set(), f"flufl.bounce skipped: more than {_FLUFL_MAX_PARTS} MIME parts"
    damage = None
    for detector in _flufl_detectors():
        try:
            temporary, permanent = detector().process(message)
        except Exception as exc:
            log.debug("flufl.bounce detector %s failed", detector.__name__, exc_info=True)
            damage = damage or f"flufl.bounce {detector.__name__}: {type(exc).__name__}"
            continue
        if temporary or permanent:
            failed = _decoded(permanent)
            return failed, _decoded(temporary) - failed, damage
    return set(), set(), damage


def _flufl_detectors() -> list[type[Any]]:
    try:
        from flufl.bounce._scan import _DETECTORS
    except ImportError:  # a future flufl.bounce may move its list: use the public call
        from flufl.bounce import all_failures

        class _AllFailures:
            def process(self, msg: email.message.Message) -> tuple[Any, Any]:
                return all_failures(msg)

        return [_AllFailures]
    return list(_DETECTORS)


def _decoded(addresses: frozenset[bytes]) -> set[str]:
    found: set[str] = set()
    for raw in addresses:
        address = normalize_address(raw.decode("utf-8", "replace"))
        if address and "@" in address:
            found.add(address)
    return found
