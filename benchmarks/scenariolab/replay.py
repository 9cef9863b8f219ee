"""A day of human mail through a fresh desk: events delivered in time order, and a tally
of the messages each person wrote and got answered (the promise: all of them)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import loopguard
from loopguard.testing import FakeClock

from .core import EPOCH, HELP, HOUR, OFFICE_HOURS, PROMISES, Outcome, never
from .desk import Desk, desk_guard
from .people import Chatter
from .threads import Event


@dataclass
class Tally:
    """Messages written and answered, per person."""

    written: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)

    def note(self, person: str, *, answered: bool) -> None:
        self.written[person] += 1
        self.answered[person] += answered

    def outcome(self, desk: Desk) -> Outcome:
        people = len(self.written)
        everyone = sum(1 for person, n in self.written.items() if self.answered[person] == n)
        messages, answered = sum(self.written.values()), sum(self.answered.values())
        share = round(100.0 * answered / messages, 1) if messages else 0.0
        measured = f"{everyone:,}/{people:,} people ({answered:,}/{messages:,} msgs)"
        note = ", ".join(f"{rule} {n}" for rule, n in desk.suppressed.most_common())
        return Outcome(measured, share, PROMISES["human"], answered == messages, note)


def replay(
    desk: Desk, clock: FakeClock, events: Iterable[Event], *, until: Callable[[], bool] = never
) -> Tally:
    """Deliver every event at its time, in time order; count the people's answers."""
    tally = Tally()
    for event in sorted(events, key=lambda event: event.at):
        if until():
            break
        clock.advance(EPOCH + event.at - clock.now)
        mail = event.write()
        if mail is None:
            continue
        ack = desk.answer(mail)
        if event.thread is not None:
            event.thread.answered(ack)
        if event.person is not None:
            tally.note(event.person, answered=ack is not None)
    return tally


Flow = Callable[[Chatter], list[Event]]


def replayed(
    flow: Flow,
    *,
    policy: loopguard.Policy | None = None,
    own: Sequence[str] = (HELP,),
    until: Callable[[Desk], Callable[[], bool]] | None = None,
) -> tuple[Tally, Desk]:
    """A day of ``flow`` through a fresh desk (``until(desk)`` may end it early)."""
    clock = FakeClock()
    desk = Desk(desk_guard(clock, policy=policy, own=own))
    stop = until(desk) if until is not None else never
    return replay(desk, clock, flow(Chatter(random.Random(20))), until=stop), desk


def human_flow(
    flow: Flow, *, policy: loopguard.Policy | None = None, own: Sequence[str] = (HELP,)
) -> Outcome:
    """The promise to people: every one of their messages answered."""
    tally, desk = replayed(flow, policy=policy, own=own)
    return tally.outcome(desk)


def office_time(rng: random.Random, hours: float = OFFICE_HOURS) -> float:
    """A moment in office hours, busiest in the second hour of the morning."""
    return rng.triangular(0.0, hours, 2 * HOUR)
