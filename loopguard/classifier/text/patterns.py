"""The compiled language data and the phrase search: what the text steps match against.

:class:`PatternSet` is what :func:`~loopguard.classifier.text.languages.load_patterns`
returns: the subject regexes, and the body phrases and line markers as
:class:`~loopguard.classifier.text.phraseindex.CompiledPhrase` tuples in a phrase index,
so that a text only meets the phrases it can match; :func:`phrase_matches` runs a phrase
only where its first letters occur. :func:`fold` is the form anchors are compared in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from loopguard.classifier.text.phraseindex import CompiledPhrase, PhraseIndex, non_ascii_characters

if TYPE_CHECKING:
    from loopguard.classifier.text.languagedata import LanguageData

__all__ = [
    "CASE_TWINS",
    "LINE_KINDS",
    "PHRASE_KINDS",
    "LineKind",
    "PatternSet",
    "PhraseKind",
    "PhraseMatch",
    "fold",
    "has_case_twins",
    "language_of",
    "phrase_matches",
    "regex_items",
    "regex_width",
]

#: Body phrase lists, searched anywhere in the author's text.
PhraseKind = Literal[
    "autoreply_statements", "absence_phrases", "return_phrases", "ack_phrases", "person_phrases"
]
PHRASE_KINDS: tuple[PhraseKind, ...] = (
    "autoreply_statements",
    "absence_phrases",
    "return_phrases",
    "ack_phrases",
    "person_phrases",
)
#: Line markers: each must match a whole (trimmed) line.
LineKind = Literal["quote_markers", "forward_markers", "signature_markers"]
LINE_KINDS: tuple[LineKind, ...] = ("quote_markers", "forward_markers", "signature_markers")
_FOLD = str.maketrans({"ş": "ș", "ţ": "ț"})
# Letters a case-insensitive regex takes for one another although ``str.lower`` keeps them
# apart (Python's re case-fix table): "yazdi:" matches the marker "yazdı:".
_CASE_TWIN_GROUPS = (
    "i\u0131", "s\u017f", "\u00b5\u03bc", "\u0345\u03b9\u1fbe", "\u0390\u1fd3",
    "\u03b0\u1fe3", "\u03b2\u03d0", "\u03b5\u03f5", "\u03b8\u03d1", "\u03ba\u03f0",
    "\u03c0\u03d6", "\u03c1\u03f1", "\u03c2\u03c3", "\u03c6\u03d5", "\u0432\u1c80",
    "\u0434\u1c81", "\u043e\u1c82", "\u0441\u1c83", "\u0442\u1c84\u1c85",
    "\u044a\u1c86", "\u0463\u1c87", "\ua64b\u1c88", "\u1e61\u1e9b", "\ufb05\ufb06",
)  # fmt: skip
#: Each such letter and the letters the regex engine takes for it.
CASE_TWINS: Mapping[str, str] = {
    letter: group.replace(letter, "") for group in _CASE_TWIN_GROUPS for letter in group
}


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """One phrase found in a text: which list, which language, and the matched text."""

    kind: PhraseKind
    language: str
    text: str
    start: int


@dataclass(frozen=True, slots=True, eq=False)
class PatternSet:
    """Compiled, merged view of every loaded language; immutable and safe to share.

    Build it with :func:`load_patterns` or :func:`default_patterns`. The subject regexes carry
    one named group per language (``l_<code>``, see :func:`language_of`); body phrases and
    line markers are :class:`CompiledPhrase` tuples that know their language.
    """

    languages: tuple[LanguageData, ...]
    reply_prefix: re.Pattern[str]
    reply_run: re.Pattern[str]
    subject_tag: re.Pattern[str]
    autoreply_subject: re.Pattern[str]
    autoreply_subject_suffix: re.Pattern[str]
    sender_field: re.Pattern[str]
    header_field: re.Pattern[str]
    noreply_local: re.Pattern[str]
    lines: Mapping[LineKind, tuple[CompiledPhrase, ...]] = field(repr=False)
    phrases: Mapping[PhraseKind, tuple[CompiledPhrase, ...]] = field(repr=False)
    phrase_index: PhraseIndex = field(init=False, repr=False)
    """Every body phrase list in one index: a text is looked up once for all of them."""
    line_index: PhraseIndex = field(init=False, repr=False)
    """Every line marker list in one index."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "phrase_index", PhraseIndex.build(self.phrases.items()))
        object.__setattr__(self, "line_index", PhraseIndex.build(self.lines.items()))

    @property
    def codes(self) -> tuple[str, ...]:
        """The language codes loaded, in load order."""
        return tuple(data.language for data in self.languages)

    def find(
        self, kind: PhraseKind, text: str, folded: str | None = None
    ) -> tuple[PhraseMatch, ...]:
        """Matches of one phrase list in ``text``, left to right, overlaps dropped.

        Args:
            kind: Which list to search.
            text: The text to search.
            folded: ``fold(text)``, when the caller already has it (saves a copy per list).
        """
        folded = fold(text) if folded is None else folded
        hits = [
            PhraseMatch(kind, phrase.language, match.group(), match.start())
            for phrase in self.phrase_index.candidates(folded).get(kind, ())
            for match in phrase_matches(phrase.regex, text, folded)
        ]
        return _without_overlaps(hits)

    def line_markers(self, kind: LineKind, folded: str) -> tuple[CompiledPhrase, ...]:
        """The markers of one line list that can occur in a text (given as ``fold(text)``).

        Callers test each candidate with ``regex.fullmatch(line)`` on trimmed lines; the anchor
        filter leaves only a handful of candidates per message.
        """
        return self.line_index.candidates(folded).get(kind, ())


