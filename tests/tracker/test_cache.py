"""The bounded cache behind the key derivation and the tracker's known events."""

from __future__ import annotations

import threading

from loopguard.rate.cache import BoundedCache


def test_put_keeps_and_size_zero_keeps_nothing() -> None:
    cache: BoundedCache[str, int] = BoundedCache(8)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.get("b") is None
    empty: BoundedCache[str, int] = BoundedCache(0)
    empty.put("a", 1)
    assert (empty.get("a"), len(empty)) == (None, 0)


def test_it_holds_at_most_its_size() -> None:
    cache: BoundedCache[int, int] = BoundedCache(100)
    for number in range(10_000):
        cache.put(number, number)
        assert 0 < len(cache) <= 100
        assert cache.get(number) == number
    assert cache.get(0) is None  # forgotten long ago


def test_threads_never_see_a_wrong_value() -> None:
    cache: BoundedCache[int, int] = BoundedCache(64)
    wrong: list[tuple[int, int]] = []

    def work(offset: int) -> None:
        for step in range(20_000):
            key = (step * 7 + offset) % 300
            value = cache.get(key)
            if value is not None and value != key * 3:
                wrong.append((key, value))
            cache.put(key, key * 3)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong
    assert len(cache) <= 64
