"""The ladder's one-pass decision against the plain one it replaced: equal on any logs.

The plain decision copies each log, sorts the event in and reads the count-th newest per
limit; the ladder reads the same stamps in place. The logs here include stamps after
``now`` (clocks read out of order by several workers) and several scopes and rungs.
"""

from __future__ import annotations

from bisect import bisect_right, insort

from hypothesis import given, settings
from hypothesis import strategies as st

from loopguard.rate.ladder import LimitLadder, ScopeLimits
from loopguard.rate.limits import Limit, RateResult
from loopguard.stores import Touch

NOW = 1_000.0
RUNGS = (
    Limit(1, 10, key="pair"),
    Limit(3, 60, key="pair"),
    Limit(5, 600, key="pair"),
    Limit(2, 30, key="sender"),
    Limit(4, 300, key="sender"),
)
STAMPS = st.floats(NOW - 700, NOW + 20, allow_nan=False).map(lambda value: round(value, 1))


def plain_decide(
    scopes: list[ScopeLimits], stamps: list[list[float]], now: float, counted: bool
) -> RateResult:
    exceeded: Limit | None = None
    where, longest_block, retry_after = -1, -1.0, 0.0
    for index, (limits, log) in enumerate(zip(scopes, stamps, strict=True)):
        for limit in limits.limits:
            events = list(log)
            if counted:
                insort(events, now)
            wait = 0.0
            if len(events) >= limit.count:
                wait = max(0.0, events[-limit.count] + limit.per - now)
            retry_after = max(retry_after, wait)
            inside = len(log) - bisect_right(log, now - limit.per)
            if inside >= limit.count and wait > longest_block:
                exceeded, where, longest_block = limit, index, wait
    if exceeded is None:
        return RateResult(True)
    return RateResult(False, retry_after, exceeded, f"key{where}")


@settings(max_examples=500, deadline=None)
@given(
    rungs=st.lists(st.sampled_from(RUNGS), min_size=1, unique=True),
    logs=st.lists(st.lists(STAMPS, max_size=8), min_size=2, max_size=2),
    counted=st.booleans(),
    now_offset=st.sampled_from([0.0, -0.1, 5.0]),
)
def test_the_one_pass_decision_equals_the_plain_one(
    rungs: list[Limit], logs: list[list[float]], counted: bool, now_offset: float
) -> None:
    scopes = list(LimitLadder(rungs).scopes)
    stamps = [sorted(log) for log in logs[: len(scopes)]]
    touches = [Touch(f"key{index}", scope.window, scope.keep) for index, scope in enumerate(scopes)]
    now = NOW + now_offset
    got = LimitLadder.decide(scopes, stamps, now, counted=counted, touches=touches)
    expected = plain_decide(scopes, stamps, now, counted)
    assert (got.allowed, got.retry_after, got.exceeded, got.key) == (
        expected.allowed,
        expected.retry_after,
        expected.exceeded,
        expected.key,
    )
