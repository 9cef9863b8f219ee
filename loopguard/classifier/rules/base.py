"""What a rule is: a small named check over a message view that returns evidence or nothing.

A :class:`Finding` is evidence a classifier step states itself from what it read (the
failed recipients of a bounce): named, documented and carrying roles like a rule.
"""

from __future__ import annotations

from collections.abc import Callable, KeysView
from dataclasses import dataclass, field

from loopguard.classifier.rules.roles import Role
from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.verdict import Category, Reason, clip_detail
from loopguard.mail.view import MessageView

__all__ = ["Check", "Finding", "Rule", "RulePlan", "RuleSettings", "rule"]


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Tunables that some rules read; validated by the classifier that owns them."""

    hop_limit: int = 30
    patterns: PatternSet = field(default_factory=default_patterns)


Check = Callable[["Rule", MessageView, RuleSettings], "Reason | None"]


class _Evidence:
    """What rules and findings share: they make reasons named after themselves."""

    __slots__ = ()
    name: str
    category: Category | None
    confidence: float

    def hit(
        self,
        detail: str,
        *,
        category: Category | None = None,
        confidence: float | None = None,
    ) -> Reason:
        """A reason named after this; ``category``/``confidence`` override the defaults."""
        return Reason(
            rule=self.name,
            category=category if category is not None else self.category,
            detail=clip_detail(detail),
            confidence=self.confidence if confidence is None else confidence,
        )


@dataclass(frozen=True, slots=True)
class Rule(_Evidence):
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
        roles: what a hit means to the pipeline besides its category (see
            :class:`~loopguard.classifier.rules.roles.Role`).
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
    roles: frozenset[Role] = frozenset()

    def __call__(self, view: MessageView, settings: RuleSettings) -> Reason | None:
        return self.check(self, view, settings)


@dataclass(frozen=True, slots=True)
class Finding(_Evidence):
    """Evidence a classifier step states from what it read, with the roles it plays.

    Attributes:
        name: stable kebab-case identifier, used in reasons, logs and the docs.
        category: what the evidence points to (``hit`` may name another one).
        confidence: how sure the evidence is.
        evidence: what the step found, for the documentation.
        roles: what it means to the pipeline besides its category.
    """

    name: str
    category: Category | None
    confidence: float
    evidence: str
    roles: frozenset[Role] = frozenset()


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
    roles: tuple[Role, ...] = (),
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
            roles=frozenset(roles),
        )

    return wrap


class RulePlan:
    """Which header rules a message needs, resolved once per classifier: the rules that read
    one of its headers, and those that always run, in their order."""

    __slots__ = ("_always", "_by_header", "_rules")

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self._rules = rules
        self._always = frozenset(index for index, item in enumerate(rules) if not item.headers)
        by_header: dict[str, list[int]] = {}
        for index, item in enumerate(rules):
            for header in item.headers:
                by_header.setdefault(header, []).append(index)
        self._by_header = {header: tuple(found) for header, found in by_header.items()}

    def due(self, present: KeysView[str]) -> list[Rule]:
        """The rules to run on a message whose (lower-case) header names are ``present``."""
        wanted = set(self._always)
        for header in present & self._by_header.keys():
            wanted.update(self._by_header[header])
        return [self._rules[index] for index in sorted(wanted)]
