"""The scenario lab: one simulated day of mail per scenario, and what the guard let through.

Each scenario builds a :class:`loopguard.Guard` the way a help desk following
docs/recipes.md does (our address ``help@desk.example``, a secret, the default limits and
policy unless the scenario is about a setting, every acknowledgement stamped), writes the
other side's mail message by message as real bytes, moves a
:class:`loopguard.testing.FakeClock` through the day and counts what the guard allowed:

- a **loop** is a closed system: every acknowledgement the guard allows produces the next
  incoming message, one round a minute. The number is acknowledgements sent in 24 h; issue
  12 promises at most 10, the first rung of the default ladder;
- a **human** flow counts the people who wrote and how many of their messages were
  answered; the promise is all of them.

Every loop also runs against a guard whose classifier reads headers only
(``Classifier(text_heuristics=False, body_rules=())``), in the row ``NAME/headers-only``: the
partner's case system then reads as a person, as a responder with other words would, and
only the guard's own defences (who is counted, reservation, the ladder) cut the loop. The
promises hold on both.

Usage: ``python benchmarks/scenarios.py [--fast] [--only NAME ...] [--json]``. ``--fast``
runs the subset CI runs and stops a loop as soon as it has broken its promise (the count
only grows during the day, so the verdict cannot change). The lab uses only the public API
(``import loopguard``, ``loopguard.testing``), so it keeps measuring whatever the package's
internal layout. A scenario calling an API the guard does not have yet is reported as
"n/a (feature missing)" and fails; nothing stops the run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import loopguard
from loopguard.testing import FakeClock

# Run as a script, Python puts this folder first on the path; loaded by path (the tests), not.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from scenariolab import loop_probes, loops  # noqa: F401 (registers their scenarios first)
from scenariolab.casesystem import CaseSystem, opening_message
from scenariolab.core import (
    BLIND,  # noqa: F401 (the tests read it here)
    EPOCH,
    HELP,
    HOUR,
    KNOWN_BROKEN,
    OFFICE_HOURS,
    PROMISES,
    SCENARIOS,
    TRIGGER,
    Outcome,
    Row,
    Scenario,  # noqa: F401 (the tests read it here)
    fast_names,
    human_scenario,
    loop_scenario,
    never,
    new_api,
    run_scenario,
)
from scenariolab.desk import Desk, desk_guard
from scenariolab.loops import broken
from scenariolab.mail import Mail, compose, date_at, header, headers_of, new_message_id, text_of
from scenariolab.people import AGENTS, COMPANY_DOMAINS, Chatter, Person


def quote(text: str, author: str) -> str:
    lines = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"\n\n{author} wrote:\n{lines}\n"


@dataclass
class Thread:
    """One conversation as the desk's mailbox sees it: what the next message cites and
    quotes (the previous message, often our stamped acknowledgement)."""

    subject: str
    rng: random.Random
    agent: str = "Maria"
    references: list[str] = field(default_factory=list)
    last_text: str = ""
    last_author: str = ""
    last_ack: Mail | None = None

    def write(
        self,
        author: Person,
        text: str,
        at: float,
        *,
        cc: Sequence[Person] = (),
        to: str = HELP,
        extra: Sequence[tuple[str, str]] = (),
        envelope: str | None = None,
    ) -> Mail:
        """``author``'s message in this thread, replying to the last one if there is one."""
        message_id = new_message_id(self.rng, author.domain)
        replying = bool(self.references)
        headers = [("From", author.header()), ("To", to)]
        if cc:
            headers.append(("Cc", ", ".join(person.header() for person in cc)))
        headers += [
            ("Subject", f"Re: {self.subject}" if replying else self.subject),
            ("Date", date_at(EPOCH + at)),
            ("Message-ID", message_id),
        ]
        if replying:
            headers.append(("In-Reply-To", self.references[-1]))
            headers.append(("References", " ".join(self.cited())))
        body = text + (quote(self.last_text, self.last_author) if replying else "")
        self.remember(message_id, text, author.name)
        return Mail(compose([*headers, *extra], body), envelope or author.address)

    def agent_reply(self, customer: Person, writer: Chatter) -> None:
        """An agent answers by hand: outgoing mail, which the guard never sees."""
        text = writer.agent_answer(customer, self.agent)
        self.remember(new_message_id(self.rng, "desk.example"), text, f"{self.agent}, Help Desk")

    def answered(self, ack: Mail | None) -> None:
        """Our acknowledgement joins the thread; the next reply cites and quotes it."""
        if ack is None:
            return
        self.last_ack = ack
        headers = headers_of(ack.raw)
        self.subject = header(headers, "Subject")
        self.remember(header(headers, "Message-ID"), text_of(ack.raw), "Help Desk")

    def cited(self) -> list[str]:
        # Mail clients keep the root and the newest ids when References grows long.
        return [self.references[0], *self.references[1:][-9:]]

    def remember(self, message_id: str, text: str, author: str) -> None:
        self.references.append(message_id)
        self.last_text, self.last_author = text, author


