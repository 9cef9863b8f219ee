"""Who is on the other side: the addresses counted, their organization, our recipient."""

from __future__ import annotations

import logging

import pytest

from loopguard.guard import Guard
from loopguard.guard.identity import (
    FREE_MAIL_DOMAINS,
    IdentityReader,
    organization_of,
    recipient_of,
)
from loopguard.guard.policy import Policy
from loopguard.mail.view import MessageView
from loopguard.rate.tracker import Limit
from loopguard.testing import build_message

from .conftest import HELP, SECRET, FakeClock, person

OWN = frozenset({HELP, "sales@example.org"})


def view_of(headers: dict[str, str], **fields: str) -> MessageView:
    return MessageView.from_bytes(build_message(headers, **fields))


@pytest.fixture
def reader() -> IdentityReader:
    return IdentityReader(OWN, "+", FREE_MAIL_DOMAINS)


def test_sub_addresses_fold_with_the_configured_separators(reader: IdentityReader) -> None:
    assert reader.fold("cases+4711@partner.example") == "cases@partner.example"
    assert reader.fold("john-smith@bigcorp.example") == "john-smith@bigcorp.example"
    assert reader.fold("+4711@partner.example") == "+4711@partner.example"  # no mailbox left
    both = IdentityReader(OWN, "+-", FREE_MAIL_DOMAINS)
    assert both.fold("cases-4711@partner.example") == "cases@partner.example"
    assert IdentityReader(OWN, "", FREE_MAIL_DOMAINS).fold("a+b@x.example") == "a+b@x.example"


def test_an_organization_is_its_registrable_domain() -> None:
    assert organization_of("mail.eu.partner.co.uk") == "partner.co.uk"
    assert organization_of("eu-west-1.amazonses.com") == "amazonses.com"
    assert organization_of("localhost") == "localhost"


def test_shared_free_mail_is_no_organization(reader: IdentityReader) -> None:
    assert reader.organization("ann@gmail.com") is None
    assert reader.organization("ann@mail.bigcorp.example") == "bigcorp.example"
    custom = IdentityReader(OWN, "+", frozenset({"bigcorp.example"}))
    assert custom.organization("ann@bigcorp.example") is None


def test_the_answer_addresses_and_the_from_address_are_counted(reader: IdentityReader) -> None:
    view = view_of(
        {"Reply-To": "Vera <vera@victim.example>, cases+1@partner.example"},
        sender="Stranger <x@relay.example>",
    )
    ids = reader.read(view, HELP)
    assert ids.answer_to == ("vera@victim.example", "cases+1@partner.example")
    assert ids.correspondents == ("vera@victim.example", "cases@partner.example", "x@relay.example")
    assert ids.domains == ("victim.example", "partner.example", "relay.example")


def test_a_service_relaying_a_persons_text_counts_per_organization_answered(
    reader: IdentityReader,
) -> None:
    # A hosted form service (From the service, Reply-To the visitor) relays many people:
    # beside a person's text its From counts per organization (or free-mail address) the
    # answer goes to. Without a person's text (two case systems pointing replies at each
    # other) and for replies pointed at the From's own organization it stays one key.
    view = view_of({"Reply-To": "Ida <ida@example.net>"}, sender="Forms <forms@relay.example>")
    relayed = reader.read(view, HELP, person=True)
    assert relayed.correspondents == ("ida@example.net", "forms@relay.example for example.net")
    assert relayed.domains == ("example.net", "relay.example")
    plain = reader.read(view, HELP)
    assert plain.correspondents == ("ida@example.net", "forms@relay.example")
    own = view_of({"Reply-To": "case-7@replies.relay.example"}, sender="forms@relay.example")
    assert reader.read(own, HELP, person=True).correspondents[1] == "forms@relay.example"


def test_a_declared_shared_mailbox_counts_per_person_who_wrote() -> None:
    view = view_of({"Sender": "Bo <bo@reseller.example>"}, sender="orders@reseller.example")
    shared = IdentityReader(OWN, "+", FREE_MAIL_DOMAINS, shared=["orders@reseller.example"])
    assert shared.read(view, HELP).correspondents == (
        "orders@reseller.example by bo@reseller.example",
    )
    undeclared = IdentityReader(OWN, "+", FREE_MAIL_DOMAINS)
    assert undeclared.read(view, HELP).correspondents == ("orders@reseller.example",)


def test_the_envelope_sender_identifies_nobody(reader: IdentityReader) -> None:
    raw = build_message(sender="Partner Support <cases@partner.example>")
    view = MessageView.from_bytes(raw, envelope_sender="0100abc-def@eu-west-1.amazonses.com")
    assert reader.read(view, HELP).correspondents == ("cases@partner.example",)


def test_our_own_addresses_are_never_correspondents(reader: IdentityReader) -> None:
    view = view_of({"Reply-To": "visitor@example.net"}, sender=f"Website <{HELP}>")
    assert reader.read(view, HELP).correspondents == ("visitor@example.net",)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"Delivered-To": "help+tickets@example.org"},
            ("help+tickets@example.org", "delivered-to"),
        ),
        ({"X-Original-To": HELP}, (HELP, "x-original-to")),
        ({"To": "ann@example.com", "Cc": "Help <help@example.org>"}, (HELP, "to")),
        ({"To": "Team <team@example.com>"}, ("team@example.com", "to")),
        ({"To": "undisclosed-recipients:;"}, (None, None)),
    ],
)
def test_the_recipient_when_the_host_gives_none(
    headers: dict[str, str], expected: tuple[str | None, str | None]
) -> None:
    assert recipient_of(view_of(headers), OWN) == expected


