"""The guard's core without a store or an event loop: feed answers, assert the calls.

Like h11's tests of its protocol: each operation is driven by hand
(:func:`loopguard.testing.exchange`), so the tests see exactly which store calls a
decision makes, in which order and with which keys, and what it makes of each answer.
"""

from __future__ import annotations

import pytest

from loopguard.errors import StoreError
from loopguard.guard import Action, Decision
from loopguard.guard.policy import Policy, StoreErrorPolicy
from loopguard.guard.sansio import GuardCore
from loopguard.rate.tracker import Limit
from loopguard.stores.sansio import StoreCall
from loopguard.testing import exchange

from .conftest import HELP, SECRET, FakeClock, person

ANN = "ann@example.com"
FAILED = ["gone1@example.net", "gone2@example.net", "gone3@example.net"]


def dsn(recipients: list[str]) -> bytes:
    """A DSN in which every one of ``recipients`` failed permanently (5.1.1)."""
    groups = "".join(
        f"\nFinal-Recipient: rfc822; {address}\nAction: failed\nStatus: 5.1.1\n"
        for address in recipients
    )
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
        f"To: {HELP}\nSubject: Undelivered Mail Returned to Sender\n"
        "Message-ID: <dsn.2@mx.example.net>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n"
        f"{groups}\n--b--\n"
    ).encode()


def core_with(clock: FakeClock, **settings: object) -> GuardCore:
    return GuardCore(
        [Limit(3, "10m")], own_addresses=[HELP], secret=SECRET, clock=clock, **settings
    )  # type: ignore[arg-type]


@pytest.fixture
def core(clock: FakeClock) -> GuardCore:
    return core_with(clock)


def keys(call: StoreCall) -> list[str]:
    return [touch.key for touch in call.touches] or list(call.keys)


def test_a_check_is_three_round_trips(core: GuardCore, clock: FakeClock) -> None:
    calls, decision = exchange(core.check(person(), recipient=HELP), [[]], [[]], [[], []])
    assert [call.verb for call in calls] == ["peek", "hit", "hit"]  # bounced? repeated? rate
    assert keys(calls[0]) == core.trackers.get("bounces").keys_of(recipient=ANN)
    # The record of whom we answered (for checking bounces) rides along with the rates.
    rates = core.trackers.get("rates").keys_of(sender=ANN, recipient=HELP)
    answered = core.trackers.get("answered").keys_of(recipient=ANN)
    assert keys(calls[2]) == [*rates, *answered]
    assert all(call.now == clock.now for call in calls)
    assert decision.action is Action.ALLOW
    assert decision.recipient_source == "given"


def test_a_peek_only_reads(core: GuardCore) -> None:
    calls, decision = exchange(core.peek(person(), recipient=HELP), [[]], [[]], [[]])
    assert [call.verb for call in calls] == ["peek", "peek", "peek"]
    assert decision.allowed


def test_the_answers_decide(core: GuardCore, clock: FakeClock) -> None:
    full = [clock.now - 30, clock.now - 20, clock.now - 10]
    _, decision = exchange(core.check(person(), recipient=HELP), [[]], [[]], [full, []])
    assert decision.rule == "rate-limit"
    assert decision.rung == "pair"
    assert decision.key == core.trackers.get("rates").keys_of(sender=ANN, recipient=HELP)[0]
    assert decision.retry_after == pytest.approx(600 - 20)
    _, decision = exchange(core.check(person(), recipient=HELP), [[clock.now - 60]])
    assert decision.rule == "bounced-recipient"


def test_a_verified_bounce_teaches_every_answered_recipient_in_one_call(
    core: GuardCore, clock: FakeClock
) -> None:
    answered = [[clock.now - 60], [], [clock.now - 60]]
    calls, decision = exchange(core.check(dsn(FAILED), recipient=HELP), answered, [[], []])
    check, learn = calls  # then the category check suppresses: no further store call
    assert (check.verb, learn.verb) == ("peek", "hit")
    assert keys(check) == [core.trackers.get("answered").keys_of(recipient=a)[0] for a in FAILED]
    bounces = core.trackers.get("bounces")
    assert keys(learn) == [bounces.keys_of(recipient=a)[0] for a in (FAILED[0], FAILED[2])]
    assert decision.rule == "automated"


def test_a_bounce_naming_nobody_we_answered_teaches_nothing(core: GuardCore) -> None:
    calls, decision = exchange(core.check(dsn(FAILED), recipient=HELP), [[], [], []])
    assert [call.verb for call in calls] == ["peek"]
    assert decision.rule == "automated"


def test_a_peek_learns_nothing_from_a_bounce(core: GuardCore) -> None:
    calls, decision = exchange(core.peek(dsn(FAILED), recipient=HELP))
    assert calls == []
    assert decision.rule == "automated"


