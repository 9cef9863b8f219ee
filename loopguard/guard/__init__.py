"""The guard: one allow-or-suppress decision before a trigger fires, every reason named.

Above classification and rate tracking: it classifies the message, applies the policy
and counts answers in a store. :class:`Guard` is the synchronous face,
:class:`~loopguard.guard.aio.AsyncGuard` the awaitable one.
"""

from __future__ import annotations

from loopguard.guard.core import Action, Decision, Guard

__all__ = ["Action", "Decision", "Guard"]
