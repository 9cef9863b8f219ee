"""Guard: one allow-or-suppress decision before a trigger fires, every reason named.

The checks run in a fixed order, each modelled on an anchor (docs/guard.md); the first
that fails decides. :class:`Guard` runs the operations of the sans-IO
:class:`~loopguard.guard.sansio.GuardCore` with blocking store calls;
:class:`loopguard.guard.aio.AsyncGuard` awaits the same calls, so both decide identically.
:class:`Action` and :class:`Decision` are importable from here as from :mod:`loopguard.guard`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from loopguard.guard.base import GuardBase, first_argument
from loopguard.guard.decision import Action, Decision
from loopguard.guard.sansio import GuardCore
from loopguard.stores import Store, blocking_store
from loopguard.stores.sansio import blocking, run

if TYPE_CHECKING:
    from loopguard.stores.aio import AsyncStore

__all__ = ["Action", "Decision", "Guard"]

P = ParamSpec("P")
R = TypeVar("R")


class Guard(GuardBase):
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
        metrics: Called with ``(action, reasons)`` for every counted decision, or an
            object with the :class:`~loopguard.guard.telemetry.DecisionMetrics` methods.

    Raises:
        ConfigurationError: A bad setting (naming it), or an async store.
    """

    store: Store

    # The operations are the core's, each run to its result with blocking store calls.
    check = blocking(GuardCore.check)
    peek = blocking(GuardCore.peek)
    record = blocking(GuardCore.record)
    reset = blocking(GuardCore.reset)
    forget_bounce = blocking(GuardCore.forget_bounce)

    def protect(
        self,
        *,
        recipient: str | None = None,
        trigger: str | None = None,
        on_suppress: Callable[[Decision], object] | None = None,
    ) -> Callable[[Callable[P, R]], Callable[P, R | Decision]]:
        """Decorate a dispatch function whose first argument is the incoming message.

        The decision is counted before the call (as ``check`` does), and refunded if the
        function raises. The function runs only when the decision allows it; otherwise
        ``on_suppress`` (if given) is called with the decision, and the decision is
        returned instead.
        """

        def decorate(func: Callable[P, R]) -> Callable[P, R | Decision]:
            @functools.wraps(func)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Decision:
                message = first_argument(args, kwargs)
                with self.dispatching(
                    message, recipient=recipient, trigger=trigger, on_suppress=on_suppress
                ) as decision:
                    return func(*args, **kwargs) if decision.allowed else decision

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
        """Decide and count on entry, in one store call; refund the count if the body raises.

        The body sends when ``decision.allowed``. Concurrent workers each take their count
        with their decision, so a burst of one pair passes exactly the limit; if the body
        raises (the send failed), the count is taken back, so a failed delivery does not
        use up the sender's allowance::

            with guard.dispatching(msg, recipient="help@example.org") as decision:
                if decision.allowed:
                    send_acknowledgement(msg)
        """
        dispatch = self.core.dispatch(message, recipient, trigger, envelope_sender, on_suppress)
        decision = run(dispatch.enter(), self.store)
        try:
            yield decision
        except BaseException:
            run(dispatch.refund(), self.store)
            raise

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _adopt_store(self, store: Store | AsyncStore | None) -> Store:
        return blocking_store(store, "Guard")
