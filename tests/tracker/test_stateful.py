"""Every store, through the tracker, against a reference model: a plain list of timestamps."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from loopguard.rate.keys import MailEvent
from loopguard.rate.tracker import Limit, RateResult, RateTracker

from .conftest import FakeClock, StoreFactory

LIMITS = (Limit(2, "1m"), Limit(4, "10m"), Limit(6, "5m", "sender"))
SENDERS = ("a@x.org", "A@X.org", "b@x.org")
RECIPIENTS = ("help@desk.org", "sales@desk.org")
# Steps hit the edges of the windows (59.999, 60, 300, 600) as well as the middle.
STEPS = st.sampled_from([0.0, 0.001, 1.0, 20.0, 59.999, 60.0, 61.0, 120.0, 300.0, 600.0])
EVENTS = st.builds(MailEvent, st.sampled_from(SENDERS), st.sampled_from(RECIPIENTS))


class ReferenceModel:
    """Keeps every event forever and decides by brute force."""

    def __init__(self) -> None:
        self.events: dict[tuple[str, str], list[float]] = {}

    def logs(self, event: MailEvent) -> list[tuple[Limit, list[float]]]:
        assert event.sender is not None
        assert event.recipient is not None
        sender = event.sender.casefold()
        pair = self.events.setdefault(("pair", f"{sender}>{event.recipient}"), [])
        by_sender = self.events.setdefault(("sender", sender), [])
        return [(limit, by_sender if limit.key == "sender" else pair) for limit in LIMITS]

    def decide(self, event: MailEvent, now: float, *, counted: bool) -> RateResult:
        logs = self.logs(event)
        over = [limit for limit, log in logs if _inside(log, now, limit) >= limit.count]
        if counted:
            for log in {id(log): log for _, log in logs}.values():
                log.append(now)
        if not over:
            return RateResult(True)
        retry = _first_free_moment(logs, now)
        blocking = [
            (_first_free_moment([(lim, log)], now), lim) for lim, log in logs if lim in over
        ]
        exceeded = max(blocking, key=lambda pair: pair[0])[1]
        return RateResult(False, retry, exceeded)


def _inside(log: list[float], at: float, limit: Limit) -> int:
    return sum(1 for stamp in log if at - limit.per < stamp)


def _first_free_moment(logs: list[tuple[Limit, list[float]]], now: float) -> float:
    # The earliest delay at which every limit has room: one of the moments a stamp leaves.
    candidates = sorted(
        {0.0} | {s + lim.per - now for lim, log in logs for s in log if s + lim.per > now}
    )
    for delay in candidates:
        if all(_inside(log, now + delay, lim) < lim.count for lim, log in logs):
            return delay
    raise AssertionError("the last candidate always frees every limit")


class TrackerMachine(RuleBasedStateMachine):
    def __init__(self, make_store: StoreFactory) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.tracker = RateTracker(LIMITS, store=make_store(), clock=self.clock)
        self.model = ReferenceModel()

    @initialize()
    def start(self) -> None:
        self.results: list[tuple[RateResult, RateResult]] = []

    @rule(step=STEPS)
    def wait(self, step: float) -> None:
        self.clock.advance(step)

    @rule(event=EVENTS)
    def hit(self, event: MailEvent) -> None:
        got = self.tracker.hit(sender=event.sender, recipient=event.recipient)
        self.results.append((got, self.model.decide(event, self.clock.now, counted=True)))

    @rule(event=EVENTS)
    def peek(self, event: MailEvent) -> None:
        got = self.tracker.peek(sender=event.sender, recipient=event.recipient)
        self.results.append((got, self.model.decide(event, self.clock.now, counted=False)))

    @rule(events=st.lists(EVENTS, max_size=4))
    def hit_many(self, events: list[MailEvent]) -> None:
        got = self.tracker.hit_many(events)
        for result, event in zip(got, events, strict=True):
            self.results.append((result, self.model.decide(event, self.clock.now, counted=True)))

    @invariant()
    def tracker_agrees_with_the_model(self) -> None:
        for got, expected in self.results:
            assert got.allowed == expected.allowed
            assert got.exceeded == expected.exceeded
            assert abs(got.retry_after - expected.retry_after) < 1e-6
        self.results.clear()

    def teardown(self) -> None:
        self.tracker.close()


def test_every_store_matches_the_reference_model(store_factory: StoreFactory) -> None:
    run_state_machine_as_test(
        lambda: TrackerMachine(store_factory),
        settings=settings(max_examples=60, stateful_step_count=50, deadline=None),
    )
