"""The header rules, in evaluation order, as one explicit registry (no discovery magic)."""

from __future__ import annotations

from loopguard.classifier.rules.autoreply import AUTOREPLY_RULES
from loopguard.classifier.rules.base import Rule, RuleSettings, rule
from loopguard.classifier.rules.bulk import BULK_RULES
from loopguard.classifier.rules.notifications import NOTIFICATION_RULES
from loopguard.classifier.rules.reports import REPORT_RULES
from loopguard.classifier.rules.senders import SENDER_RULES
from loopguard.errors import ConfigurationError

__all__ = ["DEFAULT_RULES", "Rule", "RuleSettings", "check_unique_names", "rule"]


def check_unique_names(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Return ``rules`` unchanged, or raise ConfigurationError if two share a name."""
    seen: set[str] = set()
    for item in rules:
        if item.name in seen:
            raise ConfigurationError(f"two rules are named {item.name!r}; names must be unique")
        seen.add(item.name)
    return rules


#: Every header rule loopguard ships, in the order they run.
DEFAULT_RULES: tuple[Rule, ...] = check_unique_names(
    (*REPORT_RULES, *AUTOREPLY_RULES, *NOTIFICATION_RULES, *SENDER_RULES, *BULK_RULES)
)
