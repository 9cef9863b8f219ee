"""A Redis Cluster loses a master during a stream of checks, under a sync and an async guard.

Every check still answers, by the ``on_store_error`` policy while the master's slots have
no owner, within the store timeout; no exception reaches the host; once the replica has
taken over, the counts written before the failure (and replicated) are there and go on.
The test runs a cluster of its own (``tests/redis_cluster.py``) on free loopback ports,
with ``cluster-node-timeout`` 1 s for a fast failover, so the cluster that CI's other
tests use is never damaged. docs/deployment.md quotes the figures it prints.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from redis_cluster import Cluster, free_base_port

from loopguard.guard import Action, Decision, Guard
from loopguard.guard.aio import AsyncGuard
from loopguard.guard.policy import Policy, StoreErrorPolicy
from loopguard.rate.keys import KeyDeriver
from loopguard.rate.tracker import Limit
from loopguard.stores import Touch
from loopguard.stores.redis import AsyncRedisStore, RedisStore
from loopguard.testing import build_message

from .conftest import figure, redis_binary

HELP = "help@example.org"
NOW = 1_800_000_000.0
TIMEOUT = 1.0  # the store timeout under test
SLACK = 1.0  # scheduling slack on a loaded 2-core CI machine
BEFORE = 5  # checks recorded, and replicated, before the master dies
AFTER = 20  # clean checks in a row that end the stream once the replica has taken over
RECOVERY = 5.0  # seconds after the takeover by which the guard must decide cleanly again
WINDOW = 3600.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A private six-node cluster that fails over within about 2 s of losing a master."""
    redis_binary()  # skips (fails under CI) without redis-server
    if shutil.which("redis-cli") is None:
        message = "no redis-cli on PATH (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("redis")
    private = Cluster(free_base_port(), tmp_path / "cluster", node_timeout_ms=1000)
    try:
        private.start()
        yield private
    finally:
        private.stop()


class Host:
    """A help desk's guard on the cluster: synchronous, or async on an event loop of its own."""

    def __init__(self, url: str, policy: StoreErrorPolicy, *, asynchronous: bool) -> None:
        self.loop = asyncio.new_event_loop() if asynchronous else None
        self.store = (AsyncRedisStore if asynchronous else RedisStore).from_url(url)
        self.guard = (AsyncGuard if asynchronous else Guard)(
            [Limit(100_000, "1h")],
            store=self.store,  # type: ignore[arg-type]
            own_addresses=[HELP],
            on_store_error=policy,
            clock=lambda: NOW,
            policy=Policy(repeat_limits=()),
        )

    def check(self, sender: str, number: int) -> Decision:
        body = f"Hello, question {number}: my printer on floor {number} stopped working."
        message = build_message(sender=sender, to=HELP, subject=f"Printer {number}", body=body)
        decision: Decision = self._done(self.guard.check(message, recipient=HELP))
        return decision

    def count(self, sender: str) -> int:
        """How many events the store holds for the pair (sender, help desk)."""
        key = KeyDeriver().key_of("pair", sender, HELP, None)
        assert key is not None
        stamps = self._done(self.store.peek([Touch(key, WINDOW, 100_000)], now=NOW))
        return len(stamps[0])

    def close(self) -> None:
        self._done(self.store.close())
        if self.loop is not None:
            self.loop.close()

    def _done(self, result: Any) -> Any:
        """``result``, or what it returns once awaited on the host's loop."""
        return result if self.loop is None else self.loop.run_until_complete(result)


class Failover(threading.Thread):
    """Kills a master, then waits until its replica serves the slots (``done`` is set)."""

    def __init__(self, cluster: Cluster, victim: int) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.victim = victim
        self.replica = cluster.replica_of(victim)
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.ended = float("inf")

    def ago(self) -> float:
        """Seconds since the replica took over (negative before)."""
        return time.monotonic() - self.ended

    def run(self) -> None:
        started = time.monotonic()
        try:
            self.cluster.kill(self.victim)
            self.cluster.wait_for_master(self.replica)
        except BaseException as exc:  # handed to the test, which fails on it
            self.error = exc
        finally:
            self.ended = time.monotonic()
            self.seconds = self.ended - started
            self.done.set()


