"""The Guard's decision: each check in order, with its named reason."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopguard.classifier.verdict import Category
from loopguard.errors import StoreError
from loopguard.guard import Action, Decision, Guard
from loopguard.guard.policy import Policy, TriggerPolicy
from loopguard.rate.tracker import Limit
from loopguard.testing import build_message

from .conftest import (
    ANN_TEXT,
    BOUNCE,
    HELP,
    SECRET,
    FailingStore,
    FakeClock,
    acknowledgement,
    person,
)


def test_a_person_is_allowed(guard: Guard) -> None:
    decision = guard.check(person(), recipient=HELP, trigger="ack")
    assert decision.allowed
    assert decision.action is Action.ALLOW
    assert decision.reasons == ()
    assert decision.verdict.category is Category.HUMAN
    assert decision.trigger == "ack"
    assert decision.key is not None
    assert "ann" not in decision.key


def test_rate_limit_suppresses_with_retry_after(guard: Guard, clock: FakeClock) -> None:
    for index in range(3):
        body = f"Question number {('one', 'two', 'three')[index]}: where is my parcel, please?"
        assert guard.check(person(body=body), recipient=HELP).allowed
        clock.advance(60)
    decision = guard.check(person(body="Another question about my order status."), recipient=HELP)
    assert decision.action is Action.SUPPRESS
    assert decision.rule == "rate-limit"
    assert decision.retry_after == pytest.approx(600 - 120)  # the denied event counts too
    clock.advance(decision.retry_after)
    assert guard.check(person(body="And one more thing about the invoice."), recipient=HELP).allowed


def test_each_pair_is_its_own_channel(guard: Guard) -> None:
    for _ in range(4):
        guard.check(person(), recipient=HELP)
    other = person(sender="bob@example.net", body="Bob here: the scanner is broken as well.")
    assert guard.check(other, recipient=HELP).allowed


def test_automated_mail_is_suppressed_with_its_category(guard: Guard) -> None:
    reply = person(Auto_Submitted="auto-replied", Subject="Out of office")
    decision = guard.check(reply, recipient=HELP)
    assert decision.rule == "automated"
    assert decision.reasons[0].category is Category.AUTO_REPLY
    assert "auto-submitted" in decision.reasons[0].detail


def test_trigger_policy_allows_bulk_for_tickets_but_not_for_acknowledgements(
    clock: FakeClock,
) -> None:
    policy = Policy(
        triggers={
            "create-ticket": TriggerPolicy(
                frozenset({Category.HUMAN, Category.BULK}), answers_sender=False
            )
        }
    )
    guard = Guard(own_addresses=[HELP], policy=policy, clock=clock)
    post = person(List_Id="<users.lists.example.com>", Precedence="list")
    assert guard.check(post, recipient=HELP, trigger="create-ticket").allowed
    decision = guard.check(post, recipient=HELP, trigger="acknowledge")
    assert decision.rule == "automated"
    assert decision.reasons[0].category is Category.BULK


def test_no_autoreply_request_is_honoured(clock: FakeClock) -> None:
    # A person's Outlook mail that asks for no automatic answers: human, but not to answer.
    guard = Guard(own_addresses=[HELP], clock=clock)
    message = person(X_Auto_Response_Suppress="All")
    decision = guard.check(message, recipient=HELP)
    assert decision.verdict.category is Category.HUMAN
    assert decision.rule == "no-autoreply"
    relaxed = Guard(own_addresses=[HELP], clock=clock, policy=Policy(honor_no_autoreply=False))
    assert relaxed.check(message, recipient=HELP).allowed


@pytest.mark.parametrize(
    "sender",
    ["ann@example.org", "someone@mailer.example.org", "tickets+bot@example.net"],
)
def test_do_not_mail_patterns(clock: FakeClock, sender: str) -> None:
    policy = Policy(do_not_mail=("ann@example.org", "*@mailer.example.org", "*+bot@*"))
    guard = Guard(own_addresses=[HELP], clock=clock, policy=policy)
    body = "Could you please send me the manual for the new coffee machine?"
    decision = guard.check(person(sender=sender, body=body), recipient=HELP)
    assert decision.rule == "do-not-mail"
    assert sender in decision.reasons[0].detail


def test_reply_to_a_do_not_mail_address_is_suppressed(guard: Guard) -> None:
    # The sender looks human, but an answer would go to a no-reply address.
    message = person(Reply_To="No Reply <noreply@shop.example.com>")
    decision = guard.check(message, recipient=HELP)
    assert decision.rule == "do-not-mail"
    assert "noreply@shop.example.com" in decision.reasons[0].detail


@pytest.mark.parametrize("sender", [HELP, "Help Desk <HELP@Example.ORG>", "sales@example.org"])
def test_own_addresses_are_loops(clock: FakeClock, sender: str) -> None:
    guard = Guard(own_addresses=[HELP, "sales@example.org"], clock=clock)
    decision = guard.check(person(sender=sender), recipient="support@example.org")
    assert decision.rule == "own-address"


def test_sender_equal_to_recipient_is_a_loop(clock: FakeClock) -> None:
    guard = Guard(clock=clock)
    decision = guard.check(person(sender="desk@example.org"), recipient="desk@example.org")
    assert decision.rule == "own-address"


def test_bounce_and_auto_reply_from_own_address_name_the_loop(guard: Guard) -> None:
    own_bounce = BOUNCE.replace(b"MAILER-DAEMON@mx.example.net", HELP.encode())
    assert guard.check(own_bounce, recipient=HELP).rule == "own-address"
    reply = person(sender=HELP, Auto_Submitted="auto-replied")
    assert guard.check(reply, recipient=HELP).rule == "own-address"


def test_deny_and_allow_lists(clock: FakeClock) -> None:
    policy = Policy(
        deny_domains=frozenset({"spam.example"}),
        allow_addresses=frozenset({"Robot <robot@partner.example>"}),
        allow_domains=frozenset({"trusted.example"}),
    )
    guard = Guard(own_addresses=[HELP], clock=clock, policy=policy)
    denied = guard.check(person(sender="x@mx.spam.example"), recipient=HELP)
    assert denied.rule == "deny-list"
    assert "domain spam.example" in denied.reasons[0].detail
    robot = person(sender="robot@partner.example", Auto_Submitted="auto-generated")
    allowed = guard.check(robot, recipient=HELP)
    assert allowed.action is Action.ALLOW
    assert allowed.rule == "allow-list"
    noreply = person(sender="noreply@trusted.example", Precedence="bulk")
    assert guard.check(noreply, recipient=HELP).rule == "allow-list"


def test_allow_list_does_not_lift_own_loop_or_rate_limits(clock: FakeClock) -> None:
    policy = Policy(allow_domains=frozenset({"example.org", "example.com"}))
    guard = Guard([Limit(1, "1h")], own_addresses=[HELP], clock=clock, policy=policy)
    assert guard.check(person(sender=HELP), recipient=HELP).rule == "own-address"
    assert guard.check(person(), recipient=HELP).allowed
    assert guard.check(person(), recipient=HELP).rule == "rate-limit"


def test_permanent_bounce_blocks_the_failed_recipient(guard: Guard, clock: FakeClock) -> None:
    assert guard.check(person(sender="gone@example.net"), recipient=HELP).allowed
    decision = guard.check(BOUNCE, recipient=HELP)
    assert decision.verdict.category is Category.BOUNCE
    assert decision.rule == "automated"
    later = person(sender="Gone <gone@example.net>", body="Please reset my password, thanks a lot.")
    clock.advance(30 * 86400)
    blocked = guard.check(later, recipient=HELP, trigger="notify-requester")
    assert blocked.rule == "bounced-recipient"
    clock.advance(31 * 86400)  # Zammad's 60 days have passed
    assert guard.check(later, recipient=HELP).allowed


def test_forget_bounce_unblocks(guard: Guard) -> None:
    guard.check(person(sender="gone@example.net"), recipient=HELP)
    guard.check(BOUNCE, recipient=HELP)
    later = person(sender="gone@example.net", body="I fixed my mailbox, please answer now.")
    assert guard.peek(later, recipient=HELP).rule == "bounced-recipient"
    guard.forget_bounce("gone@example.net")
    assert guard.check(later, recipient=HELP).allowed


def test_bounce_memory_does_not_apply_to_triggers_that_do_not_answer(clock: FakeClock) -> None:
    policy = Policy(triggers={"create-ticket": TriggerPolicy(answers_sender=False)})
    guard = Guard(own_addresses=[HELP], clock=clock, policy=policy)
    guard.check(BOUNCE, recipient=HELP)
    later = person(sender="gone@example.net", body="A ticket should still be created for me.")
    assert guard.check(later, recipient=HELP, trigger="create-ticket").allowed


def test_peek_counts_nothing(guard: Guard) -> None:
    for _ in range(10):
        assert guard.peek(person(), recipient=HELP).allowed
    guard.peek(BOUNCE, recipient=HELP)
    assert guard.check(person(sender="gone@example.net"), recipient=HELP).allowed


def test_record_counts_without_deciding(guard: Guard) -> None:
    for _ in range(3):
        guard.record(sender="ann@example.com", recipient=HELP)
    assert guard.check(person(), recipient=HELP).rule == "rate-limit"


def test_record_takes_the_sender_from_a_message(guard: Guard) -> None:
    for _ in range(3):
        guard.record(person(), recipient=HELP)
    assert guard.peek(person(), recipient=HELP).rule == "rate-limit"


def test_reset_forgets_counts(guard: Guard) -> None:
    for _ in range(4):
        guard.check(person(body=ANN_TEXT + "x"), recipient=HELP)
    guard.reset(sender="ann@example.com", recipient=HELP)
    assert guard.check(
        person(body="A completely new question about billing."), recipient=HELP
    ).allowed


def test_final_notice_once_when_the_limit_is_first_reached(clock: FakeClock) -> None:
    guard = Guard(
        [Limit(2, "1d")],
        own_addresses=[HELP],
        clock=clock,
        policy=Policy(final_notice=True, repeat_limits=()),
    )
    actions = [guard.check(person(), recipient=HELP).action for _ in range(5)]
    assert actions == [
        Action.ALLOW,
        Action.ALLOW,
        Action.FINAL_NOTICE,
        Action.SUPPRESS,
        Action.SUPPRESS,
    ]
    notice = guard.check(person(sender="bob@example.com"), recipient=HELP)
    assert notice.allowed
    clock.advance(86400)
    assert guard.check(person(), recipient=HELP).action is Action.ALLOW


def test_final_notice_decision_says_why() -> None:
    guard = Guard([Limit(1, "1h")], policy=Policy(final_notice=True, repeat_limits=()))
    guard.check(person(), recipient=HELP)
    decision = guard.check(person(), recipient=HELP)
    assert decision.action is Action.FINAL_NOTICE
    assert decision.allowed
    assert [r.rule for r in decision.reasons] == ["final-notice", "rate-limit"]


def test_repeated_content_from_rotating_senders(clock: FakeClock) -> None:
    guard = Guard([Limit(100, "1h")], own_addresses=[HELP], clock=clock)
    text = "Ticket #{n} received on {day} March. Our team will get back to you shortly. Regards"
    decisions = [
        guard.check(
            person(sender=f"desk-{n}@relay.example.net", body=text.format(n=4711 + n, day=n + 1)),
            recipient=HELP,
        )
        for n in range(12)
    ]
    # An acknowledgement's text is evidence of a machine: it counts per organization.
    assert [d.allowed for d in decisions] == [True] * 10 + [False] * 2
    assert (decisions[10].rule, decisions[10].rung) == ("repeated-content", "domain")
    different = person(sender="desk-9@relay.example.net", body="A person asking about a refund.")
    assert guard.check(different, recipient=HELP).allowed


def test_the_same_text_from_many_people_of_one_company_is_answered(clock: FakeClock) -> None:
    guard = Guard([Limit(100, "1h")], own_addresses=[HELP], clock=clock)
    text = "Hello,\n\nplease add me to the licence pool for the design software.\n\nThanks\n"
    colleagues = [person(sender=f"user{n}@bigcorp.example", body=text) for n in range(15)]
    assert all(guard.check(message, recipient=HELP).allowed for message in colleagues)
    again = [guard.check(colleagues[0], recipient=HELP) for _ in range(3)]
    assert [d.allowed for d in again] == [True, True, False]  # one person: 3 per hour
    assert (again[2].rule, again[2].rung) == ("repeated-content", "sender")


def test_repeated_content_per_recipient_across_domains(clock: FakeClock) -> None:
    policy = Policy(repeat_limits=(Limit(2, "1h", "recipient"),))
    guard = Guard([Limit(100, "1h")], own_addresses=[HELP], clock=clock, policy=policy)
    body = "Please send the signed contract to the legal department before Friday."
    results = [
        guard.check(person(sender=f"x@relay{n}.example", body=body), recipient=HELP).allowed
        for n in range(3)
    ]
    assert results == [True, True, False]


def test_short_texts_are_never_compared(clock: FakeClock) -> None:
    guard = Guard([Limit(100, "1h")], own_addresses=[HELP], clock=clock)
    for n in range(6):
        assert guard.check(
            person(sender=f"p{n}@example.com", body="Thanks!"), recipient=HELP
        ).allowed


def test_metrics_hook_gets_action_and_reasons(clock: FakeClock) -> None:
    seen: list[tuple[Action, tuple[str, ...]]] = []
    guard = Guard(
        own_addresses=[HELP],
        clock=clock,
        metrics=lambda action, reasons: seen.append((action, tuple(r.rule for r in reasons))),
    )
    guard.check(person(), recipient=HELP)
    guard.check(person(sender=HELP), recipient=HELP)
    guard.peek(person(), recipient=HELP)  # peeks are not counted in metrics
    assert seen == [(Action.ALLOW, ()), (Action.SUPPRESS, ("own-address",))]


def test_a_broken_metrics_hook_does_not_break_the_decision(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(action: Action, reasons: object) -> None:
        raise RuntimeError("statsd down")

    guard = Guard(own_addresses=[HELP], clock=clock, metrics=broken)
    with caplog.at_level(logging.ERROR, logger="loopguard.guard"):
        assert guard.check(person(), recipient=HELP).allowed
    assert "metrics hook failed" in caplog.text


class MetricsRecorder:
    """A metrics backend with the DecisionMetrics methods, as a Prometheus exporter has."""

    def __init__(self) -> None:
        self.decisions: list[tuple[Decision, float]] = []
        self.failures: list[str] = []

    def observe_decision(self, decision: Decision, seconds: float) -> None:
        self.decisions.append((decision, seconds))

    def observe_store_failure(self, operation: str, error: StoreError) -> None:
        self.failures.append(operation)


def test_a_metrics_backend_sees_each_counted_decision_and_its_time(clock: FakeClock) -> None:
    metrics = MetricsRecorder()
    guard = Guard(own_addresses=[HELP], clock=clock, metrics=metrics)
    guard.check(person(), recipient=HELP)
    guard.peek(person(), recipient=HELP)
    with guard.dispatching(person(sender="bob@example.com"), recipient=HELP):
        pass
    assert [(d.action, d.verdict.category) for d, _ in metrics.decisions] == [
        (Action.ALLOW, Category.HUMAN),
        (Action.ALLOW, Category.HUMAN),
    ]
    assert all(seconds > 0 for _, seconds in metrics.decisions)
    assert metrics.failures == []


def test_a_metrics_backend_counts_store_failures(clock: FakeClock) -> None:
    metrics = MetricsRecorder()
    guard = Guard(own_addresses=[HELP], store=FailingStore(), clock=clock, metrics=metrics)
    assert guard.check(person(), recipient=HELP).degraded
    guard.record(sender="ann@example.com", recipient=HELP)
    with pytest.raises(StoreError):
        guard.forget_bounce("gone@example.net")
    assert metrics.failures == ["check", "record", "forget_bounce"]
    assert [decision.degraded for decision, _ in metrics.decisions] == [True]


def test_log_records_carry_structured_fields_and_no_address(
    guard: Guard, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="loopguard.guard"):
        guard.check(person(Auto_Submitted="auto-replied"), recipient=HELP, trigger="ack")
    [record] = [r for r in caplog.records if r.name == "loopguard.guard"]
    assert record.levelno == logging.INFO
    assert record.action == "suppress"  # type: ignore[attr-defined]
    assert record.rule == "automated"  # type: ignore[attr-defined]
    assert record.category == "auto_reply"  # type: ignore[attr-defined]
    assert record.trigger == "ack"  # type: ignore[attr-defined]
    assert record.key_hash.startswith("v1:pair:{")  # type: ignore[attr-defined]
    assert "ann" not in record.getMessage()
    assert "ann@" not in str(record.__dict__)


def test_protect_runs_only_allowed_calls(guard: Guard) -> None:
    suppressed: list[Decision] = []
    sent: list[bytes] = []

    @guard.protect(recipient=HELP, trigger="ack", on_suppress=suppressed.append)
    def acknowledge(message: bytes) -> str:
        sent.append(message)
        return "sent"

    assert acknowledge(person()) == "sent"
    result = acknowledge(person(Auto_Submitted="auto-replied"))
    assert isinstance(result, Decision)
    assert result.rule == "automated"
    assert len(sent) == 1
    assert suppressed == [result]
    assert acknowledge(message=person(sender="bob@example.com")) == "sent"


def test_protect_needs_the_message() -> None:
    guard = Guard()

    @guard.protect()
    def nothing() -> None:
        raise AssertionError("never runs")

    with pytest.raises(TypeError, match="first argument"):
        nothing()


def test_dispatching_counts_only_clean_exits(guard: Guard) -> None:
    for _ in range(5):
        with (  # noqa: PT012 (the body is the dispatch that fails)
            pytest.raises(ConnectionError),
            guard.dispatching(person(), recipient=HELP) as decision,
        ):
            assert decision.allowed
            raise ConnectionError("SMTP server down")
    for _ in range(3):
        with guard.dispatching(person(), recipient=HELP) as decision:
            assert decision.allowed
    suppressed: list[Decision] = []
    with guard.dispatching(person(), recipient=HELP, on_suppress=suppressed.append) as decision:
        assert not decision.allowed
    assert suppressed == [decision]


def test_a_persons_reply_to_our_notification_is_allowed(guard: Guard) -> None:
    incoming = person()
    ack = acknowledgement(guard, incoming)
    quoted = "\n".join(f"> {line}" for line in ack.get_content().splitlines())
    answer = person(
        body=f"Thanks, but the printer is still broken.\n\nOn Monday Help Desk wrote:\n{quoted}\n",
        In_Reply_To=ack["Message-ID"],
        References=ack["Message-ID"],
    )
    decision = guard.check(answer, recipient=HELP)
    assert decision.allowed, decision.reasons


def test_our_notification_quoted_by_an_autoresponder_is_a_loop(guard: Guard) -> None:
    ack = acknowledgement(guard, person())
    quoted = "\n".join(f"> {line}" for line in ack.get_content().splitlines())
    auto = person(
        body=f"I am out of the office until Monday.\n\n{quoted}\n",
        Auto_Submitted="auto-replied",
    )
    decision = guard.check(auto, recipient=HELP)
    assert decision.rule == "own-loop-token"
    assert "body" in decision.reasons[0].detail


def test_our_notification_redirected_under_another_sender_is_a_loop(guard: Guard) -> None:
    ack = acknowledgement(guard, person())
    del ack["From"]
    ack["From"] = "forwarder@example.net"
    decision = guard.check(ack.as_bytes(), recipient=HELP)
    assert decision.rule == "own-loop-token"
    assert "headers" in decision.reasons[0].detail


def test_a_bounce_of_our_notification_is_recognised_from_the_returned_original(
    guard: Guard,
) -> None:
    ack = acknowledgement(guard, person())
    returned = BOUNCE.replace(
        b"--b--\n", b"--b\nContent-Type: message/rfc822\n\n" + ack.as_bytes() + b"\n--b--\n"
    )
    decision = guard.check(returned, recipient=HELP)
    assert decision.rule == "own-loop-token"
    assert decision.reasons[0].category is Category.BOUNCE


def bare_out_of_office_answer_to(ack: EmailMessage) -> bytes:
    """A responder that sets no header at all, answering ``ack`` in a few words."""
    return person(
        "Bob <bob@example.com>",
        body="I am out of the office.\n",
        Subject=f"Re: {ack['Subject']}",
        In_Reply_To=str(ack["Message-ID"]),
    )


def test_out_of_office_text_answering_our_mail_weighs_more(guard: Guard) -> None:
    ack = acknowledgement(guard, person())
    answer = bare_out_of_office_answer_to(ack)
    # Alone, a bare "I am out of the office." stays below the text threshold ...
    assert guard.classifier.classify(answer).category is Category.HUMAN
    # ... but answering our own automatic acknowledgement, it is an autoresponder.
    decision = guard.check(answer, recipient=HELP)
    assert decision.action is Action.SUPPRESS
    assert "reply-to-ours" in decision.verdict.rules
    assert decision.verdict.category is Category.AUTO_REPLY


def test_a_person_answering_our_mail_stays_a_person(guard: Guard) -> None:
    ack = acknowledgement(guard, person())
    answer = person(Subject=f"Re: {ack['Subject']}", In_Reply_To=str(ack["Message-ID"]))
    decision = guard.check(answer, recipient=HELP)
    assert decision.allowed, decision.reasons
    assert decision.verdict.category is Category.HUMAN


def test_another_installations_token_is_not_ours(clock: FakeClock) -> None:
    ours = Guard(own_addresses=[HELP], secret=SECRET, clock=clock)
    theirs = Guard(own_addresses=["desk@example.net"], secret=b"their secret", clock=clock)
    their_ack = acknowledgement(theirs, person())
    del their_ack["From"]
    their_ack["From"] = "desk@example.net"
    decision = ours.check(their_ack.as_bytes(), recipient=HELP)
    assert decision.rule == "automated"  # still automated mail, but not our own loop


def test_stamp_needs_a_secret() -> None:
    from email.message import EmailMessage

    from loopguard.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="secret"):
        Guard().stamp(EmailMessage())


def test_the_envelope_sender_is_not_who_we_answer(guard: Guard) -> None:
    # VERP, SRS and list relays put their own return path in the envelope (a Google
    # Group in front of the desk uses one of our addresses): the answer goes to From.
    message = build_message(sender="Ann <ann@example.com>", to=HELP)
    decision = guard.check(message, recipient=HELP, envelope_sender=HELP)
    assert decision.allowed
    assert guard.check(build_message(sender=HELP, to=HELP), recipient=HELP).rule == "own-address"


def test_guard_is_a_context_manager(clock: FakeClock) -> None:
    with Guard(clock=clock, secret=SECRET) as guard:
        assert guard.check(person(), recipient=HELP).allowed


def test_a_trigger_that_does_not_answer_counts_apart(clock: FakeClock) -> None:
    # Creating a ticket must not use up the sender's allowance of answers.
    policy = Policy(triggers={"create-ticket": TriggerPolicy(answers_sender=False)})
    guard = Guard([Limit(2, "1h")], own_addresses=[HELP], clock=clock, policy=policy)
    bodies = [f"Question {word}: the projector in room B flickers." for word in ("a", "b", "c")]
    created = [guard.check(person(body=b), recipient=HELP, trigger="create-ticket") for b in bodies]
    answered = [guard.check(person(body=b), recipient=HELP, trigger="ack") for b in bodies]
    assert [d.allowed for d in created] == [True, True, False]
    assert [d.allowed for d in answered] == [True, True, False]


def test_limits_are_validated_at_construction() -> None:
    from loopguard.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="duplicate"):
        Guard([Limit(1, "1h"), Limit(1, "1h")])


def test_token_in_a_base64_auto_reply_when_the_trigger_takes_auto_replies(
    clock: FakeClock,
) -> None:
    from email.message import EmailMessage

    policy = Policy(
        triggers={"record": TriggerPolicy(frozenset({Category.HUMAN, Category.AUTO_REPLY}))}
    )
    guard = Guard(own_addresses=[HELP], secret=SECRET, clock=clock, policy=policy)
    ack = acknowledgement(guard, person())
    auto = EmailMessage()
    auto["From"] = "bob@example.net"
    auto["Auto-Submitted"] = "auto-replied"
    auto.set_content(f"Away until May.\n\n> {ack.get_content()}", cte="base64")
    assert guard.check(auto.as_bytes(), recipient=HELP, trigger="record").rule == "own-loop-token"
    # For a trigger that refuses auto-replies anyway, no MIME parse is spent on the token.
    assert guard.check(auto.as_bytes(), recipient=HELP).rule == "automated"


@settings(max_examples=60, deadline=None)
@given(
    headers=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "From",
                    "Reply-To",
                    "References",
                    "X-Loopguard-Token",
                    "Auto-Submitted",
                    "Precedence",
                    "Message-ID",
                    "Return-Path",
                    "Content-Type",
                ]
            ),
            st.text(
                st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"),
                max_size=60,
            ),
        ),
        max_size=6,
    ),
    body=st.text(max_size=300),
)
def test_check_never_raises_on_odd_messages(headers: list[tuple[str, str]], body: str) -> None:
    guard = Guard(own_addresses=[HELP], secret=SECRET)
    decision = guard.check(build_message(headers, body=body), recipient=HELP, trigger="ack")
    assert isinstance(decision.action, Action)
    assert decision.allowed is (decision.action is not Action.SUPPRESS)


def test_reset_by_the_logged_key_hash(guard: Guard) -> None:
    for _ in range(3):
        guard.record(sender="ann@example.com", recipient=HELP)
    decision = guard.check(person(), recipient=HELP)
    assert decision.rule == "rate-limit"
    assert decision.key is not None
    guard.reset(decision.key)
    assert guard.check(
        person(body="After the reset: is the printer fixed now?"), recipient=HELP
    ).allowed
