"""Rules carry their roles: the engine asks for roles, never for rule names."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import loopguard
from loopguard.classifier.rules import DEFAULT_RULES
from loopguard.classifier.rules.roles import Role

CLASSIFIER = Path(loopguard.__file__).parent / "classifier"
BOUNCES = Path(__file__).resolve().parents[1] / "fixtures" / "core" / "bounce"


def test_every_role_is_carried_by_a_rule() -> None:
    carried = loopguard.Classifier().roles.carried
    assert set(Role) == carried, f"roles no rule carries: {set(Role) - carried}"


def test_every_role_is_asked_for_by_the_engine() -> None:
    # Rules declare roles in classifier/rules/; the engine is everything else.
    engine = "\n".join(
        path.read_text(encoding="utf-8")
        for path in CLASSIFIER.rglob("*.py")
        if "rules" not in path.relative_to(CLASSIFIER).parts
    )
    asked = {Role[name] for name in re.findall(r"Role\.([A-Z_]+)", engine)}
    assert set(Role) == asked, f"roles nothing asks for: {set(Role) - asked}"


def test_the_engine_names_no_rule() -> None:
    names = {rule.name for rule in DEFAULT_RULES}
    for module in ("pipeline.py", "decide.py", "bounce/step.py"):
        source = (CLASSIFIER / module).read_text(encoding="utf-8")
        quoted = set(re.findall(r"\"([a-z0-9-]+)\"", source))
        assert not quoted & names, f"{module} names rules: {quoted & names}"


def test_a_renamed_rule_keeps_its_part() -> None:
    # The bounce step runs on what a rule is, not on what it is called.
    renamed = tuple(dataclasses.replace(rule, name=f"site-{rule.name}") for rule in DEFAULT_RULES)
    classifier = loopguard.Classifier(rules=renamed)
    for path in sorted(BOUNCES.glob("*.eml")):
        assert classifier.classify(path).bounce == loopguard.classify(path).bounce, path.name
