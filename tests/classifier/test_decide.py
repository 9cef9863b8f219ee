"""The decision table: one verdict from all the evidence, row by row (docs/classification.md)."""

from __future__ import annotations

from loopguard import Bounce, Category, classify
from loopguard.testing import build_message

OOF_TEXT = (
    "Ich bin bis einschließlich 27.06. nicht im Büro. Ihre E-Mail wird nicht weitergeleitet.\n"
    "In dringenden Fällen wenden Sie sich bitte an unser Sekretariat.\n"
)


def test_a_generic_automatic_header_with_an_auto_reply_subject_is_an_auto_reply() -> None:
    # Row 4: Microsoft 365 out-of-office replies say only "auto-generated" in Auto-Submitted.
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    verdict = classify(build_message(headers, OOF_TEXT, subject="Automatische Antwort: Termin"))
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.confidence >= 0.95


def test_a_generic_automatic_header_alone_is_auto_generated() -> None:
    verdict = classify(build_message({"Auto-Submitted": "auto-generated"}, "Build 12 passed.\n"))
    assert verdict.category is Category.AUTO_GENERATED


def test_a_vacation_reply_with_precedence_bulk_and_a_null_sender_is_an_auto_reply() -> None:
    headers = {"Precedence": "bulk", "Return-Path": "<>"}
    verdict = classify(build_message(headers, OOF_TEXT, subject="Auto: Termin"))
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.bounce is None


def test_failure_words_in_a_vacation_reply_make_no_bounce() -> None:
    # Row 5 is vetoed by any auto-reply evidence.
    body = (
        "I am out of the office until 5 May. Your message to ann@example.com could not be "
        "delivered to me and will not be forwarded.\n"
    )
    headers = {"Auto-Submitted": "auto-replied (vacation)", "Return-Path": "<>"}
    verdict = classify(build_message(headers, body, subject="Auto: Quote request"))
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.bounce is None


def test_a_mail_system_failure_report_is_a_structural_bounce() -> None:
    body = (
        "This is the mail system at host mx.example.net.\n\n"
        "Your message could not be delivered to one or more recipients.\n\n"
        "<gone@example.org>: host mx.example.org said: 550 5.1.1 User unknown\n"
    )
    raw = build_message(
        {"Return-Path": "<>"},
        body,
        sender="Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        subject="Undelivered Mail Returned to Sender",
    )
    verdict = classify(raw)
    assert verdict.category is Category.BOUNCE
    assert verdict.bounce is not None
    assert verdict.bounce.permanent == {"gone@example.org"}
    assert verdict.bounce.structural


def test_failure_words_from_a_person_make_no_bounce() -> None:
    body = "My mail to you could not be delivered, it came back undeliverable. Please call me.\n"
    verdict = classify(build_message({}, body, subject="Re: your order"))
    assert verdict.category is Category.HUMAN


def test_a_bounce_built_by_hand_is_not_structural() -> None:
    assert not Bounce(frozenset({"a@example.com"})).structural


def test_a_person_answering_from_a_no_reply_address_stays_human() -> None:
    body = (
        "Bonjour Madame Bernard,\n\nle virement part ce vendredi. Pouvez-vous me confirmer "
        "que le RIB est toujours valable ?\n\nClaire Vasseur\n\n"
        "Le 3 mars 2025 à 10:02, Marie Bernard a écrit :\n> Quand sera remboursé le dépôt ?\n"
    )
    raw = build_message({}, body, sender="noreply@agence.example.com", subject="RE: dépôt")
    verdict = classify(raw)
    assert verdict.category is Category.HUMAN
    assert verdict.confidence < 0.9  # weak machine evidence was outweighed


def test_a_no_reply_sender_alone_is_auto_generated_with_low_confidence() -> None:
    verdict = classify(build_message(sender="noreply@shop.example.com"))
    assert verdict.category is Category.AUTO_GENERATED
    assert verdict.confidence < 0.7


