"""What the guard answers: an action, and the reasons behind it, each with a stable name.

The reason names below are part of the documented interface (docs/guard.md): logs,
metrics and hosts match on them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from loopguard.classifier.verdict import Reason, Verdict

__all__ = [
    "ALLOW_LIST",
    "AUTOMATED",
    "BOUNCED",
    "DENY_LIST",
    "DO_NOT_MAIL",
    "FINAL_NOTICE",
    "NO_AUTOREPLY",
    "OWN_ADDRESS",
    "OWN_TOKEN",
    "RATE_LIMIT",
    "REPEATED",
    "STORE_ERROR",
    "Action",
    "Decision",
]


class Action(enum.StrEnum):
    """What the host should do with the trigger."""

    ALLOW = "allow"
    SUPPRESS = "suppress"
    FINAL_NOTICE = "final_notice"
    """Allowed once more: a rate limit was just reached; send a last "no more today"
    notice instead of the usual answer (Mailman's courtesy)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The guard's answer for one message and trigger.

    Attributes:
        action: Allow, suppress, or allow one final notice.
        verdict: The classifier's verdict on the message.
        reasons: The guard's reasons, the deciding one first (empty for a plain allow).
        retry_after: Seconds until a rate limit would let the same event through.
        degraded: A store failed and the decision was made without it.
        trigger: The trigger name the host passed.
        key: Hash of the store key that decided a rate or repeat limit, else of the
            (correspondent, recipient) pair; safe to log, and what ``Guard.reset`` takes.
        rung: What the deciding limit counts by (``"pair"``, ``"sender"`` for one
            correspondent, ``"domain"``, ``"thread"``, ``"answers"``, ``"recipient"``),
            or ``None`` when no limit decided.
        recipient_source: Where the recipient came from: ``"given"`` (``recipient=``),
            ``"delivered-to"``, ``"x-original-to"``, ``"to"``, or ``None`` when none was
            found (the pair limits then counted the correspondent alone).
    """

    action: Action
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    retry_after: float = 0.0
    degraded: bool = False
    trigger: str | None = None
    key: str | None = None
    rung: str | None = None
    recipient_source: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether the trigger may fire (``ALLOW`` or ``FINAL_NOTICE``)."""
        return self.action is not Action.SUPPRESS

    @property
    def rule(self) -> str | None:
        """The name of the deciding reason, if any."""
        return self.reasons[0].rule if self.reasons else None


# The guard's own reason names, stable for logs, metrics and docs/guard.md.
DENY_LIST: Final = "deny-list"
ALLOW_LIST: Final = "allow-list"
OWN_ADDRESS: Final = "own-address"
OWN_TOKEN: Final = "own-loop-token"  # noqa: S105 (a rule name, not a secret)
AUTOMATED: Final = "automated"
NO_AUTOREPLY: Final = "no-autoreply"
DO_NOT_MAIL: Final = "do-not-mail"
BOUNCED: Final = "bounced-recipient"
REPEATED: Final = "repeated-content"
RATE_LIMIT: Final = "rate-limit"
FINAL_NOTICE: Final = "final-notice"
STORE_ERROR: Final = "store-error"
