"""The other side of a loop: a partner's case system that answers everything and marks
nothing, and the agent's message that starts the loop."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from loopguard.testing import FakeClock

from .mail import Mail, compose, date_at, header, headers_of, new_message_id, text_of

KB_ARTICLES = (
    "Resetting your password", "Where is my order?", "Updating billing details",
    "Setting up two-factor sign-in", "Exchanging a damaged item",
    "Changing your delivery address", "Downloading invoices", "Connecting a printer",
    "Cancelling a subscription", "Adding users to your account", "Exporting reports",
    "Troubleshooting sync problems", "Understanding your bill",
    "Contacting the service desk by phone", "Our support hours", "Warranty and repairs",
    "Moving to a new plan", "Closing your account", "Using the mobile app",
    "Configuring single sign-on", "Recovering deleted files", "Requesting a refund",
    "Reporting a security issue", "Tracking a shipment", "Renewing a licence",
    "Setting notification preferences", "Managing API keys", "Changing the account owner",
)  # fmt: skip


@dataclass
class CaseSystem:
    """A partner's case system: it opens a case for every message it receives and
    acknowledges it, marking nothing (no Auto-Submitted, no Precedence, not threaded).

    Its notice suggests help-center articles picked per case, as Zendesk's Answer Bot or
    Salesforce's article recommendations do, so its text differs from one case to the next
    and never repeats often enough for ``repeated-content``: the issue's responder runs all
    day today. Its wording is plain on purpose: this is the responder the classifier misses.
    """

    clock: FakeClock
    rng: random.Random
    rotate_envelope: bool = False  # a fresh VERP/SES return path per message
    rotate_tag: bool = False  # From: cases+<case id>@ per case
    domain: str = "partner.example"
    reply_to: str | None = None
    case: int = 12345
    #: From and Reply-To per case number, when the scenario shapes them itself.
    sender_of: Callable[[int], str] | None = None
    reply_to_of: Callable[[int], str | None] | None = None
    quoting: bool = False  # quotes our whole message under its notice
    threading: bool = False  # In-Reply-To its own last notice, References ours and its own
    sent: list[str] = field(default_factory=list)

    def answer(self, mail: Mail) -> Mail:
        self.case += 1
        incoming = headers_of(mail.raw)
        subject = f"RE: [Case {self.case}] {header(incoming, 'Subject')}"
        message_id = new_message_id(self.rng, self.domain)
        sender, reply_to = self.addresses()
        headers = [
            ("From", sender),
            ("To", header(incoming, "Reply-To", "From")),
            ("Subject", subject),
            ("Date", date_at(self.clock.now)),
            ("Message-ID", message_id),
        ]
        if reply_to:
            headers.append(("Reply-To", reply_to))
        if self.threading and self.sent:
            cited = [*self.sent[-3:], header(incoming, "Message-ID")]
            headers += [("In-Reply-To", self.sent[-1]), ("References", " ".join(cited))]
        self.sent.append(message_id)
        body = self.notice(subject)
        if self.quoting:
            body += quoted_original(mail.raw)
        return Mail(compose(headers, body), self.return_path())

    def addresses(self) -> tuple[str, str | None]:
        """This case's From and Reply-To."""
        if self.sender_of is not None:
            reply_to = self.reply_to_of(self.case) if self.reply_to_of else None
            return self.sender_of(self.case), reply_to
        local = f"cases+{self.case}" if self.rotate_tag else "cases"
        return f"Partner Support <{local}@{self.domain}>", self.reply_to

    def notice(self, subject: str) -> str:
        articles = "\n".join(f"- {title}" for title in self.rng.sample(KB_ARTICLES, 3))
        return (
            "Thank you for contacting Partner Support, a case has been created.\n\n"
            f"Case number: {self.case}\nSubject: {subject}\n\n"
            "A member of our team will review it shortly. These articles from our help\n"
            f"center may answer your question in the meantime:\n\n{articles}\n\n"
            "Partner Support\n"
        )

    def return_path(self) -> str:
        if not self.rotate_envelope:
            return f"bounces@{self.domain}"
        # Amazon SES style: one return path per message, so that a bounce maps to one send.
        message = f"{self.rng.getrandbits(64):016x}-{self.rng.getrandbits(128):032x}-000000"
        return f"{message}@eu-west-1.amazonses.com"


def opening_message(clock: FakeClock, rng: random.Random, *, sender: str, to: str) -> Mail:
    """What starts a loop: an agent writes to the other side from the desk's address."""
    headers = [
        ("From", f"Help Desk <{sender}>"),
        ("To", to),
        ("Subject", "Replacement toner for the 3rd floor printer"),
        ("Date", date_at(clock.now)),
        ("Message-ID", new_message_id(rng, sender.rpartition("@")[2])),
    ]
    body = "Hello,\n\nplease send two black toner cartridges to our office.\n\nMaria\n"
    return Mail(compose(headers, body), sender)


def quoted_original(raw: bytes) -> str:
    """Our whole message below the notice, its headers too (our Message-ID, and the token
    in our text), as a case system that files the mail it answers into the case."""
    original = headers_of(raw)
    names = ("From", "Date", "Subject", "Message-ID")
    fields = "\n".join(f"{name}: {header(original, name)}" for name in names)
    return f"\n-----Original Message-----\n{fields}\n\n{text_of(raw)}"
