"""Body rules: read only when the headers are inconclusive, from a size-capped parse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from loopguard.classifier.bounce.text import report_text
from loopguard.classifier.rules.roles import Role
from loopguard.classifier.rules.senders import LIST_ADMIN_LOCAL
from loopguard.classifier.text.anyof import AnyOf
from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.notices import EvidenceKind, Searchable, notice_patterns
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.text.quotes import before_quotes
from loopguard.classifier.verdict import Category, Reason
from loopguard.mail.address import local_part_of
from loopguard.mail.view import MessageView

__all__ = ["BODY_RULES", "CHALLENGE_RESPONSE", "CHALLENGE_WORDS", "BodyRule", "BodySnapshot"]

_WINDOW = 6 * 1024
# Where newsletters put their subscription text: a banner on top, a footer at the bottom.
_HEAD_CHARS = 400
_TAIL_CHARS = 1500
_MIN_EDGED_TEXT = 400
# What the language data's notices are looked for in: the head and the tail (the footer).
_NOTICE_HEAD = 1000
_NOTICE_TAIL = 1500
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*\n?", re.MULTILINE)
_FORWARD = re.compile(r"\s*(?:fwd?|fw|wg|tr|rv|enc|i|vs|vb|pd|doorst|továbbítás)\s*:", re.I)


class BodySnapshot:
    """What the body rules may look at: the message's own parts and their decoded text."""

    def __init__(
        self, view: MessageView, patterns: PatternSet | None = None, *, listed: bool = False
    ) -> None:
        self.view = view
        self.subject = view.subject
        self.patterns = patterns or default_patterns()
        self.listed = listed
        """List headers are present: the text is a list's or a mailing service's, whose
        footers are its own (a person's quote of one would be bulk anyway), so quote
        markers are not looked for."""

    @cached_property
    def part_types(self) -> frozenset[str]:
        """Content types of the message's own parts (bounded walk; attached messages
        are listed but not entered: a report inside a forward is not this message's)."""
        return frozenset(part.content_type for part in self.view.parts)

    @cached_property
    def text(self) -> str:
        """The decoded text of the message's own text parts (not attached originals)."""
        return report_text(self.view.parts, every_alternative=True)

    @cached_property
    def unquoted(self) -> str:
        """The text above any quoted message, without ``>`` lines, head and tail only.

        Notices sit at the top and footers at the bottom; the middle of a long
        newsletter is not read, which bounds the cost of every pattern.
        """
        text = self.text if self.listed else before_quotes(self.text, self.patterns)
        text = _QUOTED_LINE.sub("", text)
        if len(text) <= 2 * _WINDOW:
            return text
        return text[:_WINDOW] + "\n" + text[-_WINDOW:]

    @cached_property
    def lowered(self) -> str:
        """``unquoted`` in lower case, character for character (offsets stay valid)."""
        lowered = self.unquoted.lower()
        if len(lowered) == len(self.unquoted):
            return lowered
        # A few characters grow when lowered ("İ"); keep those as they are.
        return "".join(c if len(c.lower()) != 1 else c.lower() for c in self.unquoted)

    @cached_property
    def edges(self) -> Searchable:
        """The head and the tail of ``unquoted``, wrapped lines joined, for the language
        data's phrase lists: notices sit at the top or in the footer."""
        text = self.unquoted
        if len(text) > _NOTICE_HEAD + _NOTICE_TAIL:
            text = text[:_NOTICE_HEAD] + "\n" + text[-_NOTICE_TAIL:]
        return Searchable.of(" ".join(text.split()))

    @property
    def is_forward(self) -> bool:
        """A person forwarding mail: machine text inside is not theirs."""
        return _FORWARD.match(self.subject) is not None


