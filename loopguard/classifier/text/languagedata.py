"""The phrase lists of one language, as read from its TOML file: plain data, which the
loader (:mod:`loopguard.classifier.text.languages`) fills and the compiler reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["EVIDENCE_KINDS", "EvidenceKind", "LanguageData"]

#: Phrase lists that say which kind of machine wrote a text (compiled by
#: :mod:`loopguard.classifier.text.notices`): searched like the body phrases.
EvidenceKind = Literal[
    "read_receipt_statements",
    "request_acknowledgements",
    "notification_phrases",
    "automatic_notices",
    "contact_phrases",
    "newsletter_phrases",
]
EVIDENCE_KINDS: tuple[EvidenceKind, ...] = get_args(EvidenceKind)


@dataclass(frozen=True, slots=True)
class LanguageData:
    """The phrase lists of one language, as read from its TOML file (validated, uncompiled)."""

    language: str
    name: str
    word_boundaries: bool = True
    reply_prefixes: tuple[str, ...] = ()
    autoreply_subjects: tuple[str, ...] = ()
    autoreply_subject_suffixes: tuple[str, ...] = ()
    sender_fields: tuple[str, ...] = ()
    header_fields: tuple[str, ...] = ()
    noreply_senders: tuple[str, ...] = ()
    autoreply_statements: tuple[str, ...] = ()
    absence_phrases: tuple[str, ...] = ()
    return_phrases: tuple[str, ...] = ()
    ack_phrases: tuple[str, ...] = ()
    person_phrases: tuple[str, ...] = ()
    quote_markers: tuple[str, ...] = ()
    forward_markers: tuple[str, ...] = ()
    signature_markers: tuple[str, ...] = ()
    read_receipt_subjects: tuple[str, ...] = ()
    read_receipt_statements: tuple[str, ...] = ()
    request_acknowledgements: tuple[str, ...] = ()
    notification_phrases: tuple[str, ...] = ()
    automatic_notices: tuple[str, ...] = ()
    contact_phrases: tuple[str, ...] = ()
    newsletter_phrases: tuple[str, ...] = ()
    notification_senders: tuple[str, ...] = ()
    greetings: tuple[str, ...] = ()
    generic_addressees: tuple[str, ...] = ()
