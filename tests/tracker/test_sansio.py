"""The tracker's core without a store or an event loop: feed answers, assert the calls."""

from __future__ import annotations

import pytest

from loopguard.errors import StoreError
from loopguard.rate.keys import MailEvent
from loopguard.rate.limits import Limit, RateResult
from loopguard.rate.sansio import TrackerCore
from loopguard.stores import Touch
from loopguard.stores.sansio import StoreCall
from loopguard.testing import FakeClock, exchange

LADDER = (Limit(2, "1m"), Limit(3, "1h"), Limit(5, "1h", "thread"))


@pytest.fixture
def core(clock: FakeClock) -> TrackerCore:
    return TrackerCore(LADDER, clock=clock, secret=b"k")


def test_a_hit_is_one_call_with_every_scope(core: TrackerCore, clock: FakeClock) -> None:
    calls, result = exchange(
        core.hit(sender="a@x.org", recipient="b@y.org", thread="<t@h>"), [[], []]
    )
    [call] = calls
    assert call.verb == "hit"
    assert call.now == clock.now
    pair = core.keys.key_of("pair", "a@x.org", "b@y.org", None)
    thread = core.keys.key_of("thread", "a@x.org", None, "<t@h>")
    assert list(call.touches) == [Touch(pair, 3600.0, 3), Touch(thread, 3600.0, 5)]
    assert result == RateResult(True)


def test_the_answer_decides(core: TrackerCore, clock: FakeClock) -> None:
    recent = [clock.now - 30, clock.now - 10]  # two in the last minute: the first rung is full
    _, result = exchange(core.peek(sender="a@x.org", recipient="b@y.org"), [recent])
    assert not result.allowed
    assert result.exceeded == Limit(2, "1m")
    assert result.retry_after == pytest.approx(30)


def test_a_scope_without_a_value_is_not_touched(core: TrackerCore) -> None:
    calls, _ = exchange(core.peek(sender="a@x.org", recipient="b@y.org"), [[]])
    assert calls[0].verb == "peek"
    assert [touch.key.split(":")[1] for touch in calls[0].touches] == ["pair"]


def test_a_batch_is_one_call_split_back_per_event(core: TrackerCore, clock: FakeClock) -> None:
    events = [MailEvent("a@x.org", "b@y.org"), MailEvent("c@x.org", "b@y.org", "<t@h>")]
    full = [clock.now - 5, clock.now - 1]
    calls, results = exchange(core.hit_many(events), [full, [], []])
    [call] = calls
    assert len(call.touches) == 3
    assert [result.allowed for result in results] == [False, True]


def test_peek_many_counts_nothing(core: TrackerCore) -> None:
    calls, results = exchange(core.peek_many([MailEvent(recipient="a@x.org")] * 2), [[], []])
    assert calls[0].verb == "peek"
    assert results == [RateResult(True), RateResult(True)]


def test_reset_forgets_every_key_the_event_touches(core: TrackerCore) -> None:
    calls, result = exchange(core.reset(sender="a@x.org", recipient="b@y.org", thread="t"), [])
    assert calls == [
        StoreCall("reset", keys=core.keys_of(sender="a@x.org", recipient="b@y.org", thread="t"))
    ]
    assert len(calls[0].keys) == 2
    assert result is None


def test_a_store_failure_reaches_the_caller(core: TrackerCore) -> None:
    with pytest.raises(StoreError, match="down"):
        exchange(core.hit(sender="a@x.org", recipient="b@y.org"), StoreError("down"))