@dataclass(frozen=True)
class Event:
    """Something that happens ``at`` seconds into the day: a message reaching the desk,
    rendered by ``write`` only then (it may cite what came before), or an agent's reply
    (``write`` returns None)."""

    at: float
    write: Callable[[], Mail | None]
    person: str | None = None  # whose answers count; None for attackers and agents
    thread: Thread | None = None


def writes(
    thread: Thread,
    author: Person,
    text: str,
    at: float,
    *,
    counted: bool = True,
    cc: Sequence[Person] = (),
    to: str = HELP,
    extra: Sequence[tuple[str, str]] = (),
    envelope: str | None = None,
    on_behalf_of: Person | None = None,
) -> Event:
    """The event of ``author`` writing ``text`` in ``thread``. The answer is counted for
    ``on_behalf_of`` when somebody else writes for that person (a contact form)."""
    write = functools.partial(
        thread.write, author, text, at, cc=cc, to=to, extra=extra, envelope=envelope
    )
    person = (on_behalf_of or author).address if counted else None
    return Event(at, write, person, thread)


def agent_replies(thread: Thread, customer: Person, at: float, writer: Chatter) -> Event:
    return Event(at, functools.partial(thread.agent_reply, customer, writer))


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


# -- the realistic human mailbox -----------------------------------------------------------


def support_case(
    writer: Chatter, customer: Person, at: float, footer: str = "", ack_replies: float = 0.1
) -> list[Event]:
    """One customer's ticket: the question, sometimes (``ack_replies``) an addition to our
    acknowledgement, then rounds of an agent's answer and the customer's reply (a
    follow-up or thanks)."""
    rng = writer.rng
    thread = Thread(writer.subject(), rng, agent=rng.choice(AGENTS))
    events = [writes(thread, customer, writer.problem(customer) + footer, at)]
    if rng.random() < ack_replies:  # "I forgot to mention": a reply to our acknowledgement
        at += rng.uniform(2, 15) * 60
        events.append(writes(thread, customer, writer.follow_up(customer) + footer, at))
    for _ in range(rng.choice((0, 1, 1, 1, 2))):
        at += rng.uniform(15, 240) * 60
        events.append(agent_replies(thread, customer, at, writer))
        if rng.random() < 0.4:  # the agent's answer settled it
            break
        at += rng.uniform(10, 120) * 60
        thanked = rng.random() < 0.5
        text = writer.thanks(customer, thread.agent) if thanked else writer.follow_up(customer)
        events.append(writes(thread, customer, text + footer, at))
    return events


def ordinary_customers(writer: Chatter, customers: int = 1_000) -> list[Event]:
    """1,000 distinct customers in office hours; agents answer, many write back."""
    events: list[Event] = []
    for _ in range(customers):
        events += support_case(writer, writer.customer(), office_time(writer.rng))
    return events


def team_threads(writer: Chatter, threads: int = 12) -> list[Event]:
    """Long threads with several participants: a customer's team and an outside consultant
    answer all, the desk in copy, in quick bursts and quiet hours, agents in between."""
    rng, events = writer.rng, []
    for _ in range(threads):
        company = rng.choice(COMPANY_DOMAINS)
        team = [writer.person(company) for _ in range(rng.randint(3, 5))]
        team.append(writer.person(rng.choice(COMPANY_DOMAINS)))
        thread = Thread(writer.subject(), rng, agent=rng.choice(AGENTS))
        at, author = rng.uniform(0, 3) * HOUR, team[0]
        events.append(writes(thread, author, writer.problem(author), at, cc=team[1:]))
        for _ in range(rng.randint(25, 35)):
            at += (rng.uniform(1, 4) if rng.random() < 0.4 else rng.uniform(10, 45)) * 60
            if rng.random() < 0.25:
                events.append(agent_replies(thread, team[0], at, writer))
                continue
            author = rng.choice([person for person in team if person != author])
            others = [person for person in team if person != author]
            events.append(writes(thread, author, writer.follow_up(author), at, cc=others))
    return events


