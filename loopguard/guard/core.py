"""Guard: one allow-or-suppress decision before a trigger fires, every reason named.

The checks run in a fixed order, each modelled on an anchor (docs/guard.md): deny-list;
our own address (Zammad, Sieve); our own loop token (RT, Zammad); automated mail per the
trigger's categories (RT, GitLab, Mailman); the sender's "no automatic answer" request
(Sieve, Mailman); do-not-mail addresses and remembered permanent bounces (Zammad); the
same text again and again (freescout#688, gitlab#15714); the rate limits (Zammad, Znuny,
Mailman). The first check that fails decides.

The decision logic is one generator (:meth:`GuardCore._flow`) that yields the store
operations it needs; :class:`Guard` runs them synchronously and
:class:`loopguard.guard.aio.AsyncGuard` awaits them, so both decide identically.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hmac
import logging
import os
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, ParamSpec, TypeVar

from loopguard.classifier.pipeline import Classifier
from loopguard.classifier.rules.senders import is_system_sender
from loopguard.classifier.verdict import Category, Reason, Verdict
from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard.fingerprint import content_digest
from loopguard.guard.outbound import LoopToken, M, ReplyKind, TokenSighting, stamp
from loopguard.guard.policy import (
    GuardConfig,
    Policy,
    StoreErrorPolicy,
    TriggerPolicy,
    check_store_error_policy,
    load_config,
)
from loopguard.mail.address import domain_of, local_part_of, normalize_address, parse_address_list
from loopguard.mail.view import MessageView
from loopguard.rate.keys import KeyDeriver
from loopguard.rate.tracker import DEFAULT_LIMITS, Clock, Limit, RateResult, RateTracker
from loopguard.stores import Store

__all__ = ["Action", "Decision", "Guard", "GuardCore", "MetricsHook"]

# The documented logger of decisions (docs/guard.md), whichever module logs them.
log = logging.getLogger("loopguard.guard")


class Action(enum.StrEnum):
    """What the host should do with the trigger."""

    ALLOW = "allow"
    SUPPRESS = "suppress"
    FINAL_NOTICE = "final_notice"
    """Allowed once more: a rate limit was just reached; send a last "no more today"
    notice instead of the usual answer (Mailman's courtesy)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The guard's answer for one message and trigger.

    Attributes:
        action: Allow, suppress, or allow one final notice.
        verdict: The classifier's verdict on the message.
        reasons: The guard's reasons, the deciding one first (empty for a plain allow).
        retry_after: Seconds until a rate limit would let the same event through.
        degraded: A store failed and the decision was made without it.
        trigger: The trigger name the host passed.
        key: Hash of the (sender, recipient) store key, safe to log.
    """

    action: Action
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    retry_after: float = 0.0
    degraded: bool = False
    trigger: str | None = None
    key: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether the trigger may fire (``ALLOW`` or ``FINAL_NOTICE``)."""
        return self.action is not Action.SUPPRESS

    @property
    def rule(self) -> str | None:
        """The name of the deciding reason, if any."""
        return self.reasons[0].rule if self.reasons else None


#: Called once per counted decision with its action and reasons (for metrics).
MetricsHook = Callable[[Action, tuple[Reason, ...]], None]

# The guard's own reason names, stable for logs, metrics and docs/guard.md.
DENY_LIST: Final = "deny-list"
ALLOW_LIST: Final = "allow-list"
OWN_ADDRESS: Final = "own-address"
OWN_TOKEN: Final = "own-loop-token"  # noqa: S105 (a rule name, not a secret)
AUTOMATED: Final = "automated"
NO_AUTOREPLY: Final = "no-autoreply"
DO_NOT_MAIL: Final = "do-not-mail"
BOUNCED: Final = "bounced-recipient"
REPEATED: Final = "repeated-content"
RATE_LIMIT: Final = "rate-limit"
FINAL_NOTICE: Final = "final-notice"
STORE_ERROR: Final = "store-error"

Purpose = Literal["rates", "notices", "bounces", "repeats"]
_MAX_LEARNED: Final = 50  # failed recipients remembered per bounce
_MAX_ANSWER_TO: Final = 5


@dataclass(frozen=True, slots=True)
class StoreOp:
    """One tracker call the decision flow needs (``count``: hit, else peek)."""

    purpose: Purpose
    count: bool
    sender: str | None = None
    recipient: str | None = None
    thread: str | None = None
    namespace: str | None = None


#: What a driver sends back into the flow: the tracker's result or its failure.
StoreAnswer = RateResult | StoreError
Flow = Generator[StoreOp, StoreAnswer, Decision]
#: One step of the flow: a decision that ends it, or None to go on.
Step = Generator[StoreOp, StoreAnswer, Decision | None]


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
    #: The first store failure of this decision; the remaining store steps are answered
    #: with it instead of waiting for the store's timeout again.
    store_failure: StoreError | None = None


class GuardCore:
    """Configuration and decision logic shared by :class:`Guard` and ``AsyncGuard``.

    See :class:`Guard` for the arguments.
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
        metrics: MetricsHook | None = None,
    ) -> None:
        self.limits = tuple(limits)
        if not self.limits:
            raise ConfigurationError("limits: at least one Limit is needed")
        self.own_addresses = _own_addresses(own_addresses)
        self._own = frozenset(self.own_addresses)
        if secret is not None and not secret:
            raise ConfigurationError("secret: must not be empty (use None for none)")
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self.policy = policy if policy is not None else Policy()
        if not isinstance(self.policy, Policy):
            raise ConfigurationError("policy: expected a loopguard.guard.policy.Policy")
        self.on_store_error = check_store_error_policy(on_store_error)
        self.identity = identity or next(iter(self.own_addresses), "loopguard")
        self.clock = clock
        self.classifier = classifier if classifier is not None else Classifier()
        self.metrics = metrics
        self.token = LoopToken(self._secret, self.identity) if self._secret else None
        if self.policy.learn_bounces == "stamped" and self.token is None:
            raise ConfigurationError(
                'policy.learn_bounces = "stamped" needs Guard(secret=...) to recognise '
                "our loop tokens in returned mail"
            )
        self._keys = KeyDeriver(secret=self._secret)
        self._content_key = self._subkey(b"content")

    def _tracker_spec(
        self, purpose: Purpose, namespace: str | None
    ) -> tuple[tuple[Limit, ...], bytes | None]:
        """Limits and key secret of one tracker; separate secrets keep their keys apart.

        Answers to a sender share one namespace (``None``), whichever trigger sends them;
        a trigger that does not answer the sender counts in its own, so that creating a
        ticket does not use up the sender's allowance of answers.
        """
        if purpose == "rates":
            limits = self.limits
        elif purpose == "repeats":
            limits = self.policy.repeat_limits
        elif purpose == "notices":
            limits = (Limit(1, max(limit.per for limit in self.limits), "pair"),)
        else:
            limits = (Limit(1, self.policy.bounce_memory, "recipient"),)
        if namespace is not None:
            return limits, self._subkey(f"{purpose} {namespace}".encode())
        return limits, self._secret if purpose == "rates" else self._subkey(purpose.encode())

    def _purposes(self) -> tuple[Purpose, ...]:
        purposes: tuple[Purpose, ...] = ("rates", "notices", "bounces")
        return (*purposes, "repeats") if self.policy.repeat_limits else purposes

    def _subkey(self, purpose: bytes) -> bytes:
        return hmac.digest(self._secret or b"loopguard", b"loopguard " + purpose, "sha256")

    # -- outbound ---------------------------------------------------------------------

    def stamp(
        self,
        reply: M,
        *,
        replying_to: object | None = None,
        kind: ReplyKind = "auto_replied",
        precedence: str | None = None,
        body_token: bool = True,
    ) -> M:
        """Mark an outgoing automatic message (see :func:`loopguard.guard.outbound.stamp`).

        ``reply`` is an ``email.message.Message`` (any policy), changed in place and
        returned; ``replying_to`` is the incoming message in any form ``check`` takes.

        Raises:
            ConfigurationError: The guard has no secret, so it cannot issue loop tokens.
            HeaderInjectionError: A value would contain a line break, NUL, control or
                non-ASCII character, or a word over 900 characters.
        """
        if self.token is None:
            raise ConfigurationError("stamp() needs Guard(secret=...) to issue loop tokens")
        original = None
        if replying_to is not None:
            original = (
                replying_to
                if isinstance(replying_to, MessageView)
                else MessageView.from_input(replying_to)
            )
        return stamp(
            reply,
            token=self.token,
            replying_to=original,
            kind=kind,
            precedence=precedence,
            body_token=body_token,
        )

    # -- the decision -----------------------------------------------------------------

    def _context(
        self,
        message: object,
        *,
        recipient: str | None,
        trigger: str | None,
        envelope_sender: str | None,
        thread: str | None,
    ) -> CheckContext:
        view = (
            message
            if isinstance(message, MessageView)
            else MessageView.from_input(message, envelope_sender=envelope_sender)
        )
        # Headers only, before classifying: an answer to our own mail (our token in its
        # References) weighs its out-of-office text a little more.
        in_headers = self.token.find_in_headers(view) if self.token is not None else None
        verdict = self.classifier.classify_view(view, reply_to_ours=in_headers is not None)
        sender = view.sender
        ours = normalize_address(recipient) if recipient else None
        answer_to = _answer_addresses(view, sender)
        return CheckContext(
            view=view,
            verdict=verdict,
            trigger=trigger,
            sender=sender,
            recipient=ours or recipient,
            answer_to=answer_to,
            thread=thread or thread_root(view),
            key=self._keys.key_of("pair", sender, ours or recipient, None),
            token_in_headers=in_headers,
        )

    def _flow(self, ctx: CheckContext, *, counting: bool) -> Flow:
        """Decide ``ctx``, yielding each store operation; ``counting`` false is a peek."""
        if counting and ctx.verdict.bounce is not None:
            stop = yield from self._learn_bounces(ctx)
            if stop is not None:
                return stop
        trigger = self.policy.for_trigger(ctx.trigger)
        allow_listed = self._allow_listed(ctx)
        suppress = self._stateless(ctx, trigger, allowed=allow_listed is not None)
        if suppress is not None:
            return self._decide(Action.SUPPRESS, ctx, [suppress])
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
        return self._decide(Action.ALLOW, ctx, [allow_listed] if allow_listed else [])

    def _learn_bounces(self, ctx: CheckContext) -> Step:
        """Remember every permanently failed recipient of a bounce (Zammad's block)."""
        assert ctx.verdict.bounce is not None
        if not self._bounce_is_instructive(ctx):
            return None
        for address in sorted(ctx.verdict.bounce.permanent)[:_MAX_LEARNED]:
            answer = yield StoreOp("bounces", True, recipient=address)
            if isinstance(answer, StoreError) and (stop := self._failed(answer, ctx)):
                return stop
        return None

    def _bounce_is_instructive(self, ctx: CheckContext) -> bool:
        """Whether the policy lets this bounce teach us failed recipients.

        Anyone can send a DSN naming any address; with ``"stamped"`` only a bounce
        returning our own stamped mail (a valid loop token in the returned headers or
        text) counts, so a forged one blocks nobody.
        """
        learning = self.policy.learn_bounces
        if learning == "stamped":
            assert self.token is not None  # checked at construction
            return ctx.token_in_headers is not None or self.token.find_in_body(ctx.view) is not None
        return learning == "any"

    def _bounced_before(self, ctx: CheckContext) -> Step:
        for address in ctx.answer_to:
            answer = yield StoreOp("bounces", False, recipient=address)
            if isinstance(answer, StoreError):
                if stop := self._failed(answer, ctx):
                    return stop
            elif not answer.allowed:
                detail = f"{address} failed permanently before; blocked for a while"
                return self._decide(Action.SUPPRESS, ctx, [Reason(BOUNCED, None, detail)])
        return None

    def _repeated(self, ctx: CheckContext, counting: bool, namespace: str | None) -> Step:
        op = self._repeat_op(ctx, counting, namespace)
        if op is None:
            return None
        answer = yield op
        if isinstance(answer, StoreError):
            return self._failed(answer, ctx)
        if answer.allowed:
            return None
        reason = Reason(REPEATED, None, f"the same text again: {answer.exceeded}")
        return self._decide(Action.SUPPRESS, ctx, [reason], retry_after=answer.retry_after)

    def _rate_limited(
        self, ctx: CheckContext, trigger: TriggerPolicy, counting: bool, namespace: str | None
    ) -> Step:
        answer = yield StoreOp(
            "rates", counting, ctx.sender, ctx.recipient, ctx.thread, namespace=namespace
        )
        if isinstance(answer, StoreError):
            return self._failed(answer, ctx)
        if answer.allowed:
            return None
        limit = Reason(RATE_LIMIT, None, f"{answer.exceeded} exceeded")
        if counting and self.policy.final_notice and trigger.answers_sender:
            notice = yield StoreOp("notices", True, ctx.sender, ctx.recipient)
            if isinstance(notice, StoreError):
                if stop := self._failed(notice, ctx):
                    return stop
            elif notice.allowed:
                first = Reason(FINAL_NOTICE, None, "limit just reached: one last notice")
                return self._decide(Action.FINAL_NOTICE, ctx, [first, limit])
        return self._decide(Action.SUPPRESS, ctx, [limit], retry_after=answer.retry_after)

    def _stateless(
        self, ctx: CheckContext, trigger: TriggerPolicy, *, allowed: bool
    ) -> Reason | None:
        """The checks that need no store, in order; the first that fails.

        ``allowed``: the sender is allow-listed, which lifts every check after our own
        loops.
        """
        policy = self.policy
        for address in (ctx.sender, *ctx.answer_to):
            listed = policy.deny_listed(address)
            if listed is not None:
                return Reason(DENY_LIST, None, f"sender on the deny-list ({listed})")
        own = self._own_loop(ctx, trigger)
        if own is not None:
            return own
        if allowed:
            return None
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
        return None

    def _own_loop(self, ctx: CheckContext, trigger: TriggerPolicy) -> Reason | None:
        ours = self._own
        for address in (ctx.sender, ctx.view.from_address, *ctx.answer_to):
            if address and (address in ours or address == ctx.recipient):
                return Reason(OWN_ADDRESS, None, f"{address} is one of our own addresses")
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
        if ctx.verdict.is_automated:
            detail = f"an automatic answer to our own mail (token in its {sighting.where})"
            return Reason(OWN_TOKEN, ctx.verdict.category, detail)
        return None  # a person answering our notification cites it naturally

    def _allow_listed(self, ctx: CheckContext) -> Reason | None:
        for address in (ctx.sender, *ctx.answer_to):
            listed = self.policy.allow_listed(address)
            if listed is not None:
                return Reason(ALLOW_LIST, None, f"sender on the allow-list ({listed})")
        return None

    def _repeat_op(
        self, ctx: CheckContext, counting: bool, namespace: str | None
    ) -> StoreOp | None:
        digest = content_digest(
            ctx.view,
            secret=self._content_key,
            patterns=self.classifier.patterns,
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
        return StoreOp("repeats", counting, f"{digest}@{domain}", recipient, namespace=namespace)

    def _failed(self, error: StoreError, ctx: CheckContext) -> Decision | None:
        """Apply ``on_store_error``: raise, a suppress decision, or None (go on degraded)."""
        if error is ctx.store_failure:
            return None  # a later step skipped after this failure: logged and noted once
        ctx.store_failure = error
        log.warning(
            "loopguard store failed (%s): %s",
            self.on_store_error,
            error,
            extra={"rule": STORE_ERROR, "action": self.on_store_error, "key_hash": ctx.key},
        )
        reason = Reason(STORE_ERROR, None, f"store failed: {error}")
        ctx.degraded.append(reason)
        if self.on_store_error == "raise":
            raise error
        if self.on_store_error == "suppress":
            return self._decide(Action.SUPPRESS, ctx, [])
        return None

    def _decide(
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

    def _emit(self, decision: Decision, *, counted: bool) -> None:
        """Log the decision with structured fields, and feed the metrics hook."""
        level = logging.DEBUG if decision.action is Action.ALLOW else logging.INFO
        if log.isEnabledFor(level):
            log.log(
                level,
                "loopguard %s trigger=%s rule=%s category=%s",
                decision.action,
                decision.trigger,
                decision.rule,
                decision.verdict.category,
                extra={
                    "action": str(decision.action),
                    "rule": decision.rule,
                    "category": str(decision.verdict.category),
                    "key_hash": decision.key,
                    "trigger": decision.trigger,
                    "degraded": decision.degraded,
                },
            )
        if counted and self.metrics is not None:
            try:
                self.metrics(decision.action, decision.reasons)
            except Exception:  # a broken metrics backend must not break mail handling
                log.exception("loopguard metrics hook failed")

    def _record_failed(self, error: StoreError) -> None:
        log.warning(
            "loopguard store failed while recording (%s): %s",
            self.on_store_error,
            error,
            extra={"rule": STORE_ERROR, "action": self.on_store_error},
        )
        if self.on_store_error == "raise":
            raise error

    def _record_args(
        self,
        message: object | None,
        sender: str | None,
        recipient: str | None,
        thread: str | None,
        envelope_sender: str | None,
    ) -> tuple[str | None, str | None, str | None]:
        if message is not None:
            view = (
                message
                if isinstance(message, MessageView)
                else MessageView.from_input(message, envelope_sender=envelope_sender)
            )
            sender = sender or view.sender
            thread = thread or thread_root(view)
        return sender, recipient, thread


P = ParamSpec("P")
R = TypeVar("R")


class Guard(GuardCore):
    """Decides, before a trigger fires, whether an automatic answer may go out.

    Args:
        limits: The rate limits (:data:`loopguard.rate.tracker.DEFAULT_LIMITS` by default).
        store: Where counts live; shared by every check (a new ``MemoryStore`` by default).
        own_addresses: Our addresses; mail from them (or to be answered to them) is a loop.
        secret: HMAC key for store keys, content digests and loop tokens; keep it stable
            and private. Without it no loop tokens can be issued or recognised.
        policy: Categories per trigger, allow/deny lists, do-not-mail patterns, final
            notice, bounce memory, repeated-content limits.
        on_store_error: ``"allow"`` (default: decide without the store, marked
            ``degraded``), ``"suppress"`` or ``"raise"``; see docs/guard.md.
        identity: Who we are in loop tokens (default: the first own address).
        clock: Wall-clock seconds; inject a fake one in tests.
        classifier: A configured :class:`~loopguard.classifier.pipeline.Classifier`.
        metrics: Called with ``(action, reasons)`` for every counted decision.

    Raises:
        ConfigurationError: A bad setting, naming it.
    """

    def __init__(
        self,
        limits: Iterable[Limit] = DEFAULT_LIMITS,
        *,
        store: Store | None = None,
        own_addresses: Iterable[str] = (),
        secret: bytes | str | None = None,
        policy: Policy | None = None,
        on_store_error: StoreErrorPolicy = "allow",
        identity: str | None = None,
        clock: Clock = time.time,
        classifier: Classifier | None = None,
        metrics: MetricsHook | None = None,
    ) -> None:
        super().__init__(
            limits,
            own_addresses=own_addresses,
            secret=secret,
            policy=policy,
            on_store_error=on_store_error,
            identity=identity,
            clock=clock,
            classifier=classifier,
            metrics=metrics,
        )
        if store is None:
            from loopguard.stores.memory import MemoryStore

            store = MemoryStore()
        self.store = store
        self._trackers: dict[tuple[Purpose, str | None], RateTracker] = {}
        for purpose in self._purposes():
            self._tracker(purpose)  # validates the limits now, not at the first message

    @classmethod
    def from_config(
        cls,
        source: Mapping[str, Any] | str | os.PathLike[str] | GuardConfig,
        *,
        store: Store | None = None,
        secret: bytes | str | None = None,
        clock: Clock = time.time,
        classifier: Classifier | None = None,
        metrics: MetricsHook | None = None,
    ) -> Guard:
        """Build a guard from a dict or a TOML/INI file (see
        :func:`loopguard.guard.policy.load_config`).

        Raises:
            ConfigurationError: A bad field, naming it.
        """
        config = source if isinstance(source, GuardConfig) else load_config(source)
        return cls(
            config.limits,
            store=store,
            own_addresses=config.own_addresses,
            secret=secret,
            policy=config.policy,
            on_store_error=config.on_store_error,
            identity=config.identity,
            clock=clock,
            classifier=classifier,
            metrics=metrics,
        )

    def check(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        thread: str | None = None,
    ) -> Decision:
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
        ctx = self._context(
            message,
            recipient=recipient,
            trigger=trigger,
            envelope_sender=envelope_sender,
            thread=thread,
        )
        decision = self._run(ctx, counting=True)
        self._emit(decision, counted=True)
        return decision

    def peek(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        thread: str | None = None,
    ) -> Decision:
        """Like :meth:`check`, without counting anything or learning from bounces."""
        ctx = self._context(
            message,
            recipient=recipient,
            trigger=trigger,
            envelope_sender=envelope_sender,
            thread=thread,
        )
        decision = self._run(ctx, counting=False)
        self._emit(decision, counted=False)
        return decision

    def record(
        self,
        message: object | None = None,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        thread: str | None = None,
        envelope_sender: str | None = None,
    ) -> None:
        """Count an automatic answer sent without :meth:`check` (e.g. from another system).

        ``sender`` is whom the answer went to; taken from ``message`` when omitted.

        Raises:
            StoreError: The store failed and ``on_store_error="raise"``.
        """
        sender, recipient, thread = self._record_args(
            message, sender, recipient, thread, envelope_sender
        )
        try:
            self._tracker("rates").hit(sender=sender, recipient=recipient, thread=thread)
        except StoreError as exc:
            self._record_failed(exc)

    def reset(
        self,
        key: str | None = None,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        thread: str | None = None,
    ) -> None:
        """Forget rate counts: of a logged key hash (``decision.key``), or of the keys the
        given parts make (with the final-notice mark of that pair).

        Raises:
            StoreError: The store failed.
        """
        if key is not None:
            self.store.reset([key])
        self._tracker("rates").reset(sender=sender, recipient=recipient, thread=thread)
        self._tracker("notices").reset(sender=sender, recipient=recipient)

    def forget_bounce(self, address: str) -> None:
        """Unblock an address remembered from a permanent bounce (it was fixed).

        Raises:
            StoreError: The store failed.
        """
        self._tracker("bounces").reset(recipient=address)

    def protect(
        self,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        on_suppress: Callable[[Decision], object] | None = None,
    ) -> Callable[[Callable[P, R]], Callable[P, R | Decision]]:
        """Decorate a dispatch function whose first argument is the incoming message.

        The function runs only when the decision allows it; otherwise ``on_suppress`` (if
        given) is called with the decision, and the decision is returned instead.
        """

        def decorate(func: Callable[P, R]) -> Callable[P, R | Decision]:
            @functools.wraps(func)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Decision:
                decision = self.check(
                    first_argument(args, kwargs), recipient=recipient, trigger=trigger
                )
                if decision.allowed:
                    return func(*args, **kwargs)
                if on_suppress is not None:
                    on_suppress(decision)
                return decision

            return wrapper

        return decorate

    @contextlib.contextmanager
    def dispatching(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        on_suppress: Callable[[Decision], object] | None = None,
    ) -> Iterator[Decision]:
        """Decide on entry without counting; count on a clean exit only.

        The body sends when ``decision.allowed``; if it raises (the send failed), nothing
        is counted, so a failed delivery does not use up the sender's allowance::

            with guard.dispatching(msg, recipient="help@example.org") as decision:
                if decision.allowed:
                    send_acknowledgement(msg)
        """
        ctx = self._context(
            message,
            recipient=recipient,
            trigger=trigger,
            envelope_sender=envelope_sender,
            thread=None,
        )
        decision = self._run(ctx, counting=False)
        if not decision.allowed and on_suppress is not None:
            on_suppress(decision)
        yield decision
        ctx.degraded.clear()
        ctx.store_failure = None
        self._emit(self._run(ctx, counting=True), counted=True)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, ctx: CheckContext, *, counting: bool) -> Decision:
        flow = self._flow(ctx, counting=counting)
        try:
            op = next(flow)
            while True:
                op = flow.send(ctx.store_failure or self._execute(op))
        except StopIteration as stop:
            decision: Decision = stop.value
            return decision

    def _tracker(self, purpose: Purpose, namespace: str | None = None) -> RateTracker:
        tracker = self._trackers.get((purpose, namespace))
        if tracker is None:
            limits, key = self._tracker_spec(purpose, namespace)
            tracker = RateTracker(limits, store=self.store, clock=self.clock, secret=key)
            self._trackers[purpose, namespace] = tracker
        return tracker

    def _execute(self, op: StoreOp) -> StoreAnswer:
        tracker = self._tracker(op.purpose, op.namespace)
        call = tracker.hit if op.count else tracker.peek
        try:
            return call(sender=op.sender, recipient=op.recipient, thread=op.thread)
        except StoreError as exc:
            return exc


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


def first_argument(args: tuple[object, ...], kwargs: Mapping[str, object]) -> object:
    if args:
        return args[0]
    if "message" in kwargs:
        return kwargs["message"]
    raise TypeError("a protected function takes the incoming message as its first argument")
