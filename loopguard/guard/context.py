"""One message being decided: what the decision reads from it, and the failures it met.

The message is parsed and classified once, here; every check and step reads the context.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Final

from loopguard.classifier.pipeline import Classifier
from loopguard.classifier.rules.roles import Role
from loopguard.classifier.verdict import Category, Reason, Verdict
from loopguard.errors import StoreError
from loopguard.guard.identity import IdentityReader, RecipientSource
from loopguard.guard.outbound import LoopToken, TokenSighting
from loopguard.guard.policy import Policy
from loopguard.guard.telemetry import log
from loopguard.mail.address import normalize_address
from loopguard.mail.view import MessageView
from loopguard.rate.keys import KeyDeriver
from loopguard.stores.sansio import StoreCall

__all__ = ["NO_RECIPIENT", "CheckContext", "MessageReader", "message_view", "thread_root"]

#: The recipient of the pair rung when none is known: the pair ladder then counts the
#: correspondent alone (a sender-only ladder).
NO_RECIPIENT: Final = "(no recipient known)"
_DAMAGE: Final = ("malformed-", "rule-error")


@dataclass(slots=True)
class CheckContext:
    """One message being decided: what the flow reads, and the failures it met."""

    view: MessageView
    verdict: Verdict
    trigger: str | None
    sender: str | None
    recipient: str | None
    answer_to: tuple[str, ...]
    thread: str | None
    key: str | None
    #: The folded addresses that are counted, and the organization of each (``None``
    #: for a shared free-mail domain).
    correspondents: tuple[str, ...] = ()
    domains: tuple[str | None, ...] = ()
    recipient_source: RecipientSource | None = None
    #: A valid token of ours in the message's own headers or its references.
    token_in_headers: TokenSighting | None = None
    #: The message answers one of our automatic answers (our token in its In-Reply-To).
    answering: bool = False
    #: The verdict holds evidence of a machine, however weak (an acknowledgement phrase,
    #: a role address): repeated text then counts per organization too.
    machine_hints: bool = False
    degraded: list[Reason] = field(default_factory=list)
    #: The first store failure of this decision; the remaining store steps are skipped
    #: instead of waiting for the store's timeout again.
    store_failure: StoreError | None = None
    #: The counts this decision recorded, to be refunded if the answer is not sent.
    reserved: list[StoreCall] = field(default_factory=list)


class MessageReader:
    """Reads each message once: parsed, classified, and the keys the decision needs.

    Args:
        classifier: The classifier of incoming mail.
        token: Our loop token, if the guard has a secret (an answer to our own mail
            weighs its out-of-office text a little more).
        keys: The key deriver of the rate limits (the logged key hash).
        identities: Who is on the other side of a message.
        policy: The guard's policy (our own list aliases).
    """

    def __init__(
        self,
        classifier: Classifier,
        token: LoopToken | None,
        keys: KeyDeriver,
        identities: IdentityReader,
        policy: Policy,
    ) -> None:
        self.classifier = classifier
        self.token = token
        self.keys = keys
        self.identities = identities
        self.policy = policy
        self.warned_no_recipient = False

    def read(
        self,
        message: object,
        recipient: str | None,
        trigger: str | None,
        envelope_sender: str | None,
        thread: str | None,
    ) -> CheckContext:
        """The context of deciding whether ``trigger`` may answer ``message``."""
        view = message_view(message, envelope_sender)
        # Headers only, before classifying: an answer to our own mail (our token in its
        # References) weighs its out-of-office text a little more.
        token = self.token
        in_headers = token.find_in_headers(view) if token is not None else None
        verdict = self._classify(view, reply_to_ours=in_headers is not None)
        person = verdict.category is Category.HUMAN and any(map(self._a_person, verdict.reasons))
        ids = self.identities.read(view, normalize_address(recipient) or recipient, person=person)
        if ids.recipient is None:
            self._warn_no_recipient()
        primary = ids.correspondents[0] if ids.correspondents else view.sender
        return CheckContext(
            view=view,
            verdict=verdict,
            trigger=trigger,
            sender=view.sender,
            recipient=ids.recipient,
            answer_to=ids.answer_to,
            thread=thread or thread_root(view),
            key=self.keys.key_of("pair", primary, ids.recipient or NO_RECIPIENT, None),
            correspondents=ids.correspondents,
            domains=ids.domains,
            recipient_source=ids.recipient_source,
            token_in_headers=in_headers,
            answering=token is not None and token.answered_by(view),
            machine_hints=any(map(self._hints_a_machine, verdict.reasons)),
        )

    def _a_person(self, reason: Reason) -> bool:
        return Role.PERSON in self.classifier.roles.of(reason)

    def _hints_a_machine(self, reason: Reason) -> bool:
        """Any evidence but a person's signs and damage to the message."""
        if reason.category is Category.HUMAN or reason.rule.startswith(_DAMAGE):
            return False
        return Role.PERSON not in self.classifier.roles.of(reason)

    def _classify(self, view: MessageView, *, reply_to_ours: bool) -> Verdict:
        """The verdict; list headers of our own list aliases are not read as list mail."""
        if self.policy.own_list_ids and self.policy.is_own_list(view.get("list-id")):
            return self._without_list_rules.classify_view(view, reply_to_ours=reply_to_ours)
        return self.classifier.classify_view(view, reply_to_ours=reply_to_ours)

    @functools.cached_property
    def _without_list_rules(self) -> Classifier:
        # The classifier's own option: the same classifier without the rules that read
        # list headers (List-*, Precedence: list), built once, on the first such message.
        rules = tuple(r for r in self.classifier.rules if Role.LIST_HEADER not in r.roles)
        return dataclasses.replace(self.classifier, rules=rules)

    def _warn_no_recipient(self) -> None:
        if not self.warned_no_recipient:
            self.warned_no_recipient = True
            log.warning(
                "loopguard: a message names none of our addresses (no recipient=, "
                "Delivered-To, X-Original-To or To); its pair limits count the sender "
                "alone. Pass recipient= to count per pair (logged once per guard)"
            )


def message_view(message: object, envelope_sender: str | None = None) -> MessageView:
    """``message`` as a view, parsed unless it is one already (a ``str`` with lone
    surrogates, as JSON webhooks deliver them, reads with U+FFFD in their place)."""
    if isinstance(message, MessageView):
        return message
    return MessageView.from_input(message, envelope_sender=envelope_sender)


def thread_root(view: MessageView) -> str | None:
    """The conversation's root Message-ID: first of References, else In-Reply-To, else
    the message's own Message-ID."""
    for name in ("references", "in-reply-to", "message-id"):
        value = view.get(name)
        if value:
            head = value.split(">", 1)[0].strip().lstrip("<").strip()
            if head:
                return head
    return None
