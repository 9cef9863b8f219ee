"""Failed recipients of a bounce: RFC 3464 parts first, the report's text, then flufl.bounce."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from loopguard.classifier.bounce.dsn import StatusReport, read_status_parts, scan_delivery_status
from loopguard.classifier.bounce.flufl import flufl_failures
from loopguard.classifier.bounce.text import read_text_bounce
from loopguard.classifier.verdict import Bounce
from loopguard.mail.parts import Part

__all__ = ["BounceReport", "analyse_bounce", "scan_raw_report"]

log = logging.getLogger(__name__)


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


def scan_raw_report(body: bytes) -> BounceReport | None:
    """The report of a plain RFC 3464 DSN read from its raw body, without a MIME parse
    (``None``: the body must be parsed; see
    :func:`~loopguard.classifier.bounce.dsn.scan_delivery_status`)."""
    status = scan_delivery_status(body)
    return None if status is None else _from_status(status)


def _from_status(status: StatusReport) -> BounceReport | None:
    if status.success_only:
        return BounceReport(None, True, True)
    if status.permanent or status.temporary:
        bounce = Bounce(frozenset(status.permanent), frozenset(status.temporary))
        return BounceReport(bounce, True, False)
    return None


def analyse_bounce(
    parts: Sequence[Part], *, exclude: frozenset[str] = frozenset(), thorough: bool = True
) -> BounceReport:
    """Read failed recipients from the parts of a (size-capped) bounce candidate; never raises.

    Order: the RFC 3464 delivery-status parts; else the report's own text; else
    flufl.bounce's detectors. ``exclude`` lists addresses that cannot be failed recipients
    (the report's From and To). With ``thorough=False`` (weak evidence of a bounce)
    flufl.bounce is skipped and the text must state the failure in words.
    """
    try:
        status = read_status_parts(parts)
    except Exception as exc:  # broken MIME must not break the host's pipeline
        log.debug("delivery-status parse failed", exc_info=True)
        return BounceReport(None, False, False, damage=f"delivery-status: {type(exc).__name__}")
    found = _from_status(status) if status is not None else None
    if found is not None:
        return found
    has_status = status is not None
    damage = failure = None
    permanent: set[str] = set()
    temporary: set[str] = set()
    try:
        text = read_text_bounce(parts, exclude=exclude, strict=not thorough)
    except Exception as exc:  # same shield as above, for the text reader
        log.debug("bounce text read failed", exc_info=True)
        damage = f"bounce text: {type(exc).__name__}"
    else:
        failure, permanent = text.failure, set(text.recipients)
    # flufl.bounce costs milliseconds (its detectors walk every line dozens of times):
    # it only runs when our own reading of the report found no recipient.
    if thorough and not permanent and parts:
        permanent, temporary, flufl_damage = flufl_failures(parts[0].message)
        damage = damage or flufl_damage
    bounce = Bounce(frozenset(permanent), frozenset(temporary)) if permanent or temporary else None
    return BounceReport(bounce, has_status, False, failure, damage)
