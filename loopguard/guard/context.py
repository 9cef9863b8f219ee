"""One message being decided: what the decision reads from it, and the failures it met.

The message is parsed and classified once, here; every check and step reads the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from loopguard.classifier.pipeline import Classifier
from loopguard.classifier.verdict import Reason, Verdict
from loopguard.errors import StoreError
from loopguard.guard.outbound import LoopToken, TokenSighting
from loopguard.mail.address import normalize_address, parse_address_list
from loopguard.mail.view import MessageView
from loopguard.rate.keys import KeyDeriver

__all__ = ["CheckContext", "MessageReader", "message_view", "thread_root"]

_MAX_ANSWER_TO: Final = 5


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
    #: A valid token of ours in the message's own headers or its references.
    token_in_headers: TokenSighting | None = None
    degraded: list[Reason] = field(default_factory=list)
    #: The first store failure of this decision; the remaining store steps are skipped
    #: instead of waiting for the store's timeout again.
    store_failure: StoreError | None = None

    def again(self) -> CheckContext:
        """The same message, to be decided afresh (the failures forgotten)."""
        self.degraded = []
        self.store_failure = None
        return self


class MessageReader:
    """Reads each message once: parsed, classified, and the keys the decision needs.

    Args:
        classifier: The classifier of incoming mail.
        token: Our loop token, if the guard has a secret (an answer to our own mail
            weighs its out-of-office text a little more).
        keys: The key deriver of the rate limits (the logged key hash).
    """

    def __init__(self, classifier: Classifier, token: LoopToken | None, keys: KeyDeriver) -> None:
        self.classifier = classifier
        self.token = token
        self.keys = keys

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
        in_headers = self.token.find_in_headers(view) if self.token is not None else None
        verdict = self.classifier.classify_view(view, reply_to_ours=in_headers is not None)
        sender = view.sender
        ours = normalize_address(recipient) if recipient else None
        return CheckContext(
            view=view,
            verdict=verdict,
            trigger=trigger,
            sender=sender,
            recipient=ours or recipient,
            answer_to=_answer_addresses(view, sender),
            thread=thread or thread_root(view),
            key=self.keys.key_of("pair", sender, ours or recipient, None),
            token_in_headers=in_headers,
        )


def message_view(message: object, envelope_sender: str | None = None) -> MessageView:
    """``message`` as a view, parsed unless it is one already."""
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


def _answer_addresses(view: MessageView, sender: str | None) -> tuple[str, ...]:
    """Who an answer would go to: the Reply-To addresses, else the sender."""
    reply_to = view.get("reply-to")
    found: list[str] = []
    if reply_to:
        for _, raw in parse_address_list(reply_to[:2000])[:_MAX_ANSWER_TO]:
            address = normalize_address(raw)
            if address and address not in found:
                found.append(address)
    if not found and sender:
        found.append(sender)
    return tuple(found)