def sender_on(cluster: Cluster, port: int) -> str:
    """A sender whose pair key (with the help desk) lives on the master on ``port``."""
    import redis

    client = redis.RedisCluster(host="127.0.0.1", port=port)
    try:
        for number in range(1000):
            sender = f"customer{number}@example.com"
            key = f"loopguard:{KeyDeriver().key_of('pair', sender, HELP, None)}"
            if client.get_node_from_key(key).port == port:
                return sender
    finally:
        client.close()
    raise AssertionError(f"no pair key of 1000 senders lands on port {port}")


class Answer(NamedTuple):
    """One check of the stream: the decision (or what was raised), when, and how long."""

    decision: Decision | Exception
    at: float
    seconds: float

    @property
    def clean(self) -> bool:
        return isinstance(self.decision, Decision) and not self.decision.degraded


def stream(host: Host, sender: str, failover: Failover) -> list[Answer]:
    """Checks without pause. The failover starts after the third; the stream ends after
    ``AFTER`` clean checks in a row once it is done, or ``RECOVERY`` seconds after it."""
    answers: list[Answer] = []
    while not failover.done.is_set() or not (
        all(answer.clean for answer in answers[-AFTER:]) or failover.ago() > RECOVERY
    ):
        if len(answers) == 3:
            failover.start()
        started = time.monotonic()
        try:
            decision: Decision | Exception = host.check(sender, len(answers))
        except Exception as exc:  # must never happen; the test fails on it
            decision = exc
        answers.append(Answer(decision, started, time.monotonic() - started))
    return answers


@pytest.mark.redis
@pytest.mark.parametrize(
    ("asynchronous", "policy"), [(False, "allow"), (True, "suppress")], ids=["sync", "async"]
)
def test_a_master_dies_during_a_stream_of_checks(
    cluster: Cluster, asynchronous: bool, policy: StoreErrorPolicy
) -> None:
    host = Host(f"{cluster.url}&timeout={TIMEOUT}", policy, asynchronous=asynchronous)
    victim = cluster.masters()[0]
    sender = sender_on(cluster, victim)
    assert all(not host.check(sender, -n).degraded for n in range(1, BEFORE + 1))
    assert cluster.command(victim, "WAIT", "1", "2000") == 1  # replicated before it dies
    failover = Failover(cluster, victim)

    answers = stream(host, sender, failover)

    assert failover.error is None
    assert [a.decision for a in answers if not isinstance(a.decision, Decision)] == []
    degraded = [a.decision for a in answers if not a.clean]
    assert degraded, "no check noticed the failover"
    expected = Action.ALLOW if policy == "allow" else Action.SUPPRESS
    assert all(decision.action is expected for decision in degraded)  # type: ignore[union-attr]
    assert all("store-error" in [r.rule for r in d.reasons] for d in degraded)  # type: ignore[union-attr]
    slowest = max(answer.seconds for answer in answers)
    assert slowest < TIMEOUT + SLACK
    assert all(answer.clean for answer in answers[-AFTER:]), "the store did not recover"
    last_failure = max(answer.at for answer in answers if not answer.clean)
    stored = host.count(sender)
    recorded = len(answers) - len(degraded)
    assert BEFORE + recorded <= stored <= BEFORE + len(answers)  # nothing lost, none twice
    assert not host.check(sender, len(answers)).degraded
    assert host.count(sender) == stored + 1
    host.close()
    figure(
        f"cluster failover, {'async' if asynchronous else 'sync'} guard, {policy}",
        checks=len(answers),
        degraded=len(degraded),
        slowest_check=slowest,
        failover_seconds=failover.seconds,
        failing_after_promotion=max(0.0, last_failure - failover.ended),
    )
