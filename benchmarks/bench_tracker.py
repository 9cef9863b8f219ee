"""Rate tracker speed and memory against the ``limits`` library, measured in one run.

Usage: ``python benchmarks/bench_tracker.py [--rounds N] [--quick] [--stores]
[--redis-url redis://host:port/0]``

The ratios of issue 14, side by side in one process, ``RateTracker`` on a ``MemoryStore``
against ``limits``' ``MovingWindowRateLimiter`` on its ``MemoryStorage``, both with a limit
of 20 per hour and reading ``time.time()`` per decision, rounds alternating which goes
first, the best round of each compared:

* distinct: 100,000 distinct (sender, recipient) pairs, one hit each, in random order
  (the allow-and-insert path, keys derived for the first time);
* loop: 1,000 hot pairs, 100 hits each, in random order (80 of every pair's 100 are
  denied: the path a loop takes).

Then the bytes per tracked pair: 50,000 pairs, 3 events each a minute apart, under two
limits (5 per 10 minutes and 20 per hour), as the RSS growth of a fresh child process,
keys and the tracker's caches included.

``--stores`` adds the other rows: 1,000,000 keys tracked, SQLite, and Redis one by one
and batched (a private ``redis-server`` on a free loopback port unless ``--redis-url``).
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from loopguard.rate.keys import MailEvent
from loopguard.rate.tracker import Limit, RateTracker
from loopguard.stores import Touch
from loopguard.stores.memory import MemoryStore
from loopguard.stores.redis import RedisStore
from loopguard.stores.sqlite import SQLiteStore

BENCH_LIMIT = Limit(20, "1h")  # the baseline's limit (performance guide §4)
MEMORY_LIMITS = (Limit(5, "10m"), Limit(20, "1h"))
SIDE = 1000  # senders and recipients: SIDE**2 distinct pairs

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Sizes:
    distinct: int
    hot_pairs: int
    hits_per_pair: int
    memory_pairs: int
    store_keys: int
    store_decisions: int
    sqlite_decisions: int
    redis_single: int
    redis_batched: int


FULL = Sizes(100_000, 1_000, 100, 50_000, 1_000_000, 1_000_000, 20_000, 20_000, 200_000)
QUICK = Sizes(20_000, 200, 100, 50_000, 100_000, 100_000, 5_000, 5_000, 20_000)


def all_pairs(count: int) -> Pairs:
    """``count`` distinct pairs of the SIDE x SIDE grid, in grid order."""
    senders = [f"customer{i}@mail{i % 97}.example.com" for i in range(SIDE)]
    recipients = [f"desk{i}@support.example.org" for i in range(SIDE)]
    return [(senders[i // SIDE], recipients[i % SIDE]) for i in range(count)]


def distinct_workload(count: int) -> Pairs:
    pairs = all_pairs(count)
    random.Random(1).shuffle(pairs)
    return pairs


def loop_workload(hot: int, hits: int) -> Pairs:
    pairs = random.Random(2).sample(all_pairs(SIDE * SIDE), hot) * hits
    random.Random(3).shuffle(pairs)
    return pairs


def seconds(run: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def ours(workload: Pairs) -> float:
    rates = RateTracker([BENCH_LIMIT], store=MemoryStore())

    def run() -> None:
        hit = rates.hit
        for sender, recipient in workload:
            hit(sender=sender, recipient=recipient)

    return seconds(run)


def theirs(workload: Pairs) -> float:
    from limits import parse
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    storage = MemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    item = parse(f"{BENCH_LIMIT.count}/hour")

    def run() -> None:
        hit = limiter.hit
        for sender, recipient in workload:
            hit(item, sender, recipient)

    result = seconds(run)
    # Its expiry thread sweeps every key every 10 ms while hits come in (a cost of the
    # library, so inside the timing); let the last sweep finish before the next run.
    storage.timer.join()
    return result


def compare(name: str, workload: Pairs, rounds: int) -> float:
    """Alternating rounds of both; prints the best of each and their ratio."""
    ours_best = theirs_best = float("inf")
    ratios = []
    for round_number in range(rounds):
        if round_number % 2:
            theirs_time, ours_time = theirs(workload), ours(workload)
        else:
            ours_time, theirs_time = ours(workload), theirs(workload)
        ours_best, theirs_best = min(ours_best, ours_time), min(theirs_best, theirs_time)
        ratios.append(theirs_time / ours_time)
    count = len(workload)
    ratio = theirs_best / ours_best
    print(
        f"{name:<34}{count / ours_best:>10,.0f}/s {count / theirs_best:>10,.0f}/s"
        f"{ratio:>8.2f}x   (rounds {', '.join(f'{r:.2f}' for r in ratios)};"
        f" median {statistics.median(ratios):.2f})"
    )
    return ratio


def bytes_per_pair(count: int) -> tuple[float, int]:
    """RSS growth per pair after 3 events each, measured in this (fresh) process: each
    pair a correspondent of its own writing to one of ten desk addresses."""
    workload = [
        (f"customer{i}@mail{i % 97}.example.com", f"desk{i % 10}@support.example.org")
        for i in range(count)
    ]
    clock = [1_800_000_000.0]
    store = MemoryStore(max_keys=count)
    rates = RateTracker(MEMORY_LIMITS, store=store, clock=lambda: clock[0])
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


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def memory_in_child(count: int) -> float:
    result = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout)


# -- the other stores (--stores) ---------------------------------------------------------


def prefilled(hit: Callable[[str, str], object], keys: int, decisions: int) -> float:
    """Decisions/s of ``hit`` once ``keys`` pairs are tracked (one event each first)."""
    population = all_pairs(keys)
    for sender, recipient in population:
        hit(sender, recipient)
    workload = random.Random(2).choices(population, k=decisions)

    def run() -> None:
        for sender, recipient in workload:
            hit(sender, recipient)

    return decisions / seconds(run)


def stores_section(sizes: Sizes, redis_url: str | None) -> None:
    keys, decisions = sizes.store_keys, sizes.store_decisions
    tracker = bench_memory(keys, decisions)
    alone = bench_memory_store_only(keys, decisions)
    print(f"memory  RateTracker.hit, {keys:,} keys tracked   {tracker:>10,.0f} decisions/s")
    print(f"memory  MemoryStore.hit alone (keys ready)   {alone:>10,.0f} decisions/s")
    sqlite_rate = bench_sqlite(random_pairs(sizes.sqlite_decisions))
    print(f"sqlite  RateTracker.hit                      {sqlite_rate:>10,.0f} decisions/s")
    with private_redis() as private_url:
        url = redis_url or private_url
        if url is None:
            print("redis   skipped: no redis-server installed and no --redis-url")
            return
        single, batched = bench_redis(
            url, random_pairs(sizes.redis_single), random_pairs(sizes.redis_batched)
        )
        print(f"redis   RateTracker.hit, one by one          {single:>10,.0f} decisions/s")
        print(f"redis   RateTracker.hit_many of 100          {batched:>10,.0f} decisions/s")


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


def random_pairs(count: int, seed: int = 1) -> Pairs:
    rng = random.Random(seed)
    population = all_pairs(SIDE * SIDE)
    return [rng.choice(population) for _ in range(count)]


def bench_sqlite(workload: Pairs) -> float:
    with tempfile.TemporaryDirectory() as folder:
        rates = RateTracker([BENCH_LIMIT], store=SQLiteStore(Path(folder) / "rates.db"))

        def run() -> None:
            for sender, recipient in workload:
                rates.hit(sender=sender, recipient=recipient)

        result = len(workload) / seconds(run)
        rates.close()
    return result


def bench_redis(url: str, single: Pairs, batched: Pairs) -> tuple[float, float]:
    store = RedisStore(url, prefix=f"lgbench{random.getrandbits(32):x}")
    rates = RateTracker([BENCH_LIMIT], store=store)

    def one_by_one() -> None:
        for sender, recipient in single:
            rates.hit(sender=sender, recipient=recipient)

    events = [MailEvent(sender, recipient) for sender, recipient in batched]

    def in_batches() -> None:
        for start in range(0, len(events), 100):
            rates.hit_many(events[start : start + 100])

    results = len(single) / seconds(one_by_one), len(events) / seconds(in_batches)
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
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per workload")
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    parser.add_argument("--stores", action="store_true", help="also 1M keys, SQLite and Redis")
    parser.add_argument("--redis-url", help="use this server instead of a private one")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.memory_child:
        print(bytes_per_pair(options.memory_child)[0])
        return
    sizes = QUICK if options.quick else FULL
    print(f"limit {BENCH_LIMIT}; best of {options.rounds} alternating rounds each")
    print(f"{'workload':<34}{'RateTracker':>12} {'limits':>12}{'ratio':>9}")
    distinct = distinct_workload(sizes.distinct)
    compare(f"distinct: {sizes.distinct:,} pairs x 1 hit", distinct, options.rounds)
    loop = loop_workload(sizes.hot_pairs, sizes.hits_per_pair)
    compare(f"loop: {sizes.hot_pairs:,} pairs x {sizes.hits_per_pair} hits", loop, options.rounds)
    per_pair = memory_in_child(sizes.memory_pairs)
    print(
        f"memory: {sizes.memory_pairs:,} pairs x 3 events, limits 5/10m and 20/1h: "
        f"{per_pair:,.0f} bytes/pair (RSS growth, keys and caches included)"
    )
    if options.stores:
        print()
        stores_section(sizes, options.redis_url)


if __name__ == "__main__":
    main()
