"""Decision semantics, on the memory store (the contract suite covers the other stores)."""

from __future__ import annotations

import pytest

from loopguard.rate.keys import MailEvent
from loopguard.rate.tracker import DEFAULT_LIMITS, Limit, RateResult, RateTracker
from loopguard.stores.memory import MemoryStore

from .conftest import FakeClock

A, B = "a@example.com", "help@example.org"


def tracker(clock: FakeClock, *limits: Limit, **kwargs: object) -> RateTracker:
    return RateTracker(limits, store=MemoryStore(), clock=clock, **kwargs)  # type: ignore[arg-type]


def test_the_window_is_exact_and_half_open(clock: FakeClock) -> None:
    rates = tracker(clock, Limit(2, "1m"))
    assert rates.hit(sender=A, recipient=B).allowed
    clock.advance(30)
    assert rates.hit(sender=A, recipient=B).allowed
    clock.advance(29.5)
    # Two events lie in (now - 60, now]; the denied one counts too, so the key has room
    # again only when the second-newest (at 30 s) leaves the window, 30.5 s from now.
    assert rates.hit(sender=A, recipient=B) == RateResult(False, 30.5, Limit(2, "1m"))
    clock.advance(30.5)
    assert rates.hit(sender=A, recipient=B).allowed  # the event at 30 s is exactly out


def test_retry_after_is_when_the_next_event_is_allowed(clock: FakeClock) -> None:
    rates = tracker(clock, Limit(3, "10m"))
    for _ in range(3):
        assert rates.hit(sender=A, recipient=B).allowed
        clock.advance(10)
    denied = rates.hit(sender=A, recipient=B)
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(580.0)
    clock.advance(denied.retry_after - 0.001)
    assert not rates.peek(sender=A, recipient=B).allowed
    clock.advance(0.001)
    assert rates.peek(sender=A, recipient=B).allowed
    assert rates.hit(sender=A, recipient=B).allowed


def test_a_flood_stays_suppressed_while_it_lasts(clock: FakeClock) -> None:
    rates = tracker(clock, Limit(5, "10m"))
    allowed = 0
    for _ in range(600):  # one message every 5 s for 50 minutes
        allowed += rates.hit(sender=A, recipient=B).allowed
        clock.advance(5)
    assert allowed == 5


def test_a_ladder_reports_the_limit_that_blocks_longest(clock: FakeClock) -> None:
    short, long = Limit(3, "1m"), Limit(5, "1h")
    rates = tracker(clock, short, long)
    results = []
    for _ in range(6):
        results.append(rates.hit(sender=A, recipient=B))
        clock.advance(10)
    assert [r.allowed for r in results] == [True, True, True, False, False, False]
    assert results[3].exceeded == short
    assert results[3].retry_after == pytest.approx(40.0)
    # The fifth event is denied by the minute rung, yet it fills the hourly one.
    assert results[4].exceeded == short
    assert results[4].retry_after == pytest.approx(3600 - 40)
    assert results[5].exceeded == long


def test_scopes_count_independently(clock: FakeClock) -> None:
    rates = tracker(clock, Limit(2, "1h", "sender"), Limit(3, "1h", "thread"))
    assert rates.hit(sender=A, recipient="x@y.org", thread="<t1@h>").allowed
    assert rates.hit(sender=A, recipient="z@y.org", thread="<t2@h>").allowed
    assert rates.hit(sender=A, recipient="w@y.org").exceeded == Limit(2, "1h", "sender")
    # A thread counts per sender: strangers who cite it do not spend each other's count,
    # while events without a sender count on the thread alone.
    for i in range(4):
        assert rates.hit(sender=f"u{i}@h.org", thread="<t3@h>").allowed
    for _ in range(3):
        assert rates.hit(thread="<t3@h>").allowed
    assert rates.hit(thread="<t3@h>").exceeded == Limit(3, "1h", "thread")


def test_events_without_the_limited_part_are_allowed_and_not_counted(clock: FakeClock) -> None:
    store = MemoryStore()
    rates = RateTracker([Limit(1, "1h")], store=store, clock=clock)
    assert rates.hit(sender=None, recipient=B).allowed
    assert rates.hit(sender="", recipient=B).allowed
    assert len(store) == 0


def test_peek_never_counts(clock: FakeClock) -> None:
    rates = tracker(clock, Limit(1, "1h"))
    for _ in range(5):
        assert rates.peek(sender=A, recipient=B) == RateResult(True)
    assert rates.hit(sender=A, recipient=B).allowed
    assert rates.peek(sender=A, recipient=B) == RateResult(False, 3600.0, Limit(1, "1h"))


def test_hit_many_decides_in_order_with_one_clock_reading(clock: FakeClock) -> None:
    reads = []

    def counting_clock() -> float:
        reads.append(clock.now)
        return clock.now

    rates = RateTracker([Limit(2, "1h")], store=MemoryStore(), clock=counting_clock)
    events = [MailEvent(A, B), MailEvent(A, B), MailEvent("c@x.org", B), MailEvent(A, B)]
    results = rates.hit_many(events)
    assert [r.allowed for r in results] == [True, True, True, False]
    assert len(reads) == 1
    assert rates.hit_many([]) == []


def test_reset_forgets_one_subject(clock: FakeClock) -> None:
    rates = tracker(clock, Limit(1, "1h"))
    rates.hit(sender=A, recipient=B)
    rates.hit(sender="c@x.org", recipient=B)
    rates.reset(sender=A, recipient=B)
    assert rates.hit(sender=A, recipient=B).allowed
    assert not rates.hit(sender="c@x.org", recipient=B).allowed


def test_hashed_and_folded_keys_still_count_one_person(clock: FakeClock) -> None:
    rates = tracker(clock, Limit(1, "1h"), secret="s", fold_subaddress=True)
    assert rates.hit(sender="Ann <ann+1@X.org>", recipient=B).allowed
    assert not rates.hit(sender="ann+2@x.org", recipient=B).allowed


def test_defaults(clock: FakeClock) -> None:
    with RateTracker(clock=clock) as rates:
        assert rates.limits == DEFAULT_LIMITS
        assert isinstance(rates.store, MemoryStore)
        results = [rates.hit(sender=A, recipient=B) for _ in range(6)]
    assert [r.allowed for r in results] == [True] * 5 + [False]
    assert results[-1].exceeded == Limit(5, "10m")
