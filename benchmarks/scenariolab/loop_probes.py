"""Probes: other shapes of the other side of a loop, and of ourselves (rotating Reply-To,
a three-party ring, quoting, threading, spellings of one address, two triggers...)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import loopguard
from loopguard.testing import FakeClock

from .casesystem import CaseSystem, opening_message
from .core import DAY, HELP, HOP, Outcome, loop_scenario, never
from .desk import Desk, Recipe, desk_guard
from .loops import Party, broken, closed_loop, loop_outcome
from .mail import Mail
from .people import FIRST_NAMES, LAST_NAMES


def shaped_loop(
    stop_early: bool,
    seed: int,
    *,
    policy: loopguard.Policy | None = None,
    recipe: Recipe = "smtp",
    **shape: object,
) -> Outcome:
    """Our desk against a case system shaped by ``shape`` (CaseSystem's fields), rotating
    its return path, for a day."""
    clock, rng = FakeClock(), random.Random(seed)
    desk = Desk(desk_guard(clock, policy=policy), recipe=recipe)
    partner = CaseSystem(clock, rng, rotate_envelope=True, **shape)  # type: ignore[arg-type]
    first = partner.answer(opening_message(clock, rng, sender=HELP, to="cases@partner.example"))
    return closed_loop(clock, [desk, partner], first, counted=[desk], stop_early=stop_early)


@loop_scenario("reply-to-rotating")
def reply_to_rotating(stop_early: bool) -> Outcome:
    """From stays cases@, Reply-To is a new per-case mailbox (case-<n>@replies.) each time."""
    return shaped_loop(
        stop_early,
        31,
        sender_of=lambda case: "Partner Support <cases@partner.example>",
        reply_to_of=lambda case: f"case-{case}@replies.partner.example",
    )


@loop_scenario("from-rotating-reply-to-fixed")
def from_rotating_reply_to_fixed(stop_early: bool) -> Outcome:
    """From is a new mailbox per case (agent-<n>@, no separator), Reply-To stays cases@."""
    return shaped_loop(
        stop_early,
        32,
        sender_of=lambda case: f"Partner Agent <agent{case}@partner.example>",
        reply_to_of=lambda case: "cases@partner.example",
    )


@loop_scenario("reply-to-third-party")
def reply_to_third_party(stop_early: bool) -> Outcome:
    """Two partners' case systems each set Reply-To to the other's: our answers alternate
    between them and each answers us, a three-party ring (IMAP recipe)."""
    clock, rng = FakeClock(), random.Random(33)
    desk = Desk(desk_guard(clock), recipe="imap")
    vendor, reseller = "cases@vendor.example", "tickets@reseller.example"
    first_system = CaseSystem(clock, rng, domain="vendor.example", reply_to=reseller)
    second_system = CaseSystem(clock, rng, domain="reseller.example", reply_to=vendor)
    first_system.sender_of = lambda case: f"Vendor Support <{vendor}>"
    second_system.sender_of = lambda case: f"Reseller Desk <{reseller}>"
    second_system.reply_to_of = lambda case: vendor
    first_system.reply_to_of = lambda case: reseller
    opening = opening_message(clock, rng, sender=HELP, to=vendor)
    parties = [desk, second_system, desk, first_system]
    return closed_loop(
        clock, parties, first_system.answer(opening), counted=[desk], stop_early=stop_early
    )


@loop_scenario("quotes-our-message")
def quotes_our_message(stop_early: bool) -> Outcome:
    """The case system quotes our whole acknowledgement (its Message-ID and our token in
    the text, no References) and files each case under a new +tag."""
    return shaped_loop(stop_early, 34, rotate_tag=True, quoting=True)


@loop_scenario("references-mixed")
def references_mixed(stop_early: bool) -> Outcome:
    """The case system threads on its own notices: In-Reply-To its last, References its
    recent ones and ours; new +tag per case, IMAP recipe."""
    return shaped_loop(stop_early, 35, recipe="imap", rotate_tag=True, threading=True)


#: One address as relays and clients spell it: case, quotes, a root dot, the Unicode or
#: ASCII (IDNA) domain, a display name with a comment.
SPELLINGS = (
    "Soporte <soporte@b\u00fccher.example>",
    "SOPORTE@B\u00dcCHER.EXAMPLE",
    '"soporte"@xn--bcher-kva.example',
    "<Soporte@xn--bcher-kva.example.>",
    "soporte@b\u00fccher.example (Soporte)",
    "Soporte+Caso <soporte+caso@B\u00fccher.example>",
)


@loop_scenario("address-spellings")
def address_spellings(stop_early: bool) -> Outcome:
    """The case system's From is one address spelled six ways in turn (case, quotes, IDNA,
    root dot, comment, +tag), through relays that rewrite it."""
    return shaped_loop(
        stop_early, 36, domain="xn--bcher-kva.example", sender_of=lambda case: SPELLINGS[case % 6]
    )


@loop_scenario("from-unquoted-comma")
def from_unquoted_comma(stop_early: bool) -> Outcome:
    """The case system signs From with the case owner's "Last, First" unquoted (RFC 5322
    wants quotes; mail servers and clients reply to the <address> all the same), behind a
    new SES return path per message (aiosmtpd recipe)."""

    def owner(case: int) -> str:
        return f"{LAST_NAMES[case % 7]}, {FIRST_NAMES[case % 5]} <cases@partner.example>"

    return shaped_loop(stop_early, 37, sender_of=owner)


@loop_scenario("dash-tag-configured")
def dash_tag_configured(stop_early: bool) -> Outcome:
    """A qmail-style case system (From: cases-<n>@) against a desk that declares "-" as a
    sub-address separator, as docs/guard.md advises."""
    policy = loopguard.Policy(subaddress_separators="+-")
    sender = "Partner Support <cases-{}@partner.example>".format
    return shaped_loop(stop_early, 38, policy=policy, sender_of=sender)


@loop_scenario("noreply-outbound")
def noreply_outbound(stop_early: bool) -> Outcome:
    """We answer from noreply@ (declared ours); the case system answers it, and our server
    delivers noreply@ into the desk's mailbox too (IMAP recipe, no recipient passed)."""
    clock, rng = FakeClock(), random.Random(39)
    noreply = "noreply@desk.example"
    guard = desk_guard(clock, own=(HELP, noreply))
    desk = Desk(guard, recipe="imap", pass_recipient=False, sends_from=noreply)
    partner = CaseSystem(clock, rng, rotate_tag=True)
    first = partner.answer(opening_message(clock, rng, sender=HELP, to="cases@partner.example"))
    return closed_loop(clock, [desk, partner], first, counted=[desk], stop_early=stop_early)


