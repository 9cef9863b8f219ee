"""Concurrent workers: 16 of them inside ``guard.dispatching()`` at once, on one guard
(MemoryStore) or on their own guards sharing SQLite, Redis or a Redis Cluster, must send no
more than ``check()`` sends for the same burst, one message after the other. The Redis rows
run where a server is given, as in CI."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import random
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import loopguard
from loopguard.testing import FakeClock

from .casesystem import CaseSystem, opening_message
from .core import HELP, TRIGGER, Outcome, loop_scenario
from .desk import desk_guard
from .mail import Mail

WORKERS = 16
#: A guard that serialises dispatching keeps the other workers out of the block; the
#: barrier then gives up instead of waiting forever.
BARRIER_TIMEOUT = 2.0


def looping_burst(count: int) -> list[Mail]:
    """``count`` messages of one looping pair: the case system with constant addresses."""
    clock, rng = FakeClock(), random.Random(17)
    partner = CaseSystem(clock, rng)
    seed = opening_message(clock, rng, sender=HELP, to="cases@partner.example")
    return [partner.answer(seed) for _ in range(count)]


def dispatch_concurrently(guards: Sequence[loopguard.Guard], burst: Sequence[Mail]) -> int:
    """Acknowledgements sent by one worker per message, all inside ``dispatching`` at once
    (the Celery recipe): each decides on entry, waits for the others, then sends."""
    barrier = threading.Barrier(len(burst))

    def worker(guard: loopguard.Guard, mail: Mail) -> bool:
        with guard.dispatching(mail.raw, recipient=HELP, trigger=TRIGGER) as decision:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(BARRIER_TIMEOUT)
            return decision.allowed

    with concurrent.futures.ThreadPoolExecutor(len(burst)) as pool:
        return sum(pool.map(worker, guards, burst))


def concurrency_outcome(sent: int, burst: Sequence[Mail]) -> Outcome:
    """Against what check() sends for the same burst, one message after the other."""
    guard = desk_guard(FakeClock())
    limit = sum(guard.check(mail.raw, recipient=HELP, trigger=TRIGGER).allowed for mail in burst)
    return Outcome(f"{sent}/{len(burst)} sent", sent, f"== {limit} (as check())", sent == limit)


@loop_scenario("dispatching-16-memory")
def dispatching_memory(stop_early: bool) -> Outcome:
    """16 worker threads share one guard on a MemoryStore; a burst of 16 from one pair."""
    burst = looping_burst(WORKERS)
    guard = desk_guard(FakeClock())
    return concurrency_outcome(dispatch_concurrently([guard] * WORKERS, burst), burst)


@loop_scenario("dispatching-16-sqlite")
def dispatching_sqlite(stop_early: bool) -> Outcome:
    """16 workers, each with its own guard on one SQLite file, as 16 processes would."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rates.db"
        return dispatching_on(lambda: loopguard.SQLiteStore(path))


def dispatching_on(
    store: Callable[[], loopguard.MemoryStore | loopguard.SQLiteStore | loopguard.RedisStore],
) -> Outcome:
    """16 workers, each with its own guard and its own connection to one shared store."""
    burst, clock = looping_burst(WORKERS), FakeClock()
    guards = [desk_guard(clock, store=store()) for _ in burst]
    try:
        sent = dispatch_concurrently(guards, burst)
    finally:
        for guard in guards:
            guard.close()
    return concurrency_outcome(sent, burst)


def dispatching_redis(url: str) -> Outcome:
    """16 workers, each with its own guard and client on one Redis (or Redis Cluster)
    server, under a key prefix of their own that is deleted afterwards."""
    separator = "&" if "?" in url else "?"
    prefixed = f"{url}{separator}prefix=lglab-{uuid.uuid4().hex[:12]}"
    outcome = dispatching_on(lambda: loopguard.RedisStore.from_url(prefixed))
    cleaner = loopguard.RedisStore.from_url(prefixed)
    with contextlib.closing(cleaner):
        client = cleaner.client
        keys = list(client.scan_iter(match=f"{cleaner.prefix}:*"))
        for key in keys:  # one by one: in a cluster each key may live on another node
            client.delete(key)
    return outcome


# The Redis rows run where a server is given, as in CI (.ci/run starts both).
if os.environ.get("LOOPGUARD_TEST_REDIS_URL"):

    @loop_scenario("dispatching-16-redis")
    def dispatching_redis_standalone(stop_early: bool) -> Outcome:
        """16 workers, each with its own guard and client on one Redis server."""
        return dispatching_redis(os.environ["LOOPGUARD_TEST_REDIS_URL"])


if os.environ.get("LOOPGUARD_TEST_REDIS_CLUSTER_URL"):

    @loop_scenario("dispatching-16-redis-cluster")
    def dispatching_redis_cluster(stop_early: bool) -> Outcome:
        """The same on a Redis Cluster: the keys of one decision live in several slots."""
        url = os.environ["LOOPGUARD_TEST_REDIS_CLUSTER_URL"]
        return dispatching_redis(url + ("&" if "?" in url else "?") + "cluster=yes")