@dataclass(frozen=True, slots=True)
class BodyRule:
    """A documented check over a :class:`BodySnapshot` (same fields as a header rule)."""

    name: str
    category: Category
    confidence: float
    evidence: str
    source: str
    phrases: AnyOf | None = None
    requires: tuple[str, ...] = ()
    """Words (lower case) one of which every match of ``phrases`` holds: where the text
    holds none, the phrases are not searched."""
    language_list: EvidenceKind | None = None
    """An evidence list of the language data to search instead of ``phrases``."""
    part_type: str | None = None
    sender: re.Pattern[str] | None = None
    """The sender's local part must match this for the rule to fire (a list's address)."""
    false_positives: str = "none known"
    skip_forwards: bool = True
    edges_only: bool = False
    """Only a match in the head or the tail of a longer text counts (a footer or a
    'view in browser' banner), not one in the middle or in a short note."""
    roles: frozenset[Role] = frozenset()
    """What a hit means to the pipeline besides its category."""

    def __call__(self, body: BodySnapshot) -> Reason | None:
        if self.skip_forwards and body.is_forward:
            return None
        if self.part_type is not None:
            if self.part_type not in body.part_types or not self._sent_by(body):
                return None
            return Reason(self.name, self.category, f"a {self.part_type} part", self.confidence)
        if self.language_list is not None:
            return self._language_phrase(body, self.language_list)
        if self.phrases is None:
            return None
        text, lowered = body.unquoted, body.lowered
        if self.requires and not any(word in lowered for word in self.requires):
            return None
        if self.edges_only:
            if len(text) < _MIN_EDGED_TEXT:
                return None
            head, tail_start = lowered[:_HEAD_CHARS], max(0, len(lowered) - _TAIL_CHARS)
            match = self.phrases.search(head) or self.phrases.search(lowered, tail_start)
        else:
            match = self.phrases.search(lowered)
        if match is None:
            return None
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        line = text[start : end if end != -1 else len(text)].strip()
        if self.edges_only and line.endswith("?"):
            return None  # "how do I unsubscribe?" is a person asking
        return Reason(self.name, self.category, " ".join(line.split())[:160], self.confidence)

    def _sent_by(self, body: BodySnapshot) -> bool:
        sender = body.view.from_address or ""
        return self.sender is None or self.sender.fullmatch(local_part_of(sender)[:128]) is not None

    def _language_phrase(self, body: BodySnapshot, kind: EvidenceKind) -> Reason | None:
        found = notice_patterns(body.patterns).find(kind, body.edges)
        if not found:
            return None
        detail = f"{' '.join(found[0].text.split())[:160]} [{found[0].language}]"
        return Reason(self.name, self.category, detail, self.confidence)


#: Words every challenge text holds one of (TMDA asks to confirm, Boxbe names its guest list,
#: BoxTrapper and SpamArrest ask to verify, others hold mail or fight spam).
CHALLENGE_WORDS = (
    "guest",
    "waitlist",
    "confirm",
    "verify",
    "deliver",
    "held",
    "spam",
    "junk",
    "challenge",
)

CHALLENGE_RESPONSE = BodyRule(
    "challenge-response",
    Category.AUTO_REPLY,
    0.85,
    "a challenge-response system holds the message until the sender proves to be a person "
    "or confirms a sender list: 'add yourself to my Guest List', 'confirm that you are "
    "human', 'your message has been waitlisted', 'to have your mail delivered'",
    "TMDA, Boxbe, cPanel BoxTrapper, SpamArrest challenge messages",
    phrases=AnyOf(
        (
            r"(?:to|on) my [^\n]{0,30}guest list",
            "has been waitlisted",
            r"confirm (?:that )?you are (?:a )?(?:human|real person|person)",
            r"verify (?:that )?you are (?:a )?(?:human|real person|person)",
            r"(?:to|will) (?:have|get) your (?:e-?mail|message) delivered",
            r"held (?:pending|until) (?:your )?(?:confirmation|verification)",
            r"i use a (?:spam|junk)[- ]?(?:filter|protection)[^\n]{0,40}(?:requires|asks)",
            r"challenge[- ]response",
        )
    ),
    requires=CHALLENGE_WORDS,
    false_positives="a person explaining how such systems work",
    roles=frozenset({Role.CONTENT}),
)

