"""The decision without I/O: the checks in order, each store step one batched call.

:meth:`DecisionFlow.decide` is a generator (:data:`loopguard.stores.sansio.Operation`): it yields
the store calls it needs, one per step with all of the step's keys, and returns the
:class:`~loopguard.guard.decision.Decision`. The steps after the store-free checks
(:mod:`loopguard.guard.checks`): remembered permanent bounces (Zammad), the same text
again and again (freescout#688, gitlab#15714), the rate limits (Zammad, Znuny, Mailman).
"""

from __future__ import annotations

import hmac
from collections.abc import Generator
from typing import Final, Literal, TypeVar

from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.verdict import Reason
from loopguard.errors import StoreError
from loopguard.guard.checks import StatelessChecks
from loopguard.guard.context import CheckContext
from loopguard.guard.decision import (
    BOUNCED,
    FINAL_NOTICE,
    RATE_LIMIT,
    REPEATED,
    STORE_ERROR,
    Action,
    Decision,
)
from loopguard.guard.fingerprint import content_digest
from loopguard.guard.policy import Policy, StoreErrorPolicy, TriggerPolicy
from loopguard.mail.address import domain_of, local_part_of
from loopguard.rate.keys import MailEvent
from loopguard.rate.limits import Clock, Limit
from loopguard.rate.sansio import TrackerCore
from loopguard.stores.sansio import Operation, Stamps, StoreCall

__all__ = ["DecisionFlow", "GuardTrackers", "Purpose", "subkey"]

Purpose = Literal["rates", "notices", "bounces", "repeats"]
#: One step of the flow: a decision that ends it, or None to go on.
Step = Generator[StoreCall, Stamps, Decision | None]
T = TypeVar("T")

_MAX_LEARNED: Final = 50  # failed recipients remembered per bounce


def subkey(secret: bytes | None, purpose: bytes) -> bytes:
    """A key of its own for ``purpose``, derived from the guard's secret."""
    return hmac.digest(secret or b"loopguard", b"loopguard " + purpose, "sha256")


class GuardTrackers:
    """The guard's trackers, one per purpose and namespace, each with its own key secret.

    Answers to a sender share one namespace (``None``), whichever trigger sends them; a
    trigger that does not answer the sender counts in its own, so that creating a ticket
    does not use up the sender's allowance of answers. Trackers are made on first use;
    the ones every guard needs are made at once, so that bad limits fail at construction.
    """

    def __init__(
        self, limits: tuple[Limit, ...], policy: Policy, secret: bytes | None, clock: Clock
    ) -> None:
        self.limits = limits
        self.policy = policy
        self.secret = secret
        self.clock = clock
        self._made: dict[tuple[Purpose, str | None], TrackerCore] = {}
        for purpose in ("rates", "notices", "bounces", "repeats"):
            if purpose != "repeats" or policy.repeat_limits:
                self.get(purpose)

    def get(self, purpose: Purpose, namespace: str | None = None) -> TrackerCore:
        """The tracker of ``purpose`` in ``namespace``."""
        tracker = self._made.get((purpose, namespace))
        if tracker is None:
            limits, secret = self._spec(purpose, namespace)
            tracker = TrackerCore(limits, clock=self.clock, secret=secret)
            self._made[purpose, namespace] = tracker
        return tracker

    def _spec(
        self, purpose: Purpose, namespace: str | None
    ) -> tuple[tuple[Limit, ...], bytes | None]:
        if purpose == "rates":
            limits = self.limits
        elif purpose == "repeats":
            limits = self.policy.repeat_limits
        elif purpose == "notices":
            limits = (Limit(1, max(limit.per for limit in self.limits), "pair"),)
        else:
            limits = (Limit(1, self.policy.bounce_memory, "recipient"),)
        if namespace is not None:
            return limits, subkey(self.secret, f"{purpose} {namespace}".encode())
        return limits, self.secret if purpose == "rates" else subkey(self.secret, purpose.encode())


