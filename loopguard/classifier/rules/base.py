"""What a rule is: a small named check over a message view that returns evidence or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from loopguard.classifier.text.patterns import PatternSet, default_patterns
from loopguard.classifier.verdict import Category, Reason
from loopguard.mail.view import MessageView

__all__ = ["Check", "Rule", "RuleSettings", "rule"]


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Tunables that some rules read; validated by the classifier that owns them."""

    hop_limit: int = 30
    patterns: PatternSet = field(default_factory=default_patterns)


Check = Callable[["Rule", MessageView, RuleSettings], "Reason | None"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule with its documentation; ``check`` does the work and must never raise.

    Attributes:
        name: stable kebab-case identifier, used in reasons, logs and the docs.
        category: what the evidence usually points to (a rule may name another one
            for a particular value, e.g. ``Auto-Submitted: auto-replied``).
        confidence: how sure the evidence is, when it fires alone.
        evidence: what the rule looks at, for the rules reference.
        source: the RFC or vendor behaviour the rule comes from.
        false_positives: known ways it can be wrong.
        no_autoreply: whether a hit means "the sender asks for no automatic answer".
        headers: the headers it reads, so that the classifier can skip it cheaply.
    """

    name: str
    category: Category | None
    confidence: float
    evidence: str
    source: str
    check: Check
    false_positives: str = "none known"
    no_autoreply: bool = False
    headers: frozenset[str] = frozenset()
    """Lower-case header names the rule reads: it is skipped when none is present
    (empty: it always runs)."""

    def __call__(self, view: MessageView, settings: RuleSettings) -> Reason | None:
        return self.check(self, view, settings)

    def hit(
        self,
        detail: str,
        *,
        category: Category | None = None,
        confidence: float | None = None,
    ) -> Reason:
        """A reason from this rule; ``category``/``confidence`` override the defaults."""
        return Reason(
            rule=self.name,
            category=category if category is not None else self.category,
            detail=_clip(detail),
            confidence=self.confidence if confidence is None else confidence,
        )


def _clip(detail: str, limit: int = 200) -> str:
    # Evidence is shown to people and logged: one line, bounded, whatever the input.
    text = detail[: limit * 4]
    # Not only CR and LF: VT, FF, NEL and U+2028 end a line for terminals and log viewers.
    flat = text if text.isprintable() else " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def rule(
    name: str,
    category: Category | None,
    confidence: float,
    *,
    evidence: str,
    source: str,
    false_positives: str = "none known",
    no_autoreply: bool = False,
    headers: tuple[str, ...] = (),
) -> Callable[[Check], Rule]:
    """Decorator turning a check function into a documented :class:`Rule`."""

    def wrap(check: Check) -> Rule:
        return Rule(
            name=name,
            category=category,
            confidence=confidence,
            evidence=evidence,
            source=source,
            check=check,
            false_positives=false_positives,
            no_autoreply=no_autoreply,
            headers=frozenset(headers),
        )

    return wrap