def phrase_matches(regex: re.Pattern[str], text: str, folded: str) -> Iterator[re.Match[str]]:
    """``regex.finditer(text)``, tried only where the letters every match holds at a known
    distance from its start occur (the regex engine would try every position of a
    4,000-character text)."""
    anchored = _anchored_text(regex)
    if anchored is None:
        spaced = _spaced_start(regex)
        if spaced is None or len(folded) != len(text) or has_case_twins(folded, "".join(spaced)):
            yield from regex.finditer(text)
        else:
            yield from _spaced_matches(regex, text, folded, *spaced)
        return
    offset, letters = anchored
    if len(folded) != len(text) or has_case_twins(folded, letters):
        yield from regex.finditer(text)
        return
    position = folded.find(letters, offset)
    while position != -1:
        match = regex.match(text, position - offset)
        if match is None:
            position = folded.find(letters, position + 1)
            continue
        yield match
        position = folded.find(letters, match.end() + offset)  # finditer goes on after it


def _spaced_matches(
    regex: re.Pattern[str], text: str, folded: str, lead: str, word: str
) -> Iterator[re.Match[str]]:
    """``regex.finditer(text)`` for a regex whose matches are ``lead``, spaces, ``word``
    ("I(?<!\\w.)\\s+will\\s+be\\s+back"): each occurrence of ``word`` gives the one start a
    match holding it there can have, behind the spaces before it."""
    end = 0
    position = folded.find(word)
    while position != -1:
        first = position
        while first and folded[first - 1].isspace():
            first -= 1
        begin = first - len(lead)
        if first < position and begin >= end and folded.startswith(lead, begin):
            match = regex.match(text, begin)
            if match is not None:
                yield match
                end = match.end()  # finditer goes on after a match
                position = folded.find(word, max(end, position + 1))
                continue
        position = folded.find(word, position + 1)


@functools.lru_cache(maxsize=4096)
def _spaced_start(regex: re.Pattern[str]) -> tuple[str, str] | None:
    """``(lead, word)`` when every match of ``regex`` is letters (``lead``, zero-width
    assertions aside), one or more spaces (``\\s+``), then two letters or more (``word``),
    both folded; else ``None``."""
    items = regex_items(regex) or []
    leading = ("LITERAL", "ASSERT", "ASSERT_NOT")
    spaces = next((at for at, (op, _) in enumerate(items) if op not in leading), len(items))
    lead = [chr(value) for op, value in items[:spaces] if op == "LITERAL"]
    if not lead or spaces == len(items) or not _are_spaces(items[spaces]):
        return None
    word: list[str] = []
    for op, value in items[spaces + 1 :]:
        if op != "LITERAL":
            break
        word.append(chr(value))
    folded_lead, folded_word = fold("".join(lead)), fold("".join(word))
    if len(folded_word) < 2 or len(folded_lead) + len(folded_word) != len(lead) + len(word):
        return None
    return folded_lead, folded_word


def _are_spaces(item: tuple[str, Any]) -> bool:
    """Whether a parse item is ``\\s+`` (one or more, greedy)."""
    op, value = item
    if op != "MAX_REPEAT":
        return False
    low, _, inner = value
    inner = list(inner)
    if low < 1 or len(inner) != 1 or str(inner[0][0]) != "IN":
        return False
    return [(str(kind), str(arg)) for kind, arg in inner[0][1]] == [("CATEGORY", "CATEGORY_SPACE")]