class DecisionFlow:
    """Decides a message from its context, yielding one batched store call per step.

    Args:
        policy: The guard's policy.
        on_store_error: What a store failure does to the decision.
        checks: The store-free checks.
        trackers: The trackers of rates, final notices, bounces and repeated texts.
        content_key: The HMAC key of content digests.
        patterns: The classifier's patterns (the digest leaves out their boilerplate).
    """

    def __init__(
        self,
        *,
        policy: Policy,
        on_store_error: StoreErrorPolicy,
        checks: StatelessChecks,
        trackers: GuardTrackers,
        content_key: bytes,
        patterns: PatternSet,
    ) -> None:
        self.policy = policy
        self.on_store_error = on_store_error
        self.checks = checks
        self.trackers = trackers
        self.content_key = content_key
        self.patterns = patterns

    def decide(self, ctx: CheckContext, *, counting: bool) -> Operation[Decision]:
        """Decide ``ctx``; ``counting`` false is a peek (nothing counted, nothing learned)."""
        if counting and ctx.verdict.bounce is not None:
            stop = yield from self._learn_bounces(ctx)
            if stop is not None:
                return stop
        trigger = self.policy.for_trigger(ctx.trigger)
        allow_listed = self.checks.allow_listed(ctx)
        suppress = self.checks.first_failure(ctx, trigger, allowed=allow_listed is not None)
        if suppress is not None:
            return self._decision(Action.SUPPRESS, ctx, [suppress])
        namespace = None if trigger.answers_sender else f"trigger {ctx.trigger}"
        if allow_listed is None:
            if trigger.answers_sender:
                stop = yield from self._bounced_before(ctx)
                if stop is not None:
                    return stop
            if self.policy.repeat_limits:
                stop = yield from self._repeated(ctx, counting, namespace)
                if stop is not None:
                    return stop
        stop = yield from self._rate_limited(ctx, trigger, counting, namespace)
        if stop is not None:
            return stop
        return self._decision(Action.ALLOW, ctx, [allow_listed] if allow_listed else [])

    def _learn_bounces(self, ctx: CheckContext) -> Step:
        """Remember every permanently failed recipient of a bounce (Zammad's block), all
        in one store call."""
        assert ctx.verdict.bounce is not None
        failed = sorted(ctx.verdict.bounce.permanent)[:_MAX_LEARNED]
        if not failed or not self._bounce_is_instructive(ctx):
            return None
        bounces = self.trackers.get("bounces")
        events = [MailEvent(recipient=address) for address in failed]
        learned = yield from self._ask(ctx, bounces.hit_many(events))
        return self._after_failure(ctx) if learned is None else None

    def _bounce_is_instructive(self, ctx: CheckContext) -> bool:
        """Whether the policy lets this bounce teach us failed recipients.

        Anyone can send a DSN naming any address; with ``"stamped"`` only a bounce
        returning our own stamped mail (a valid loop token in the returned headers or
        text) counts, so a forged one blocks nobody.
        """
        learning = self.policy.learn_bounces
        if learning == "stamped":
            token = self.checks.token
            assert token is not None  # checked at construction
            return ctx.token_in_headers is not None or token.find_in_body(ctx.view) is not None
        return learning == "any"

    def _bounced_before(self, ctx: CheckContext) -> Step:
        if not ctx.answer_to:
            return None
        events = [MailEvent(recipient=address) for address in ctx.answer_to]
        results = yield from self._ask(ctx, self.trackers.get("bounces").peek_many(events))
        if results is None:
            return self._after_failure(ctx)
        for address, result in zip(ctx.answer_to, results, strict=True):
            if not result.allowed:
                detail = f"{address} failed permanently before; blocked for a while"
                return self._decision(Action.SUPPRESS, ctx, [Reason(BOUNCED, None, detail)])
        return None

    def _repeated(self, ctx: CheckContext, counting: bool, namespace: str | None) -> Step:
        event = self._repeat_event(ctx)
        if event is None:
            return None
        repeats = self.trackers.get("repeats", namespace)
        call = repeats.hit if counting else repeats.peek
        answer = yield from self._ask(ctx, call(sender=event.sender, recipient=event.recipient))
        if answer is None:
            return self._after_failure(ctx)
        if answer.allowed:
            return None
        reason = Reason(REPEATED, None, f"the same text again: {answer.exceeded}")
        return self._decision(Action.SUPPRESS, ctx, [reason], retry_after=answer.retry_after)

    def _repeat_event(self, ctx: CheckContext) -> MailEvent | None:
        """The text as an event of the repeat tracker, or None if it is too short."""
        digest = content_digest(
            ctx.view,
            secret=self.content_key,
            patterns=self.patterns,
            min_chars=self.policy.repeat_min_chars,
        )
        if digest is None:
            return None
        # The repeat tracker keys addresses; a pseudo-address "digest@domain" counts the
        # text per sender domain, and "digest+local@domain" per recipient.
        domain = domain_of(ctx.sender or "") or "unknown.invalid"
        recipient = None
        if ctx.recipient and "@" in ctx.recipient:
            recipient = f"{digest}+{local_part_of(ctx.recipient)}@{domain_of(ctx.recipient)}"
        return MailEvent(f"{digest}@{domain}", recipient)

    def _rate_limited(
        self, ctx: CheckContext, trigger: TriggerPolicy, counting: bool, namespace: str | None
    ) -> Step:
        rates = self.trackers.get("rates", namespace)
        call = rates.hit if counting else rates.peek
        operation = call(sender=ctx.sender, recipient=ctx.recipient, thread=ctx.thread)
        answer = yield from self._ask(ctx, operation)
        if answer is None:
            return self._after_failure(ctx)
        if answer.allowed:
            return None
        limit = Reason(RATE_LIMIT, None, f"{answer.exceeded} exceeded")
        if counting and self.policy.final_notice and trigger.answers_sender:
            notices = self.trackers.get("notices")
            notice = yield from self._ask(
                ctx, notices.hit(sender=ctx.sender, recipient=ctx.recipient)
            )
            if notice is None:
                if stop := self._after_failure(ctx):
                    return stop
            elif notice.allowed:
                first = Reason(FINAL_NOTICE, None, "limit just reached: one last notice")
                return self._decision(Action.FINAL_NOTICE, ctx, [first, limit])
        return self._decision(Action.SUPPRESS, ctx, [limit], retry_after=answer.retry_after)

    def _ask(self, ctx: CheckContext, operation: Operation[T]) -> Operation[T | None]:
        """Run a tracker's operation; None if the store failed, now or earlier in ``ctx``.

        The first failure is noted in ``ctx`` (and re-raised under ``"raise"``); a later
        step is skipped instead of waiting for the store's timeout again.
        """
        if ctx.store_failure is not None:
            operation.close()
            return None
        try:
            return (yield from operation)
        except StoreError as error:
            ctx.store_failure = error
            ctx.degraded.append(Reason(STORE_ERROR, None, f"store failed: {error}"))
            if self.on_store_error == "raise":
                raise
            return None

    def _after_failure(self, ctx: CheckContext) -> Decision | None:
        """After a store failure: suppress under ``"suppress"``, else go on degraded."""
        if self.on_store_error == "suppress":
            return self._decision(Action.SUPPRESS, ctx, [])
        return None

    def _decision(
        self, action: Action, ctx: CheckContext, reasons: list[Reason], *, retry_after: float = 0.0
    ) -> Decision:
        return Decision(
            action=action,
            verdict=ctx.verdict,
            reasons=(*reasons, *ctx.degraded),
            retry_after=retry_after,
            degraded=bool(ctx.degraded),
            trigger=ctx.trigger,
            key=ctx.key,
        )
