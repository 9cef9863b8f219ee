"""AsyncGuard: the Guard for asyncio hosts (aiosmtpd handlers, async workers).

It decides exactly as :class:`loopguard.guard.Guard` does: both run the operations of the
same sans-IO core (:class:`loopguard.guard.sansio.GuardCore`); only the store calls are
awaited. Classification is CPU work of a millisecond or so and runs inline.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import ParamSpec, TypeVar

from loopguard.guard.base import GuardBase, first_argument
from loopguard.guard.decision import Decision
from loopguard.guard.sansio import GuardCore
from loopguard.stores import Store
from loopguard.stores.aio import AsyncStore, async_store, awaiting, run

__all__ = ["AsyncGuard"]

P = ParamSpec("P")
R = TypeVar("R")


class AsyncGuard(GuardBase):
    """The awaitable twin of :class:`loopguard.guard.Guard`; same arguments and behaviour.

    ``store`` is an :class:`~loopguard.stores.aio.AsyncStore` (e.g. from
    :func:`loopguard.stores.aio.async_store_from_url`) or a synchronous store, which is wrapped
    with :func:`loopguard.stores.aio.to_async`.
    """

    store: AsyncStore

    # The operations are the core's, each run to its result awaiting the store calls.
    check = awaiting(GuardCore.check)
    peek = awaiting(GuardCore.peek)
    record = awaiting(GuardCore.record)
    reset = awaiting(GuardCore.reset)
    forget_bounce = awaiting(GuardCore.forget_bounce)

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
                async with self.dispatching(
                    message, recipient=recipient, trigger=trigger, on_suppress=on_suppress
                ) as decision:
                    return await func(*args, **kwargs) if decision.allowed else decision

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
        """Decide and count on entry; refund the count if the body raises; see
        :meth:`loopguard.guard.Guard.dispatching`."""
        dispatch = self.core.dispatch(message, recipient, trigger, envelope_sender, on_suppress)
        decision = await run(dispatch.enter(), self.store)
        try:
            yield decision
        except BaseException:
            await run(dispatch.refund(), self.store)
            raise

    async def aclose(self) -> None:
        """Close the store."""
        await self.store.close()

    async def __aenter__(self) -> AsyncGuard:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _adopt_store(self, store: Store | AsyncStore | None) -> AsyncStore:
        return async_store(store)