BODY_RULES: tuple[BodyRule, ...] = (
    BodyRule(
        "report-part-delivery-status",
        Category.BOUNCE,
        0.9,
        "a message/delivery-status part inside another container than multipart/report",
        "RFC 3464; MTAs that wrap their DSN in multipart/mixed",
        part_type="message/delivery-status",
        roles=frozenset({Role.BOUNCE_HINT, Role.REPORT_EVIDENCE, Role.STRUCTURE}),
    ),
    BodyRule(
        "report-part-feedback",
        Category.AUTO_GENERATED,
        0.9,
        "a message/feedback-report part (ARF) in any container",
        "RFC 5965; RFC 6591 (authentication failure reports)",
        part_type="message/feedback-report",
        roles=frozenset({Role.REPORT_EVIDENCE, Role.STRUCTURE}),
    ),
    BodyRule(
        "report-part-disposition",
        Category.RECEIPT,
        0.9,
        "a message/disposition-notification part in any container",
        "RFC 8098",
        part_type="message/disposition-notification",
        roles=frozenset({Role.REPORT_EVIDENCE, Role.STRUCTURE}),
    ),
    BodyRule(
        "digest",
        Category.BULK,
        0.85,
        "a multipart/digest part from a list's administrative address (-request, -owner, "
        "owner-, -bounces): the posts of a list collected for its subscribers (never a "
        "returned original)",
        "RFC 2046 section 5.1.5; Mailman, Sympa and LISTSERV MIME digests",
        part_type="multipart/digest",
        sender=LIST_ADMIN_LOCAL,
        false_positives="none known (a person forwarding several messages as a digest, as "
        "Pine does, writes from their own address)",
        roles=frozenset({Role.CONTENT}),
    ),
    BodyRule(
        "body-automatic-notice",
        Category.AUTO_GENERATED,
        0.7,
        "the message's own text says it was sent by a machine: 'please do not reply to this "
        "e-mail', 'this message was generated automatically' (automatic_notices in the "
        "language data, 31 languages)",
        "transactional mail conventions (PayPal, shops, ticket systems, monitoring)",
        language_list="automatic_notices",
        false_positives="a person quoting such a notice in their own words (quoted '>' lines "
        "and forwards are skipped)",
        roles=frozenset({Role.CONTENT}),
    ),
    BodyRule(
        "body-list-footer",
        Category.BULK,
        0.6,
        "unsubscribe or subscription-management text in the message's own text (mailing "
        "services put it under one-event notifications too, hence 0.6)",
        "RFC 2369 practice and CAN-SPAM/GDPR footers of newsletters and list managers",
        phrases=AnyOf(
            (
                "unsubscribe",
                r"opt[- ]out",
                r"removed from (?:this|our|the) (?:mailing )?list",
                "this email was sent to",
                "change your subscriber information",
                "remove yourself from",
                r"you received this (?:e-?mail|message)",
                r"(?:manage|update) (?:your )?(?:e-?mail |subscription )?"
                r"(?:preferences|subscriptions)",
                "subscription changes",
                r"ab(?:zu)?bestellen",
                r"ab(?:zu)?melden",
                "désabonner",
                "désinscri",
                "darse de baja",
                "cancelar suscripci",
                "disiscriv",
                "cancellare l'iscrizione",
                "afmelden",
                "uitschrijven",
                "отписаться",
                "退订",
                "配信停止",
                "取消订阅",
                "구독 취소",
                "수신거부",
            )
        ),
        edges_only=True,
        false_positives="a person asking how to unsubscribe (usually through the list, which "
        "is bulk anyway); forwards are skipped",
        roles=frozenset({Role.CONTENT}),
    ),
    BodyRule(
        "body-newsletter",
        Category.BULK,
        0.8,
        "wording of the same content sent to many, at the top or in the footer: 'view this "
        "email in your browser', 'you are receiving this newsletter', 'Newsletter "
        "abbestellen', 'voir la version en ligne' (newsletter_phrases in the language data)",
        "newsletter templates of mailing services (Mailchimp, Brevo, Inxmail, CleverReach)",
        language_list="newsletter_phrases",
        false_positives="a person forwarding a newsletter (forwards are skipped)",
        roles=frozenset({Role.CONTENT}),
    ),
    CHALLENGE_RESPONSE,
)
