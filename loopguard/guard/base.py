"""What :class:`~loopguard.guard.Guard` and its async twin share: all but the store calls.

Construction, configuration files, the settings, and stamping are here once; each twin
only adopts its kind of store and drives the sans-IO :class:`~loopguard.guard.sansio.GuardCore`
(blocking, or awaited).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

from loopguard.classifier.pipeline import Classifier
from loopguard.errors import ConfigurationError
from loopguard.guard.context import message_view
from loopguard.guard.outbound import LoopToken, MessageT, ReplyKind, stamp
from loopguard.guard.policy import GuardConfig, Policy, StoreErrorPolicy, load_config
from loopguard.guard.sansio import GuardCore
from loopguard.guard.telemetry import Metrics
from loopguard.rate.limits import DEFAULT_LIMITS, Clock, Limit
from loopguard.stores import Store

if TYPE_CHECKING:
    from loopguard.stores.aio import AsyncStore

__all__ = ["GuardBase", "first_argument"]


class GuardBase:
    """The shared base of the blocking and the async guard; see :class:`~loopguard.guard.Guard`."""

    def __init__(
        self,
        limits: Iterable[Limit] = DEFAULT_LIMITS,
        *,
        store: Store | AsyncStore | None = None,
        own_addresses: Iterable[str] = (),
        secret: bytes | str | None = None,
        policy: Policy | None = None,
        on_store_error: StoreErrorPolicy = "allow",
        identity: str | None = None,
        clock: Clock = time.time,
        classifier: Classifier | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.core = GuardCore(
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
        self.store = self._adopt_store(store)

    def _adopt_store(self, store: Store | AsyncStore | None) -> Store | AsyncStore:
        raise NotImplementedError

    @classmethod
    def from_config(
        cls,
        source: Mapping[str, Any] | str | os.PathLike[str] | GuardConfig,
        *,
        store: Store | AsyncStore | None = None,
        secret: bytes | str | None = None,
        clock: Clock = time.time,
        classifier: Classifier | None = None,
        metrics: Metrics | None = None,
    ) -> Self:
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

    def stamp(
        self,
        reply: MessageT,
        *,
        replying_to: object | None = None,
        kind: ReplyKind = "auto_replied",
        precedence: str | None = None,
        body_token: bool = True,
    ) -> MessageT:
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
        return stamp(
            reply,
            token=self.token,
            replying_to=message_view(replying_to) if replying_to is not None else None,
            kind=kind,
            precedence=precedence,
            body_token=body_token,
            at=self.clock(),
        )

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The rate limits."""
        return self.core.limits

    @property
    def own_addresses(self) -> tuple[str, ...]:
        """Our addresses, normalized."""
        return self.core.own_addresses

    @property
    def policy(self) -> Policy:
        """The policy beyond the rate limits."""
        return self.core.policy

    @property
    def on_store_error(self) -> StoreErrorPolicy:
        """What a failing store does to a decision."""
        return self.core.on_store_error

    @property
    def identity(self) -> str:
        """Who we are in loop tokens."""
        return self.core.identity

    @property
    def clock(self) -> Clock:
        """Wall-clock seconds."""
        return self.core.clock

    @property
    def classifier(self) -> Classifier:
        """The classifier of incoming mail."""
        return self.core.classifier

    @property
    def token(self) -> LoopToken | None:
        """Our loop token, if the guard has a secret."""
        return self.core.token

    @property
    def metrics(self) -> Metrics | None:
        """The metrics hook (may be replaced at any time)."""
        return self.core.metrics

    @metrics.setter
    def metrics(self, hook: Metrics | None) -> None:
        self.core.metrics = hook


def first_argument(args: tuple[object, ...], kwargs: Mapping[str, object]) -> object:
    """The incoming message a protected dispatch function was called with."""
    if args:
        return args[0]
    if "message" in kwargs:
        return kwargs["message"]
    raise TypeError("a protected function takes the incoming message as its first argument")
