"""The rules reference as Markdown tables, built from the rule registries.

``python -m loopguard.classifier.rules.reference`` prints it; ``docs/classification.md`` holds the
same text between its ``rules-reference`` markers, and a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable

from loopguard.classifier.bounce.step import BOUNCE_FINDINGS
from loopguard.classifier.rules import DEFAULT_RULES
from loopguard.classifier.rules.base import Finding
from loopguard.classifier.rules.body import BODY_RULES
from loopguard.classifier.rules.content import TEXT_FINDINGS
from loopguard.classifier.rules.roles import Role

__all__ = ["markdown_reference"]

_HEAD = (
    "| rule | category | conf. | evidence | source | known false positives |\n"
    "|---|---|---|---|---|---|\n"
)
_FINDINGS_HEAD = "| finding | category | conf. | evidence |\n|---|---|---|---|\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _roles(roles: Iterable[Role]) -> str:
    names = sorted(role.value for role in roles)
    return f" Roles: {', '.join(f'`{name}`' for name in names)}." if names else ""


def markdown_reference() -> str:
    """The header-rule, body-rule, bounce-finding and text-finding tables, with headings."""
    header_rows = [
        f"| `{r.name}` | {r.category.value if r.category else '—'} | {r.confidence:.2f} | "
        f"{_cell(r.evidence)}{' Sets `no_autoreply`.' if r.no_autoreply else ''}"
        f"{_roles(r.roles)} | {_cell(r.source)} | {_cell(r.false_positives)} |"
        for r in DEFAULT_RULES
    ]
    body_rows = [
        f"| `{r.name}` | {r.category.value} | {r.confidence:.2f} | {_cell(r.evidence)}"
        f"{_roles(r.roles)} | {_cell(r.source)} | {_cell(r.false_positives)} |"
        for r in BODY_RULES
    ]
    finding_rows = [_finding_row(f) for f in BOUNCE_FINDINGS]
    text_rows = [_finding_row(f) for f in TEXT_FINDINGS]
    return (
        "## Header rules\n\n" + _HEAD + "\n".join(header_rows) + "\n\n"
        "## Body rules\n\n" + _HEAD + "\n".join(body_rows) + "\n\n"
        "## Findings of the bounce step\n\n" + _FINDINGS_HEAD + "\n".join(finding_rows) + "\n\n"
        "## Findings of the text step\n\n" + _FINDINGS_HEAD + "\n".join(text_rows) + "\n"
    )


def _finding_row(finding: Finding) -> str:
    category = finding.category.value if finding.category else "—"
    return (
        f"| `{finding.name}` | {category} | {finding.confidence:.2f} | "
        f"{_cell(finding.evidence)}{_roles(finding.roles)} |"
    )


if __name__ == "__main__":
    print(markdown_reference(), end="")
