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
