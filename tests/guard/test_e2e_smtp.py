"""End to end over real SMTP on loopback: a help desk against an autoresponder and a bouncer.

Two aiosmtpd servers on 127.0.0.1: the help desk of examples/aiosmtpd_gateway.py, which
acknowledges every new message, and a remote domain with a person's mailbox, an
autoresponder and no other users (mail to them bounces). Unguarded, each loop runs until
the remote side's cap; guarded, it stops within the configured limit, and a person who
writes afterwards still gets an acknowledgement. Nothing sleeps: the test waits until no
message is in flight.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from scripts import load_script

from loopguard.guard.aio import AsyncGuard
from loopguard.rate.tracker import Limit

from .conftest import SECRET, FakeClock

DESK = "help@desk.test"
RESPONDER = "info@remote.test"
ALICE = "alice@remote.test"
CAP = 25  # the remote side stops answering after this many messages
LIMIT = 3


gateway = load_script("examples/aiosmtpd_gateway.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RemoteDomain:
    """remote.test: Alice's mailbox, an autoresponder, and bounces for everyone else."""

    outbox: Any
    marks_itself: bool = False
    received: list[bytes] = field(default_factory=list)
    alice: list[bytes] = field(default_factory=list)
    bounces_sent: int = 0
    replies_sent: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.content
        self.received.append(raw)
        if len(self.received) > CAP:
            return "250 OK (cap reached, dropped)"
        for rcpt in envelope.rcpt_tos:
            if rcpt == ALICE:
                self.alice.append(raw)
            elif rcpt == RESPONDER:
                self.replies_sent += 1
                self.outbox.put(self._auto_reply(raw), mail_from=RESPONDER, rcpt_tos=[DESK])
            else:
                self.bounces_sent += 1
                self.outbox.put(self._bounce(rcpt, raw), mail_from="", rcpt_tos=[DESK])
        return "250 OK"

    def _auto_reply(self, raw: bytes) -> EmailMessage:
        # A responder that quotes what it answers and, unless told to, marks nothing.
        reply = EmailMessage()
        reply["From"] = f"ACME Sales <{RESPONDER}>"
        reply["To"] = DESK
        reply["Subject"] = "Your message to ACME Sales"
        reply["Message-ID"] = make_msgid(domain="remote.test")
        if self.marks_itself:
            reply["Auto-Submitted"] = "auto-replied"
        quoted = "\n".join(f"> {line}" for line in raw.decode("ascii", "replace").splitlines())
        reply.set_content(
            f"Your message number {self.replies_sent} reached our sales team, who will "
            f"contact you about your order.\n\n{quoted}\n"
        )
        return reply

    def _bounce(self, rcpt: str, raw: bytes) -> EmailMessage:
        report = EmailMessage()
        report["From"] = "Mail Delivery System <MAILER-DAEMON@remote.test>"
        report["To"] = DESK
        report["Subject"] = "Undelivered Mail Returned to Sender"
        report["Message-ID"] = make_msgid(domain="remote.test")
        report.set_content(f"Your message could not be delivered to {rcpt}.\n")
        status = EmailMessage()
        status.set_content(
            f"Reporting-MTA: dns; mx.remote.test\n\nFinal-Recipient: rfc822; {rcpt}\n"
            "Action: failed\nStatus: 5.1.1\n",
        )
        report.add_attachment(status.get_payload(), subtype="delivery-status")  # type: ignore[arg-type]
        del report["Content-Type"]
        report["Content-Type"] = (
            f'multipart/report; report-type=delivery-status; boundary="{report.get_boundary()}"'
        )
        return report


@dataclass
class World:
    desk: Any
    remote: RemoteDomain
    in_flight: Any
    desk_port: int

    def send(self, sender: str, body: str, subject: str = "Hello") -> None:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = DESK
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
        message.set_content(body)
        with smtplib.SMTP("127.0.0.1", self.desk_port, timeout=10) as smtp:
            smtp.send_message(message, from_addr=sender, to_addrs=[DESK])
        assert self.in_flight.wait_idle(timeout=20), "the exchange did not settle"

    def acks_to(self, address: str) -> int:
        return sum(1 for ack in self.desk.outbox.sent if parseaddr(ack["To"])[1] == address)


