"""assess_text scoring: combined signals, person penalties, the ceiling below headers."""

from __future__ import annotations

import pytest

from loopguard.classifier.text.authortext import BodyText
from loopguard.classifier.text.outofoffice import (
    DEFAULT_TEXT_THRESHOLD,
    MAX_TEXT_CONFIDENCE,
    TextAssessment,
    assess_text,
)
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.verdict import Category


def _assess(patterns: PatternSet, subject: str, text: str, **flags: bool) -> TextAssessment:
    quoted = flags.pop("quoted", False)
    return assess_text(subject, BodyText(text, quoted=quoted), patterns, **flags)


def test_no_evidence_gives_zero(patterns: PatternSet) -> None:
    assessment = _assess(patterns, "Lunch?", "See you at noon.")
    assert assessment.confidence == 0.0
    # Only the person signs are reported: they are evidence for the decision.
    assert {reason.category for reason in assessment.reasons} <= {Category.HUMAN}


def test_a_body_of_none_is_accepted(patterns: PatternSet) -> None:
    assert assess_text("Automatic reply: x", None, patterns).is_auto_reply()
    assert assess_text("Re: x", None, patterns).confidence == 0.0


def test_subject_prefix_alone_decides(patterns: PatternSet) -> None:
    assessment = _assess(patterns, "Automatic reply: invoice", "")
    assert assessment.is_auto_reply()
    assert assessment.reasons[0].rule == "subject-autoreply-prefix"


def test_quoted_subject_alone_never_decides(patterns: PatternSet) -> None:
    assessment = _assess(patterns, "Re: Automatic reply: invoice", "Thanks, noted.")
    assert not assessment.is_auto_reply()


def test_one_absence_phrase_is_not_enough(patterns: PatternSet) -> None:
    assessment = _assess(patterns, "Re: invoice", "I am on vacation.")
    assert 0 < assessment.confidence < DEFAULT_TEXT_THRESHOLD


def test_reply_to_ours_tips_a_single_phrase(patterns: PatternSet) -> None:
    assessment = _assess(patterns, "Re: invoice", "I am on vacation.", reply_to_ours=True)
    assert assessment.is_auto_reply()
    assert "reply-to-ours" in [reason.rule for reason in assessment.reasons]


def test_reply_to_ours_alone_is_nothing(patterns: PatternSet) -> None:
    assert _assess(patterns, "Re: invoice", "Paid, thanks.", reply_to_ours=True).confidence == 0


def test_gmail_style_body_evidence_decides(patterns: PatternSet) -> None:
    text = (
        "Hello,\n\nI am out of the office until 5 May with limited access to email.\n"
        "For urgent matters please contact jane@example.com.\n\nRegards, Tom"
    )
    assessment = _assess(patterns, "Re: invoice", text)
    assert assessment.is_auto_reply()
    rules = [reason.rule for reason in assessment.reasons]
    assert rules.count("body-absence-phrase") == 2
    assert "body-short" in rules


def test_wrapped_lines_still_match(patterns: PatternSet) -> None:
    text = "Ich bin bis zum\n5. Mai nicht im\nBüro. In dringenden\nFällen: Frau Müller."
    rules = [reason.rule for reason in _assess(patterns, "AW: x", text).reasons]
    assert rules.count("body-absence-phrase") == 2


def test_text_confidence_stays_below_header_evidence(patterns: PatternSet) -> None:
    text = (
        "This is an automatic reply. I am out of the office until Monday with no access to "
        "email. For urgent matters contact Jane. Thank you for your email."
    )
    assessment = _assess(patterns, "Automatic reply: x", text, reply_to_ours=True)
    assert assessment.confidence == MAX_TEXT_CONFIDENCE < 1.0


@pytest.mark.parametrize(
    ("text", "penalty"),
    [
        (
            "I'm on vacation, in my absence contact Bob. Let me know if that works.",
            "body-person-phrase",
        ),
        ("I am on vacation, in my absence contact Bob. Is that OK?", "body-question"),
        ("I am on vacation, in my absence contact Bob.\n" + "More news. " * 200, "body-long"),
    ],
)
def test_signs_of_a_person_lower_the_confidence(
    patterns: PatternSet, text: str, penalty: str
) -> None:
    plain = _assess(patterns, "Re: x", "I am on vacation, in my absence contact Bob.")
    penalized = _assess(patterns, "Re: x", text)
    assert penalized.confidence < plain.confidence
    (reason,) = [reason for reason in penalized.reasons if reason.rule == penalty]
    assert reason.category is Category.HUMAN
    assert not penalized.is_auto_reply()


def test_question_marks_inside_links_are_not_questions(patterns: PatternSet) -> None:
    text = "I am on vacation. In my absence see https://example.com/help?topic=orders"
    rules = [reason.rule for reason in _assess(patterns, "Re: x", text).reasons]
    assert "body-question" not in rules


def test_a_quoted_reply_is_penalized(patterns: PatternSet) -> None:
    text = "I am on vacation, in my absence contact Bob."
    plain = _assess(patterns, "Re: x", text)
    quoted = _assess(patterns, "Re: x", text, quoted=True)
    assert quoted.confidence < plain.confidence


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Re: meeting", "I'll be out of the office next week, can we meet Monday?"),
        ("Out of office next week", "Hi team, I'm off next week. Bob covers. Let me know!"),
        ("AW: Termin", "Ich bin nächste Woche im Urlaub. Können wir das vorher klären?"),
        ("Re: devis", "Je serai en congé la semaine prochaine, dis-moi si jeudi te va."),
        ("Re: x", "My auto-reply says 'I am out of the office', can you fix it?"),
    ],
)
def test_people_mentioning_absence_stay_human(
    patterns: PatternSet, subject: str, text: str
) -> None:
    assert not _assess(patterns, subject, text).is_auto_reply()


