"""The body step: report parts, machine notices, list footers, challenges, text bounces."""

from __future__ import annotations

import email
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopguard import Category, Classifier, classify
from loopguard.classifier.bounce.text import names_mail, read_text_bounce, report_text
from loopguard.mail.parts import walk
from loopguard.testing import build_message


def rules_of(raw: bytes) -> set[str]:
    return {reason.rule for reason in classify(raw).reasons}


def test_machine_notice_makes_auto_generated() -> None:
    raw = build_message(
        body="Your invoice is attached.\n\nPlease do not reply to this e-mail.\n",
        sender="billing@shop.example",
    )
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_GENERATED
    assert "body-automatic-notice" in {r.rule for r in verdict.reasons}


def test_quoted_machine_notice_is_not_the_author() -> None:
    raw = build_message(
        body="Hi, I got the mail below, what is it?\n\n> Please do not reply to this e-mail.\n",
        subject="Re: invoice",
    )
    assert classify(raw).category is Category.HUMAN


NEWS = "Our news this month: new products, a new shop in town, and our summer sale.\n" * 6


def test_list_footer_makes_bulk() -> None:
    raw = build_message(
        body=NEWS + "\nTo unsubscribe from this newsletter, click here.\n",
        sender="news@shop.example",
    )
    verdict = classify(raw)
    assert verdict.category is Category.BULK
    assert "body-list-footer" in {r.rule for r in verdict.reasons}


def test_a_person_asking_to_unsubscribe_is_human() -> None:
    short = build_message(body="Hello, please unsubscribe me from your newsletter.\nAnn\n")
    assert classify(short).category is Category.HUMAN
    asking = build_message(body=NEWS + "\nBy the way, how do I unsubscribe from the newsletter?\n")
    assert classify(asking).category is Category.HUMAN


def test_subscription_text_in_the_middle_of_a_letter_is_not_a_footer() -> None:
    body = NEWS + "I tried to unsubscribe last week but it failed.\n" + NEWS * 5 + "Ann\n"
    assert classify(build_message(body=body)).category is Category.HUMAN


def test_forwarded_newsletter_is_human() -> None:
    raw = build_message(
        body="Look at this!\n\n---------- Forwarded message ---------\nTo unsubscribe click here\n",
        subject="Fwd: Our news this month",
    )
    assert classify(raw).category is Category.HUMAN


def test_report_part_inside_mixed_is_found() -> None:
    raw = build_message(
        {"Content-Type": 'multipart/mixed; boundary="b"'},
        body="--b\nContent-Type: text/plain\n\nabuse report\n--b\n"
        "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\n--b--\n",
        sender="fbl@isp.example",
        subject="report",
    )
    assert classify(raw).category is Category.AUTO_GENERATED


