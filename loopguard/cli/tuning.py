"""What ``loopguard tune`` measures: a mailbox replayed through one guard per candidate
ladder, in lockstep, and what each ladder did to loops and to people.

Every message is parsed once and decided by every candidate's guard at the moment its Date
says (the guards share one :class:`~loopguard.cli.replay.MessageClock`). Afterwards each
(sender, recipient) pair is sorted:

- a **loop** is a pair of at least :data:`LOOP_MIN_MESSAGES` messages whose traffic is
  machine-driven: most of its messages are classified automated, or its busiest hour holds
  at least :func:`loop_rate` messages, far above the pairs people write on;
- a **human conversation** is any other pair with a message classified ``human``. A ladder
  **touches** it when a rate limit suppresses one of those messages; suppressions by the
  other checks (a bounced recipient, our own address...) happen whatever the ladder.

Each candidate's ladder runs twice: as it is, and halved (counts halved, rounded up), which
is how it would meet people who wrote twice as much: the margin it leaves them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from loopguard import Category, Classifier, Decision, Guard, Limit, Verdict
from loopguard.cli.ladders import Candidate, scaled
from loopguard.cli.replay import MessageClock, recipient_of
from loopguard.mail.view import MessageView

__all__ = [
    "LOOP_MIN_MESSAGES",
    "Outcome",
    "PairTrace",
    "Score",
    "SharedClassifier",
    "Tuning",
    "ladders_for",
    "loop_rate",
    "recommend",
    "tune",
]

#: A loop repeats itself: fewer messages on a pair are never called one.
LOOP_MIN_MESSAGES: Final = 3
#: Messages in one hour that no person writes to one address: one every five minutes.
LOOP_RATE_FLOOR: Final = 12
#: How far above the median human pair's busiest hour a loop's busiest hour lies.
LOOP_RATE_FACTOR: Final = 4
#: The rule a suppression by a rate limit names (docs/guard.md, order of checks).
RATE_LIMIT_RULE: Final = "rate-limit"
_HOUR: Final = 3600.0

Pair = tuple[str | None, str | None]
Ladder = tuple[Limit, ...]


@dataclass(slots=True)
class Outcome:
    """What one candidate did on one pair.

    Attributes:
        allowed: Messages allowed (answers that went out).
        allowed_before_cut: Messages allowed before the first suppression.
        cut_at: Time of the first suppression, ``None`` if the pair was never cut.
        cut_rule: The rule of that suppression.
        people_suppressed: Messages classified ``human`` that a rate limit suppressed.
    """

    allowed: int = 0
    allowed_before_cut: int = 0
    cut_at: float | None = None
    cut_rule: str | None = None
    people_suppressed: int = 0

    def add(self, when: float, decision: Decision) -> None:
        """Account for one decision on the pair."""
        if decision.allowed:
            self.allowed += 1
            if self.cut_at is None:
                self.allowed_before_cut += 1
            return
        if self.cut_at is None:
            self.cut_at, self.cut_rule = when, decision.rule
        if decision.rule == RATE_LIMIT_RULE and decision.verdict.category is Category.HUMAN:
            self.people_suppressed += 1


@dataclass(slots=True)
class PairTrace:
    """One (sender, recipient) channel: its messages, in time order, and each ladder's
    outcome on it (in the order of :attr:`Tuning.ladders`)."""

    sender: str | None
    recipient: str | None
    outcomes: list[Outcome]
    times: list[float] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    loop: bool = False

    @property
    def human(self) -> bool:
        """Whether a person wrote on this pair at least once, by the classifier's verdict."""
        return Category.HUMAN in self.categories

    @property
    def automated_share(self) -> float:
        """The share of its messages classified as anything but ``human``."""
        automated = sum(category is not Category.HUMAN for category in self.categories)
        return automated / len(self.categories)

    def busiest_hour(self) -> int:
        """The most messages inside any one-hour window."""
        most, start = 0, 0
        for end, when in enumerate(self.times):
            while when - self.times[start] >= _HOUR:
                start += 1
            most = max(most, end - start + 1)
        return most


