"""Redis decisions/s: a standalone server against a Redis Cluster, one by one and batched.

Usage: ``python benchmarks/bench_redis.py [--quick] [--redis-url URL] [--cluster-url URL]``

Without URLs, a private ``redis-server`` and a private six-node cluster (three masters,
three replicas, ``tests/redis_cluster.py``) are started on free loopback ports and
stopped afterwards. Both run in the same process, one after the other, so that the
ratios are fair on a noisy machine; trust the ratios more than the absolute figures.

Workload: random (sender, recipient) pairs out of 1,000 x 1,000, limit 20 per hour, one
key per decision; the keys' hash tags spread them over all slots of the cluster. Rows:
``RateTracker.hit`` one by one, ``RateTracker.hit_many`` in batches of 100, and
``AsyncRateTracker.hit`` one by one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from loopguard.rate.aio import AsyncRateTracker
from loopguard.rate.keys import MailEvent
from loopguard.rate.tracker import Limit, RateTracker
from loopguard.stores.redis import AsyncRedisStore, RedisStore

LIMIT = Limit(20, "1h")
SIDE = 1000
BATCH = 100
ROOT = Path(__file__).resolve().parents[1]


def pairs(count: int, seed: int = 1) -> list[MailEvent]:
    rng = random.Random(seed)
    return [
        MailEvent(f"customer{rng.randrange(SIDE)}@example.com", f"desk{rng.randrange(SIDE)}@x.org")
        for _ in range(count)
    ]


def per_second(count: int, run: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def bench(store_url: str, single: int, batched: int) -> dict[str, float]:
    """Decisions/s of the three rows on the server of ``store_url`` (a private prefix)."""
    url = f"{store_url}{'&' if '?' in store_url else '?'}prefix=lgbench{random.getrandbits(32):x}"
    one, many = pairs(single), pairs(batched, seed=2)
    rates = RateTracker([LIMIT], store=RedisStore.from_url(url))
    figures = {
        "hit": per_second(
            len(one), lambda: [rates.hit(sender=e.sender, recipient=e.recipient) for e in one]
        ),
        "hit_many": per_second(
            len(many),
            lambda: [rates.hit_many(many[at : at + BATCH]) for at in range(0, len(many), BATCH)],
        ),
    }
    rates.close()

    async def async_run() -> None:
        async with AsyncRateTracker([LIMIT], store=AsyncRedisStore.from_url(url)) as arates:
            for event in one:
                await arates.hit(sender=event.sender, recipient=event.recipient)

    figures["async hit"] = per_second(len(one), lambda: asyncio.run(async_run()))
    store = RedisStore.from_url(url)
    for key in store.client.scan_iter(match=f"{store.prefix}:*", count=1000):
        store.client.delete(key)
    store.close()
    return figures


@contextmanager
def private_cluster() -> Iterator[str]:
    sys.path.insert(0, str(ROOT / "tests"))  # the cluster helper CI uses
    import redis_cluster

    with tempfile.TemporaryDirectory() as folder:
        cluster = redis_cluster.Cluster(redis_cluster.free_base_port(), Path(folder) / "cluster")
        try:
            cluster.start()
            yield cluster.url
        finally:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    parser.add_argument("--redis-url", help="a standalone server instead of a private one")
    parser.add_argument("--cluster-url", help="a store URL of a cluster (…/0?cluster=yes)")
    options = parser.parse_args()
    single, batched = (2_000, 20_000) if options.quick else (20_000, 200_000)
    from stress_stores import private_redis  # this folder is sys.path[0] when run as a script

    with ExitStack() as servers:
        standalone = options.redis_url or servers.enter_context(private_redis())
        cluster = options.cluster_url or servers.enter_context(private_cluster())
        rows = {"standalone": bench(standalone, single, batched)}
        rows["cluster"] = bench(cluster, single, batched)
    print(f"{'decisions/s':<36}{'standalone':>12}{'cluster':>12}{'ratio':>8}")
    for name, label in (
        ("hit", "RateTracker.hit, one by one"),
        ("hit_many", f"RateTracker.hit_many of {BATCH}"),
        ("async hit", "AsyncRateTracker.hit, one by one"),
    ):
        alone, spread = rows["standalone"][name], rows["cluster"][name]
        print(f"{label:<36}{alone:>12,.0f}{spread:>12,.0f}{spread / alone:>8.2f}")


if __name__ == "__main__":
    main()