def test_a_stateless_suppression_needs_no_store(core: GuardCore) -> None:
    calls, decision = exchange(core.check(person(Auto_Submitted="auto-replied"), recipient=HELP))
    assert calls == []
    assert decision.rule == "automated"


def test_final_notice_is_one_more_call(clock: FakeClock) -> None:
    core = core_with(clock, policy=Policy(final_notice=True, repeat_limits=()))
    full = [clock.now - 3, clock.now - 2, clock.now - 1]
    calls, decision = exchange(core.check(person(), recipient=HELP), [[]], [full, []], [[]])
    assert [call.verb for call in calls] == ["peek", "hit", "hit"]
    assert keys(calls[2]) == core.trackers.get("notices").keys_of(sender=ANN, recipient=HELP)
    assert decision.action is Action.FINAL_NOTICE


@pytest.mark.parametrize(
    ("policy", "action"), [("allow", Action.ALLOW), ("suppress", Action.SUPPRESS)]
)
def test_after_a_store_failure_no_step_waits_for_the_store_again(
    clock: FakeClock, policy: StoreErrorPolicy, action: Action
) -> None:
    core = core_with(clock, on_store_error=policy)
    calls, decision = exchange(core.check(person(), recipient=HELP), StoreError("down"))
    assert len(calls) == 1
    assert decision.action is action
    assert decision.degraded
    assert [reason.rule for reason in decision.reasons].count("store-error") == 1


def test_the_raise_policy_raises(clock: FakeClock) -> None:
    core = core_with(clock, on_store_error="raise")
    with pytest.raises(StoreError, match="down"):
        exchange(core.check(person(), recipient=HELP), StoreError("down"))


def test_reset_is_one_call_with_every_key(core: GuardCore) -> None:
    calls, _ = exchange(core.reset("v1:pair:{logged}", sender=ANN, recipient=HELP), [])
    rates = core.trackers.get("rates").keys_of(sender=ANN, recipient=HELP)
    notices = core.trackers.get("notices").keys_of(sender=ANN, recipient=HELP)
    assert calls == [StoreCall("reset", keys=["v1:pair:{logged}", *rates, *notices])]


def test_forget_bounce_and_record_are_one_call_each(core: GuardCore) -> None:
    calls, _ = exchange(core.forget_bounce(FAILED[0]), [])
    assert calls == [
        StoreCall("reset", keys=core.trackers.get("bounces").keys_of(recipient=FAILED[0]))
    ]
    calls, _ = exchange(core.record(sender=ANN, recipient=HELP), [[]])
    assert [call.verb for call in calls] == ["hit"]


def test_a_dispatch_counts_on_entry_and_refunds_what_it_counted(
    core: GuardCore, clock: FakeClock
) -> None:
    suppressed: list[Decision] = []
    dispatch = core.dispatch(person(), HELP, None, None, suppressed.append)
    entered, decision = exchange(dispatch.enter(), [[]], [[]], [[], []])
    assert [call.verb for call in entered] == ["peek", "hit", "hit"]
    assert decision.allowed
    assert suppressed == []
    refunds, _ = exchange(dispatch.refund(), [])  # one call: every count has one time
    assert refunds == [StoreCall("refund", [*entered[1].touches, *entered[2].touches], clock.now)]
    again, _ = exchange(dispatch.refund())
    assert again == []  # refunded once only


def test_a_suppressed_dispatch_tells_on_suppress_on_entry(
    core: GuardCore, clock: FakeClock
) -> None:
    suppressed: list[Decision] = []
    dispatch = core.dispatch(person(), HELP, None, None, suppressed.append)
    full = [clock.now - 3, clock.now - 2, clock.now - 1]
    _, decision = exchange(dispatch.enter(), [[]], [[]], [full, []])
    assert suppressed == [decision]
    assert decision.rule == "rate-limit"


def test_an_answer_to_our_answer_counts_per_organization(clock: FakeClock) -> None:
    answers = GuardCore(
        [Limit(3, "10m"), Limit(2, "10m", "answers")],
        own_addresses=[HELP],
        secret=SECRET,
        clock=clock,
        policy=Policy(repeat_limits=()),
    )
    assert answers.token is not None
    ours = answers.token.issue("ann@example.com", at=clock.now)
    reply = person(In_Reply_To=f"<{ours}@example.org>")
    calls, _ = exchange(answers.check(reply, recipient=HELP), [[]], [[], [], []])
    rates = answers.trackers.get("rates")
    assert keys(calls[1])[1] == rates.keys.key_of("answers", ANN, None, None, "example.com", True)
