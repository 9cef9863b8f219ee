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
from loopguard.guard.bounces import BounceTeacher
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
from loopguard.guard.events import rate_events, repeat_events
from loopguard.guard.fingerprint import content_digest
from loopguard.guard.policy import Policy, StoreErrorPolicy, TriggerPolicy
from loopguard.rate.keys import MailEvent
from loopguard.rate.limits import Clock, Limit, RateResult
from loopguard.rate.sansio import TrackerCore
from loopguard.stores import Touch
from loopguard.stores.sansio import Operation, Stamps, StoreCall

__all__ = ["DecisionFlow", "GuardTrackers", "Purpose", "subkey"]

Purpose = Literal["rates", "notices", "bounces", "repeats", "answered"]
#: One step of the flow: a decision that ends it, or None to go on.
Step = Generator[StoreCall, Stamps, Decision | None]
Verb = Literal["hit", "peek"]
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
        for purpose in ("rates", "notices", "bounces", "repeats", "answered"):
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
        elif purpose == "answered":
            limits = (Limit(1, self.policy.answer_memory, "recipient"),)
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
        bounces: What a bounce may teach.
        trackers: The trackers of rates, final notices, bounces, repeated texts and
            answered addresses.
        content_key: The HMAC key of content digests.
        patterns: The classifier's patterns (the digest leaves out their boilerplate).
    """

    def __init__(
        self,
        *,
        policy: Policy,
        on_store_error: StoreErrorPolicy,
        checks: StatelessChecks,
        bounces: BounceTeacher,
        trackers: GuardTrackers,
        content_key: bytes,
        patterns: PatternSet,
    ) -> None:
        self.policy = policy
        self.on_store_error = on_store_error
        self.checks = checks
        self.bounces = bounces
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
            return _decision(Action.SUPPRESS, ctx, [suppress])
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
        return _decision(Action.ALLOW, ctx, [allow_listed] if allow_listed else [])

    def _learn_bounces(self, ctx: CheckContext) -> Step:
        """Remember the permanently failed recipients of a bounce that may teach them
        (Zammad's block), all in one store call."""
        assert ctx.verdict.bounce is not None
        failed = sorted(ctx.verdict.bounce.permanent)[:_MAX_LEARNED]
        learning = self.policy.learn_bounces
        if not failed or not self.bounces.may_teach(ctx):
            return None
        token = self.bounces.sighting(ctx) if learning != "any" else None
        if token is not None:
            failed = self.bounces.bound(token, failed)
        elif learning == "stamped":
            return None
        elif learning == "verified":
            events = [MailEvent(recipient=address) for address in failed]
            records = yield from self._ask(ctx, self.trackers.get("answered").peek_many(events))
            if records is None:
                return self._after_failure(ctx)
            failed = self.bounces.answered(failed, records)
        if not failed:
            return None
        events = [MailEvent(recipient=address) for address in failed]
        learned = yield from self._ask(ctx, self.trackers.get("bounces").hit_many(events))
        return self._after_failure(ctx) if learned is None else None

    def _bounced_before(self, ctx: CheckContext) -> Step:
        """Whether an address the answer would go to failed permanently before."""
        if not ctx.answer_to:
            return None
        events = [MailEvent(recipient=address) for address in ctx.answer_to]
        results = yield from self._ask(ctx, self.trackers.get("bounces").peek_many(events))
        if results is None:
            return self._after_failure(ctx)
        for address, result in zip(ctx.answer_to, results, strict=True):
            if not result.allowed:
                detail = f"{address} failed permanently before; blocked for a while"
                return _decision(Action.SUPPRESS, ctx, [Reason(BOUNCED, None, detail)])
        return None

    def _repeated(self, ctx: CheckContext, counting: bool, namespace: str | None) -> Step:
        digest = content_digest(
            ctx.view,
            secret=self.content_key,
            patterns=self.patterns,
            min_chars=self.policy.repeat_min_chars,
        )
        if digest is None:
            return None  # too short to compare
        events = repeat_events(ctx, digest)
        verb: Verb = "hit" if counting else "peek"
        repeats = self.trackers.get("repeats", namespace)
        answer = yield from self._ask(ctx, repeats.together(verb, events), reserve=counting)
        if answer is None:
            return self._after_failure(ctx)
        if answer.allowed:
            return None
        reason = Reason(REPEATED, None, f"the same text again: {answer.exceeded}")
        return _limited(ctx, reason, answer)

    def _rate_limited(
        self, ctx: CheckContext, trigger: TriggerPolicy, counting: bool, namespace: str | None
    ) -> Step:
        """The rate limits of every correspondent, its organization, its thread and its
        answers to our answers, in one store call."""
        rates = self.trackers.get("rates", namespace)
        verb: Verb = "hit" if counting else "peek"
        riders = self._answered(ctx) if counting and trigger.answers_sender else []
        operation = rates.together(verb, rate_events(ctx), riders=riders)
        answer = yield from self._ask(ctx, operation, reserve=counting)
        if answer is None:
            return self._after_failure(ctx)
        if answer.allowed:
            return None
        limit = Reason(RATE_LIMIT, None, f"{answer.exceeded} exceeded")
        if counting and self.policy.final_notice and trigger.answers_sender:
            primary = ctx.correspondents[0] if ctx.correspondents else ctx.sender
            operation = self.trackers.get("notices").hit(sender=primary, recipient=ctx.recipient)
            notice = yield from self._ask(ctx, operation, reserve=True)
            if notice is None:
                if stop := self._after_failure(ctx):
                    return stop
            elif notice.allowed:
                first = Reason(FINAL_NOTICE, None, "limit just reached: one last notice")
                return _decision(Action.FINAL_NOTICE, ctx, [first, limit])
        return _limited(ctx, limit, answer)

    def _answered(self, ctx: CheckContext) -> list[Touch]:
        """The keyed record of the addresses this answer goes to, for checking bounces
        later: it rides along with the rate limits' call."""
        events = [MailEvent(recipient=address) for address in ctx.answer_to]
        return self.trackers.get("answered").touches_of(events)

    def _ask(
        self, ctx: CheckContext, operation: Operation[T], *, reserve: bool = False
    ) -> Operation[T | None]:
        """Run a tracker's operation; None if the store failed, now or earlier in ``ctx``.

        The first failure is noted in ``ctx`` (and re-raised under ``"raise"``); a later
        step is skipped instead of waiting for the store's timeout again. With
        ``reserve``, the counts it records are noted in ``ctx`` for a refund.
        """
        if ctx.store_failure is not None:
            operation.close()
            return None
        try:
            return (yield from _noting_hits(operation, ctx.reserved if reserve else None))
        except StoreError as error:
            ctx.store_failure = error
            ctx.degraded.append(Reason(STORE_ERROR, None, f"store failed: {error}"))
            if self.on_store_error == "raise":
                raise
            return None

    def _after_failure(self, ctx: CheckContext) -> Decision | None:
        """After a store failure: suppress under ``"suppress"``, else go on degraded."""
        if self.on_store_error == "suppress":
            return _decision(Action.SUPPRESS, ctx, [])
        return None


def _noting_hits(operation: Operation[T], reserved: list[StoreCall] | None) -> Operation[T]:
    """``operation``, its ``hit`` calls noted in ``reserved`` once the store made them."""
    if reserved is None:
        return (yield from operation)
    try:
        call = next(operation)
        while True:
            try:
                answer = yield call
            except StoreError as error:
                call = operation.throw(error)
                continue
            if call.verb == "hit":
                reserved.append(call)
            call = operation.send(answer)
    except StopIteration as done:
        result: T = done.value
        return result


def _limited(ctx: CheckContext, reason: Reason, answer: RateResult) -> Decision:
    """Suppressed by a limit: the decision names its rung and its key's hash."""
    rung = answer.exceeded.key if answer.exceeded is not None else None
    return _decision(
        Action.SUPPRESS,
        ctx,
        [reason],
        retry_after=answer.retry_after,
        rung=rung,
        key=answer.key,
    )


def _decision(
    action: Action,
    ctx: CheckContext,
    reasons: list[Reason],
    *,
    retry_after: float = 0.0,
    rung: str | None = None,
    key: str | None = None,
) -> Decision:
    return Decision(
        action=action,
        verdict=ctx.verdict,
        reasons=(*reasons, *ctx.degraded),
        retry_after=retry_after,
        degraded=bool(ctx.degraded),
        trigger=ctx.trigger,
        key=key or ctx.key,
        rung=rung,
        recipient_source=ctx.recipient_source,
    )