@functools.lru_cache(maxsize=4096)
def _anchored_text(regex: re.Pattern[str]) -> tuple[int, str] | None:
    """``(offset, letters)``: two letters or more (folded) every match of ``regex`` holds
    at ``offset`` from its start, when its parse says so: the first such run of letters
    (zero-width assertions inside it aside) behind items one character wide each. "on"
    is rare enough in a text, a single "i" is not: "I(?<!\\w.)['’]ll" gives "ll" at 2."""
    letters: list[str] = []
    offset = start = 0
    for op, value in regex_items(regex) or ():
        if op == "LITERAL":
            start = start if letters else offset
            letters.append(chr(value))
            offset += 1
        elif op in ("ASSERT", "ASSERT_NOT"):
            continue
        elif op in ("IN", "ANY", "NOT_LITERAL") and len(letters) < 2:
            letters, offset = [], offset + 1
        else:
            break
    folded = fold("".join(letters))
    return (start, folded) if len(folded) >= 2 and len(folded) == len(letters) else None


def regex_items(regex: re.Pattern[str]) -> list[tuple[str, Any]] | None:
    """The top-level items of ``regex`` as the stdlib's regex parser sees them (operator
    name, argument; class items likewise), or ``None`` when it cannot tell: the parser is a
    private module, so any surprise from it means "not known"."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        return [(str(op), _named(value)) for op, value in _parser.parse(regex.pattern, regex.flags)]
    except Exception:
        return None


def regex_width(regex: re.Pattern[str]) -> int | None:
    """The longest match of ``regex``, or ``None`` when unbounded or when the stdlib's
    regex parser (a private module) cannot tell."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        width = int(_parser.parse(regex.pattern, regex.flags).getwidth()[1])
        unbounded = int(_parser.MAXREPEAT) - 1
    except Exception:
        return None
    return width if width < unbounded else None


def _named(value: Any) -> Any:
    # A class is a list of (operator, argument) pairs: name those operators too.
    if isinstance(value, list):
        return [(str(op), argument) for op, argument in value]
    return value


def has_case_twins(folded: str, letters: str) -> bool:
    """Whether ``folded`` holds a letter a case-insensitive regex takes for one of
    ``letters`` but folding does not turn into it (dotless "ı" for "i", "ς" for "σ"): a
    match could then be where the folded letters are not."""
    ascii_twins, other_twins = _twins(frozenset(letters))
    if any(twin in folded for twin in ascii_twins):  # "i" is the twin of "ı"
        return True
    # The others are looked up in the text's set of characters beyond ASCII, kept per text
    # (a phrase search asks for each candidate phrase).
    return (
        bool(other_twins)
        and not folded.isascii()
        and not other_twins.isdisjoint(non_ascii_characters(folded))
    )


@functools.lru_cache(maxsize=1024)
def _twins(letters: frozenset[str]) -> tuple[tuple[str, ...], frozenset[str]]:
    twins = {twin for letter in letters for twin in CASE_TWINS.get(letter, "")}
    return tuple(sorted(t for t in twins if t.isascii())), frozenset(
        t for t in twins if not t.isascii()
    )


def _without_overlaps(hits: list[PhraseMatch]) -> tuple[PhraseMatch, ...]:
    # Two phrases of one statement ("I am out of the office" and "out of the office until")
    # must count once: keep the earliest, then the longest, of overlapping matches.
    kept: list[PhraseMatch] = []
    for hit in sorted(hits, key=lambda item: (item.start, -len(item.text))):
        if not kept or hit.start >= kept[-1].start + len(kept[-1].text):
            kept.append(hit)
    return tuple(kept)


def fold(text: str) -> str:
    """Lowercase ``text`` and unify legacy letter variants: the form anchors are compared in.

    Turkish "İ" becomes a plain "i" first: ``str.lower`` would add a combining dot, and the
    word "İzindeyim" would no longer contain the anchor "izindeyim" that the regex matches.
    """
    folded = text.replace("İ", "i").lower()
    # str.translate walks the text in Python-level steps: only pay it when needed.
    return folded.translate(_FOLD) if "ş" in folded or "ţ" in folded else folded


def language_of(match: re.Match[str]) -> str:
    """The language code of the named group that produced ``match``."""
    group = match.lastgroup or ""
    return group.removeprefix("l_").replace("_", "-")
