"""A ticket system's triggers behind loopguard: the one- or two-line integration.

Incoming mail creates a ticket (also from lists and newsletters, never from loops), and
the "notify requester" trigger answers the sender only when the guard allows it. The
configuration is the TOML a deployment would keep next to its settings. Run it to see
the decisions for a few typical messages::

    python examples/ticket_trigger.py
"""

from __future__ import annotations

import collections
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser

from loopguard.classifier.verdict import Reason
from loopguard.guard import Action, Decision, Guard
from loopguard.guard.policy import load_config
from loopguard.rate.tracker import Clock
from loopguard.stores.memory import MemoryStore
from loopguard.testing import build_message

CONFIG = {
    "own_addresses": ["support@example.org"],
    "limits": ["3/10m", "15/1h", "40/1d"],
    "policy": {
        "final_notice": True,
        "triggers": {
            # Tickets are created from bulk mail too; they just never get an answer.
            "create-ticket": {"categories": ["human", "bulk"], "answers_sender": False},
        },
    },
}


@dataclass
class TicketDesk:
    """A toy help desk: tickets in a list, outgoing notifications in a list."""

    guard: Guard
    tickets: list[bytes] = field(default_factory=list)
    outbox: list[EmailMessage] = field(default_factory=list)
    suppressed: list[Decision] = field(default_factory=list)
    metrics: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)

    def receive(self, raw: bytes) -> None:
        """What the host's mail fetcher calls for each new message."""
        if self.guard.check(raw, recipient="support@example.org", trigger="create-ticket").allowed:
            self.tickets.append(raw)
        self.notify_requester(raw)

    def notify_requester(self, raw: bytes) -> EmailMessage | Decision:
        """The trigger, wrapped by the guard in :func:`make_desk`."""
        original = BytesParser(policy=email.policy.default).parsebytes(raw)
        reply = EmailMessage()
        reply["From"] = "Support <support@example.org>"
        reply["To"] = original.get("Reply-To") or original.get("From") or ""
        reply["Subject"] = f"[Ticket#{len(self.tickets)}] {original.get('Subject', '')}"
        reply.set_content("We received your request and will answer within one day.\n")
        self.outbox.append(self.guard.stamp(reply, replying_to=raw))
        return reply

    def count(self, action: Action, reasons: tuple[Reason, ...]) -> None:
        """The guard's metrics hook: decisions per action and deciding rule."""
        self.metrics[(action.value, reasons[0].rule if reasons else "-")] += 1


def make_desk(*, secret: bytes, clock: Clock) -> TicketDesk:
    """Build the desk with its guard; the trigger is wrapped with ``guard.protect``."""
    config = load_config(CONFIG)
    desk = TicketDesk(Guard.from_config(config, store=MemoryStore(), secret=secret, clock=clock))
    desk.guard.metrics = desk.count
    protect = desk.guard.protect(
        recipient="support@example.org",
        trigger="notify-requester",
        on_suppress=desk.suppressed.append,
    )
    desk.notify_requester = protect(desk.notify_requester)  # type: ignore[method-assign]
    return desk


def main() -> None:
    """Feed a few typical messages and print what happened to each."""
    import time

    desk = make_desk(secret=b"example secret, use your own", clock=time.time)
    samples = {
        "a person": build_message(sender="ann@example.com", to="support@example.org"),
        "a newsletter": build_message(
            {"List-Id": "<news.example.com>", "Precedence": "bulk"}, sender="news@example.com"
        ),
        "an out-of-office": build_message(
            {"Auto-Submitted": "auto-replied"}, sender="bob@example.net", subject="Out of office"
        ),
    }
    for label, raw in samples.items():
        before = (len(desk.tickets), len(desk.outbox))
        desk.receive(raw)
        ticket = "ticket" if len(desk.tickets) > before[0] else "no ticket"
        answer = "answered" if len(desk.outbox) > before[1] else "not answered"
        print(f"{label:16} {ticket:10} {answer}")
    print(dict(desk.metrics))


if __name__ == "__main__":
    main()