@dataclass(slots=True)
class Tuning:
    """Everything one tuning run found, filled by :func:`tune`."""

    ladders: list[Ladder]
    pairs: dict[Pair, PairTrace] = field(default_factory=dict)
    messages: int = 0
    first: float | None = None
    last: float | None = None
    loop_rate: int = LOOP_RATE_FLOOR

    def loops(self) -> list[PairTrace]:
        """The pairs found to be loops."""
        return [trace for trace in self.pairs.values() if trace.loop]

    def conversations(self) -> list[PairTrace]:
        """The pairs people wrote on that are not loops."""
        return [trace for trace in self.pairs.values() if trace.human and not trace.loop]

    def outcome(self, trace: PairTrace, ladder: Ladder) -> Outcome:
        """What ``ladder`` did on ``trace``'s pair."""
        return trace.outcomes[self.ladders.index(ladder)]

    def busiest(self, count: int) -> list[PairTrace]:
        """The ``count`` pairs with the most messages, loops first on ties."""
        ranked = sorted(self.pairs.values(), key=lambda trace: (-len(trace.times), not trace.loop))
        return ranked[:count]

    def record(self, when: float, pair: Pair, decisions: Sequence[Decision]) -> None:
        """Account for one message on ``pair``: one decision per ladder, in order."""
        self.messages += 1
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)
        trace = self.pairs.get(pair)
        if trace is None:
            trace = PairTrace(*pair, outcomes=[Outcome() for _ in self.ladders])
            self.pairs[pair] = trace
        trace.times.append(when)
        trace.categories.append(decisions[0].verdict.category)
        for outcome, decision in zip(trace.outcomes, decisions, strict=True):
            outcome.add(when, decision)

    def find_loops(self) -> None:
        """Mark the loops, once every message is recorded."""
        self.loop_rate = loop_rate(
            [trace.busiest_hour() for trace in self.pairs.values() if trace.human]
        )
        for trace in self.pairs.values():
            trace.loop = len(trace.times) >= LOOP_MIN_MESSAGES and (
                trace.automated_share > 0.5 or trace.busiest_hour() >= self.loop_rate
            )


def loop_rate(human_busiest_hours: Sequence[int]) -> int:
    """Messages in an hour from which a pair counts as a loop: :data:`LOOP_RATE_FACTOR`
    times the median busiest hour of the pairs people write on, and at least
    :data:`LOOP_RATE_FLOOR`."""
    if not human_busiest_hours:
        return LOOP_RATE_FLOOR
    median = statistics.median(human_busiest_hours)
    return max(LOOP_RATE_FLOOR, round(LOOP_RATE_FACTOR * median))


class SharedClassifier(Classifier):
    """The classifier the guards of one tuning run share: they decide the same message one
    after another, and only the first works its verdict out (sharing it halved the time of
    a run, benchmarks/bench_cli.py --tune). A guard that built a view of its own would
    classify it again: slower, never wrong."""

    __slots__ = ("_last",)
    _last: tuple[MessageView, bool, Verdict] | None

    def __init__(self) -> None:
        super().__init__()
        self._remember(None)

    def classify_view(self, view: MessageView, *, reply_to_ours: bool = False) -> Verdict:
        """The verdict on ``view``, worked out once for the message being replayed."""
        last = self._last
        if last is not None and last[0] is view and last[1] == reply_to_ours:
            return last[2]
        verdict = super().classify_view(view, reply_to_ours=reply_to_ours)
        self._remember((view, reply_to_ours, verdict))
        return verdict

    def _remember(self, last: tuple[MessageView, bool, Verdict] | None) -> None:
        object.__setattr__(self, "_last", last)  # a frozen dataclass refuses plain assignment


def ladders_for(candidates: Sequence[Candidate]) -> list[Ladder]:
    """The ladders to run: each candidate's, then each one halved, every ladder once."""
    found = dict.fromkeys(candidate.limits for candidate in candidates)
    found.update(dict.fromkeys(scaled(candidate.limits, 0.5) for candidate in candidates))
    return list(found)


