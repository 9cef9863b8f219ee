"""loopguard: stop email loops before they start.

Classify incoming mail (human, auto-reply, auto-generated, bounce, bulk, receipt) with
named reasons, track rates per sender/recipient pair, and decide before a trigger fires.
"""

from __future__ import annotations

from loopguard.address import normalize_address
from loopguard.classify import Classifier, classify
from loopguard.errors import ConfigurationError, LoopguardError, StoreError
from loopguard.model import Bounce, Category, Reason, Verdict

__version__ = "0.1.0.dev0"

__all__ = (
    "Bounce",
    "Category",
    "Classifier",
    "ConfigurationError",
    "LoopguardError",
    "Reason",
    "StoreError",
    "Verdict",
    "__version__",
    "classify",
    "normalize_address",
)
