"""Our help desk: a guard built as docs/guard.md does, and a desk that acknowledges every
message the guard allows, stamped, as examples/aiosmtpd_gateway.py does."""

from __future__ import annotations

import email.message
import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import loopguard
from loopguard.testing import FakeClock

from .core import DESK_CLASSIFIER, HELP, SECRET, TRIGGER
from .mail import Mail, date_at, delivered, header, headers_of, wire_bytes

#: How the desk hands mail to the guard (docs/recipes.md): an SMTP front end or webhook
#: passes the envelope sender; an IMAP poller sees the stored message and no envelope.
Recipe = Literal["smtp", "imap"]


def desk_guard(
    clock: FakeClock,
    *,
    own: Sequence[str] = (HELP,),
    secret: bytes = SECRET,
    policy: loopguard.Policy | None = None,
    store: loopguard.MemoryStore | loopguard.SQLiteStore | loopguard.RedisStore | None = None,
) -> loopguard.Guard:
    """A guard as docs/guard.md builds it: default ladder, our addresses, a secret (and the
    scenario's classifier, see ``DESK_CLASSIFIER``)."""
    return loopguard.Guard(
        loopguard.DEFAULT_LIMITS,
        store=store if store is not None else loopguard.MemoryStore(),
        own_addresses=own,
        secret=secret,
        policy=policy,
        clock=clock,
        classifier=DESK_CLASSIFIER.get(),
    )


@dataclass
class Desk:
    """A help desk that acknowledges every message the guard allows, stamped."""

    guard: loopguard.Guard
    address: str = HELP
    recipe: Recipe = "smtp"
    pass_recipient: bool = True
    trigger: str = TRIGGER
    #: The address our answers come from, when not the one that received the mail.
    sends_from: str = ""
    acks: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    tickets: Iterator[int] = field(default_factory=lambda: itertools.count(1001))

    def answer(self, mail: Mail) -> Mail | None:
        """Our acknowledgement of ``mail``, or None when the guard suppresses it."""
        decision = self.decide(mail)
        if not decision.allowed:
            self.suppressed[deciding(decision)] += 1
            return None
        self.acks += 1
        return self.acknowledgement(mail)

    def decide(self, mail: Mail) -> loopguard.Decision:
        recipient = self.address if self.pass_recipient else None
        if self.recipe == "imap":
            raw = delivered(mail, self.address)
            return self.guard.check(raw, recipient=recipient, trigger=self.trigger)
        return self.guard.check(
            mail.raw,
            recipient=recipient,
            envelope_sender=mail.envelope_sender,
            trigger=self.trigger,
        )

    def acknowledgement(self, mail: Mail) -> Mail:
        """As examples/aiosmtpd_gateway.py writes it: to Reply-To or From, subject kept."""
        incoming = headers_of(mail.raw)
        ack = email.message.Message()
        ack["From"] = f"Help Desk <{self.sends_from or self.address}>"
        ack["To"] = header(incoming, "Reply-To", "From") or mail.envelope_sender
        ack["Subject"] = f"[Ticket#{next(self.tickets)}] {header(incoming, 'Subject')[:150]}"
        ack["Date"] = date_at(self.guard.clock())
        ack.set_payload("Thank you for your message. We will answer as soon as we can.\n", "utf-8")
        self.guard.stamp(ack, replying_to=mail.raw)
        return Mail(wire_bytes(ack), self.sends_from or self.address)


def deciding(decision: loopguard.Decision) -> str:
    """The rule that suppressed, with the rung of a limit (``rate-limit/pair``)."""
    rung = getattr(decision, "rung", None)  # the lab also measures guards without rungs
    return f"{decision.rule or '?'}/{rung}" if rung else decision.rule or "?"
