"""What the text step states: the out-of-office score, the subject's variants, person signs.

The text step (:mod:`loopguard.classifier.text.outofoffice`) names its evidence itself; these
findings give each name its roles, for the decision table and the rules reference.
"""

from __future__ import annotations

from loopguard.classifier.rules.base import Finding
from loopguard.classifier.rules.roles import Role
from loopguard.classifier.verdict import Category

__all__ = ["NOTICE_TEXT", "OOO_TEXT", "REPLY_QUOTE", "TEXT_FINDINGS"]

_PERSON = frozenset({Role.PERSON})
_SUBJECT = frozenset({Role.CONTENT, Role.WEIGHED_BY_TEXT})

OOO_TEXT = Finding(
    "ooo-text",
    Category.AUTO_REPLY,
    0.9,
    "the out-of-office score of the subject and the author's own words (docs/languages.md), "
    "person signs included; below the threshold it names no category, and its presence "
    "makes the subject evidence it weighed count only through it",
    frozenset({Role.CONTENT, Role.TEXT_SCORE}),
)
NOTICE_TEXT = Finding(
    "notice-text",
    Category.AUTO_GENERATED,
    0.9,
    "the notification score of the subject and the author's own words: notification "
    "phrases from the language data (an order shipped, an invoice, a sign-in code, an alert, "
    "a quarantine digest, a mailbox almost full), a 'do not reply' notice, a sender such as "
    "orders@ or alerts@; lowered by the signs of a person (a quoted reply, a question, "
    "conversational phrases); names auto_generated at 0.6 or more; below, beside list "
    "headers, it still weighs one event for this recipient against many",
    frozenset({Role.CONTENT, Role.NOTICE_SCORE}),
)
REPLY_QUOTE = Finding(
    "body-reply-quote",
    None,
    0.4,
    "the message answers another (a reply prefix in the subject) and quotes it below the "
    "author's words, as people's replies do",
    _PERSON,
)
#: Every name the text step gives its evidence, with its roles.
TEXT_FINDINGS: tuple[Finding, ...] = (
    OOO_TEXT,
    NOTICE_TEXT,
    Finding(
        "subject-quoted-autoreply",
        Category.AUTO_REPLY,
        0.3,
        "an auto-reply prefix behind reply prefixes ('Re: Automatic reply:')",
        _SUBJECT,
    ),
    Finding(
        "subject-autoreply-suffix",
        Category.AUTO_REPLY,
        0.6,
        "an auto-reply marker at the end of the subject ('(Automatic Response)')",
        _SUBJECT,
    ),
    Finding("body-person-phrase", None, 0.55, "conversational phrases of a person", _PERSON),
    Finding("body-question", None, 0.3, "the author asks a question", _PERSON),
    # A greeting by name keeps the context (a short text, an answer to our mail) and a
    # subject prefix alone from making an auto-reply; it is no person evidence to the
    # decision: notifications greet their recipient by name too.
    Finding(
        "body-greeting-name",
        None,
        0.35,
        "the text opens by greeting someone by name ('Hi Anna,', 'Hallo Herr Becker,'; "
        "greetings and generic_addressees in the language data)",
    ),
    # Length lowers the out-of-office score but is no sign of a person to the decision:
    # notifications and reports are long too.
    Finding("body-long", None, 0.5, "a long text (1,500 characters or more)"),
    Finding("body-quoted", None, 0.15, "the author quotes another message", _PERSON),
    REPLY_QUOTE,
)
