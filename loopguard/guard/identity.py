"""Who is on the other side of a message, and which of our addresses received it.

The correspondents of a message are the addresses our answer would reach (``Reply-To``,
else ``From``; RFC 5322 section 3.6.2), each counted, plus the ``From`` address. The
envelope sender never identifies them: VERP, SRS and ESP return paths change with every
message (it tells the classifier about bounces and null senders instead). Sub-addresses
fold (``cases+4711@`` is ``cases@``), and an organization is its registrable domain under
the Public Suffix List, as DMARC decides it (RFC 7489 section 3.2), except a shared
free-mail domain, whose users are strangers to each other.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal

from loopguard.mail.address import domain_of, normalize_address, parse_address_list
from loopguard.mail.view import MessageView

__all__ = [
    "FREE_MAIL_DOMAINS",
    "Identities",
    "IdentityReader",
    "RecipientSource",
    "answer_addresses",
    "organization_of",
    "recipient_of",
]

#: Where the guard found our address that received a message (``None``: nowhere).
RecipientSource = Literal["given", "delivered-to", "x-original-to", "to"]

_MAX_ANSWER_TO: Final = 5  # Reply-To addresses counted; more is a mail bomb's trick
_MAX_ADDRESSED: Final = 50
_TRACE_HEADERS: Final[tuple[RecipientSource, ...]] = ("delivered-to", "x-original-to")
_CACHE_SIZE: Final = 65_536


def _free_mail() -> frozenset[str]:
    text = resources.files("loopguard").joinpath("data/free_mail_domains.toml").read_text("utf-8")
    return frozenset(domain.strip().casefold() for domain in tomllib.loads(text)["domains"])


#: Shared free-mail domains (loopguard/data/free_mail_domains.toml): never counted as one
#: organization.
FREE_MAIL_DOMAINS: Final[frozenset[str]] = _free_mail()


@functools.cache
def _suffix_list() -> object:
    # Loaded on first use (about 60 ms): a host that never builds a guard never pays it.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def organization_of(domain: str) -> str:
    """The registrable domain of ``domain`` (``mail.eu.partner.co.uk`` is
    ``partner.co.uk``), or the domain itself when it has none (``localhost``)."""
    registrable = _suffix_list().privatesuffix(domain)  # type: ignore[attr-defined]
    return str(registrable) if registrable else domain


@dataclass(frozen=True, slots=True)
class Identities:
    """Who a message is from and to, as the decision counts them.

    Attributes:
        answer_to: Where our answer would go (Reply-To, else From), normalized.
        correspondents: ``answer_to`` and the From address, sub-addresses folded, without
            our own addresses: every one of them is counted.
        domains: The organization of each correspondent, or ``None`` for a shared
            free-mail domain (index for index).
        recipient: Our address that received the message, or ``None``.
        recipient_source: Where ``recipient`` came from.
    """

    answer_to: tuple[str, ...]
    correspondents: tuple[str, ...]
    domains: tuple[str | None, ...]
    recipient: str | None
    recipient_source: RecipientSource | None


class IdentityReader:
    """Reads the identities of messages for one guard.

    Args:
        own: Our normalized addresses (never counted as correspondents).
        separators: Characters that start a sub-address (``"+"``; ``""`` folds none).
        free_mail: Shared free-mail domains (never one organization).
        shared: Shared mailboxes, counted per person who wrote (``Sender``).
    """

    def __init__(
        self,
        own: Iterable[str],
        separators: str,
        free_mail: frozenset[str],
        *,
        shared: Iterable[str] = (),
    ) -> None:
        self.separators = separators
        self.free_mail = free_mail
        self.own = frozenset(self.fold(address) for address in own)
        self.shared = frozenset(self.fold(address) for address in shared)

    def read(self, view: MessageView, recipient: str | None, *, person: bool = False) -> Identities:
        """The identities of ``view``; ``recipient`` is the one the host gave, if any;
        ``person``: the text shows a person wrote it (a relayed visitor's, perhaps)."""
        answer_to = answer_addresses(view)
        counted = {
            address: self.organization(address)
            for address in map(self.fold, answer_to)
            if address not in self.own and address != recipient
        }
        sender = self.fold(view.from_address or "")
        if sender and sender not in self.own and sender != recipient and sender not in counted:
            relaying = self._relaying(sender, counted) if person else sender
            counted[relaying] = self.organization(sender)
        if self.shared and counted.keys() & self.shared:
            counted = self._per_writer(view, counted)
        source: RecipientSource | None = "given" if recipient else None
        if not recipient:
            recipient, source = recipient_of(view, self.own)
        return Identities(
            answer_to=answer_to,
            correspondents=tuple(counted),
            domains=tuple(counted.values()),
            recipient=recipient,
            recipient_source=source,
        )

    def _relaying(self, sender: str, answered: dict[str, str | None]) -> str:
        """The From address beside the Reply-To ones of a person's text: itself, or, when
        the answer goes to another organization only (a form service relaying a visitor),
        the From *for* that organization (or free-mail address), so that one service
        relaying many people does not count as one person. A responder pointing replies at
        its own organization stays one key, and so does any From without a person's text
        (two case systems pointing replies at each other)."""
        organization = self.organization(sender)
        targets = {domain or address for address, domain in answered.items()}
        if not targets or (organization is not None and organization in targets):
            return sender
        return f"{sender} for {min(targets)}"

    def _per_writer(
        self, view: MessageView, counted: dict[str, str | None]
    ) -> dict[str, str | None]:
        """A shared mailbox counted per person who wrote (its ``Sender``), as declared."""
        writer = self.folded(view.get("sender"))
        if writer is None:
            return counted
        per_writer: dict[str, str | None] = {}
        for address, domain in counted.items():
            shared = address in self.shared and writer != address
            per_writer[f"{address} by {writer}" if shared else address] = domain
        return per_writer

    def fold(self, address: str) -> str:
        """``address`` with its sub-address folded (``user+tag@`` is ``user@``)."""
        local, at, domain = address.rpartition("@")
        if not at or not self.separators:
            return address
        cut = -1
        for separator in self.separators:  # where the first one starts, unless at 0
            index = local.find(separator)
            if index > 0 and (cut < 0 or index < cut):
                cut = index
        return f"{local[:cut]}@{domain}" if cut > 0 else address

    def folded(self, value: str | None) -> str | None:
        """``value`` normalized and folded, or ``None`` when it is no address."""
        address = normalize_address(value)
        return self.fold(address) if address else None

    def is_own(self, address: str | None) -> bool:
        """Whether ``address`` (normalized) is one of ours, sub-addresses folded."""
        return bool(address) and self.fold(address or "") in self.own

    def organization(self, address: str) -> str | None:
        """The organization counted for ``address``, or ``None`` for free-mail."""
        domain = domain_of(address)
        if not domain:
            return None
        organization = organization_of(domain)
        return None if organization in self.free_mail else organization


def answer_addresses(view: MessageView) -> tuple[str, ...]:
    """Who an answer would go to: the Reply-To addresses (at most five), else From, else
    the envelope sender."""
    found: list[str] = []
    reply_to = view.get("reply-to")
    if reply_to:
        for _, raw in parse_address_list(reply_to[:2000])[:_MAX_ANSWER_TO]:
            address = normalize_address(raw)
            if address and address not in found:
                found.append(address)
    if not found and view.sender:
        found.append(view.from_address or view.sender)
    return tuple(found)


def recipient_of(
    view: MessageView, own: Iterable[str] = ()
) -> tuple[str | None, RecipientSource | None]:
    """Our address that received ``view``, and where it was found: Delivered-To, else
    X-Original-To (both added by our own mail server), else the first of our ``own``
    addresses in To or Cc, else the first To address."""
    for name in _TRACE_HEADERS:
        address = normalize_address(view.get(name))
        if address:
            return address, name
    addressed = [
        normalize_address(raw)
        for name in ("to", "cc")
        for value in view.get_all(name)[:5]
        for _, raw in parse_address_list(value[:4000])[:_MAX_ADDRESSED]
    ]
    ours = frozenset(own)
    for address in addressed:
        if address and address in ours:
            return address, "to"
    first = next((address for address in addressed[:1] if address), None)
    return (first, "to") if first else (None, None)
