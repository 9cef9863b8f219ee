"""16 concurrent workers dispatching a burst from one looping pair: exactly the limit.

Each worker has a guard and a store connection of its own (as 16 Celery processes would)
on one shared store, decides inside ``guard.dispatching()``, waits until every worker has
decided, then sends - or fails to. The count is taken with the decision, so exactly the
limit passes; a failed send refunds its count, so the stored log holds exactly the
dispatches that did not fail. The classifier reads headers only, so that the burst (an
unmarked responder) is decided by the rate limits alone.
"""

from __future__ import annotations

import concurrent.futures
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis_servers import reach

from loopguard.classifier.pipeline import Classifier
from loopguard.guard import Guard
from loopguard.guard.policy import Policy
from loopguard.rate.tracker import Limit
from loopguard.stores import Store, Touch
from loopguard.testing import FakeClock, build_message

WORKERS = 16
LIMIT = 5
HELP = "help@example.org"
PARTNER = "Partner Support <cases@partner.example>"
HEADERS_ONLY = Classifier(text_heuristics=False, body_rules=())


class SendFailedError(Exception):
    """The SMTP server refused the acknowledgement."""


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Makes one connection per worker to one store of the param's kind."""
    kind: str = request.param
    made: list[Store] = []

    def connect() -> Store:
        store: Store
        if kind == "sqlite":
            from loopguard.stores.sqlite import SQLiteStore

            store = SQLiteStore(tmp_path / "rates.db")
        else:
            from loopguard.stores.redis import RedisStore

            server = reach("cluster" if kind == "redis-cluster" else "standalone")
            store = RedisStore.from_url(server.store_url(prefix=prefix))
        made.append(store)
        return store

    prefix = f"lgreserve-{uuid.uuid4().hex[:12]}"
    if kind != "sqlite":
        pytest.importorskip("redis")
        request.applymarker(pytest.mark.redis)
    yield connect
    for store in made:
        store.close()
    if kind != "sqlite":
        reach("cluster" if kind == "redis-cluster" else "standalone").delete_prefix(prefix)


def burst(count: int) -> list[bytes]:
    """``count`` acknowledgements of the partner's case system, one per case."""
    return [
        build_message(sender=PARTNER, subject=f"[Case {n}] received", body=f"Case {n} opened.")
        for n in range(count)
    ]


def dispatch(guards: list[Guard], messages: list[bytes], *, fail: bool) -> int:
    """Every worker decides, waits for the others, then sends (or fails to); how many
    were allowed."""
    barrier = threading.Barrier(len(guards))

    def worker(guard: Guard, message: bytes) -> bool:
        try:
            with guard.dispatching(message, recipient=HELP) as decision:
                barrier.wait(10)
                if decision.allowed and fail:
                    raise SendFailedError
                return decision.allowed
        except SendFailedError:
            return True

    with concurrent.futures.ThreadPoolExecutor(len(guards)) as pool:
        return sum(pool.map(worker, guards, messages))


def test_sixteen_workers_pass_exactly_the_limit_and_refund_failed_sends(
    stores: Callable[[], Store],
) -> None:
    clock = FakeClock()
    policy = Policy(repeat_limits=())
    guards = [
        Guard(
            [Limit(LIMIT, "10m"), Limit(40, "1d")],
            store=stores(),
            own_addresses=[HELP],
            clock=clock,
            policy=policy,
            classifier=HEADERS_ONLY,
        )
        for _ in range(WORKERS)
    ]
    assert dispatch(guards, burst(WORKERS), fail=False) == LIMIT
    pair = (
        guards[0].core.trackers.get("rates").keys_of(sender="cases@partner.example", recipient=HELP)
    )
    [logged] = guards[0].store.peek([Touch(pair[0], 86400, 40)], now=clock.now)
    assert len(logged) == WORKERS  # every decision counted once, allowed or not

    clock.advance(86400)  # a new day: the pair is quiet again
    assert dispatch(guards, burst(WORKERS), fail=True) == LIMIT
    [logged] = guards[0].store.peek([Touch(pair[0], 86400, 40)], now=clock.now)
    assert len(logged) == WORKERS - LIMIT  # the failed sends were refunded
