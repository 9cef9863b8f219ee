"""AsyncGuard: the Guard for asyncio hosts (aiosmtpd handlers, async workers).

It decides exactly as :class:`loopguard.guard.Guard` does: both run the same decision
flow (:meth:`loopguard.guard.core.GuardCore._flow`); only the store calls are awaited, through
:class:`loopguard.rate.aio.AsyncRateTracker`. Classification is CPU work of a millisecond or so
and runs inline.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar

from loopguard.classifier.pipeline import Classifier
from loopguard.errors import StoreError
from loopguard.guard.core import (
    CheckContext,
    Decision,
    GuardCore,
    MetricsHook,
    Purpose,
    StoreAnswer,
    StoreOp,
    first_argument,
)
from loopguard.guard.policy import GuardConfig, Policy, StoreErrorPolicy, load_config
from loopguard.rate.aio import AsyncRateTracker
from loopguard.rate.tracker import DEFAULT_LIMITS, Clock, Limit
from loopguard.stores import Store
from loopguard.stores.aio import AsyncStore, to_async

__all__ = ["AsyncGuard"]

P = ParamSpec("P")
R = TypeVar("R")


class AsyncGuard(GuardCore):
    """The awaitable twin of :class:`loopguard.guard.Guard`; same arguments and behaviour.

    ``store`` is an :class:`~loopguard.stores.aio.AsyncStore` (e.g. from
    :func:`loopguard.stores.aio.async_store_from_url`) or a synchronous store, which is wrapped
    with :func:`loopguard.stores.aio.to_async`.
    """

    def __init__(
        self,
        limits: Iterable[Limit] = DEFAULT_LIMITS,
        *,
        store: AsyncStore | Store | None = None,
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
        # Protocol isinstance checks only see method names; a sync store has them too.
        if inspect.iscoroutinefunction(getattr(store, "hit", None)):
            self.store: AsyncStore = store  # type: ignore[assignment]
        else:
            self.store = to_async(store)  # type: ignore[arg-type]
        self._trackers: dict[tuple[Purpose, str | None], AsyncRateTracker] = {}
        for purpose in self._purposes():
            self._tracker(purpose)  # validates the limits now, not at the first message

    @classmethod
    def from_config(
        cls,
        source: Mapping[str, Any] | str | os.PathLike[str] | GuardConfig,
        *,
        store: AsyncStore | Store | None = None,
        secret: bytes | str | None = None,
        clock: Clock = time.time,
        classifier: Classifier | None = None,
        metrics: MetricsHook | None = None,
    ) -> AsyncGuard:
        """Build from a dict or a TOML/INI file, like :meth:`Guard.from_config`."""
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

    async def check(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        thread: str | None = None,
    ) -> Decision:
        """Decide and count; see :meth:`loopguard.guard.Guard.check`."""
        ctx = self._context(
            message,
            recipient=recipient,
            trigger=trigger,
            envelope_sender=envelope_sender,
            thread=thread,
        )
        decision = await self._run(ctx, counting=True)
        self._emit(decision, counted=True)
        return decision

    async def peek(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        thread: str | None = None,
    ) -> Decision:
        """Decide without counting; see :meth:`loopguard.guard.Guard.peek`."""
        ctx = self._context(
            message,
            recipient=recipient,
            trigger=trigger,
            envelope_sender=envelope_sender,
            thread=thread,
        )
        decision = await self._run(ctx, counting=False)
        self._emit(decision, counted=False)
        return decision

    async def record(
        self,
        message: object | None = None,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        thread: str | None = None,
        envelope_sender: str | None = None,
    ) -> None:
        """Count an answer sent without a check; see :meth:`loopguard.guard.Guard.record`."""
        sender, recipient, thread = self._record_args(
            message, sender, recipient, thread, envelope_sender
        )
        try:
            await self._tracker("rates").hit(sender=sender, recipient=recipient, thread=thread)
        except StoreError as exc:
            self._record_failed(exc)

    async def reset(
        self,
        key: str | None = None,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        thread: str | None = None,
    ) -> None:
        """Forget rate counts; see :meth:`loopguard.guard.Guard.reset`."""
        if key is not None:
            await self.store.reset([key])
        await self._tracker("rates").reset(sender=sender, recipient=recipient, thread=thread)
        await self._tracker("notices").reset(sender=sender, recipient=recipient)

    async def forget_bounce(self, address: str) -> None:
        """Unblock an address remembered from a permanent bounce."""
        await self._tracker("bounces").reset(recipient=address)

    def protect(
        self,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        on_suppress: Callable[[Decision], object] | None = None,
    ) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R | Decision]]]:
        """Decorate an async dispatch function; see :meth:`loopguard.guard.Guard.protect`."""

        def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | Decision]]:
            @functools.wraps(func)
            async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Decision:
                message = first_argument(args, kwargs)
                decision = await self.check(message, recipient=recipient, trigger=trigger)
                if decision.allowed:
                    return await func(*args, **kwargs)
                if on_suppress is not None:
                    on_suppress(decision)
                return decision

            return wrapper

        return decorate

    @contextlib.asynccontextmanager
    async def dispatching(
        self,
        message: object,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        envelope_sender: str | None = None,
        on_suppress: Callable[[Decision], object] | None = None,
    ) -> AsyncIterator[Decision]:
        """Decide on entry without counting; count on a clean exit only."""
        ctx = self._context(
            message,
            recipient=recipient,
            trigger=trigger,
            envelope_sender=envelope_sender,
            thread=None,
        )
        decision = await self._run(ctx, counting=False)
        if not decision.allowed and on_suppress is not None:
            on_suppress(decision)
        yield decision
        ctx.degraded.clear()
        ctx.store_failure = None
        self._emit(await self._run(ctx, counting=True), counted=True)

    async def aclose(self) -> None:
        """Close the store."""
        await self.store.close()

    async def __aenter__(self) -> AsyncGuard:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _run(self, ctx: CheckContext, *, counting: bool) -> Decision:
        flow = self._flow(ctx, counting=counting)
        try:
            op = next(flow)
            while True:
                op = flow.send(ctx.store_failure or await self._execute(op))
        except StopIteration as stop:
            decision: Decision = stop.value
            return decision

    def _tracker(self, purpose: Purpose, namespace: str | None = None) -> AsyncRateTracker:
        tracker = self._trackers.get((purpose, namespace))
        if tracker is None:
            limits, key = self._tracker_spec(purpose, namespace)
            tracker = AsyncRateTracker(limits, store=self.store, clock=self.clock, secret=key)
            self._trackers[purpose, namespace] = tracker
        return tracker

    async def _execute(self, op: StoreOp) -> StoreAnswer:
        tracker = self._tracker(op.purpose, op.namespace)
        call = tracker.hit if op.count else tracker.peek
        try:
            return await call(sender=op.sender, recipient=op.recipient, thread=op.thread)
        except StoreError as exc:
            return exc
