"""loopguard: stop email loops before they start.

Classify incoming mail (human, auto-reply, auto-generated, bounce, bulk, receipt) with
named reasons, track rates per sender/recipient pair, and decide before a trigger fires.

Classification is imported with the package; the guard, the rate trackers, the stores and
the async layer load on first use of one of their names, so that a host which only
classifies never imports them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from loopguard.classifier.pipeline import Classifier, classify
from loopguard.classifier.text.authortext import BodyText, author_text
from loopguard.classifier.text.languages import default_patterns, load_patterns
from loopguard.classifier.text.outofoffice import (
    DEFAULT_TEXT_THRESHOLD,
    TextAssessment,
    assess_text,
)
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.verdict import Bounce, Category, Reason, Verdict
from loopguard.errors import ConfigurationError, LoopguardError, StoreError
from loopguard.mail.address import normalize_address

if TYPE_CHECKING:
    from loopguard.guard.aio import AsyncGuard
    from loopguard.guard.autorespond import may_autorespond
    from loopguard.guard.core import Action, Decision, Guard
    from loopguard.guard.outbound import HeaderInjectionError, LoopToken
    from loopguard.guard.policy import Policy, TriggerPolicy, load_config
    from loopguard.rate.keys import MailEvent
    from loopguard.rate.tracker import DEFAULT_LIMITS, Limit, RateResult, RateTracker
    from loopguard.stores import store_from_url
    from loopguard.stores.memory import MemoryStore
    from loopguard.stores.redis import RedisStore
    from loopguard.stores.sqlite import SQLiteStore

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it, imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "AsyncGuard": "loopguard.guard.aio",
    "may_autorespond": "loopguard.guard.autorespond",
    "Action": "loopguard.guard.core",
    "Decision": "loopguard.guard.core",
    "Guard": "loopguard.guard.core",
    "HeaderInjectionError": "loopguard.guard.outbound",
    "LoopToken": "loopguard.guard.outbound",
    "Policy": "loopguard.guard.policy",
    "TriggerPolicy": "loopguard.guard.policy",
    "load_config": "loopguard.guard.policy",
    "MailEvent": "loopguard.rate.keys",
    "DEFAULT_LIMITS": "loopguard.rate.tracker",
    "Limit": "loopguard.rate.tracker",
    "RateResult": "loopguard.rate.tracker",
    "RateTracker": "loopguard.rate.tracker",
    "store_from_url": "loopguard.stores",
    "MemoryStore": "loopguard.stores.memory",
    "RedisStore": "loopguard.stores.redis",
    "SQLiteStore": "loopguard.stores.sqlite",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'loopguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = (
    "DEFAULT_LIMITS",
    "DEFAULT_TEXT_THRESHOLD",
    "Action",
    "AsyncGuard",
    "BodyText",
    "Bounce",
    "Category",
    "Classifier",
    "ConfigurationError",
    "Decision",
    "Guard",
    "HeaderInjectionError",
    "Limit",
    "LoopToken",
    "LoopguardError",
    "MailEvent",
    "MemoryStore",
    "PatternSet",
    "Policy",
    "RateResult",
    "RateTracker",
    "Reason",
    "RedisStore",
    "SQLiteStore",
    "StoreError",
    "TextAssessment",
    "TriggerPolicy",
    "Verdict",
    "__version__",
    "assess_text",
    "author_text",
    "classify",
    "default_patterns",
    "load_config",
    "load_patterns",
    "may_autorespond",
    "normalize_address",
    "store_from_url",
)
