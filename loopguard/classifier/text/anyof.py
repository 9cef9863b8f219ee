"""Fast search for many alternative phrases: a literal pre-check before any regex runs.

Python's regex engine tries every alternative of a large ``a|b|c...`` pattern at every
position of the text (hundreds of µs on a 12 KB body). Most alternatives begin with a
literal word, and ``str`` containment is a C-level scan: an alternative whose leading
literal, or the longest literal every match of it holds, does not occur in the text is
never run ("(?:to|on) my [^\n]{0,30}guest list" needs "guest list").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from loopguard.classifier.text.patterns import regex_items, regex_width

__all__ = ["AnyOf"]

_META = set("\\.^$*+?{}[]()|")
_MIN_KEY = 3
# Characters past a match's end that a trailing assertion ("\b", "(?!\d{2})") may read.
_LOOK_AHEAD = 16


@dataclass(frozen=True, slots=True)
class _Branch:
    key: str
    pattern: re.Pattern[str]
    needs: str
    longest: int | None
    """The longest match the branch can make, or ``None`` when unbounded or not known."""


class AnyOf:
    """The earliest match of any of ``branches`` (regex sources, written in lower case).

    Texts are searched in lower case; pass :meth:`lower` output (or any lower-cased text).
    """

    def __init__(self, branches: Iterable[str]) -> None:
        compiled = [(_literal_key(b), re.compile(b)) for b in branches]
        self._branches = tuple(
            _Branch(key, regex, _needed(regex), regex_width(regex)) for key, regex in compiled
        )

    def search(self, lowered: str, start: int = 0) -> re.Match[str] | None:
        """The match that starts first (at or after ``start``), among branches whose
        literal occurs in the text."""
        best: re.Match[str] | None = None
        for branch in self._branches:
            if branch.key and lowered.find(branch.key, start) == -1:
                continue
            if branch.needs and lowered.find(branch.needs, start) == -1:
                continue
            # Only a match starting before the best so far can win; one that starts there
            # ends at most its longest match later (plus what a trailing assertion may look
            # at), so the search need not read further.
            end = len(lowered)
            if best is not None and branch.longest is not None:
                end = min(end, best.start() + branch.longest + _LOOK_AHEAD)
            match = branch.pattern.search(lowered, start, end)
            if match is not None and (best is None or match.start() < best.start()):
                best = match
        return best

    def starts(self, lowered: str, limit: int = 200) -> list[int]:
        """Start offsets of the matches of every branch (at most ``limit``), sorted."""
        found: list[int] = []
        for branch in self._branches:
            if (branch.key and branch.key not in lowered) or branch.needs not in lowered:
                continue
            for count, match in enumerate(branch.pattern.finditer(lowered)):
                if count == limit:
                    break
                found.append(match.start())
        return sorted(found)[:limit]


def _literal_key(branch: str) -> str:
    """The literal text every match of ``branch`` starts with ("" when too short to help)."""
    key: list[str] = []
    for index, char in enumerate(branch):
        if char in _META:
            # A quantifier applies to the previous character: that one is not required.
            if char in "*?{" and key:
                key.pop()
            break
        if index + 1 < len(branch) and branch[index + 1] in "*?{" and char not in _META:
            break
        key.append(char)
    text = "".join(key)
    return text if len(text) >= _MIN_KEY else ""


def _needed(branch: re.Pattern[str]) -> str:
    """The longest run of characters at the top level of ``branch``'s parse, which every
    match holds ("" when shorter than a key or when the parse is not known)."""
    if branch.flags & re.IGNORECASE:
        return ""
    best = run = ""
    for op, value in regex_items(branch) or ():
        run = run + chr(value) if op == "LITERAL" else ""
        best = max(best, run, key=len)
    return best if len(best) >= _MIN_KEY else ""
