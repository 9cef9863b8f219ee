"""Shared helpers of the guard tests: a fake clock, messages, a failing store, Redis.

Redis tests run on a standalone server and on a Redis Cluster (``REDIS_KINDS``; the
environment variables are in ``tests/redis_servers.py``). Without one they skip, except
under CI (``CI`` set), where a missing server fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage

import pytest
from redis_servers import reach

from loopguard.errors import StoreError
from loopguard.guard import Guard
from loopguard.rate.tracker import Limit
from loopguard.stores import Touch
from loopguard.testing import FakeClock, build_message

HELP = "help@example.org"
SECRET = b"test secret, not for production"
#: A Postfix-style DSN: gone@example.net failed permanently (5.1.1).
BOUNCE = b"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: help@example.org
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--b--
"""
ANN_TEXT = "Hello,\n\nmy printer on the third floor stopped working after the update.\n\nAnn\n"


class FailingStore:
    """A store whose every call fails, as a Redis server that went away does."""

    def __init__(self) -> None:
        self.calls = 0

    def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        self.calls += 1
        raise StoreError("store unreachable")

    def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        self.calls += 1
        raise StoreError("store unreachable")

    def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        self.calls += 1
        raise StoreError("store unreachable")

    def reset(self, keys: Sequence[str]) -> None:
        raise StoreError("store unreachable")

    def close(self) -> None:
        pass


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def guard(clock: FakeClock) -> Guard:
    """A help desk's guard: 3 answers per pair per 10 minutes, our address, a secret."""
    return Guard([Limit(3, "10m")], own_addresses=[HELP], secret=SECRET, clock=clock)


def person(
    sender: str = "Ann Example <ann@example.com>", body: str = ANN_TEXT, **headers: str
) -> bytes:
    """A person's message to the help desk."""
    pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return build_message(pairs, body=body, sender=sender, to=HELP)


def acknowledgement(guard: Guard, incoming: bytes, *, body: str | None = None) -> EmailMessage:
    """The help desk's stamped acknowledgement of ``incoming``."""
    reply = EmailMessage()
    reply["From"] = f"Help Desk <{HELP}>"
    reply["To"] = "ann@example.com"
    reply["Subject"] = "[Ticket#1001] We received your request"
    reply.set_content(body or "Thank you, we received your request and will answer soon.\n")
    guard.stamp(reply, replying_to=incoming)
    return reply


#: The real Redis servers a guard test runs on, as params of its store fixture.
REDIS_KINDS = (
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", marks=pytest.mark.redis),
)


def redis_url(kind: str = "redis", **options: str) -> str:
    """The store URL of a reachable real server of ``kind`` (one of ``REDIS_KINDS``), with
    query ``options``; without one the test skips (fails under CI), see redis_servers.py."""
    return reach("cluster" if kind == "redis-cluster" else "standalone").store_url(**options)
