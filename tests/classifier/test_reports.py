"""Bounces, delivery reports and receipts: categories and failed recipients."""

from __future__ import annotations

import pytest

from loopguard import Category, classify
from loopguard.testing import build_message

DSN_BODY = """--b
Content-Type: text/plain

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; Gone@Example.ORG
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; slow@example.net
Action: delayed
Status: 4.4.1

--b
Content-Type: message/rfc822

From: ann@example.com
To: gone@example.org
Subject: hello

hi
--b--
"""


def dsn(body: str = DSN_BODY, **headers: str) -> bytes:
    base = {
        "Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"',
        "Return-Path": "<>",
    }
    return build_message(
        {**base, **headers},
        body=body,
        sender="Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        subject="Undelivered Mail Returned to Sender",
    )


def test_rfc3464_dsn_failed_and_delayed_recipients() -> None:
    verdict = classify(dsn())
    assert verdict.category is Category.BOUNCE
    assert verdict.bounce is not None
    assert verdict.bounce.permanent == {"gone@example.org"}
    assert verdict.bounce.temporary == {"slow@example.net"}
    assert verdict.confidence > 0.99


def test_delay_notice_is_a_bounce_with_temporary_failures_only() -> None:
    body = DSN_BODY.replace("Action: failed\nStatus: 5.1.1", "Action: delayed\nStatus: 4.4.7")
    verdict = classify(dsn(body))
    assert verdict.category is Category.BOUNCE
    assert verdict.bounce is not None
    assert not verdict.bounce.permanent
    assert verdict.bounce.temporary == {"gone@example.org", "slow@example.net"}


def test_success_only_dsn_is_auto_generated_even_with_auto_replied() -> None:
    body = DSN_BODY.replace("Action: failed", "Action: delivered").replace(
        "Action: delayed", "Action: relayed"
    )
    verdict = classify(dsn(body, **{"Auto-Submitted": "auto-replied"}))
    assert verdict.category is Category.AUTO_GENERATED
    assert verdict.bounce is None
    assert "delivery-report-success" in {r.rule for r in verdict.reasons}


def test_postfix_bounce_with_auto_replied_stays_a_bounce() -> None:
    verdict = classify(dsn(**{"Auto-Submitted": "auto-replied"}))
    assert verdict.category is Category.BOUNCE


def test_qmail_text_bounce() -> None:
    body = (
        "Hi. This is the qmail-send program at mx.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<nobody@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\nReturn-Path: <ann@example.com>\n"
        "To: other@example.org\n"
    )
    raw = build_message(
        {"Return-Path": "<>"},
        body=body,
        sender="MAILER-DAEMON@mx.example.net",
        subject="failure notice",
        to="ann@example.com",
    )
    verdict = classify(raw)
    assert verdict.category is Category.BOUNCE
    assert verdict.bounce is not None
    assert verdict.bounce.recipients == {"nobody@example.net"}


def test_forwarded_bounce_from_a_person_is_human() -> None:
    body = "Hi support, I got this, can you check?\n\n" + DSN_BODY
    raw = build_message(
        {"Content-Type": 'multipart/mixed; boundary="b"'},
        body=body,
        subject="Fwd: Undelivered Mail Returned to Sender",
    )
    verdict = classify(raw)
    assert verdict.category is Category.HUMAN


def test_mdn_is_a_receipt() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nYour message was displayed.\n"
        "--b\nContent-Type: message/disposition-notification\n\n"
        "Final-Recipient: rfc822; bob@example.org\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n"
    )
    raw = build_message(
        {"Content-Type": 'multipart/report; report-type=disposition-notification; boundary="b"'},
        body=body,
        subject="Read: hello",
    )
    verdict = classify(raw)
    assert verdict.category is Category.RECEIPT
    assert verdict.bounce is None


def test_a_request_for_a_receipt_is_not_a_receipt() -> None:
    raw = build_message({"Disposition-Notification-To": "ann@example.com"})
    assert classify(raw).category is Category.HUMAN


def test_outlook_read_receipt_needs_its_body() -> None:
    receipt = build_message(
        subject="Read: Budget",
        body="Your message\n\n  To: Bob\n  Subject: Budget\n\nwas read on 3/4/2026 10:01 AM.\n",
    )
    assert classify(receipt).category is Category.RECEIPT
    person = build_message(subject="Read: chapter 3 before Monday", body="Thanks, Bob")
    assert classify(person).category is Category.HUMAN


def test_a_mail_system_returning_a_message_in_any_language_is_a_bounce() -> None:
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nTeie kirja ei saanud kohale toimetada.\n"
        "--b\nContent-Type: message/rfc822\n\nFrom: ann@example.com\nTo: mari@example.ee\n"
        "Subject: tere\n\ntere\n--b--\n"
    )
    raw = build_message(
        {"Content-Type": 'multipart/mixed; boundary="b"'},
        body=body,
        sender="MAILER-DAEMON@mx.example.ee",
        subject="Teade",
    )
    verdict = classify(raw)
    assert verdict.category is Category.BOUNCE
    assert "returned-original" in {r.rule for r in verdict.reasons}