def test_challenge_response_worded_as_a_delay_report() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nHello Ann,\n\nYour message has been waitlisted.\n"
        "Please add yourself to my Guest List so your messages reach my Inbox.\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; cr.example\n\n"
        "Final-Recipient: rfc822; bob@example.net\nAction: delayed\nStatus: 4.7.0\n--b--\n"
    )
    raw = build_message(
        {"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
        body=body,
        sender="noreply@cr.example",
        subject="Re: Question about my order",
    )
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.bounce is None
    assert "challenge-response" in {r.rule for r in verdict.reasons}


def test_null_return_path_with_short_reply_text_is_an_autoresponder() -> None:
    raw = build_message(
        {"Return-Path": "<>", "Precedence": "bulk"},
        subject="Thank you for your e-mail",
        body="Thank you for your e-mail.\nI will endeavour to reply as soon as possible.\n\nJohn\n",
    )
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_REPLY
    assert "ooo-text" in {r.rule for r in verdict.reasons}


def test_out_of_office_text_without_any_header() -> None:
    raw = build_message(
        subject="Re: Question about my order",
        body="Hello,\n\nI am out of the office until 12 May with limited access to e-mail.\n"
        "For urgent matters please contact sales@example.com.\n\nBest regards\nAnn\n",
    )
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.confidence < 0.95  # text evidence stays below header evidence
    assert Classifier(text_heuristics=False).classify(raw).category is Category.HUMAN


def test_person_announcing_an_absence_stays_human() -> None:
    raw = build_message(
        subject="Re: Question about my order",
        body="Hi Bob,\n\nthanks, that works. I'll be out of the office next week, so could we "
        "meet on Monday the 4th instead? Let me know.\n\nAnn\n",
    )
    assert classify(raw).category is Category.HUMAN


def test_text_bounce_reader_finds_recipients_beside_failures() -> None:
    message = email.message_from_string(
        "From: MAILER-DAEMON@mx.example\nTo: ann@example.com\nSubject: failure notice\n\n"
        "This is the mail system.\n\n<gone@example.org>:\nuser unknown\n\n"
        "   ----- Transcript -----\nRCPT TO:<other@example.org>\n550 5.1.1 no such user\n\n"
        "--- Below this line is a copy of the message.\n\nTo: quoted@example.net\n"
    )
    found = read_text_bounce(tuple(walk(message)), exclude=frozenset({"ann@example.com"}))
    assert found.failure is not None
    assert found.recipients == {"gone@example.org", "other@example.org"}


def test_report_text_stops_at_the_returned_original() -> None:
    message = email.message_from_string(
        "Subject: x\n\nThe original message was received at Mon\n\nfailed\n"
        "------ This is a copy of the message, including all the headers. ------\nsecret\n"
    )
    text = report_text(tuple(walk(message)))
    assert "received at Mon" in text
    assert "secret" not in text


def test_strict_reading_ignores_bare_status_codes() -> None:
    message = email.message_from_string(
        "Subject: x\n\nTotal: 550 EUR, ref 5.1.2\nbob@example.org\n"
    )
    assert read_text_bounce(tuple(walk(message)), exclude=frozenset(), strict=True).failure is None
    assert read_text_bounce(tuple(walk(message)), exclude=frozenset()).failure is not None


QUOTED_ACK = (
    "We received your request and will answer within a day.\n"
    "This is an automated message, please do not reply to this e-mail.\n"
    "To unsubscribe from these notifications, click here.\n"
)


def test_a_reply_quoting_our_acknowledgement_outlook_style_is_human() -> None:
    body = (
        "Thanks, but the problem is still there. Can you call me?\n\nAnn\n\n"
        "-----Original Message-----\nFrom: Help Desk <help@example.org>\n"
        "Sent: Monday, 3 March 2026 10:00\nTo: Ann <ann@example.com>\n"
        "Subject: [Ticket #123] We received your request\n\n" + QUOTED_ACK
    )
    raw = build_message(subject="RE: [Ticket #123] We received your request", body=body)
    assert classify(raw).category is Category.HUMAN


def test_a_reply_quoting_our_acknowledgement_under_an_attribution_is_human() -> None:
    body = (
        "Thanks, but the problem is still there. Can you call me?\n\nAnn\n\n"
        "On Mon, 3 Mar 2026 at 10:00, Help Desk <help@example.org> wrote:\n" + QUOTED_ACK
    )
    raw = build_message(subject="Re: [Ticket #123] We received your request", body=body)
    assert classify(raw).category is Category.HUMAN


def test_a_quote_header_in_html_only_reply_cuts_the_quoted_footer() -> None:
    # Outlook writes its quote header as an HTML block: the body rules read it as lines,
    # so the newsletter footer below it is the quoted message's, not the author's.
    html = (
        "<html><body><p>Guten Abend,</p><p>ist noch ein Doppelzimmer frei? "
        + "Wir waren schon zweimal mit Ihnen unterwegs und immer zufrieden. " * 6
        + "</p><p>Gerhard</p>"
        '<div style="border-top:solid #E1E1E1 1.0pt">'
        "<p><b>Von:</b> Reisen &lt;info@reisen.example&gt;"
        "<br><b>Gesendet:</b> Montag, 14. Juli 2025 09:00<br><b>An:</b> g@example.de"
        "<br><b>Betreff:</b> Herbstreisen</p></div>"
        "<p>Unsere Herbstreisen sind da.</p><p>To unsubscribe from these emails, click here.</p>"
        "</body></html>"
    )
    raw = build_message(
        {"Content-Type": "text/html; charset=utf-8"}, body=html, subject="AW: Herbstreisen"
    )
    verdict = classify(raw)
    assert verdict.category is Category.HUMAN
    assert "body-list-footer" not in verdict.rules


@pytest.mark.parametrize(
    ("statement", "about_mail"),
    [
        ("A message that you sent could not be delivered to one or more of its recipients.", True),
        ("Your message to k.wolf@example.net was undeliverable.", True),
        ("Delivery to the following recipients failed: a@example.org", True),
        ("550 5.1.1 <a@example.org>: user unknown", True),
        ("Ihre Nachricht konnte nicht an alle Empfänger zugestellt werden.", True),
        ("the parcel was not delivered, though your mail below says it shipped", False),
        ("Our invoice could not be delivered by post, please call us.", False),
    ],
)
def test_a_failure_statement_about_mail_names_a_message_recipient_or_mailbox(
    statement: str, about_mail: bool
) -> None:
    # Only the clause that states the failure counts: "your mail below" in the next
    # clause does not make a parcel a message.
    assert names_mail(statement) is about_mail


def test_a_report_subject_alone_reads_the_body_only_when_an_original_comes_back() -> None:
    # No sender rule knows the address: the subject, a failure of mail and the original
    # sent back make a bounce; the same words without the original stay a person's.
    text = "A message that you sent could not be delivered to one or more of its recipients.\n"
    headers = {"From": "relay-reports@mx.example.net"}
    subject = "Mail delivery failed: returning message to sender"
    plain = build_message(headers, body=text, subject=subject)
    assert classify(plain).category is Category.HUMAN
    original = "From: news@example.org\nTo: k@example.net\nSubject: Offers\n\nOffers.\n"
    boundary = "report-boundary"
    body = (
        f"--{boundary}\nContent-Type: text/plain\n\n{text}\n"
        f"--{boundary}\nContent-Type: message/rfc822\n\n{original}\n--{boundary}--\n"
    )
    returned = build_message(
        {**headers, "Content-Type": f'multipart/mixed; boundary="{boundary}"'},
        body=body,
        subject=subject,
    )
    verdict = classify(returned)
    assert verdict.category is Category.BOUNCE
    assert "returned-original" in verdict.rules


def test_field_lines_and_failures_to_the_reader_are_no_failure_statements() -> None:
    # A content filter tells its user a message for them was held: the held message's
    # subject and Message-ID are field lines, and "not delivered to you" is no report on
    # mail the reader sent.
    text = (
        "Our content filter found a virus in a message addressed to you.\n"
        "It was quarantined and was not delivered to you.\n\n"
        "Sender: <parcels@example.net>\n"
        "Subject: Your parcel could not be delivered\n"
        "Message-ID: <77.88@example.net>\n"
    )
    parts = list(walk(email.message_from_string(f"Content-Type: text/plain\n\n{text}")))
    found = read_text_bounce(parts, exclude=frozenset())
    assert found.failure is None
    assert found.recipients == frozenset()
    report = text.replace("was not delivered to you", "could not be delivered to r@example.org")
    parts = list(walk(email.message_from_string(f"Content-Type: text/plain\n\n{report}")))
    found = read_text_bounce(parts, exclude=frozenset())
    assert found.failure == "It was quarantined and could not be delivered to r@example.org."
    assert found.recipients == {"r@example.org"}


_ORIGINAL_PIECES = st.sampled_from(
    [
        "\n",
        "\r\n",
        " ",
        "\t",
        "--",
        "----- ",
        "Original",
        "ORIGINAL message follows",
        "the original message is attached",
        "Returned message",
        "unsent Message below",
        "This is a copy of the message",
        "below this line is a copy",
        "copy of",
        "Message headers follow",
        "Return-Path: ",
        "RECEIVED:\n",
        "ı",
        "ſ",
        "İ",
        "K",
        "text ",
        "x",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ORIGINAL_PIECES, max_size=14).map("".join))
def test_the_returned_original_is_found_where_the_regex_search_finds_it(text: str) -> None:
    from loopguard.classifier.bounce.text import _ORIGINAL, _original_start

    found = _ORIGINAL.search(text)
    assert _original_start(text) == (None if found is None else found.start())


@pytest.mark.corpus
def test_the_returned_original_is_found_as_by_the_regex_in_every_corpus_message(
    corpus_dir: Path,
) -> None:
    from loopguard.classifier.bounce.text import _ORIGINAL, _original_start

    for path in sorted(corpus_dir.glob("messages/**/*.eml")):
        text = path.read_bytes().decode("utf-8", "replace")
        found = _ORIGINAL.search(text)
        assert _original_start(text) == (None if found is None else found.start()), path
