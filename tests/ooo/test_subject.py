"""Subject rules: localized auto-reply prefixes, stacked reply prefixes, AOL-style suffixes."""

from __future__ import annotations

import pytest

from loopguard.classifier.text.languages import LanguageData, default_patterns
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.text.subject import (
    SUBJECT_PREFIX_CONFIDENCE,
    SUBJECT_QUOTED_CONFIDENCE,
    subject_evidence,
)
from loopguard.classifier.verdict import Category


def _entries() -> list[tuple[LanguageData, str]]:
    """(language, a subject starting with one of its prefixes) for every packaged prefix."""
    return [
        (data, entry[:-2] + " 5 May" if entry.endswith(" *") else f"{entry.rstrip(':')}: invoice")
        for data in default_patterns().languages
        for entry in data.autoreply_subjects
    ]


@pytest.mark.parametrize(
    ("data", "subject"), _entries(), ids=lambda value: getattr(value, "language", value)
)
def test_every_packaged_prefix_is_found_at_the_start_and_behind_replies(
    patterns: PatternSet, data: LanguageData, subject: str
) -> None:
    found = subject_evidence(subject, patterns)
    assert found is not None
    assert found.rule == "subject-autoreply-prefix"
    quoted = subject_evidence(f"{data.reply_prefixes[0]}: Re: {subject}", patterns)
    assert quoted is not None
    assert quoted.rule == "subject-quoted-autoreply"


@pytest.mark.parametrize(
    ("subject", "rule", "language"),
    [
        ("Automatic reply: invoice", "subject-autoreply-prefix", "en"),
        (
            "AUTO: Smith, John is out of the office. (returning 05/01/2010)",
            "subject-autoreply-prefix",
            "en",
        ),
        ("Out of Office AutoReply: meeting", "subject-autoreply-prefix", "en"),
        ("Out of office", "subject-autoreply-prefix", "en"),
        ("Away until May 5", "subject-autoreply-prefix", "en"),
        ("[Automatyczna odpowiedź ] test", "subject-autoreply-prefix", "pl"),
        ("[EXTERNAL] Automatic reply: x", "subject-autoreply-prefix", "en"),
        ("Réponse automatique : facture", "subject-autoreply-prefix", "fr"),
        ("Abwesenheitsnotiz: Re: Rechnung", "subject-autoreply-prefix", "de"),
        ("自動応答：お見積り", "subject-autoreply-prefix", "ja"),
        ("自动答复: 报价单", "subject-autoreply-prefix", "zh"),
        ("Re: Automatic reply: invoice", "subject-quoted-autoreply", "en"),
        ("AW: Automatische Antwort: Rechnung", "subject-quoted-autoreply", "de"),
        ("RE: RE: Autosvar: faktura", "subject-quoted-autoreply", "sv"),
        ("Re[2]: AW (3): Auto: x", "subject-quoted-autoreply", "en"),
        ("Fwd: [EXT] WG: Abwesenheitsnotiz", "subject-quoted-autoreply", "de"),
        ("回复：自动回复：报价单", "subject-quoted-autoreply", "zh"),
        ("Ynt: Otomatik yanıt: fatura", "subject-quoted-autoreply", "tr"),
        ("Re:   blah blah (Automatic Response)", "subject-autoreply-suffix", "en"),
        ("Re: Re: blah (Automatic Response)", "subject-quoted-autoreply", "en"),
    ],
)
def test_subject_rules(patterns: PatternSet, subject: str, rule: str, language: str) -> None:
    found = subject_evidence(subject, patterns)
    assert found is not None
    assert found.rule == rule
    assert found.category is Category.AUTO_REPLY
    assert found.detail.endswith(f"[{language}]") or rule != "subject-autoreply-prefix"


@pytest.mark.parametrize(
    "subject",
    [
        "",
        "Invoice 42",
        "Re: invoice 42",
        "Automatic reply settings not working",
        "Out of office next week",
        "Auto insurance quote",
        "Autosvarsinställningar",
        "Re: [notmuch] archive",
        "Aw: Re: Re: Re: Message from bob",
        "Antwort: Probleme ADB",
        "Vacation 19-30 August",
    ],
)
def test_subjects_without_an_auto_reply_prefix(patterns: PatternSet, subject: str) -> None:
    assert subject_evidence(subject, patterns) is None


def test_confidences_and_detail(patterns: PatternSet) -> None:
    long_subject = "Automatic reply: " + "x" * 300
    prefix = subject_evidence(long_subject, patterns)
    quoted = subject_evidence("Re: " + long_subject, patterns)
    assert prefix is not None
    assert quoted is not None
    assert prefix.confidence == SUBJECT_PREFIX_CONFIDENCE
    assert quoted.confidence == SUBJECT_QUOTED_CONFIDENCE < 0.5
    assert prefix.detail == f"Subject: {long_subject[:120]}… [en]"


def test_the_walk_stops_after_ten_tags(patterns: PatternSet) -> None:
    assert subject_evidence("[a] " * 10 + "Automatic reply: x", patterns) is not None
    assert subject_evidence("[a] " * 11 + "Automatic reply: x", patterns) is None


def test_every_prefix_is_found_in_every_case(patterns: PatternSet) -> None:
    # The first-word prefilter never hides a prefix the alternation of all prefixes finds.
    for data in patterns.languages:
        for entry in data.autoreply_subjects:
            prefix = entry.removesuffix(" *")
            for subject in (f"{prefix} x", f"{prefix.upper()} x", f"[{prefix}] x"):
                if patterns.autoreply_subject.match(subject):
                    assert subject_evidence(subject, patterns) is not None, subject
                    assert subject_evidence(f"Re: {subject}", patterns) is not None, subject