def busy_customer(writer: Chatter, messages: int = 30) -> list[Event]:
    """One customer writing 30 times in a day, in three tickets."""
    rng, customer = writer.rng, writer.customer()
    threads = [Thread(writer.subject(), rng) for _ in range(3)]
    at, events = rng.uniform(0, 1) * HOUR, []
    for _ in range(messages):
        thread = rng.choice(threads)
        text = writer.follow_up(customer) if thread.references else writer.problem(customer)
        events.append(writes(thread, customer, text, at))
        at += (4 + rng.expovariate(1 / 20)) * 60  # minutes; nobody writes faster than that
    return events


DISCLAIMER = (
    "\n--\nBigcorp AG | Example Street 1 | 8000 Example City\n"
    "This e-mail may contain confidential information. If you are not the intended\n"
    "recipient, please notify the sender and delete it.\n"
)


def company_domain(writer: Chatter, employees: int = 200) -> list[Event]:
    """200 employees of one company write in over a working day, each mail with the
    company's footer; half of them answer our acknowledgement (a screenshot, "I forgot to
    mention"), agents answer and some write back."""
    events: list[Event] = []
    for _ in range(employees):
        employee = writer.person("bigcorp.example")
        at = office_time(writer.rng, 10 * HOUR)
        events += support_case(writer, employee, at, DISCLAIMER, ack_replies=0.5)
    return events


def whole_mailbox(writer: Chatter) -> list[Event]:
    return [
        *ordinary_customers(writer),
        *team_threads(writer),
        *busy_customer(writer),
        *company_domain(writer),
    ]


@human_scenario("ordinary-1000-customers", fast=False)
def ordinary_traffic() -> Outcome:
    """1,000 distinct customers, additions to our acknowledgements, agents' replies and
    the customers' answers to them."""
    return human_flow(ordinary_customers)


@human_scenario("long-threads")
def long_threads() -> Outcome:
    """12 threads of 4-6 participants answering all through the day, agents in between."""
    return human_flow(team_threads)


@human_scenario("customer-30-a-day")
def customer_30_a_day() -> Outcome:
    """One customer writes 30 times in a day."""
    return human_flow(busy_customer)


@human_scenario("company-200-employees")
def company_200_employees() -> Outcome:
    """200 employees of one company domain write in; half answer our acknowledgement."""
    return human_flow(company_domain)


@human_scenario("realistic-mailbox", fast=False)
def realistic_mailbox() -> Outcome:
    """All of the above in one mailbox, on one guard, the same day."""
    return human_flow(whole_mailbox)


# -- people the guard fails today ----------------------------------------------------------

PREFILLED = (
    "Hello,\n\nI would like to report a problem with the Example app.\n\n"
    "What happened:\n\nWhat I expected:\n\nApp version 5.2.1 (Android 14)\n"
)
LIST_ADDRESS = "support@desk.example"
LIST_ID = "support.desk.example"


def prefilled_report(writer: Chatter) -> list[Event]:
    """15 gmail.com users send the app's pre-filled "report a problem" text in an hour."""
    events = []
    for n in range(15):
        user = writer.person("gmail.com")
        events.append(writes(Thread("Problem report", writer.rng), user, PREFILLED, HOUR + n * 240))
    return events


def contact_form(writer: Chatter, visitors: int = 60) -> list[Event]:
    """The website's form sends From our address with the visitor in Reply-To, as SPF and
    DMARC alignment require (Contact Form 7's defaults, its footer included)."""
    site = Person("Desk Example Website", HELP)
    events = []
    for _ in range(visitors):
        visitor = writer.customer()
        text = (
            f"Name: {visitor.name}\nEmail: {visitor.address}\n\nMessage:\n"
            f"{writer.problem(visitor)}\n--\n"
            "This e-mail was sent from a contact form on Desk Example (https://desk.example)\n"
        )
        thread = Thread(f"Contact form: {writer.subject()}", writer.rng)
        events.append(
            writes(
                thread,
                site,
                text,
                office_time(writer.rng),
                extra=[("Reply-To", visitor.header())],
                envelope="wordpress@desk.example",
                on_behalf_of=visitor,
            )
        )
    return events