def test_threshold_is_configurable(patterns: PatternSet) -> None:
    assessment = _assess(patterns, "Re: invoice", "I am on vacation.")
    assert assessment.is_auto_reply(threshold=0.5)
    assert not assessment.is_auto_reply()


def test_words_in_quotation_marks_are_not_the_authors_statement(patterns: PatternSet) -> None:
    cited = 'My auto-reply says "I am out of the office until 26 August with no access to email".'
    plain = cited.replace('"', "")
    assert not _assess(patterns, "Re: x", cited).is_auto_reply()
    assert _assess(patterns, "Re: x", plain).is_auto_reply()


@pytest.mark.parametrize(
    "text",
    [
        "Я в отпуске до 2 сентября.",
        "Jestem na urlopie do 2 września.",
        "Estoy fuera de la oficina hasta el lunes 2 de septiembre.",
        "Out of office until Monday.",
    ],
)
def test_terse_absence_with_a_return_date_decides(patterns: PatternSet, text: str) -> None:
    assert _assess(patterns, "Re: x", text).is_auto_reply()


def test_a_question_in_quotation_marks_is_not_the_authors(patterns: PatternSet) -> None:
    text = 'I am on leave until 5 May. This reply concerns your message "Can we meet?".'
    rules = [reason.rule for reason in _assess(patterns, "Re: x", text).reasons]
    assert "body-question" not in rules


def test_an_automatic_message_statement_alone_is_no_reply(patterns: PatternSet) -> None:
    # "This is an automatic message" says a machine wrote the text, not that it answers one.
    assessment = _assess(patterns, "Your parcel", "This is an automated message. Do not reply.")
    assert assessment.confidence <= 0.5
    assert "body-automatic-statement" not in [r.rule for r in assessment.reasons]


def test_an_automatic_message_statement_adds_to_reply_evidence(patterns: PatternSet) -> None:
    text = "This is an automated message. I am on vacation."
    rules = [reason.rule for reason in _assess(patterns, "Re: x", text).reasons]
    assert "body-automatic-statement" in rules
    assert _assess(patterns, "Re: x", text).is_auto_reply()


def test_contact_formulas_are_no_reply_evidence(patterns: PatternSet) -> None:
    text = "The attachment was removed. If you have questions, please contact the Service Desk."
    assessment = _assess(patterns, "Attachment removed", text, reply_to_ours=True)
    assert assessment.confidence <= 0.5
    assert "reply-to-ours" not in [r.rule for r in assessment.reasons]


def test_thanks_for_the_message_is_reply_evidence(patterns: PatternSet) -> None:
    text = "Thank you for your e-mail. I will endeavour to reply as soon as possible."
    assessment = _assess(patterns, "Re: x", text)
    assert "body-short" in [reason.rule for reason in assessment.reasons]


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Auto: Unfall gestern", "Hallo Herr Brandt,\n\nwann kann ich den Wagen bringen?\n\nJan"),
        ("OOO: Henderson account", "Hi Mark,\n\nCould you take the calls on Tuesday?\n\nLeah"),
        ("Absence : certificat", "Bonjour Madame Roux,\n\nEst-ce suffisant ?\n\nPaul"),
    ],
)
def test_a_subject_prefix_alone_never_decides_over_a_person(
    patterns: PatternSet, subject: str, text: str
) -> None:
    assert not _assess(patterns, subject, text).is_auto_reply()
    assert _assess(patterns, subject, "").is_auto_reply()  # the prefix alone still decides


def test_a_greeting_by_name_keeps_the_context_out(patterns: PatternSet) -> None:
    text = "Hi Daniel,\n\nThanks. I am travelling, so email is best.\n\nGrace"
    assessment = _assess(patterns, "Re: x", text, reply_to_ours=True)
    rules = [reason.rule for reason in assessment.reasons]
    assert "body-greeting-name" in rules
    assert "reply-to-ours" not in rules
    assert "body-short" not in rules
    assert not assessment.is_auto_reply()


def test_a_machine_statement_keeps_the_context_despite_a_greeting(patterns: PatternSet) -> None:
    text = "Hello John,\n\nWe have received your request. Your ticket number is 4411."
    assessment = _assess(patterns, "Ticket 4411", text)
    assert "body-short" in [reason.rule for reason in assessment.reasons]
    assert assessment.is_auto_reply()


def test_an_acknowledgement_quoted_in_a_reply_subject_does_not_count(
    patterns: PatternSet,
) -> None:
    subject = "Re: [Case 10442] We have received your request"
    assert _assess(patterns, subject, "Thanks, see you.").confidence == 0.0
    assert _assess(patterns, "We have received your request", "Case 10442").confidence > 0


def test_length_is_no_sign_of_a_person_when_a_machine_sent_it(patterns: PatternSet) -> None:
    text = "We have received your request, number HELP-1.\n" + "Portal news. " * 200
    human = _assess(patterns, "HELP-1", text)
    machine = _assess(patterns, "HELP-1", text, automatic=True)
    assert "body-long" in [r.rule for r in human.reasons]
    assert "body-long" not in [r.rule for r in machine.reasons]
    assert machine.confidence > human.confidence
