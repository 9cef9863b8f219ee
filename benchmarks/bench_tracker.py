"""Rate tracker throughput and memory, against the ``limits`` library on the same workload.

Usage: ``python benchmarks/bench_tracker.py [--quick] [--redis-url redis://host:port/0]``

Without ``--redis-url`` a private ``redis-server`` is started on a free loopback port
and shut down afterwards (the Redis rows are skipped if none is installed).

Workload: (sender, recipient) pairs drawn from 1,000 senders x 1,000 recipients, so the
full run spans 1,000,000 keys; decisions pick pairs at random (most are first hits,
the allow-and-insert path). Both trackers read ``time.time()`` per decision.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from loopguard.rate.keys import MailEvent
from loopguard.rate.tracker import DEFAULT_LIMITS, Limit, RateTracker
from loopguard.stores import Touch
from loopguard.stores.memory import MemoryStore
from loopguard.stores.redis import RedisStore
from loopguard.stores.sqlite import SQLiteStore

BENCH_LIMIT = Limit(20, "1h")  # the baseline's limit (performance guide §4)
SIDE = 1000  # senders and recipients: SIDE**2 distinct pairs


@dataclass(frozen=True)
class Sizes:
    decisions: int
    limits_decisions: int
    memory_pairs: int
    sqlite_decisions: int
    redis_single: int
    redis_batched: int


FULL = Sizes(1_000_000, 200_000, 1_000_000, 20_000, 20_000, 200_000)
QUICK = Sizes(100_000, 20_000, 100_000, 5_000, 5_000, 20_000)


def pairs(count: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    senders = [f"customer{i}@mail{i % 97}.example.com" for i in range(SIDE)]
    recipients = [f"desk{i}@support.example.org" for i in range(SIDE)]
    return [(rng.choice(senders), rng.choice(recipients)) for _ in range(count)]


def rate(count: int, run: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def all_pairs(count: int) -> list[tuple[str, str]]:
    senders = [f"customer{i}@mail{i % 97}.example.com" for i in range(SIDE)]
    recipients = [f"desk{i}@support.example.org" for i in range(SIDE)]
    return [(senders[i // SIDE], recipients[i % SIDE]) for i in range(count)]


def prefilled(hit: Callable[[str, str], object], keys: int, decisions: int) -> float:
    """Decisions/s of ``hit`` once ``keys`` pairs are tracked (one event each first)."""
    population = all_pairs(keys)
    for sender, recipient in population:
        hit(sender, recipient)
    workload = random.Random(2).choices(population, k=decisions)

    def run() -> None:
        for sender, recipient in workload:
            hit(sender, recipient)

    return rate(decisions, run)


def bench_memory(keys: int, decisions: int) -> float:
    rates = RateTracker([BENCH_LIMIT], store=MemoryStore(max_keys=keys))
    return prefilled(lambda s, r: rates.hit(sender=s, recipient=r), keys, decisions)


def bench_memory_store_only(keys: int, decisions: int) -> float:
    # The store alone, with keys derived beforehand: the ceiling for the tracker.
    derive = RateTracker([BENCH_LIMIT]).keys.key
    store = MemoryStore(max_keys=keys)
    touches = {
        pair: Touch(str(derive("pair", MailEvent(*pair))), BENCH_LIMIT.per, BENCH_LIMIT.count)
        for pair in all_pairs(keys)
    }
    return prefilled(lambda s, r: store.hit([touches[s, r]], now=time.time()), keys, decisions)


def bench_limits(keys: int, decisions: int) -> float:
    from limits import parse
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    storage = MemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    item = parse(f"{BENCH_LIMIT.count}/hour")
    result = prefilled(lambda s, r: limiter.hit(item, s, r), keys, decisions)
    # Its expiry thread sweeps every key while hits come in; let the last sweep finish so
    # that later rows run undisturbed (no hit schedules another).
    storage.timer.join()
    return result


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def bench_bytes_per_pair(count: int) -> tuple[float, int]:
    """RSS growth per pair after 3 events each under the default ladder, keys included."""
    workload = [(f"s{i // SIDE}@a.example", f"r{i % SIDE}@b.example") for i in range(count)]
    clock = [1_800_000_000.0]
    store = MemoryStore(max_keys=count)
    rates = RateTracker(DEFAULT_LIMITS, store=store, clock=lambda: clock[0])
    gc.collect()
    before = rss_bytes()
    for _ in range(3):
        for sender, recipient in workload:
            rates.hit(sender=sender, recipient=recipient)
        clock[0] += 60
    gc.collect()
    grown = rss_bytes() - before
    assert len(store) == count
    return grown / count, store.evictions


def bench_sqlite(workload: list[tuple[str, str]]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        rates = RateTracker([BENCH_LIMIT], store=SQLiteStore(Path(folder) / "rates.db"))

        def run() -> None:
            for sender, recipient in workload:
                rates.hit(sender=sender, recipient=recipient)

        result = rate(len(workload), run)
        rates.close()
    return result


def bench_redis(
    url: str, single: list[tuple[str, str]], batched: list[tuple[str, str]]
) -> tuple[float, float]:
    store = RedisStore(url, prefix=f"lgbench{random.getrandbits(32):x}")
    rates = RateTracker([BENCH_LIMIT], store=store)

    def one_by_one() -> None:
        for sender, recipient in single:
            rates.hit(sender=sender, recipient=recipient)

    events = [MailEvent(sender, recipient) for sender, recipient in batched]

    def in_batches() -> None:
        for start in range(0, len(events), 100):
            rates.hit_many(events[start : start + 100])

    results = rate(len(single), one_by_one), rate(len(events), in_batches)
    store.client.flushdb()
    rates.close()
    return results


@contextmanager
def private_redis() -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    parser.add_argument("--redis-url", help="use this server instead of a private one")
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    keys = sizes.memory_pairs
    print(f"workload: {keys:,} tracked pair keys, then random decisions; limit {BENCH_LIMIT}")

    # First, while the heap is fresh: RSS growth is only honest before other runs free memory.
    per_pair, evictions = bench_bytes_per_pair(sizes.memory_pairs)
    print(
        f"memory  {sizes.memory_pairs:,} pairs x 3 events, default ladder: "
        f"{per_pair:,.0f} bytes/pair (RSS delta, keys included), {evictions} evictions"
    )

    ours = bench_memory(keys, sizes.decisions)
    store_only = bench_memory_store_only(keys, sizes.decisions)
    gc.collect()
    theirs = bench_limits(keys, sizes.limits_decisions)
    print(f"memory  RateTracker.hit (addresses)   {ours:>10,.0f} decisions/s")
    print(f"memory  MemoryStore.hit (keys ready)  {store_only:>10,.0f} decisions/s")
    print(f"limits  MovingWindow + MemoryStorage  {theirs:>10,.0f} decisions/s")
    print(f"ratio   RateTracker / limits          {ours / theirs:>10.1f}x")

    sqlite_rate = bench_sqlite(pairs(sizes.sqlite_decisions))
    print(f"sqlite  RateTracker.hit               {sqlite_rate:>10,.0f} decisions/s")

    with private_redis() as private_url:
        url = options.redis_url or private_url
        if url is None:
            print("redis   skipped: no redis-server installed and no --redis-url")
            return
        single, batched = bench_redis(url, pairs(sizes.redis_single), pairs(sizes.redis_batched))
        print(f"redis   RateTracker.hit, one by one   {single:>10,.0f} decisions/s")
        print(f"redis   RateTracker.hit_many of 100   {batched:>10,.0f} decisions/s")


if __name__ == "__main__":
    main()