def list_alias(writer: Chatter, customers: int = 100) -> list[Event]:
    """Customers write to our Google Group support@, which relays each message to the desk's
    mailbox with its list headers and its own return path."""
    events = []
    for _ in range(customers):
        customer = writer.customer()
        relay = [
            ("List-Id", f"<{LIST_ID}>"),
            ("Mailing-list", f"list {LIST_ADDRESS}; contact support+owners@desk.example"),
            ("List-Post", f"<mailto:{LIST_ADDRESS}>"),
            ("List-Help", "<mailto:support+help@desk.example>"),
            ("List-Unsubscribe", "<mailto:support+unsubscribe@desk.example>"),
            ("Precedence", "list"),
            ("X-Original-Sender", customer.address),
        ]
        envelope = f"support+bnc{writer.rng.getrandbits(64):016x}@desk.example"
        thread, text = Thread(writer.subject(), writer.rng), writer.problem(customer)
        at = office_time(writer.rng)
        events.append(
            writes(thread, customer, text, at, to=LIST_ADDRESS, extra=relay, envelope=envelope)
        )
    return events


@human_scenario("prefilled-freemail")
def prefilled_freemail() -> Outcome:
    """15 different gmail.com users send the same pre-filled text."""
    return human_flow(prefilled_report)


@human_scenario("contact-form")
def contact_form_visitors() -> Outcome:
    """60 visitors through the website form: From help@desk.example, Reply-To visitor."""
    return human_flow(contact_form)


@human_scenario("list-alias")
def list_alias_customers() -> Outcome:
    """100 customers reach the desk through our own list alias, declared in own_list_ids."""
    policy = new_api(lambda: loopguard.Policy(own_list_ids=[LIST_ID]))  # type: ignore[call-arg]
    return human_flow(list_alias, policy=policy, own=(HELP, LIST_ADDRESS))


# -- probes: people who share an address, or change theirs ----------------------------------


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


# -- forged mail against a customer --------------------------------------------------------


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


# -- abuse through the desk: a mail bomb, concurrent workers --------------------------------

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


WORKERS = 16
#: A guard that serialises dispatching keeps the other workers out of the block; the
#: barrier then gives up instead of waiting forever.
BARRIER_TIMEOUT = 2.0


def looping_burst(count: int) -> list[Mail]:
    """``count`` messages of one looping pair: the case system with constant addresses."""
    clock, rng = FakeClock(), random.Random(17)
    partner = CaseSystem(clock, rng)
    seed = opening_message(clock, rng, sender=HELP, to="cases@partner.example")
    return [partner.answer(seed) for _ in range(count)]


def dispatch_concurrently(guards: Sequence[loopguard.Guard], burst: Sequence[Mail]) -> int:
    """Acknowledgements sent by one worker per message, all inside ``dispatching`` at once
    (the Celery recipe): each decides on entry, waits for the others, then sends."""
    barrier = threading.Barrier(len(burst))

    def worker(guard: loopguard.Guard, mail: Mail) -> bool:
        with guard.dispatching(mail.raw, recipient=HELP, trigger=TRIGGER) as decision:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(BARRIER_TIMEOUT)
            return decision.allowed

    with concurrent.futures.ThreadPoolExecutor(len(burst)) as pool:
        return sum(pool.map(worker, guards, burst))


def concurrency_outcome(sent: int, burst: Sequence[Mail]) -> Outcome:
    """Against what check() sends for the same burst, one message after the other."""
    guard = desk_guard(FakeClock())
    limit = sum(guard.check(mail.raw, recipient=HELP, trigger=TRIGGER).allowed for mail in burst)
    return Outcome(f"{sent}/{len(burst)} sent", sent, f"== {limit} (as check())", sent == limit)


@loop_scenario("dispatching-16-memory")
def dispatching_memory(stop_early: bool) -> Outcome:
    """16 worker threads share one guard on a MemoryStore; a burst of 16 from one pair."""
    burst = looping_burst(WORKERS)
    guard = desk_guard(FakeClock())
    return concurrency_outcome(dispatch_concurrently([guard] * WORKERS, burst), burst)