def test_a_subject_prefix_does_not_outweigh_a_long_personal_letter() -> None:
    body = (
        "Hallo,\n\nich hatte gestern einen Unfall mit meinem Wagen auf dem Parkplatz. "
        "Können Sie mir sagen, welche Unterlagen Sie brauchen? Wie lange dauert die "
        "Bearbeitung? Die Werkstatt braucht eine Freigabe.\n\n" * 4
    ) + "Viele Grüße\nJonas Weber\n"
    verdict = classify(build_message({}, body, subject="Auto: Unfall gestern"))
    assert verdict.category is Category.HUMAN


def test_list_headers_on_one_event_from_a_machine_are_auto_generated() -> None:
    headers = {"List-Id": "<ci.example.org>", "Auto-Submitted": "auto-generated"}
    assert classify(build_message(headers)).category is Category.AUTO_GENERATED
    assert classify(build_message({"List-Id": "<team.example.org>"})).category is Category.BULK


def test_text_alone_is_never_surer_than_a_text_can_be() -> None:
    body = "I am out of the office until Monday with no access to email.\n"
    verdict = classify(build_message({}, body, subject="Out of Office: hello"))
    assert verdict.category is Category.AUTO_REPLY
    assert verdict.confidence <= 0.85


BILL = (
    "Hi Olivia,\n\nYour bill for May is ready.\n\nAccount number: 77120449\nAmount due: £23.40\n"
    "We'll collect it by Direct Debit on 18 June.\n\nSkyline Mobile\n\n"
    "To stop getting bill reminders by email, update your preferences: https://x.example/p\n"
)
NEWSLETTER = (
    "View this email in your browser: https://news.example.com/v/6\n\n"
    "BRIGHTLINE MONTHLY\n\n1. Release 5.2 is out\n2. Webinar on 26 June\n3. Tip of the month\n\n"
    + "More news and stories from our product team. "
    * 8
    + "\n\nYou are receiving this newsletter because you signed up at brightline.example.com.\n"
    "Unsubscribe: https://news.example.com/u\n"
)


def test_one_event_outweighs_a_mailing_service_s_list_headers() -> None:
    # Row 7: List-Unsubscribe from a mailing service, a bill for this recipient.
    headers = {"List-Unsubscribe": "<https://x.example/p>"}
    verdict = classify(build_message(headers, BILL, sender="bills@skyline.example.co.uk"))
    assert verdict.category is Category.AUTO_GENERATED
    assert verdict.confidence < 0.9  # a judgement between one event and many


def test_a_newsletter_from_a_no_reply_address_is_bulk() -> None:
    headers = {"List-Id": "<newsletter.brightline.example.com>", "List-Unsubscribe": "<x>"}
    sender = "noreply@news.brightline.example.com"
    verdict = classify(build_message(headers, NEWSLETTER, sender=sender))
    assert verdict.category is Category.BULK
    assert "body-newsletter" in verdict.rules


def test_a_list_manager_s_headers_keep_a_notification_text_bulk() -> None:
    # A list distributed it (Mailman's X-BeenThere): a post, whatever it is about.
    headers = {"List-Id": "<billing.lists.example.org>", "X-BeenThere": "billing@lists.example.org"}
    assert classify(build_message(headers, BILL)).category is Category.BULK


def test_a_no_reply_sender_and_a_notification_subject_beside_list_headers() -> None:
    headers = {"List-Id": "<mailing.parcels.example.de>", "Feedback-ID": "1:2:episerver"}
    raw = build_message(
        headers, "bla bla\n", sender="noreply@parcels.example.de", subject="Ihr Paket ist da"
    )
    assert classify(raw).category is Category.AUTO_GENERATED


def test_a_notice_phrase_in_a_person_s_own_words_makes_no_notification() -> None:
    # Row 9: nothing but a notice phrase names a machine, and the text shows a person.
    body = (
        "Hi Mark,\n\nplease do not reply to this email, I will call you tomorrow. Could you "
        "have the contract ready? Let me know if 10am works.\n\nAnna\n"
    )
    verdict = classify(build_message({}, body, subject="Contract"))
    assert verdict.category is Category.HUMAN
