"""The guard: one allow-or-suppress decision before a trigger fires, every reason named.

Above classification and rate tracking: it classifies the message, applies the policy
and counts answers in a store. :class:`Guard` is the blocking face,
:class:`~loopguard.guard.aio.AsyncGuard` the awaitable one; both drive the same sans-IO
core (:class:`~loopguard.guard.sansio.GuardCore`).
"""

from __future__ import annotations

from loopguard.guard.core import Guard
from loopguard.guard.decision import Action, Decision

__all__ = ["Action", "Decision", "Guard"]