def tune(
    timeline: Iterable[tuple[float, str, bytes]],
    ladders: Sequence[Ladder],
    guard_for: Callable[[Ladder, MessageClock], Guard],
    *,
    recipient: str | None = None,
    trigger: str | None = None,
    on_message: Callable[[int], None] = lambda size: None,
) -> Tuning:
    """Decide every message of ``timeline`` with one guard per ladder and sort the pairs.

    Args:
        timeline: ``(time, location, raw)`` in time order, as
            :class:`~loopguard.cli.replay.Timeline` gives them.
        ladders: The ladders to run (:func:`ladders_for`).
        guard_for: Builds a ladder's guard on the shared clock (a fresh store each).
        recipient: Our address; by default each message's Delivered-To, X-Original-To or To.
        trigger: The trigger name passed to :meth:`Guard.check`.
        on_message: Called with each message's size, for a progress bar.

    Raises:
        StoreError: A guard's store failed (when the guards raise on store errors).
    """
    clock = MessageClock()
    tuning = Tuning(list(ladders))
    guards = [guard_for(ladder, clock) for ladder in ladders]
    try:
        for when, _, raw in timeline:
            view = MessageView.from_bytes(raw)
            clock.now = when
            ours = recipient or recipient_of(view)
            decisions = [guard.check(view, recipient=ours, trigger=trigger) for guard in guards]
            tuning.record(when, (view.sender, ours), decisions)
            on_message(len(raw))
    finally:
        for guard in guards:
            guard.close()
    tuning.find_loops()
    return tuning


@dataclass(frozen=True, slots=True)
class Score:
    """One candidate's figures over the whole mailbox.

    Attributes:
        candidate: The ladder.
        loops: Loops in the mailbox.
        loops_cut: Loops with at least one suppression.
        answers_into_loops: Answers allowed on loop pairs, before and after a cut.
        latest_cut_answers: The most answers a loop got before its cut.
        latest_cut_seconds: The longest time from a loop's first message to its cut.
        conversations: Human conversations in the mailbox.
        touched: Human conversations where a rate limit suppressed a person's message.
        touched_at_double: The same for the ladder halved: people writing twice as much.
        people_suppressed: People's messages a rate limit suppressed, all conversations.
    """

    candidate: Candidate
    loops: int
    loops_cut: int
    answers_into_loops: int
    latest_cut_answers: int
    latest_cut_seconds: float
    conversations: int
    touched: int
    touched_at_double: int
    people_suppressed: int

    @property
    def survived(self) -> int:
        """Loops never cut."""
        return self.loops - self.loops_cut

    @classmethod
    def of(cls, tuning: Tuning, candidate: Candidate) -> Score:
        """The figures of ``candidate`` (whose ladder, and its halved one, ``tuning`` ran)."""
        ladder, halved = candidate.limits, scaled(candidate.limits, 0.5)
        loops = [(trace, tuning.outcome(trace, ladder)) for trace in tuning.loops()]
        cut = [(trace, outcome) for trace, outcome in loops if outcome.cut_at is not None]
        conversations = tuning.conversations()
        people = [tuning.outcome(trace, ladder).people_suppressed for trace in conversations]
        at_double = [tuning.outcome(trace, halved).people_suppressed for trace in conversations]
        return cls(
            candidate=candidate,
            loops=len(loops),
            loops_cut=len(cut),
            answers_into_loops=sum(outcome.allowed for _, outcome in loops),
            latest_cut_answers=max((o.allowed_before_cut for _, o in cut), default=0),
            latest_cut_seconds=max(
                ((o.cut_at or 0.0) - trace.times[0] for trace, o in cut), default=0.0
            ),
            conversations=len(conversations),
            touched=sum(count > 0 for count in people),
            touched_at_double=sum(count > 0 for count in at_double),
            people_suppressed=sum(people),
        )


def recommend(scores: Sequence[Score]) -> Score:
    """The candidate to run: fewest loops left running, then fewest human conversations
    touched, then fewest touched if people wrote twice as much, then fewest answers into
    loops; ties go to the earlier candidate (the default ladder first)."""
    return min(
        scores, key=lambda s: (s.survived, s.touched, s.touched_at_double, s.answers_into_loops)
    )