#: A partner answers every message in flight; more than this many at once is a mail
#: storm no real system keeps up (the lab's bound, not the guard's).
IN_FLIGHT = 64


def fan_out(
    desks: Sequence[Desk], partner: Party, first: Mail, clock: FakeClock, until: Callable[[], bool]
) -> bool:
    """Every message of the partner reaches every desk (one trigger each); the partner
    answers each of our answers. True when ``until()`` stopped it early."""
    end, incoming = clock.now + DAY, [first]
    while incoming and clock.now < end:
        if until():
            return True
        answers = [ack for mail in incoming for desk in desks if (ack := desk.answer(mail))]
        clock.advance(HOP)
        incoming = [mail for ack in answers[:IN_FLIGHT] if (mail := partner.answer(ack))]
        clock.advance(HOP)
    return False


@loop_scenario("two-triggers")
def two_triggers(stop_early: bool) -> Outcome:
    """Two of our triggers (acknowledge, ticket-updated) answer each message of the case
    system, which answers both: the loop doubles every round."""
    clock, rng = FakeClock(), random.Random(40)
    guard = desk_guard(clock)
    desks = [Desk(guard), Desk(guard, trigger="ticket-updated")]
    partner = CaseSystem(clock, rng, rotate_envelope=True)
    first = partner.answer(opening_message(clock, rng, sender=HELP, to="cases@partner.example"))
    stopped = fan_out(desks, partner, first, clock, broken(desks) if stop_early else never)
    return loop_outcome(desks, stopped=stopped)
