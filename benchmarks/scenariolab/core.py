"""The lab's frame: the day's constants, what a scenario measures, and the registry.

A scenario registers itself with ``loop_scenario`` (which adds its ``/headers-only`` twin)
or ``human_scenario``; the table lists them in the order they were registered, that is the
order ``scenariolab/__init__.py`` imports their modules. ``KNOWN_BROKEN`` names the rows
that break their promise today.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Literal, TypeVar

import loopguard
from loopguard.testing import FakeClock

HELP = "help@desk.example"
SECRET = b"scenario lab secret"
TRIGGER = "acknowledge"
HOUR = 3_600.0
DAY = 24 * HOUR
#: Each side answers half a minute after a message reaches it: one round a minute.
HOP = 30.0
#: Issue 12: every loop is cut "at or below the first rung of the default ladder (<= 10
#: messages in the day)".
LOOP_PROMISE = 10
#: The simulated day starts at FakeClock's epoch, read as 08:00 local time.
EPOCH = FakeClock().now
OFFICE_HOURS = 12 * HOUR

Kind = Literal["loop", "human"]
PROMISES: dict[Kind, str] = {"loop": f"<= {LOOP_PROMISE}", "human": "100%"}
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What one scenario measured, against its promise."""

    measured: str
    value: float | None
    promise: str
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    name: str
    kind: Kind
    measured: str
    value: float | None
    promise: str
    passed: bool
    note: str
    seconds: float


@dataclass(frozen=True)
class Scenario:
    """A registered scenario; ``fast`` ones make the subset CI runs."""

    name: str
    kind: Kind
    fast: bool
    #: Runs the scenario; the argument asks a loop to stop once it has broken its promise.
    run: Callable[[bool], Outcome]


SCENARIOS: dict[str, Scenario] = {}
#: Rows that break their promise today, and why: the table shows them as
#: "BROKEN (known)" and tests/guard/test_scenarios.py expects them to fail (strictly, so a
#: fix shows up). docs/reliability.md describes each gap and the fix proposed.
KNOWN_BROKEN: dict[str, str] = {
    "shared-mailbox-team": (
        "48 answers a day to one undeclared shared mailbox pass the 40/day pair rung "
        "(declared in Policy.shared_mailboxes: shared-mailbox-declared)"
    ),
}
LoopScenario = Callable[[bool], Outcome]
HumanScenario = Callable[[], Outcome]


#: The classifier of the desks a scenario builds (None: the stock one).
DESK_CLASSIFIER: ContextVar[loopguard.Classifier | None] = ContextVar("desk", default=None)
#: A classifier that reads headers only: an unmarked responder is a person to it.
HEADERS_ONLY = loopguard.Classifier(text_heuristics=False, body_rules=())
BLIND = "/headers-only"


def loop_scenario(name: str, *, fast: bool = True) -> Callable[[LoopScenario], LoopScenario]:
    """Register a loop, and its twin against a guard whose classifier reads headers only;
    ``fast`` ones make the subset CI runs."""

    def register(run: LoopScenario) -> LoopScenario:
        SCENARIOS[name] = Scenario(name, "loop", fast, run)
        SCENARIOS[name + BLIND] = Scenario(name + BLIND, "loop", fast, headers_only(run))
        return run

    return register


def headers_only(run: LoopScenario) -> LoopScenario:
    """``run`` with every desk's guard classifying by the headers alone."""

    def blind(stop_early: bool) -> Outcome:
        token = DESK_CLASSIFIER.set(HEADERS_ONLY)
        try:
            return run(stop_early)
        finally:
            DESK_CLASSIFIER.reset(token)

    return blind


def human_scenario(name: str, *, fast: bool = True) -> Callable[[HumanScenario], HumanScenario]:
    """Register a human flow; ``fast`` ones make the subset CI runs."""

    def register(run: HumanScenario) -> HumanScenario:
        SCENARIOS[name] = Scenario(name, "human", fast, lambda _stop_early: run())
        return run

    return register


class MissingFeatureError(Exception):
    """The scenario calls the guard the way issue 12 says users will, and it cannot yet."""


def new_api(build: Callable[[], T]) -> T:
    """``build()``; its TypeError means a keyword issue 12 asks for does not exist yet."""
    try:
        return build()
    except TypeError as exc:
        raise MissingFeatureError(str(exc)) from exc


def run_scenario(chosen: Scenario, *, stop_early: bool = False) -> Row:
    """Run one scenario; a missing feature or a crash becomes a failed row, never an exit."""
    started = time.perf_counter()
    try:
        outcome = chosen.run(stop_early)
    except MissingFeatureError as missing:
        outcome = Outcome("n/a (feature missing)", None, PROMISES[chosen.kind], False, str(missing))
    except Exception as exc:  # one broken scenario must not hide the others' numbers
        failure = f"error: {type(exc).__name__}"
        outcome = Outcome(failure, None, PROMISES[chosen.kind], False, str(exc))
    seconds = round(time.perf_counter() - started, 2)
    return Row(name=chosen.name, kind=chosen.kind, seconds=seconds, **asdict(outcome))


def fast_names() -> list[str]:
    return [name for name, chosen in SCENARIOS.items() if chosen.fast]


def never() -> bool:
    return False
