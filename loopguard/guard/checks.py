"""The checks that need no store, in the documented order: the first that fails decides.

Deny-list; our own address (Zammad, Sieve); our own loop token (RT, Zammad); automated
mail per the trigger's categories (RT, GitLab, Mailman); the sender's "no automatic
answer" request (Sieve, Mailman); do-not-mail addresses (Zammad, RFC 3834). An
allow-listed sender skips every check after our own loops.
"""

from __future__ import annotations

from loopguard.classifier.rules.senders import is_system_sender
from loopguard.classifier.verdict import Category, Reason
from loopguard.guard.context import CheckContext
from loopguard.guard.decision import (
    ALLOW_LIST,
    AUTOMATED,
    DENY_LIST,
    DO_NOT_MAIL,
    NO_AUTOREPLY,
    OWN_ADDRESS,
    OWN_TOKEN,
)
from loopguard.guard.identity import IdentityReader
from loopguard.guard.outbound import LoopToken
from loopguard.guard.policy import Policy, TriggerPolicy
from loopguard.mail.address import normalize_address

__all__ = ["StatelessChecks"]


class StatelessChecks:
    """The policy's store-free checks, with our own addresses and loop token.

    Args:
        policy: The guard's policy.
        identities: Who is on the other side (knows our own addresses).
        token: Our loop token, if the guard has a secret.
    """

    def __init__(self, policy: Policy, identities: IdentityReader, token: LoopToken | None) -> None:
        self.policy = policy
        self.identities = identities
        self.token = token

    def first_failure(
        self, ctx: CheckContext, trigger: TriggerPolicy, *, allowed: bool
    ) -> Reason | None:
        """The first check ``ctx`` fails, in order, or None.

        ``allowed``: the sender is allow-listed, which lifts every check after our own
        loops.
        """
        policy = self.policy
        for address in (ctx.sender, *ctx.answer_to):
            listed = policy.deny_listed(address)
            if listed is not None:
                return Reason(DENY_LIST, None, f"sender on the deny-list ({listed})")
        own = self.own_loop(ctx, trigger)
        if own is not None or allowed:
            return own
        verdict = ctx.verdict
        if verdict.category not in trigger.categories:
            evidence = f" ({verdict.reasons[0]})" if verdict.reasons else ""
            detail = f"{verdict.category} mail does not fire this trigger{evidence}"
            return Reason(AUTOMATED, verdict.category, detail, verdict.confidence)
        if not trigger.answers_sender:
            return None
        if policy.honor_no_autoreply and verdict.no_autoreply:
            rules = ", ".join(r.rule for r in verdict.reasons if r.category is not Category.HUMAN)
            return Reason(NO_AUTOREPLY, None, f"the sender asks for no automatic answer ({rules})")
        for address in ctx.answer_to:
            if policy.do_not_mail_match(address) or is_system_sender(address):
                return Reason(DO_NOT_MAIL, None, f"{address} matches a do-not-mail pattern")
        # RFC 3834 section 2: mail whose return path is a mail system's (MAILER-DAEMON)
        # is not answered, whoever its From names.
        envelope = normalize_address(ctx.view.envelope_sender)
        if is_system_sender(envelope):
            return Reason(DO_NOT_MAIL, None, f"the return path {envelope} is a mail system's")
        return None

    def own_loop(self, ctx: CheckContext, trigger: TriggerPolicy) -> Reason | None:
        """An answer that would reach ourselves, mail from us, or our own token come back.

        Mail From one of our addresses with an external Reply-To and no token of ours is
        a contact form (SPF and DMARC make a website send From its own domain): it is
        judged by its answer address instead.
        """
        for address in ctx.answer_to:
            if self._ours(ctx, address):
                return Reason(OWN_ADDRESS, None, f"{address} is one of our own addresses")
        sender = ctx.view.from_address
        contact_form = ctx.answer_to != (sender,) and ctx.token_in_headers is None
        if self._ours(ctx, sender) and not contact_form:
            return Reason(OWN_ADDRESS, None, f"{sender} is one of our own addresses")
        if self.token is None:
            return None
        # A token in the body only makes a loop of automatic mail. Decoding base64 parts
        # needs a MIME parse; it is skipped when the category check suppresses anyway.
        verdict = ctx.verdict
        sighting = ctx.token_in_headers
        if sighting is None and verdict.is_automated:
            decode = verdict.category in trigger.categories
            sighting = self.token.find_in_body(ctx.view, decode=decode)
        if sighting is None:
            return None
        if sighting.where == "header":
            return Reason(OWN_TOKEN, None, "our own message came back (token in its headers)")
        if verdict.is_automated:
            detail = f"an automatic answer to our own mail (token in its {sighting.where})"
            return Reason(OWN_TOKEN, verdict.category, detail)
        return None  # a person answering our notification cites it naturally

    def _ours(self, ctx: CheckContext, address: str | None) -> bool:
        """One of our addresses, or the recipient the host gave or our server recorded."""
        if self.identities.is_own(address):
            return True
        trusted = ctx.recipient_source not in (None, "to")
        return trusted and address is not None and address == ctx.recipient

    def allow_listed(self, ctx: CheckContext) -> Reason | None:
        """Why the sender or an answer address is allow-listed, or None."""
        for address in (ctx.sender, *ctx.answer_to):
            listed = self.policy.allow_listed(address)
            if listed is not None:
                return Reason(ALLOW_LIST, None, f"sender on the allow-list ({listed})")
        return None
