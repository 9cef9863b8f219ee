"""Attacks through the desk: forged mail meant to silence a customer (a forged DSN, one
with our own token pasted in, forged References) and a mail bomb aimed at a victim."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import loopguard

from .core import EPOCH, HELP, HOUR, Outcome, human_scenario, loop_scenario
from .loops import broken
from .mail import Mail, compose, date_at
from .people import Chatter, Person
from .replay import human_flow, replayed
from .threads import Event, Thread, writes


def forged_dsn(victim: Person, forger: Person, at: float, returned: str = "") -> Mail:
    """A delivery report anybody can write, naming ``victim`` as failed permanently;
    ``returned`` is the header block it claims to return."""
    boundary = "report-boundary"
    parts = [
        ("text/plain", "Your message could not be delivered to one or more recipients.\n"),
        (
            "message/delivery-status",
            f"Reporting-MTA: dns; mx.{forger.domain}\n\n"
            f"Final-Recipient: rfc822; {victim.address}\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n",
        ),
    ]
    if returned:
        parts.append(("text/rfc822-headers", returned))
    body = "".join(f"--{boundary}\nContent-Type: {kind}\n\n{text}\n" for kind, text in parts)
    headers = [
        ("From", forger.header()),
        ("To", HELP),
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("Date", date_at(EPOCH + at)),
        ("Message-ID", f"<dsn.{int(at)}@{forger.domain}>"),
    ]
    report = f'multipart/report; report-type=delivery-status; boundary="{boundary}"'
    return Mail(compose(headers, body + f"--{boundary}--\n", content_type=report), forger.address)


def returned_headers(thread: Thread) -> str:
    """The header block of our acknowledgement in ``thread``, as a bounce returns it."""
    assert thread.last_ack is not None, "the attacker's ticket was not acknowledged"
    return thread.last_ack.raw.split(b"\r\n\r\n", 1)[0].decode().replace("\r\n", "\n")


def victim_writes(writer: Chatter, victim: Person, hours: Sequence[float]) -> list[Event]:
    """The victim's own ticket: the question, then follow-ups, ``hours`` into the day."""
    thread = Thread(writer.subject(), writer.rng)
    texts = [writer.problem(victim)] + [writer.follow_up(victim) for _ in hours[1:]]
    return [writes(thread, victim, text, at * HOUR) for text, at in zip(texts, hours, strict=True)]


def forged_dsn_attack(writer: Chatter) -> list[Event]:
    """One forged DSN from a throwaway address (not even a mail system) names a customer."""
    victim, forger = writer.customer(), writer.stranger()
    dsn = Event(2 * HOUR, functools.partial(forged_dsn, victim, forger, 2 * HOUR))
    return [*victim_writes(writer, victim, (1, 3, 6, 9)), dsn]


def stamped_dsn_attack(writer: Chatter) -> list[Event]:
    """The attacker writes one ticket, then pastes our acknowledgement's headers (with its
    loop token) into a forged DSN naming the victim."""
    victim, attacker = writer.customer(), writer.stranger()
    ticket = Thread(writer.subject(), writer.rng)
    opening = writes(ticket, attacker, writer.problem(attacker), 1.5 * HOUR, counted=False)

    def forge() -> Mail:
        return forged_dsn(victim, attacker, 2 * HOUR, returned_headers(ticket))

    return [*victim_writes(writer, victim, (1, 3, 6, 9)), opening, Event(2 * HOUR, forge)]


def forged_references_attack(writer: Chatter) -> list[Event]:
    """10 messages from throwaway addresses cite a customer's thread root in References,
    while the customer is in a live exchange: their reply six minutes later, and more."""
    victim = writer.customer()
    events = victim_writes(writer, victim, (1, 1.6, 4, 8))
    thread = events[0].thread
    assert thread is not None

    def forge(stranger: Person, text: str, at: float) -> Mail:
        root = thread.references[0]  # public: the first id of every reply's References
        return Thread(thread.subject, writer.rng, references=[root]).write(stranger, text, at)

    for n in range(10):
        stranger, at = writer.stranger(), 1.5 * HOUR + n * 12
        events.append(Event(at, functools.partial(forge, stranger, writer.problem(stranger), at)))
    return events


@human_scenario("forged-dsn")
def forged_dsn_any() -> Outcome:
    """A forged DSN names a customer, default policy: the customer is still answered."""
    return human_flow(forged_dsn_attack)


@human_scenario("forged-dsn-stamped")
def forged_dsn_stamped() -> Outcome:
    """The same with learn_bounces="stamped" and our own token pasted into the DSN."""
    return human_flow(stamped_dsn_attack, policy=loopguard.Policy(learn_bounces="stamped"))


@human_scenario("forged-references")
def forged_references() -> Outcome:
    """Throwaway senders cite a customer's thread root; the customer is still answered."""
    return human_flow(forged_references_attack)


# -- abuse through the desk: a mail bomb ---------------------------------------------------

VICTIM = Person("Vera Victim", "vera@victim.example")


def bomb(writer: Chatter, *, through_us: bool, messages: int = 600) -> list[Event]:
    """600 messages in an hour with random text: from random senders with Reply-To the
    victim, or (``through_us=False``) from the victim herself, for comparison."""
    events = []
    for n in range(messages):
        sender = writer.stranger() if through_us else VICTIM
        reply_to = [("Reply-To", VICTIM.header())] if through_us else []
        thread, at = Thread(writer.subject(), writer.rng), n * HOUR / messages
        text = writer.problem(sender)
        events.append(writes(thread, sender, text, at, extra=reply_to, on_behalf_of=VICTIM))
    return events


@loop_scenario("mail-bomb")
def mail_bomb(stop_early: bool) -> Outcome:
    """600 messages in an hour, random From and text, all Reply-To the victim: answered no
    more often than if the victim had written them."""
    as_if_victim, _ = replayed(functools.partial(bomb, through_us=False))
    cap = as_if_victim.answered[VICTIM.address]
    until = (lambda desk: broken([desk], cap)) if stop_early else None
    bombed, desk = replayed(functools.partial(bomb, through_us=True), until=until)
    acks = bombed.answered[VICTIM.address]
    note = "cut by " + ", ".join(desk.suppressed) if desk.suppressed else "never cut"
    measured = f"> {cap} (stopped early)" if until and acks > cap else f"{acks:,}/600 answered"
    return Outcome(measured, acks, f"<= {cap} (as if the victim wrote)", acks <= cap, note)
