"""A help desk's SMTP gateway that acknowledges new mail, guarded against loops.

Run it (on loopback) and point a test client at it::

    python examples/aiosmtpd_gateway.py --listen 127.0.0.1:8025 --relay 127.0.0.1:8026 \\
        --address help@example.org

Every message for ``--address`` gets an acknowledgement through ``--relay`` when the
:class:`loopguard.guard.aio.AsyncGuard` allows it; suppressed messages are logged with the
guard's reason. ``handle_DATA`` only queues the acknowledgement (an :class:`SmtpOutbox`
delivers it), so two gateways answering each other never wait on one another.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from loopguard.guard.aio import AsyncGuard
from loopguard.mail.view import MessageView
from loopguard.rate.tracker import Limit

log = logging.getLogger("helpdesk")


class InFlight:
    """Counts messages queued but not yet delivered, across every outbox that shares it.

    A receiver queues its answer before it accepts a message, and a sender counts its
    message as delivered only once accepted, so the count only reaches zero when every
    exchange has ended: tests wait on that instead of sleeping.
    """

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def add(self) -> None:
        with self._changed:
            self._count += 1

    def done(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Whether everything was delivered within ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


class SmtpOutbox:
    """Delivers queued messages, one at a time, to an SMTP relay.

    Args:
        relay: ``(host, port)`` of the next hop.
        in_flight: A shared :class:`InFlight` counter, if the host wants to wait for quiet.
    """

    def __init__(self, relay: tuple[str, int], in_flight: InFlight | None = None) -> None:
        self.relay = relay
        self.in_flight = in_flight or InFlight()
        self.sent: list[EmailMessage] = []
        self._queue: asyncio.Queue[tuple[EmailMessage, str, list[str]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    def put(self, message: EmailMessage, *, mail_from: str, rcpt_tos: list[str]) -> None:
        """Queue a message; call from the event loop that runs the SMTP server."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._deliver_forever())
        self.in_flight.add()
        self._queue.put_nowait((message, mail_from, rcpt_tos))

    async def _deliver_forever(self) -> None:
        assert self._queue is not None
        while True:
            message, mail_from, rcpt_tos = await self._queue.get()
            try:
                await asyncio.to_thread(self._send, message, mail_from, rcpt_tos)
                self.sent.append(message)
            except (OSError, smtplib.SMTPException):
                log.exception("delivery to %s:%s failed", *self.relay)
            finally:
                self.in_flight.done()

    def _send(self, message: EmailMessage, mail_from: str, rcpt_tos: list[str]) -> None:
        # send_message writes CRLF line ends, as SMTP requires (sendmail sends bytes as is).
        with smtplib.SMTP(*self.relay, timeout=10) as smtp:
            smtp.send_message(message, from_addr=mail_from, to_addrs=rcpt_tos)


class AcknowledgingHandler:
    """aiosmtpd handler of a help desk that acknowledges every new message.

    Args:
        guard: The loop guard; ``None`` acknowledges everything (the unguarded baseline
            that the end-to-end test shows looping).
        address: The help desk's address.
        outbox: Where acknowledgements go.
    """

    def __init__(self, guard: AsyncGuard | None, address: str, outbox: SmtpOutbox) -> None:
        self.guard = guard
        self.address = address
        self.outbox = outbox
        self.received: list[bytes] = []
        self.suppressed: list[str] = []
        self._tickets = itertools.count(1001)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        raw: bytes = envelope.original_content or envelope.content
        self.received.append(raw)
        view = MessageView.from_bytes(raw, envelope_sender=envelope.mail_from)
        if self.guard is not None:
            decision = await self.guard.check(view, recipient=self.address, trigger="acknowledge")
            if not decision.allowed:
                self.suppressed.append(decision.rule or "")
                log.info("no acknowledgement: %s", decision.reasons[0])
                return "250 OK"
        to = view.get("reply-to") or view.get("from") or envelope.mail_from
        ack = self._acknowledgement(view, to)
        # Sent from our own address, so a failed delivery bounces back here, where the
        # guard sees the bounce and remembers the address.
        self.outbox.put(ack, mail_from=self.address, rcpt_tos=[_bare(to)])
        return "250 OK"

    def _acknowledgement(self, view: MessageView, to: str) -> EmailMessage:
        ack = EmailMessage()
        ack["From"] = f"Help Desk <{self.address}>"
        ack["To"] = to
        ack["Subject"] = f"[Ticket#{next(self._tickets)}] {view.subject[:150]}"
        ack["Message-ID"] = make_msgid(domain=self.address.rpartition("@")[2])
        ack.set_content("Thank you for your message. We will answer as soon as we can.\n")
        if self.guard is not None:
            self.guard.stamp(ack, replying_to=view)
        return ack


def _bare(address: str) -> str:
    from email.utils import parseaddr

    return parseaddr(address)[1] or address


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> None:
    """Run the gateway until interrupted."""
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:8025", type=_host_port)
    parser.add_argument("--relay", default="127.0.0.1:8026", type=_host_port)
    parser.add_argument("--address", default="help@example.org")
    parser.add_argument("--secret", default="change me", help="HMAC secret for loop tokens")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    guard = AsyncGuard(
        [Limit(5, "10m"), Limit(40, "1d")], own_addresses=[args.address], secret=args.secret
    )
    handler = AcknowledgingHandler(guard, args.address, SmtpOutbox(args.relay))
    controller = Controller(handler, hostname=args.listen[0], port=args.listen[1])
    controller.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