def test_a_person_forwarding_a_message_as_attachment_is_not_a_bounce() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nSee the attached mail.\n"
        "--b\nContent-Type: message/rfc822\n\nFrom: x@example.com\nSubject: hi\n\nhello\n--b--\n"
    )
    raw = build_message(
        {"Content-Type": 'multipart/mixed; boundary="b"'}, body=body, subject="FW: hi"
    )
    assert classify(raw).category is Category.HUMAN


def test_exchange_ndr_from_its_system_mailbox_without_a_report_part() -> None:
    raw = build_message(
        sender="Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>",
        subject="Undeliverable: hello",
        body="Delivery has failed to these recipients or groups:\n\nbob@fabrikam.example\n"
        "The email address you entered couldn't be found.\n",
    )
    verdict = classify(raw)
    assert verdict.category is Category.BOUNCE
    assert verdict.bounce is not None
    assert verdict.bounce.permanent == {"bob@fabrikam.example"}


def test_status_class_rules_over_the_action_word() -> None:
    # Postfix after its queue lifetime: "Action: failed" with a 4.x.x status (RFC 3463).
    body = DSN_BODY.replace("Status: 5.1.1", "Status: 4.4.7")
    verdict = classify(dsn(body))
    assert verdict.category is Category.BOUNCE
    assert verdict.bounce is not None
    assert not verdict.bounce.permanent
    assert verdict.bounce.temporary == {"gone@example.org", "slow@example.net"}


MDN_PART = (
    "--b\nContent-Type: text/plain\n\nYour message was displayed.\n"
    "--b\nContent-Type: message/disposition-notification\n\n"
    "Final-Recipient: rfc822; bob@example.org\n"
    "Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n"
)


@pytest.mark.parametrize(
    "content_type",
    [
        'multipart/report; report-type=xxxxxxxxxxxx; boundary="b"',  # anonymised
        'multipart/report; report-type=disposition-notifications; boundary="b"',  # misspelled
        'multipart/report; boundary="b"',  # missing
    ],
)
def test_the_parts_decide_over_an_unknown_report_type(content_type: str) -> None:
    raw = build_message({"Content-Type": content_type}, body=MDN_PART, subject="Read: hello")
    assert classify(raw).category is Category.RECEIPT
    unknown = dsn(**{"Content-Type": content_type})
    assert classify(unknown).category is Category.BOUNCE


def test_a_feedback_report_type_still_names_a_notification() -> None:
    raw = build_message(
        {"Content-Type": 'multipart/report; report-type=feedback-report; boundary="b"'},
        body="--b\nContent-Type: text/plain\n\nAbuse report\n--b--\n",
    )
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_GENERATED
    assert verdict.confidence >= 0.95


def _digest(sender: str) -> bytes:
    posts = "".join(
        f"--d\nContent-Type: message/rfc822\n\nFrom: p{n}@example.org\nSubject: post {n}\n\n"
        f"text {n}\n"
        for n in range(3)
    )
    body = (
        "--m\nContent-Type: text/plain\n\nToday's Topics:\n\n   1. post 0\n"
        f'--m\nContent-Type: multipart/digest; boundary="d"\n\n{posts}--d--\n--m--\n'
    )
    return build_message(
        {"Content-Type": 'multipart/mixed; boundary="m"'},
        body=body,
        sender=sender,
        subject="Gardening Digest, Vol 41, Issue 7",
    )


def test_a_list_digest_is_bulk_and_never_a_bounce() -> None:
    verdict = classify(_digest("gardening-request@lists.example.org"))
    assert verdict.category is Category.BULK
    assert "returned-original" not in verdict.rules


def test_a_person_forwarding_messages_as_a_digest_stays_human() -> None:
    # Pine forwards several messages as a multipart/digest.
    assert classify(_digest("Ann Example <ann@example.com>")).category is Category.HUMAN


def test_a_telephone_number_is_no_smtp_reply_code() -> None:
    raw = build_message(
        {"Return-Path": "<>"},
        sender="Mail Delivery System <MAILER-DAEMON@gw.example.de>",
        subject="Abwesenheitsnotiz: Ihr Newsletter",
        body="Ich bin bis zum 11.07. im Urlaub. Dringend: 0731 555 0120.\n\nKlaus Roth\n",
    )
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.bounce is None


def test_a_vacation_reply_from_a_mail_system_address_is_an_auto_reply() -> None:
    raw = build_message(
        {"Return-Path": "<>"},
        sender="mail-daemon@corp-mail.example.com",
        to="news-bounces+r.king=corp-mail.example.com@lists.example.org",
        subject="Out of office: June member update",
        body="I am out of the office until 14 July with no access to email.\n\nRobert King\n",
    )
    assert classify(raw).category is Category.AUTO_REPLY
    # The same account's failure report stays a bounce (its report is read first).
    assert classify(dsn()).category is Category.BOUNCE
