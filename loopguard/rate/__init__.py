"""Rate tracking: limits, their exact sliding-window decision, store keys, trackers.

Independent of classification: a tracker counts events per key in a
:class:`~loopguard.stores.Store` and decides from the timestamps it returns.
"""

from __future__ import annotations

from loopguard.rate.keys import MailEvent
from loopguard.rate.tracker import DEFAULT_LIMITS, Limit, RateResult, RateTracker

__all__ = ["DEFAULT_LIMITS", "Limit", "MailEvent", "RateResult", "RateTracker"]
