"""Forged headers from outside cannot make the guard suppress mail to a third party
beyond what the policy documents.

An attacker controls every header of the mail they send, including ``From``. What the
documentation promises, and these tests hold the guard to:

- a message suppressed before the store checks (marked automatic, our token in its own
  headers, a "don't answer" request) costs no store write: forging ``Auto-Submitted``,
  ``Precedence``, ``X-Auto-Response-Suppress`` or a token under a victim's address
  suppresses that forged message only, never the victim's own mail;
- a token the attacker makes up is not ours; a real token of ours replayed in another
  message suppresses that message only;
- what *is* counted is documented: rate limits count per address, so mail forged in a
  victim's name uses up the victim's allowance for the limit's window (as in every
  address-based limiter), and a forged bounce naming a victim blocks answers to the
  victim for ``bounce_memory`` (docs/guard.md, "Learning from bounces") until
  ``forget_bounce``. Both are pinned here with their exact bounds;
- with ``Policy(learn_bounces="stamped")`` a forged bounce blocks nobody, while the
  bounce of an answer we stamped still blocks its recipient.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol

import pytest

from loopguard import Action, Guard, Limit
from loopguard.classifier.verdict import Category
from loopguard.errors import ConfigurationError
from loopguard.guard.outbound import LoopToken
from loopguard.guard.policy import Policy, TriggerPolicy

HELP = "help@example.org"
VICTIM = "Vera Victim <vera@customer.example>"
VICTIM_ADDRESS = b"vera@customer.example"
SECRET = b"forged headers test secret"
FORGERIES: dict[str, dict[str, str]] = {
    "auto-submitted": {"Auto-Submitted": "auto-replied"},
    "precedence": {"Precedence": "bulk"},
    "list-headers": {"List-Id": "<forged.list.example>"},
    "x-auto-response-suppress": {"X-Auto-Response-Suppress": "All"},
    "x-autoreply": {"X-Autoreply": "yes"},
    "null-return-path": {"Return-Path": "<>"},
}


class Clock(Protocol):
    """The conftest's fake clock."""

    def __call__(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


@pytest.fixture
def guard(clock: Clock) -> Guard:
    """One answer per pair per hour, as strict as a vacation responder."""
    policy = Policy(triggers={"ticket": TriggerPolicy(frozenset({Category.HUMAN}), False)})
    return Guard([Limit(1, "1h")], own_addresses=[HELP], secret=SECRET, clock=clock, policy=policy)


def our_token(guard: Guard) -> str:
    reply = EmailMessage()
    reply["From"] = HELP
    reply.set_content("We received your request.")
    guard.stamp(reply)
    return str(reply["X-Loopguard-Token"])


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_forged_marks_in_a_victims_name_cost_the_victim_nothing(
    guard: Guard, mail: Callable[..., bytes], forgery: str
) -> None:
    forged = mail(VICTIM, **{k.replace("-", "_"): v for k, v in FORGERIES[forgery].items()})
    for _ in range(20):
        assert guard.check(forged, recipient=HELP).action is Action.SUPPRESS
    genuine = guard.check(mail(VICTIM), recipient=HELP)
    assert genuine.action is Action.ALLOW, genuine.reasons


def test_made_up_tokens_are_not_ours(guard: Guard, mail: Callable[..., bytes]) -> None:
    stranger = LoopToken(b"the attacker's secret", HELP).issue("<x@evil.example>")
    for header in ("X_Loopguard_Token", "References", "In_Reply_To"):
        value = stranger if header == "X_Loopguard_Token" else f"<{stranger}@example.org>"
        decision = guard.peek(mail(VICTIM, **{header: value}), recipient=HELP)
        assert decision.action is Action.ALLOW, (header, decision.reasons)


def test_a_replayed_token_suppresses_only_the_message_that_carries_it(
    guard: Guard, mail: Callable[..., bytes]
) -> None:
    # The attacker received one of our acknowledgements and copies its token.
    token = our_token(guard)
    for _ in range(20):
        decision = guard.check(mail(VICTIM, X_Loopguard_Token=token), recipient=HELP)
        assert decision.rule == "own-loop-token"
    assert guard.check(mail(VICTIM), recipient=HELP).action is Action.ALLOW


def test_a_person_citing_our_token_is_still_answered(
    guard: Guard, mail: Callable[..., bytes]
) -> None:
    # Documented: a token in References or the body of a person's mail is a reply to us.
    token = our_token(guard)
    message = mail(VICTIM, References=f"<{token}@example.org>", body=f"thanks!\n> [ref {token}]\n")
    assert guard.check(message, recipient=HELP).action is Action.ALLOW


def test_forging_the_victims_address_uses_up_only_the_documented_window(
    guard: Guard, clock: Clock, mail: Callable[..., bytes]
) -> None:
    # Documented rate limiting per pair: forged mail counts against the victim's pair
    # for the limit's window and no longer; other senders are unaffected.
    assert guard.check(mail(VICTIM, body="forged text one\n"), recipient=HELP).allowed
    suppressed = guard.check(mail(VICTIM), recipient=HELP)
    assert suppressed.rule == "rate-limit"
    assert 0 < suppressed.retry_after <= 3600
    assert guard.check(mail("Bob <bob@customer.example>"), recipient=HELP).allowed
    clock.advance(3601)
    assert guard.check(mail(VICTIM), recipient=HELP).allowed


def forged_bounce(victim: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.evil.example>\nTo: help@example.org\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.evil.example\n\n"
        f"Final-Recipient: rfc822; {victim}\nAction: failed\nStatus: 5.1.1\n\n--b--\n"
    ).encode()


def test_a_forged_bounce_naming_somebody_we_did_not_answer_blocks_nobody(
    guard: Guard, mail: Callable[..., bytes]
) -> None:
    guard.check(forged_bounce("vera@customer.example"), recipient=HELP)
    assert guard.check(mail(VICTIM), recipient=HELP).allowed


def test_a_bounce_that_no_mail_system_sent_teaches_nothing(
    guard: Guard, mail: Callable[..., bytes]
) -> None:
    assert guard.check(mail(VICTIM), recipient=HELP).allowed  # answered today
    from_a_stranger = forged_bounce("vera@customer.example").replace(
        b"Mail Delivery System <MAILER-DAEMON@mx.evil.example>", b"Eve <eve@evil.example>"
    )
    guard.check(from_a_stranger, recipient=HELP)
    assert guard.check(mail(VICTIM), recipient=HELP).rule != "bounced-recipient"


def test_with_any_learning_a_forged_bounce_blocks_answers_to_the_victim_as_documented(
    clock: Clock, mail: Callable[..., bytes]
) -> None:
    ticket = TriggerPolicy(frozenset({Category.HUMAN}), False)
    policy = Policy(learn_bounces="any", triggers={"ticket": ticket})
    guard = Guard(own_addresses=[HELP], clock=clock, policy=policy)
    guard.check(forged_bounce("vera@customer.example"), recipient=HELP)
    blocked = guard.check(mail(VICTIM), recipient=HELP)
    assert blocked.rule == "bounced-recipient"
    # Triggers that do not answer the sender still fire (a ticket is still created).
    assert guard.check(mail(VICTIM), recipient=HELP, trigger="ticket").allowed
    # The operator lifts it; otherwise it lasts bounce_memory (60 days), not longer.
    guard.forget_bounce("vera@customer.example")
    assert guard.check(mail(VICTIM), recipient=HELP).allowed
    guard.check(forged_bounce("vera@customer.example"), recipient=HELP)
    clock.advance(guard.policy.bounce_memory + 3601)
    assert guard.check(mail(VICTIM), recipient=HELP).allowed


def test_one_forged_bounce_names_at_most_fifty_victims(
    clock: Clock, mail: Callable[..., bytes]
) -> None:
    guard = Guard(own_addresses=[HELP], clock=clock, policy=Policy(learn_bounces="any"))
    victims = [f"user{n:03}@customer.example" for n in range(80)]
    blocks = "".join(
        f"Final-Recipient: rfc822; {v}\nAction: failed\nStatus: 5.1.1\n\n" for v in victims
    )
    guard.check(
        forged_bounce("x@x.example").replace(
            b"Final-Recipient: rfc822; x@x.example\nAction: failed\nStatus: 5.1.1\n\n",
            blocks.encode(),
        ),
        recipient=HELP,
    )
    blocked = [
        v for v in victims if guard.peek(mail(v), recipient=HELP).rule == "bounced-recipient"
    ]
    assert len(blocked) == 50


def stamped_guard(clock: Clock, learning: str = "stamped") -> Guard:
    policy = Policy(learn_bounces=learning)  # type: ignore[arg-type]
    return Guard([Limit(1, "1h")], own_addresses=[HELP], secret=SECRET, clock=clock, policy=policy)


def bounce_returning(original: EmailMessage) -> bytes:
    """A DSN for ``original``'s recipient, returning its headers as RFC 3462 says."""
    returned = "".join(f"{name}: {value}\n" for name, value in original.items())
    return (
        forged_bounce(str(original["To"])).replace(b"--b--\n", b"")
        + b"--b\nContent-Type: text/rfc822-headers\n\n"
        + returned.encode()
        + b"\n--b--\n"
    )


def our_answer_to(guard: Guard, address: str) -> EmailMessage:
    reply = EmailMessage()
    reply["From"] = HELP
    reply["To"] = address
    reply["Subject"] = "We received your request"
    reply.set_content("We received your request.")
    return guard.stamp(reply)


def test_with_stamped_learning_a_forged_bounce_blocks_nobody(
    clock: Clock, mail: Callable[..., bytes]
) -> None:
    guard = stamped_guard(clock)
    # Even one returning a stamped answer of somebody else's installation.
    other = Guard(secret=b"another installation's secret", own_addresses=[HELP])
    for bounce in (
        forged_bounce("vera@customer.example"),
        bounce_returning(our_answer_to(other, "vera@customer.example")),
    ):
        assert guard.check(bounce, recipient=HELP).action is Action.SUPPRESS
        assert guard.check(mail(VICTIM), recipient=HELP).allowed
        clock.advance(3601)


@pytest.mark.parametrize("learning", ["stamped", "verified"])
def test_the_bounce_of_our_own_answer_still_blocks(
    clock: Clock, mail: Callable[..., bytes], learning: str
) -> None:
    guard = stamped_guard(clock, learning)
    bounce = bounce_returning(our_answer_to(guard, "vera@customer.example"))
    guard.check(bounce, recipient=HELP)
    assert guard.check(mail(VICTIM), recipient=HELP).rule == "bounced-recipient"


@pytest.mark.parametrize("learning", ["stamped", "verified"])
def test_our_token_replayed_in_a_bounce_naming_another_address_blocks_nobody(
    clock: Clock, mail: Callable[..., bytes], learning: str
) -> None:
    # The attacker got an acknowledgement of his own ticket and pastes its headers into
    # a DSN naming the victim, whom we answered today.
    guard = stamped_guard(clock, learning)
    assert guard.check(mail(VICTIM), recipient=HELP).allowed
    clock.advance(3601)
    ours = our_answer_to(guard, "mallory@evil.example")
    bounce = bounce_returning(ours).replace(
        b"Final-Recipient: rfc822; mallory@evil.example",
        b"Final-Recipient: rfc822; " + VICTIM_ADDRESS,
    )
    guard.check(bounce, recipient=HELP)
    assert guard.check(mail(VICTIM), recipient=HELP).allowed


def test_an_old_token_of_ours_teaches_nothing(clock: Clock, mail: Callable[..., bytes]) -> None:
    guard = stamped_guard(clock)
    bounce = bounce_returning(our_answer_to(guard, "vera@customer.example"))
    clock.advance(guard.policy.answer_memory + 1)
    guard.check(bounce, recipient=HELP)
    assert guard.check(mail(VICTIM), recipient=HELP).allowed


def test_learning_can_be_turned_off(clock: Clock, mail: Callable[..., bytes]) -> None:
    guard = stamped_guard(clock, "never")
    guard.check(bounce_returning(our_answer_to(guard, "vera@customer.example")), recipient=HELP)
    assert guard.check(mail(VICTIM), recipient=HELP).allowed


def test_stamped_learning_needs_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="learn_bounces"):
        Guard(policy=Policy(learn_bounces="stamped"))


def test_with_stamped_learning_a_qmail_bounce_quoting_our_answer_inline_blocks(
    clock: Clock, mail: Callable[..., bytes]
) -> None:
    guard = stamped_guard(clock)
    ours = our_answer_to(guard, "vera@customer.example")
    bounce = (
        b"From: MAILER-DAEMON@mx.customer.example\nTo: help@example.org\n"
        b"Subject: failure notice\n\n"
        b"Hi. This is the qmail-send program at mx.customer.example.\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        b"<vera@customer.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        b"--- Below this line is a copy of the message.\n\n"
    ) + ours.as_bytes()
    assert guard.classifier.classify(bounce).bounce is not None
    guard.check(bounce, recipient=HELP)
    assert guard.check(mail(VICTIM), recipient=HELP).rule == "bounced-recipient"
