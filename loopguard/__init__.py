"""loopguard: stop email loops before they start.

Classify incoming mail (human, auto-reply, auto-generated, bounce, bulk, receipt) with
named reasons, track rates per sender/recipient pair, and decide before a trigger fires.
"""

from __future__ import annotations

from loopguard.address import normalize_address
from loopguard.aioguard import AsyncGuard
from loopguard.autorespond import may_autorespond
from loopguard.bodytext import BodyText, author_text
from loopguard.classify import Classifier, classify
from loopguard.errors import ConfigurationError, LoopguardError, StoreError
from loopguard.guard import Action, Decision, Guard
from loopguard.model import Bounce, Category, Reason, Verdict
from loopguard.ooo import DEFAULT_TEXT_THRESHOLD, TextAssessment, assess_text
from loopguard.outbound import HeaderInjectionError, LoopToken
from loopguard.patterns import PatternSet, default_patterns, load_patterns
from loopguard.policy import Policy, TriggerPolicy, load_config
from loopguard.stores import store_from_url
from loopguard.stores.memory import MemoryStore
from loopguard.stores.redis import RedisStore
from loopguard.stores.sqlite import SQLiteStore
from loopguard.tracker import DEFAULT_LIMITS, Limit, MailEvent, RateResult, RateTracker

__version__ = "0.1.0.dev0"

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
