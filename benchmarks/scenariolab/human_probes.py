"""Probes: people who share an address or change theirs (colleagues at a free-mail
domain, a new ``+tag`` each time, a hosted form service, a family's shared Reply-To, a
shared mailbox that sends on behalf of its buyers)."""

from __future__ import annotations

import loopguard

from .core import HELP, HOUR, OFFICE_HOURS, Outcome, human_scenario
from .people import Chatter, Person
from .replay import human_flow, office_time
from .threads import Event, Thread, writes


def freemail_colleagues(writer: Chatter, rounds: int = 12) -> list[Event]:
    """A customer and her colleague, both at gmail.com, answer each other and us in one
    thread, the other in copy, a message every 3-8 minutes for an hour."""
    first, second = writer.person("gmail.com"), writer.person("gmail.com")
    thread, at = Thread(writer.subject(), writer.rng), HOUR
    events = [writes(thread, first, writer.problem(first), at, cc=[second])]
    for n in range(rounds):
        author, other = (second, first) if n % 2 == 0 else (first, second)
        at += writer.rng.uniform(3, 8) * 60
        events.append(writes(thread, author, writer.follow_up(author), at, cc=[other]))
    return events


def tagged_customer(writer: Chatter, messages: int = 30) -> list[Event]:
    """One customer writes 30 times in a day, every message from a new +tag."""
    customer, events = writer.customer(), []
    local, _, domain = customer.address.partition("@")
    at = writer.rng.uniform(0, 1) * HOUR
    for n in range(messages):
        tagged = Person(customer.name, f"{local}+desk{n}@{domain}")
        text = writer.problem(customer)
        events.append(
            writes(Thread(writer.subject(), writer.rng), tagged, text, at, on_behalf_of=customer)
        )
        at += (4 + writer.rng.expovariate(1 / 20)) * 60
    return events


FORM_RELAY = Person("Formrelay", "forms@formrelay.example")


def relayed_form(writer: Chatter, visitor: Person, at: float) -> Event:
    """One submission through a hosted form service: From the service, Reply-To the
    visitor (the service cannot send From the visitor's domain under DMARC)."""
    text = (
        f"New submission on desk.example/contact\n\nName: {visitor.name}\n"
        f"Email: {visitor.address}\nMessage:\n{writer.problem(visitor)}\n"
    )
    thread = Thread(f"New submission: {writer.subject()}", writer.rng)
    extra = [("Reply-To", visitor.header())]
    return writes(thread, FORM_RELAY, text, at, extra=extra, on_behalf_of=visitor)


def form_relay(writer: Chatter, visitors: int = 60, repeats: int = 20) -> list[Event]:
    """60 visitors through a hosted form service over the day, and one visitor who uses
    the form 20 times (a reseller placing orders)."""
    events = [
        relayed_form(writer, writer.customer(), office_time(writer.rng)) for _ in range(visitors)
    ]
    regular = writer.customer()
    events += [relayed_form(writer, regular, n * OFFICE_HOURS / repeats) for n in range(repeats)]
    return events


def family_account(writer: Chatter) -> list[Event]:
    """Two members of a family write from their own gmail.com addresses, both with
    Reply-To the family's shared address, about their orders: 5 messages each."""
    family = writer.person("gmail.com")
    members = [writer.person("gmail.com"), writer.person("gmail.com")]
    events = []
    for member in members:
        thread, at = Thread(writer.subject(), writer.rng), office_time(writer.rng)
        for n in range(5):
            text = writer.problem(member) if n == 0 else writer.follow_up(member)
            extra = [("Reply-To", family.header())]
            events.append(writes(thread, member, text, at, extra=extra, on_behalf_of=member))
            at += writer.rng.uniform(15, 90) * 60
    return events


def shared_mailbox(writer: Chatter, buyers: int = 8, orders: int = 6) -> list[Event]:
    """A reseller's 8 buyers write from the shared orders@ mailbox (Exchange "send on
    behalf": From the mailbox, Sender the buyer), 6 orders each over the day."""
    mailbox = Person("Reseller Orders", "orders@reseller.example")
    events = []
    for _ in range(buyers):
        buyer = writer.person("reseller.example")
        for _ in range(orders):
            extra = [("Sender", buyer.header())]
            thread, at = Thread(writer.subject(), writer.rng), office_time(writer.rng)
            text = writer.problem(buyer)
            events.append(writes(thread, mailbox, text, at, extra=extra, on_behalf_of=buyer))
    return events


@human_scenario("freemail-colleagues")
def freemail_colleagues_answered() -> Outcome:
    """Two colleagues at gmail.com in one thread, each in the other's copy, every few minutes."""
    return human_flow(freemail_colleagues)


@human_scenario("customer-new-tag-each-time")
def customer_new_tag_each_time() -> Outcome:
    """One customer writes 30 times in a day, each message from a new +tag."""
    return human_flow(tagged_customer)


@human_scenario("form-relay-service")
def form_relay_service() -> Outcome:
    """80 submissions through a hosted form service (From the service, Reply-To the
    visitor), 20 of them from one visitor."""
    return human_flow(form_relay)


@human_scenario("form-relay-declared")
def form_relay_declared() -> Outcome:
    """The same, with the form service's From among our own_addresses: each submission is
    then a contact form, judged by its visitor."""
    return human_flow(form_relay, own=(HELP, FORM_RELAY.address))


@human_scenario("family-reply-to")
def family_reply_to() -> Outcome:
    """Two family members, their own From, one shared Reply-To, 5 messages each."""
    return human_flow(family_account)


@human_scenario("shared-mailbox-team")
def shared_mailbox_team() -> Outcome:
    """8 buyers send 48 orders in a day from one shared mailbox (send on behalf)."""
    return human_flow(shared_mailbox)


@human_scenario("shared-mailbox-declared")
def shared_mailbox_declared() -> Outcome:
    """The same, with the mailbox in Policy(shared_mailboxes=...): counted per buyer."""
    policy = loopguard.Policy(shared_mailboxes=frozenset({"orders@reseller.example"}))
    return human_flow(shared_mailbox, policy=policy)