def test_a_missing_recipient_is_found_and_named_in_the_decision(clock: FakeClock) -> None:
    guard = Guard(own_addresses=[HELP], clock=clock)
    assert guard.check(person()).recipient_source == "to"
    assert guard.check(person(), recipient=HELP).recipient_source == "given"


def test_without_any_recipient_the_sender_alone_is_limited_and_one_warning_logged(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    guard = Guard([Limit(2, "1h")], own_addresses=[HELP], clock=clock)
    message = build_message({"To": "undisclosed-recipients:;"}, body="Where is my parcel?")
    with caplog.at_level(logging.WARNING, logger="loopguard.guard"):
        decisions = [guard.check(message) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert (decisions[2].rung, decisions[2].recipient_source) == ("pair", None)
    warnings = [r for r in caplog.records if "names none of our addresses" in r.getMessage()]
    assert len(warnings) == 1
    assert "ann@" not in caplog.text


def test_a_mail_bomb_through_reply_to_counts_for_its_victim(clock: FakeClock) -> None:
    guard = Guard(own_addresses=[HELP], clock=clock, secret=SECRET)
    decisions = []
    words = ["parcel", "invoice", "refund", "printer", "laptop", "router", "voucher"]
    for n, word in enumerate(words):
        bomb = person(sender=f"x{n}@relay{n}.example", body=f"Where is my {word}? Tell me.")
        decisions.append(
            guard.check(
                bomb.replace(b"From:", b"Reply-To: vera@victim.example\nFrom:"), recipient=HELP
            )
        )
        clock.advance(10)
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert decisions[5].rung == "pair"


def test_a_rotating_envelope_and_tag_are_one_correspondent(clock: FakeClock) -> None:
    guard = Guard([Limit(3, "1h")], own_addresses=[HELP], clock=clock)
    decisions = [
        guard.check(
            person(sender=f"Partner <cases+{n}@partner.example>", body=f"Case {n} was opened."),
            recipient=HELP,
            envelope_sender=f"0100{n:04x}@eu-west-1.amazonses.com",
        )
        for n in range(4)
    ]
    assert [d.allowed for d in decisions] == [True, True, True, False]


def test_a_contact_form_is_judged_by_its_answer_address(clock: FakeClock) -> None:
    guard = Guard(own_addresses=OWN, clock=clock, secret=SECRET)
    form = person(sender=f"Website <{HELP}>", Reply_To="Visitor <visitor@example.net>")
    assert guard.check(form, recipient=HELP).allowed
    ours = person(sender=f"Help Desk <{HELP}>")
    assert guard.check(ours, recipient=HELP).rule == "own-address"
    to_ourselves = person(sender="x@example.net", Reply_To="sales@example.org")
    assert guard.check(to_ourselves, recipient=HELP).rule == "own-address"


def test_our_own_list_alias_does_not_make_a_customer_bulk(clock: FakeClock) -> None:
    relay = {"List-Id": "Support <support.example.org>", "Precedence": "list"}
    policy = Policy(own_list_ids=["<support.example.org>"])
    guard = Guard(own_addresses=[HELP], clock=clock, policy=policy)
    assert guard.check(person(**relay), recipient=HELP).allowed
    other = {"List-Id": "<news.example.net>", "Precedence": "list"}
    assert guard.check(person(**other), recipient=HELP).rule == "automated"
    assert not Guard(own_addresses=[HELP], clock=clock).check(person(**relay)).allowed


def test_a_threaded_responder_rotating_its_addresses_is_cut_by_its_answers(
    clock: FakeClock,
) -> None:
    # Every message answers our last acknowledgement (our token in In-Reply-To), from a
    # new address at one organization: neither the pair nor the thread can count it. (At
    # one message a minute the hourly rung cuts it, at 30: 10 per 10 minutes lets exactly
    # one a minute through, and a company whose people answer our acknowledgements needs
    # that room, see the lab's company-200-employees row.)
    guard = Guard(own_addresses=[HELP], clock=clock, secret=SECRET)
    assert guard.token is not None
    allowed = 0
    for n in range(30):
        ours = guard.token.issue(f"case{n}@partner.example", at=clock.now)
        reply = person(
            sender=f"case{n}@partner.example",
            body=f"Case {n} updated. Thank you.",
            In_Reply_To=f"<{ours}@example.org>",
        )
        decision = guard.check(reply, recipient=HELP)
        if not decision.allowed:
            break
        allowed += 1
        clock.advance(30)
    assert allowed == 10
    assert decision.rung == "answers"


def test_a_str_with_lone_surrogates_gets_a_decision(clock: FakeClock) -> None:
    # A JSON webhook may deliver half a surrogate pair.
    text = "From: ann@example.com\nTo: help@example.org\nSubject: Hi \ud83d\n\nHello \udc00!\n"
    decision = Guard(own_addresses=[HELP], clock=clock).check(text, recipient=HELP)
    assert decision.allowed
