"""A message as the events the trackers count: one per correspondent.

An answer that reaches several people (Reply-To with three addresses, and the From) counts
for each of them, on every rung: each person's pair, organization and thread, and the
organization's answers to our answers. The trackers count every key once per decision
(:meth:`loopguard.rate.sansio.TrackerCore.together`), so two people of one organization
spend its domain rung once.
"""

from __future__ import annotations

from loopguard.guard.context import NO_RECIPIENT, CheckContext
from loopguard.guard.identity import IdentityReader
from loopguard.rate.keys import MailEvent

__all__ = ["answer_event", "rate_events", "repeat_events"]


def rate_events(ctx: CheckContext) -> list[MailEvent]:
    """The rate events of ``ctx``: one per correspondent."""
    recipient = ctx.recipient or NO_RECIPIENT
    events = [
        MailEvent(address, recipient, ctx.thread, domain, ctx.answering)
        for address, domain in zip(ctx.correspondents, ctx.domains, strict=True)
    ]
    return events or [MailEvent(ctx.sender, recipient, ctx.thread)]


def repeat_events(ctx: CheckContext, digest: str) -> list[MailEvent]:
    """The text of ``ctx`` (its keyed ``digest``) as events of the repeat tracker: per
    correspondent, per organization of a sender that looks automated (never a shared
    free-mail domain), and per recipient. The digest in front of each part makes the
    key count this text alone."""
    recipient = f"{digest} {ctx.recipient}" if ctx.recipient else None
    by_domain = ctx.machine_hints
    return [
        MailEvent(
            f"{digest} {address}",
            recipient,
            domain=f"{digest} {domain}" if domain and by_domain else None,
        )
        for address, domain in zip(ctx.correspondents, ctx.domains, strict=True)
    ] or [MailEvent(recipient=recipient)]


def answer_event(
    identities: IdentityReader, sender: str | None, recipient: str | None, thread: str | None
) -> MailEvent:
    """The rate event of an answer to ``sender`` that a host reports (``Guard.record``),
    counted as the guard counts a correspondent."""
    address = identities.folded(sender)
    if address is None:
        return MailEvent(None, recipient, thread)
    return MailEvent(address, recipient or NO_RECIPIENT, thread, identities.organization(address))
