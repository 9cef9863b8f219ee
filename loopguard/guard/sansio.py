"""The guard without I/O: its settings, and each operation a generator of store calls.

:class:`GuardCore` classifies, checks and decides; where it needs the store it yields a
:class:`~loopguard.stores.sansio.StoreCall` (all keys of one step at once) and receives the
answer, as h11 does for HTTP. :class:`~loopguard.guard.Guard` runs its operations with
blocking store calls, :class:`~loopguard.guard.aio.AsyncGuard` awaits them; a host with
its own I/O can drive them too. Tests feed answers by hand, without a store or a loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from loopguard.classifier.pipeline import Classifier
from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard.bounces import BounceTeacher
from loopguard.guard.checks import StatelessChecks
from loopguard.guard.context import (
    CheckContext,
    MessageReader,
    message_view,
    thread_root,
)
from loopguard.guard.decision import Decision
from loopguard.guard.events import answer_event, rate_events
from loopguard.guard.flow import DecisionFlow, GuardTrackers, subkey
from loopguard.guard.identity import IdentityReader
from loopguard.guard.outbound import LoopToken
from loopguard.guard.policy import Policy, StoreErrorPolicy, check_store_error_policy
from loopguard.guard.telemetry import Metrics, count_failure, report_decision, report_failure
from loopguard.mail.address import normalize_address
from loopguard.rate.keys import KeyDeriver
from loopguard.rate.limits import DEFAULT_LIMITS, Clock, Limit
from loopguard.stores.sansio import Operation, StoreCall

__all__ = ["Dispatch", "GuardCore"]


class GuardCore:
    """A guard's settings and operations, without a store; see :class:`~loopguard.guard.Guard`
    for the arguments (all but ``store``).

    Raises:
        ConfigurationError: A bad setting, naming it.
    """

    def __init__(
        self,
        limits: Iterable[Limit] = DEFAULT_LIMITS,
        *,
        own_addresses: Iterable[str] = (),
        secret: bytes | str | None = None,
        policy: Policy | None = None,
        on_store_error: StoreErrorPolicy = "allow",
        identity: str | None = None,
        clock: Clock = time.time,
        classifier: Classifier | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.limits = tuple(limits)
        if not self.limits:
            raise ConfigurationError("limits: at least one Limit is needed")
        self.own_addresses = _own_addresses(own_addresses)
        if secret is not None and not secret:
            raise ConfigurationError("secret: must not be empty (use None for none)")
        key = secret.encode() if isinstance(secret, str) else secret
        self.policy = policy if policy is not None else Policy()
        if not isinstance(self.policy, Policy):
            raise ConfigurationError("policy: expected a loopguard.guard.policy.Policy")
        self.on_store_error = check_store_error_policy(on_store_error)
        self.identity = identity or next(iter(self.own_addresses), "loopguard")
        self.clock = clock
        self.classifier = classifier if classifier is not None else Classifier()
        self.metrics = metrics
        self.token = LoopToken(key, self.identity) if key else None
        if self.policy.learn_bounces == "stamped" and self.token is None:
            raise ConfigurationError(
                'policy.learn_bounces = "stamped" needs Guard(secret=...) to recognise '
                "our loop tokens in returned mail"
            )
        self.identities = IdentityReader(
            self.own_addresses,
            self.policy.subaddress_separators,
            self.policy.free_mail_domains,
            shared=self.policy.shared_mailboxes,
        )
        self.reader = MessageReader(
            self.classifier, self.token, KeyDeriver(secret=key), self.identities, self.policy
        )
        self.trackers = GuardTrackers(self.limits, self.policy, key, clock)
        self.flow = DecisionFlow(
            policy=self.policy,
            on_store_error=self.on_store_error,
            checks=StatelessChecks(self.policy, self.identities, self.token),
            bounces=BounceTeacher(self.policy, self.classifier.roles, self.token, clock),
            trackers=self.trackers,
            content_key=subkey(key, b"content"),
            patterns=self.classifier.patterns,
        )

    def check(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        thread: str | None = None,
    ) -> Operation[Decision]:
        """Decide whether ``trigger`` may answer ``message``, counting it.

        Args:
            message: The incoming message: bytes, str, ``email.message.Message``, a
                mail-parser object, a path, or a :class:`~loopguard.mail.view.MessageView`.
            recipient: Our address that received it.
            trigger: The host's name for the trigger (selects the trigger policy).
            envelope_sender: The SMTP MAIL FROM, when the host knows it.
            thread: The conversation's root Message-ID (found in the headers if omitted).

        Raises:
            StoreError: The store failed and ``on_store_error="raise"``.
        """
        started = time.perf_counter()
        ctx = self.reader.read(message, recipient, trigger, envelope_sender, thread)
        return (yield from self.decide(ctx, counting=True, started=started))

    def peek(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        thread: str | None = None,
    ) -> Operation[Decision]:
        """Like :meth:`check`, without counting anything or learning from bounces."""
        started = time.perf_counter()
        ctx = self.reader.read(message, recipient, trigger, envelope_sender, thread)
        return (yield from self.decide(ctx, counting=False, started=started))

    def dispatch(
        self,
        message: object,
        recipient: str | None,
        trigger: str | None,
        envelope_sender: str | None,
        on_suppress: Callable[[Decision], object] | None,
    ) -> Dispatch:
        """A ``dispatching`` block for ``message``: decided and counted on entry, the count
        refunded if the dispatch fails."""
        started = time.perf_counter()
        ctx = self.reader.read(message, recipient, trigger, envelope_sender, None)
        return Dispatch(self, ctx, on_suppress, started)

    def decide(
        self, ctx: CheckContext, *, counting: bool, started: float, report: bool = True
    ) -> Operation[Decision]:
        """Decide ``ctx``; log the store's failure, and the decision when ``report``.

        ``started`` is when the work on the message began (for the metrics).
        """
        try:
            decision = yield from self.flow.decide(ctx, counting=counting)
        finally:
            if ctx.store_failure is not None:
                operation = "check" if counting else "peek"
                failure, policy = ctx.store_failure, self.on_store_error
                report_failure(
                    failure, self.metrics, operation=operation, policy=policy, key=ctx.key
                )
        if report:
            seconds = time.perf_counter() - started
            report_decision(decision, self.metrics, seconds=seconds, counted=counting)
        return decision

    def record(
        self,
        message: object | None = None,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        thread: str | None = None,
        envelope_sender: str | None = None,
    ) -> Operation[None]:
        """Count an automatic answer sent without :meth:`check` (e.g. from another system).

        ``sender`` is whom the answer went to; taken from ``message`` when omitted.

        Raises:
            StoreError: The store failed and ``on_store_error="raise"``.
        """
        if message is not None and sender is None:
            events = rate_events(
                self.reader.read(message, recipient, None, envelope_sender, thread)
            )
        else:
            if message is not None:
                thread = thread or thread_root(message_view(message, envelope_sender))
            events = [answer_event(self.identities, sender, recipient, thread)]
        try:
            yield from self.trackers.get("rates").together("hit", events)
        except StoreError as error:
            policy = self.on_store_error
            report_failure(error, self.metrics, operation="record", policy=policy)
            if policy == "raise":
                raise

    def reset(
        self,
        key: str | None = None,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        thread: str | None = None,
    ) -> Operation[None]:
        """Forget rate counts: of a logged key hash (``decision.key``), or of the keys the
        given parts make (with the final-notice mark of that pair), in one store call.

        Raises:
            StoreError: The store failed.
        """
        sender = self.identities.folded(sender) or sender
        keys = [key] if key is not None else []
        keys += self.trackers.get("rates").keys_of(
            sender=sender, recipient=recipient, thread=thread
        )
        keys += self.trackers.get("notices").keys_of(sender=sender, recipient=recipient)
        return _forget(keys, "reset", self.metrics)

    def forget_bounce(self, address: str) -> Operation[None]:
        """Unblock an address remembered from a permanent bounce (it was fixed).

        Raises:
            StoreError: The store failed.
        """
        keys = self.trackers.get("bounces").keys_of(recipient=address)
        return _forget(keys, "forget_bounce", self.metrics)


class Dispatch:
    """One ``dispatching`` block: decided and counted on entry (the count is taken in the
    same store call as the decision, so concurrent workers cannot all pass), and the
    count refunded if the dispatch fails.

    The decision is logged and goes to the metrics on entry, with the seconds it took
    (not the time the host spent sending).
    """

    def __init__(
        self,
        core: GuardCore,
        ctx: CheckContext,
        on_suppress: Callable[[Decision], object] | None,
        started: float,
    ) -> None:
        self.core = core
        self.ctx = ctx
        self.on_suppress = on_suppress
        self.started = started

    def enter(self) -> Operation[Decision]:
        """The decision the block runs under, counted; ``on_suppress`` hears of a
        suppression."""
        decision = yield from self.core.decide(self.ctx, counting=True, started=self.started)
        if not decision.allowed and self.on_suppress is not None:
            self.on_suppress(decision)
        return decision

    def refund(self) -> Operation[None]:
        """Take back every count the decision recorded: the dispatch failed, and a retry
        will be counted afresh. A failing store is logged, never raised: the host's own
        exception is the one to see."""
        reserved, self.ctx.reserved = self.ctx.reserved, []
        for now in sorted({call.now for call in reserved}):
            touches = [touch for call in reserved if call.now == now for touch in call.touches]
            try:
                yield StoreCall("refund", touches, now)
            except StoreError as error:
                policy = self.core.on_store_error
                report_failure(error, self.core.metrics, operation="refund", policy=policy)
                return


def _forget(keys: list[str], operation: str, metrics: Metrics | None) -> Operation[None]:
    try:
        yield StoreCall("reset", keys=keys)
    except StoreError as error:
        count_failure(error, metrics, operation=operation)
        raise


def _own_addresses(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    result: list[str] = []
    for index, value in enumerate(values):
        raw: object = value  # checked at run time: configuration often comes from files
        address = normalize_address(raw) if isinstance(raw, str) else None
        if address is None:
            raise ConfigurationError(f"own_addresses[{index}]: not an address: {value!r}")
        if address not in result:
            result.append(address)
    return tuple(result)
