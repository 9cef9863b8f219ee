"""The repeat cache behind the key derivation: bounded, and only for what comes back."""

from __future__ import annotations

import threading

from loopguard.rate.cache import RepeatCache


def test_a_value_is_kept_from_the_second_offer_on() -> None:
    cache: RepeatCache[str, int] = RepeatCache(8)
    cache.offer("a", 1)
    assert cache.get("a") is None
    cache.offer("a", 1)
    assert cache.get("a") == 1


def test_put_keeps_at_once_and_size_zero_keeps_nothing() -> None:
    cache: RepeatCache[str, int] = RepeatCache(8)
    cache.put("a", 1)
    assert cache.get("a") == 1
    empty: RepeatCache[str, int] = RepeatCache(0)
    empty.put("a", 1)
    empty.offer("b", 2)
    empty.offer("b", 2)
    assert (empty.get("a"), empty.get("b"), len(empty)) == (None, None, 0)


def test_it_holds_at_most_its_size_and_keeps_what_is_used() -> None:
    cache: RepeatCache[int, int] = RepeatCache(100)
    cache.put(-1, -1)
    for number in range(10_000):
        cache.put(number, number)
        assert cache.get(-1) == -1  # used all along: moved back each time it ages
        assert len(cache) <= 100
    assert cache.get(0) is None  # forgotten long ago
    assert cache.get(9_999) == 9_999


def test_one_offs_rarely_pass_the_doorkeeper() -> None:
    cache: RepeatCache[str, int] = RepeatCache(1_000_000)
    for number in range(100_000):
        cache.offer(f"once{number}@example.org", number)
    # The doorkeeper's false positives: at most a quarter of the one-offs.
    assert len(cache) < 25_000


def test_threads_never_see_a_wrong_value() -> None:
    cache: RepeatCache[int, int] = RepeatCache(64)
    wrong: list[tuple[int, int]] = []

    def work(offset: int) -> None:
        for step in range(20_000):
            key = (step * 7 + offset) % 300
            value = cache.get(key)
            if value is not None and value != key * 3:
                wrong.append((key, value))
            cache.offer(key, key * 3)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong
    assert len(cache) <= 64
