"""Loops as closed systems, and the loops of issue 12's table: our desk against the
partner's case system (rotating envelope, rotating ``+tag``, no recipient), against our own
address, and against another loopguard desk."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol

from loopguard.testing import FakeClock

from .casesystem import CaseSystem, opening_message
from .core import DAY, HELP, HOP, LOOP_PROMISE, PROMISES, Outcome, loop_scenario, never
from .desk import Desk, Recipe, desk_guard
from .mail import Mail


class Party(Protocol):
    def answer(self, mail: Mail) -> Mail | None: ...


def run_loop(
    parties: Sequence[Party], first: Mail, clock: FakeClock, *, until: Callable[[], bool]
) -> bool:
    """Hand each answer to the next party, HOP seconds later, until one stays silent or the
    day is over: the loop as a closed system. True when ``until()`` stopped it early."""
    end = clock.now + DAY
    mail: Mail | None = first
    turn = 0
    while mail is not None and clock.now < end:
        if until():
            return True
        mail = parties[turn % len(parties)].answer(mail)
        turn += 1
        clock.advance(HOP)
    return False


def broken(desks: Sequence[Desk], limit: int = LOOP_PROMISE) -> Callable[[], bool]:
    """Whether ``desks`` together sent more than ``limit``: the promise cannot be kept."""
    return lambda: sum(desk.acks for desk in desks) > limit


def loop_outcome(desks: Sequence[Desk], *, stopped: bool) -> Outcome:
    acks = sum(desk.acks for desk in desks)
    rules = sum((desk.suppressed for desk in desks), Counter[str]())
    note = "cut by " + ", ".join(rules) if rules else "never cut"
    measured = f"> {LOOP_PROMISE} (stopped early)" if stopped else f"{acks:,} acks/24h"
    return Outcome(measured, acks, PROMISES["loop"], acks <= LOOP_PROMISE, note)


def closed_loop(
    clock: FakeClock,
    parties: Sequence[Party],
    first: Mail,
    *,
    counted: Sequence[Desk],
    stop_early: bool,
) -> Outcome:
    """Run the loop between ``parties`` for a day; count the acknowledgements of ``counted``."""
    stopped = run_loop(parties, first, clock, until=broken(counted) if stop_early else never)
    return loop_outcome(counted, stopped=stopped)


def responder_loop(
    stop_early: bool,
    *,
    recipe: Recipe = "smtp",
    pass_recipient: bool = True,
    rotate_envelope: bool = False,
    rotate_tag: bool = False,
) -> Outcome:
    """Our desk against the partner's case system, answering each other for a day."""
    clock, rng = FakeClock(), random.Random(12)
    desk = Desk(desk_guard(clock), recipe=recipe, pass_recipient=pass_recipient)
    partner = CaseSystem(clock, rng, rotate_envelope=rotate_envelope, rotate_tag=rotate_tag)
    first = partner.answer(opening_message(clock, rng, sender=HELP, to="cases@partner.example"))
    return closed_loop(clock, [desk, partner], first, counted=[desk], stop_early=stop_early)


@loop_scenario("responder-verp")
def responder_verp(stop_early: bool) -> Outcome:
    """Unmarked case system, a fresh SES return path per message passed as envelope_sender
    (the aiosmtpd recipe), echoing the growing subject, not threaded."""
    return responder_loop(stop_early, rotate_envelope=True)


@loop_scenario("responder-plus-tag")
def responder_plus_tag(stop_early: bool) -> Outcome:
    """The same case system with a constant envelope but From: cases+<id>@ per case. The
    desk polls its mailbox (the IMAP recipe), where the envelope is only a Return-Path."""
    return responder_loop(stop_early, recipe="imap", rotate_tag=True)


@loop_scenario("responder-combined")
def responder_combined(stop_early: bool) -> Outcome:
    """Rotating envelope and rotating +tag and echoed subject (aiosmtpd recipe)."""
    return responder_loop(stop_early, rotate_envelope=True, rotate_tag=True)


@loop_scenario("recipient-omitted")
def recipient_omitted(stop_early: bool) -> Outcome:
    """A case system with constant addresses; the desk leaves out the optional recipient=."""
    return responder_loop(stop_early, pass_recipient=False)


@loop_scenario("reply-to-own-address")
def reply_to_own_address(stop_early: bool) -> Outcome:
    """The case system (rotating envelope) sets Reply-To to another of our addresses, whose
    desk acknowledges too: we would be answering ourselves."""
    clock, rng = FakeClock(), random.Random(13)
    sales = "sales@desk.example"
    guard = desk_guard(clock, own=(HELP, sales))
    desks = [Desk(guard), Desk(guard, address=sales)]
    partner = CaseSystem(clock, rng, rotate_envelope=True, reply_to=sales)
    first = partner.answer(opening_message(clock, rng, sender=HELP, to="cases@partner.example"))
    return closed_loop(clock, desks, first, counted=desks, stop_early=stop_early)


@loop_scenario("two-desks")
def two_desks(stop_early: bool) -> Outcome:
    """Two loopguard-protected help desks (each its own secret) answering each other; an
    agent's manual reply from one desk's address to the other starts it."""
    clock, rng = FakeClock(), random.Random(14)
    other = "help@other-desk.example"
    ours = Desk(desk_guard(clock))
    theirs = Desk(desk_guard(clock, own=(other,), secret=b"the other desk"), address=other)
    first = opening_message(clock, rng, sender=HELP, to=other)
    return closed_loop(clock, [theirs, ours], first, counted=[ours, theirs], stop_early=stop_early)
