"""Frozen value types shared by the classifier, the tracker and the guard."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["PRECEDENCE", "Bounce", "Category", "Reason", "Verdict", "clip_detail"]


class Category(enum.StrEnum):
    """What kind of author wrote a message: a person, or which kind of machine."""

    HUMAN = "human"
    AUTO_REPLY = "auto_reply"
    AUTO_GENERATED = "auto_generated"
    BOUNCE = "bounce"
    BULK = "bulk"
    RECEIPT = "receipt"


#: When rules disagree, the category earlier in this tuple wins (a bounce that quotes
#: an auto-reply is still a bounce; a list post by an autoresponder is an auto-reply).
PRECEDENCE: tuple[Category, ...] = (
    Category.BOUNCE,
    Category.RECEIPT,
    Category.AUTO_REPLY,
    Category.AUTO_GENERATED,
    Category.BULK,
    Category.HUMAN,
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence: which rule fired, what it points to, and what it matched.

    ``category`` is ``None`` for evidence that names no category: a request not to be
    answered automatically (``X-Auto-Response-Suppress``) or damage to the message
    (``malformed-*`` rules).
    """

    rule: str
    category: Category | None
    detail: str
    confidence: float = 1.0

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


def clip_detail(detail: str, limit: int = 200) -> str:
    """A reason's detail as shown to people and logged: one line, at most ``limit`` characters."""
    text = detail[: limit * 4]
    # Not only CR and LF: VT, FF, NEL and U+2028 end a line for terminals and log viewers.
    flat = text if text.isprintable() else " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Bounce:
    """Failed recipients reported by a delivery status notification.

    ``structural`` says the bounce is one by its structure and by nothing else: a
    ``multipart/report`` DSN, or a failure report a mail system (MAILER-DAEMON,
    postmaster, a null sender) sent, and the message carries no auto-reply evidence at all
    (no RFC 3834 ``auto-replied`` mark from a person's mailbox, no out-of-office subject or
    text). Only such a bounce should teach a host that an address fails: a vacation reply
    saying "your message will not be forwarded" must never block its sender. The classifier
    sets it; a ``Bounce`` built by hand is not structural unless it says so.
    """

    permanent: frozenset[str] = frozenset()
    temporary: frozenset[str] = frozenset()
    structural: bool = False

    @property
    def recipients(self) -> frozenset[str]:
        """Every failed recipient, permanent or temporary."""
        return self.permanent | self.temporary


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classifier's answer for one message, with every reason behind it.

    ``reasons[0]`` is the strongest evidence for ``category`` (when there is any).
    """

    category: Category
    confidence: float
    reasons: tuple[Reason, ...] = ()
    no_autoreply: bool = False
    bounce: Bounce | None = None
    sender: str | None = None
    is_automated: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_automated", self.category is not Category.HUMAN)

    @property
    def rules(self) -> tuple[str, ...]:
        """Names of the rules that fired: the evidence for ``category`` first, strongest
        first, then the rest in the order the rules ran."""
        return tuple(reason.rule for reason in self.reasons)
