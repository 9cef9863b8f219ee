"""Receipts, acknowledgements and notifications read from the language data, in any language."""

from __future__ import annotations

import pytest

from loopguard import Category, Classifier, classify
from loopguard.classifier.text.languages import default_patterns, load_patterns
from loopguard.classifier.text.notices import NOTICE_THRESHOLD, assess_notice, notice_patterns
from loopguard.errors import ConfigurationError
from loopguard.testing import build_message


def test_an_order_confirmation_without_machine_headers_is_auto_generated() -> None:
    body = (
        "Hello Sam,\n\nthank you for your order. Your order number is 100482.\n\n"
        "1 x Rain jacket, size M   89.00\n\nYour Fellside team\n"
    )
    raw = build_message(body=body, sender="orders@shop.example.com", subject="Order confirmed")
    verdict = classify(raw)
    assert verdict.category is Category.AUTO_GENERATED
    assert "notice-text" in verdict.rules
    assert verdict.confidence <= 0.85  # text alone, no header says a machine sent it


def test_a_customer_writing_about_an_order_stays_human() -> None:
    body = (
        "Hello,\n\nmy order 100482 has not arrived yet and the tracking number shows "
        "nothing since Monday. Could you check what happened?\n\nSam\n"
    )
    assert classify(build_message(body=body, subject="Order 100482")).category is Category.HUMAN


def test_one_notification_phrase_alone_is_not_enough() -> None:
    assessment = assess_notice("Hello", "Your invoice is attached.", None, default_patterns())
    assert 0.0 < assessment.confidence < NOTICE_THRESHOLD


def test_a_quoted_reply_lowers_the_notification_score() -> None:
    text = "Thank you for your order. Your order number is 4711."
    plain = assess_notice("Re: order", text, None, default_patterns())
    reply = assess_notice("Re: order", text, None, default_patterns(), reply=True)
    assert reply.confidence < NOTICE_THRESHOLD <= plain.confidence


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Ihre Anfrage ist bei uns eingegangen [#4711]", "Vielen Dank, wir melden uns."),
        ("Re: printer", "We have received your request. A ticket has been created."),
        ("Solicitud recibida", "Hemos recibido su solicitud y se ha creado un ticket."),
    ],
)
def test_unmarked_ticket_acknowledgements_are_auto_replies(subject: str, body: str) -> None:
    verdict = classify(build_message(body=body, sender="support@example.net", subject=subject))
    assert verdict.category is Category.AUTO_REPLY


@pytest.mark.parametrize(
    ("subject", "statement"),
    [
        ("Read: Quote 12", "Your message was read on Monday, 3 March 2025 10:40."),
        ("Lu : Devis 12", "Votre message a été lu le lundi 3 mars 2025 10:40."),
        ("Przeczytano: Oferta 12", "Wiadomość została przeczytana 3 marca 2025 10:40."),
    ],
)
def test_plain_text_read_receipts(subject: str, statement: str) -> None:
    verdict = classify(build_message(body=f"{statement}\n", subject=subject))
    assert verdict.category is Category.RECEIPT


def test_a_read_receipt_in_outlooks_form_is_read_in_any_language() -> None:
    # No statement in the data: the field line repeating the subject says it is a receipt.
    body = "Viesti\n\n   Vastaanottaja: Anna\n   Aihe: Tarjous 7\n\n luettiin 3.3.2025 10:40.\n"
    finnish = {
        "language": "fi",
        "mode": "replace",
        "read_receipt_subjects": ["Luettu:"],
        "header_fields": ["Vastaanottaja", "Aihe"],
    }
    patterns = load_patterns(finnish)
    verdict = Classifier(patterns=patterns).classify(
        build_message(body=body, subject="Luettu: Tarjous 7")
    )
    assert verdict.category is Category.RECEIPT


def test_a_subject_starting_with_read_is_not_a_receipt_alone() -> None:
    body = "Have you read chapter three yet? I liked it.\n"
    assert classify(build_message(body=body, subject="Read: chapter three")).category is (
        Category.HUMAN
    )


def test_evidence_lists_extend_at_run_time() -> None:
    patterns = load_patterns({"language": "en", "notification_senders": ["lagerbot"]})
    assert notice_patterns(patterns).notification_sender.search("lagerbot")
    assert not notice_patterns(default_patterns()).notification_sender.search("lagerbot")


@pytest.mark.parametrize(
    ("field", "entry"),
    [
        ("notification_phrases", "* order"),
        ("notification_senders", "bestellung ä"),
        ("read_receipt_subjects", "Read *"),
    ],
)
def test_bad_evidence_entries_raise(field: str, entry: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        load_patterns({"language": "en", field: [entry]})


@pytest.mark.parametrize(
    ("text", "greeting"),
    [
        ("Hi Anna,\nthanks", "Hi Anna"),
        ("Hallo Herr Becker,", "Hallo Herr Becker"),
        ("Bonjour Madame Roux, merci", "Bonjour Madame Roux"),
        ("Dear Mr. Smith,", "Dear Mr. Smith"),
        ("Dzień dobry Pani Katarzyno,", "Dzień dobry Pani Katarzyno"),
        ("Здравствуйте, Анна Сергеевна!", "Здравствуйте, Анна Сергеевна"),
        ("Kedves Kiss Péter!", "Kedves Kiss Péter"),
        ("Bonjour Madame,", None),
        ("Dear Sir or Madam,", None),
        ("Sehr geehrte Damen und Herren,", None),
        ("Dear Valued Customer,", None),
        ("Hi all,", None),
        ("Hello, My name is Bob", None),
        ("Здравствуйте! Если у Вас", None),
        ("Hi, I am away", None),
        ("您好，王先生", None),  # no letter case: never a name
    ],
)
def test_a_greeting_by_name(text: str, greeting: str | None) -> None:
    assert notice_patterns(default_patterns()).greeted_by_name(text) == greeting


def test_generic_addressees_are_single_words() -> None:
    with pytest.raises(ConfigurationError, match="one word"):
        load_patterns({"language": "en", "generic_addressees": ["Sir or Madam"]})
