"""The human rows of issue 12: a realistic mailbox (ordinary customers, long threads, a
busy customer, one company's employees, all of them at once) and the people the guard
failed before it (a pre-filled report, a contact form, our own list alias)."""

from __future__ import annotations

import loopguard

from .core import HELP, HOUR, Outcome, human_scenario, new_api
from .people import AGENTS, COMPANY_DOMAINS, Chatter, Person
from .replay import human_flow, office_time
from .threads import Event, Thread, agent_replies, writes


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