def start_world(guard: AsyncGuard | None, *, marks_itself: bool = False) -> Iterator[World]:
    in_flight = gateway.InFlight()
    desk_port, remote_port = free_port(), free_port()
    desk_outbox = gateway.SmtpOutbox(("127.0.0.1", remote_port), in_flight)
    remote_outbox = gateway.SmtpOutbox(("127.0.0.1", desk_port), in_flight)
    desk = gateway.AcknowledgingHandler(guard, DESK, desk_outbox)
    remote = RemoteDomain(remote_outbox, marks_itself=marks_itself)
    controllers = [
        Controller(desk, hostname="127.0.0.1", port=desk_port),
        Controller(remote, hostname="127.0.0.1", port=remote_port),
    ]
    for controller in controllers:
        controller.start()
    try:
        yield World(desk, remote, in_flight, desk_port)
    finally:
        for controller in controllers:
            controller.stop()


def guard() -> AsyncGuard:
    return AsyncGuard(
        [Limit(LIMIT, "10m"), Limit(40, "1d")],
        own_addresses=[DESK],
        secret=SECRET,
        clock=FakeClock(),
    )


@pytest.fixture
def unguarded() -> Iterator[World]:
    yield from start_world(None)


@pytest.fixture
def guarded() -> Iterator[World]:
    yield from start_world(guard())


@pytest.fixture
def guarded_marking() -> Iterator[World]:
    yield from start_world(guard(), marks_itself=True)


@pytest.fixture
def unguarded_marking() -> Iterator[World]:
    yield from start_world(None, marks_itself=True)


def test_unguarded_autoresponder_loop_runs_to_the_cap(unguarded: World) -> None:
    unguarded.send(RESPONDER, "Please send me a quote for 40 chairs.")
    assert len(unguarded.remote.received) > CAP
    assert unguarded.acks_to(RESPONDER) > CAP


def test_guarded_autoresponder_loop_stops_within_the_limit(guarded: World) -> None:
    guarded.send(RESPONDER, "Please send me a quote for 40 chairs.")
    assert 1 <= guarded.acks_to(RESPONDER) <= LIMIT
    assert guarded.desk.suppressed[0] in ("rate-limit", "repeated-content")
    guarded.send(ALICE, "Hi, my invoice is missing the VAT number.")
    assert guarded.acks_to(ALICE) == 1
    assert len(guarded.remote.alice) == 1


def test_unguarded_marking_responder_still_loops(unguarded_marking: World) -> None:
    unguarded_marking.send(RESPONDER, "Please send me a quote for 40 chairs.")
    assert unguarded_marking.acks_to(RESPONDER) > CAP


def test_guarded_marking_responder_stops_at_once(guarded_marking: World) -> None:
    guarded_marking.send(RESPONDER, "Please send me a quote for 40 chairs.")
    assert guarded_marking.acks_to(RESPONDER) == 1
    assert guarded_marking.desk.suppressed[0] in ("automated", "own-loop-token")
    guarded_marking.send(ALICE, "Hi, my invoice is missing the VAT number.")
    assert guarded_marking.acks_to(ALICE) == 1


def test_unguarded_bounce_loop_runs_to_the_cap(unguarded: World) -> None:
    unguarded.send("gone@remote.test", "Reply to me at my mistyped address.")
    assert unguarded.remote.bounces_sent >= CAP


def test_guarded_bounce_loop_stops_and_remembers_the_address(guarded: World) -> None:
    guarded.send("gone@remote.test", "Reply to me at my mistyped address.")
    assert guarded.acks_to("gone@remote.test") == 1
    assert guarded.remote.bounces_sent == 1
    assert guarded.desk.suppressed == ["automated"]
    guarded.send("gone@remote.test", "Writing again from the same address.")
    assert guarded.desk.suppressed == ["automated", "bounced-recipient"]
    assert guarded.remote.bounces_sent == 1
    guarded.send(ALICE, "Hi, my invoice is missing the VAT number.")
    assert guarded.acks_to(ALICE) == 1
