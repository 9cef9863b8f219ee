"""Conversations as the desk's mailbox sees them: a ``Thread`` writes the next message,
citing and quoting the last, and an ``Event`` is one such message (or an agent's reply)
at its time of the day."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .core import EPOCH, HELP
from .mail import Mail, compose, date_at, header, headers_of, new_message_id, text_of
from .people import Chatter, Person


def quote(text: str, author: str) -> str:
    lines = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"\n\n{author} wrote:\n{lines}\n"


@dataclass
class Thread:
    """One conversation as the desk's mailbox sees it: what the next message cites and
    quotes (the previous message, often our stamped acknowledgement)."""

    subject: str
    rng: random.Random
    agent: str = "Maria"
    references: list[str] = field(default_factory=list)
    last_text: str = ""
    last_author: str = ""
    last_ack: Mail | None = None

    def write(
        self,
        author: Person,
        text: str,
        at: float,
        *,
        cc: Sequence[Person] = (),
        to: str = HELP,
        extra: Sequence[tuple[str, str]] = (),
        envelope: str | None = None,
    ) -> Mail:
        """``author``'s message in this thread, replying to the last one if there is one."""
        message_id = new_message_id(self.rng, author.domain)
        replying = bool(self.references)
        headers = [("From", author.header()), ("To", to)]
        if cc:
            headers.append(("Cc", ", ".join(person.header() for person in cc)))
        headers += [
            ("Subject", f"Re: {self.subject}" if replying else self.subject),
            ("Date", date_at(EPOCH + at)),
            ("Message-ID", message_id),
        ]
        if replying:
            headers.append(("In-Reply-To", self.references[-1]))
            headers.append(("References", " ".join(self.cited())))
        body = text + (quote(self.last_text, self.last_author) if replying else "")
        self.remember(message_id, text, author.name)
        return Mail(compose([*headers, *extra], body), envelope or author.address)

    def agent_reply(self, customer: Person, writer: Chatter) -> None:
        """An agent answers by hand: outgoing mail, which the guard never sees."""
        text = writer.agent_answer(customer, self.agent)
        self.remember(new_message_id(self.rng, "desk.example"), text, f"{self.agent}, Help Desk")

    def answered(self, ack: Mail | None) -> None:
        """Our acknowledgement joins the thread; the next reply cites and quotes it."""
        if ack is None:
            return
        self.last_ack = ack
        headers = headers_of(ack.raw)
        self.subject = header(headers, "Subject")
        self.remember(header(headers, "Message-ID"), text_of(ack.raw), "Help Desk")

    def cited(self) -> list[str]:
        # Mail clients keep the root and the newest ids when References grows long.
        return [self.references[0], *self.references[1:][-9:]]

    def remember(self, message_id: str, text: str, author: str) -> None:
        self.references.append(message_id)
        self.last_text, self.last_author = text, author


@dataclass(frozen=True)
class Event:
    """Something that happens ``at`` seconds into the day: a message reaching the desk,
    rendered by ``write`` only then (it may cite what came before), or an agent's reply
    (``write`` returns None)."""

    at: float
    write: Callable[[], Mail | None]
    person: str | None = None  # whose answers count; None for attackers and agents
    thread: Thread | None = None


def writes(
    thread: Thread,
    author: Person,
    text: str,
    at: float,
    *,
    counted: bool = True,
    cc: Sequence[Person] = (),
    to: str = HELP,
    extra: Sequence[tuple[str, str]] = (),
    envelope: str | None = None,
    on_behalf_of: Person | None = None,
) -> Event:
    """The event of ``author`` writing ``text`` in ``thread``. The answer is counted for
    ``on_behalf_of`` when somebody else writes for that person (a contact form)."""
    write = functools.partial(
        thread.write, author, text, at, cc=cc, to=to, extra=extra, envelope=envelope
    )
    person = (on_behalf_of or author).address if counted else None
    return Event(at, write, person, thread)


def agent_replies(thread: Thread, customer: Person, at: float, writer: Chatter) -> Event:
    return Event(at, functools.partial(thread.agent_reply, customer, writer))