@loop_scenario("dispatching-16-sqlite")
def dispatching_sqlite(stop_early: bool) -> Outcome:
    """16 workers, each with its own guard on one SQLite file, as 16 processes would."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rates.db"
        return dispatching_on(lambda: loopguard.SQLiteStore(path))


def dispatching_on(
    store: Callable[[], loopguard.MemoryStore | loopguard.SQLiteStore | loopguard.RedisStore],
) -> Outcome:
    """16 workers, each with its own guard and its own connection to one shared store."""
    burst, clock = looping_burst(WORKERS), FakeClock()
    guards = [desk_guard(clock, store=store()) for _ in burst]
    try:
        sent = dispatch_concurrently(guards, burst)
    finally:
        for guard in guards:
            guard.close()
    return concurrency_outcome(sent, burst)


def dispatching_redis(url: str) -> Outcome:
    """16 workers, each with its own guard and client on one Redis (or Redis Cluster)
    server, under a key prefix of their own that is deleted afterwards."""
    separator = "&" if "?" in url else "?"
    prefixed = f"{url}{separator}prefix=lglab-{uuid.uuid4().hex[:12]}"
    outcome = dispatching_on(lambda: loopguard.RedisStore.from_url(prefixed))
    cleaner = loopguard.RedisStore.from_url(prefixed)
    with contextlib.closing(cleaner):
        client = cleaner.client
        keys = list(client.scan_iter(match=f"{cleaner.prefix}:*"))
        for key in keys:  # one by one: in a cluster each key may live on another node
            client.delete(key)
    return outcome


# The Redis rows run where a server is given, as in CI (.ci/run starts both).
if os.environ.get("LOOPGUARD_TEST_REDIS_URL"):

    @loop_scenario("dispatching-16-redis")
    def dispatching_redis_standalone(stop_early: bool) -> Outcome:
        """16 workers, each with its own guard and client on one Redis server."""
        return dispatching_redis(os.environ["LOOPGUARD_TEST_REDIS_URL"])


if os.environ.get("LOOPGUARD_TEST_REDIS_CLUSTER_URL"):

    @loop_scenario("dispatching-16-redis-cluster")
    def dispatching_redis_cluster(stop_early: bool) -> Outcome:
        """The same on a Redis Cluster: the keys of one decision live in several slots."""
        url = os.environ["LOOPGUARD_TEST_REDIS_CLUSTER_URL"]
        return dispatching_redis(url + ("&" if "?" in url else "?") + "cluster=yes")


# -- the table -----------------------------------------------------------------------------


def run(names: Iterable[str], *, stop_early: bool = False) -> list[Row]:
    return [run_scenario(SCENARIOS[name], stop_early=stop_early) for name in names]


def table(rows: Sequence[Row]) -> str:
    """One aligned table: scenario, kind, measured, promise, verdict, seconds, what decided."""
    header_row = ("scenario", "kind", "measured", "promise", "result", "s", "note")
    lines = [header_row] + [
        (
            row.name,
            row.kind,
            row.measured,
            row.promise,
            verdict(row),
            f"{row.seconds:.1f}",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header_row))]
    seconds = header_row.index("s")
    rendered = [
        "  ".join(
            cell.rjust(width) if column == seconds else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    kept = sum(row.passed for row in rows)
    known = sum(not row.passed and row.name in KNOWN_BROKEN for row in rows)
    broken_note = f" ({known} known broken)" if known else ""
    return "\n".join([*rendered, "", f"{kept}/{len(rows)} promises kept{broken_note}"])


def verdict(row: Row) -> str:
    """pass, FAIL, or BROKEN (known) for a listed row that fails (a listed row that
    passes says so: take it off the list)."""
    if row.name not in KNOWN_BROKEN:
        return "pass" if row.passed else "FAIL"
    return "pass (listed as broken)" if row.passed else "BROKEN (known)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="the subset CI runs")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), metavar="NAME")
    parser.add_argument("--json", action="store_true", help="rows as JSON")
    args = parser.parse_args(argv)
    names = args.only or (fast_names() if args.fast else list(SCENARIOS))
    started = time.perf_counter()
    rows = run(names, stop_early=args.fast)
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        print(table(rows))
        print(f"{len(rows)} scenarios in {time.perf_counter() - started:.1f} s")
    # A crashed scenario is a broken lab, not a measurement.
    return 1 if any(row.measured.startswith("error") for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
