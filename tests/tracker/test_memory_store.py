from __future__ import annotations

import threading

import pytest

from loopguard.errors import ConfigurationError
from loopguard.rate.tracker import Limit, RateTracker
from loopguard.stores import Touch
from loopguard.stores.memory import MemoryStore

from .conftest import FakeClock


def test_beyond_max_keys_the_least_recently_used_key_is_evicted_and_counted() -> None:
    store = MemoryStore(max_keys=2)
    store.hit([Touch("a", 60, 5)], now=0)
    store.hit([Touch("b", 60, 5)], now=1)
    store.hit([Touch("a", 60, 5)], now=2)  # "b" is now the least recently used
    store.hit([Touch("c", 60, 5)], now=3)
    assert len(store) == 2
    assert store.evictions == 1
    assert store.peek([Touch("b", 60, 5)], now=3) == [[]]
    assert store.peek([Touch("a", 60, 5)], now=3) == [[0.0, 2.0]]


def test_idle_keys_expire_after_the_largest_window_without_counting_as_evictions() -> None:
    store = MemoryStore(max_keys=10)
    store.hit([Touch("short", 60, 5), Touch("long", 600, 5)], now=0)
    store.hit([Touch("fresh", 60, 5)], now=600.5)
    assert len(store) == 1
    assert (store.evictions, store.expirations) == (0, 2)


def test_an_expired_key_evicted_for_room_is_an_expiration() -> None:
    store = MemoryStore(max_keys=1)
    store.hit([Touch("a", 60, 5)], now=0)
    store.hit([Touch("b", 600, 5)], now=100)  # "a" is past its own 60 s, not past 600 s
    assert (store.evictions, store.expirations) == (1, 0)
    store.hit([Touch("c", 600, 5)], now=800)
    assert (store.evictions, store.expirations) == (1, 1)


def test_logs_are_trimmed_to_keep_and_sorted() -> None:
    store = MemoryStore()
    for now in (5.0, 1.0, 3.0, 4.0):
        store.hit([Touch("k", 60, 3)], now=now)
    assert store.peek([Touch("k", 60, 3)], now=5.0) == [[3.0, 4.0, 5.0]]
    store.close()
    assert len(store) == 0


def test_a_full_log_answers_copies_and_expires_like_any_other() -> None:
    # A log that holds as many stamps as it keeps is updated in place: what a hit or a
    # peek answers must still be the caller's own list.
    store = MemoryStore(max_keys=10)
    touch = Touch("loop", 60, 3)
    for now in (1.0, 2.0, 3.0):
        store.hit([touch], now=now)
    answer = store.hit([touch], now=4.0)[0]
    answer.append(99.0)
    assert store.peek([touch], now=4.0) == [[2.0, 3.0, 4.0]]
    assert store.hit([touch], now=3.5) == [[2.0, 3.0, 4.0]]  # a clock out of order
    assert store.peek([touch], now=4.0) == [[3.0, 3.5, 4.0]]
    store.refund([touch], now=3.5)
    assert store.peek([touch], now=4.0) == [[3.0, 4.0]]
    store.hit([Touch("fresh", 60, 3)], now=64.5)
    assert (len(store), store.expirations) == (1, 1)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_max_keys_is_validated(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_keys"):
        MemoryStore(max_keys=bad)  # type: ignore[arg-type]


def test_from_url() -> None:
    assert MemoryStore.from_url("memory://").max_keys == 1_000_000
    assert MemoryStore.from_url("memory://?max_keys=7").max_keys == 7
    with pytest.raises(ConfigurationError, match="integer"):
        MemoryStore.from_url("memory://?max_keys=many")
    with pytest.raises(ConfigurationError, match="unknown"):
        MemoryStore.from_url("memory://?maxkeys=7")


def test_threads_allow_exactly_the_limit(clock: FakeClock) -> None:
    limit = 37
    rates = RateTracker([Limit(limit, "1h")], store=MemoryStore(), clock=clock)
    allowed = [0] * 8
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        start.wait()
        for _ in range(10_000):
            allowed[index] += rates.hit(sender="a@x.org", recipient="b@y.org").allowed

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == limit
