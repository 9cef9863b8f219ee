"""The compiled language data and the phrase search: what the text steps match against.

:class:`PatternSet` is what :func:`~loopguard.classifier.text.languages.load_patterns`
returns: the subject regexes, and the body phrases and line markers as
:class:`CompiledPhrase` tuples indexed by their words, so that a text only meets the
phrases it can match. :func:`fold` is the form anchors are compared in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from loopguard.classifier.text.languages import LanguageData

__all__ = [
    "CASE_TWINS",
    "LINE_KINDS",
    "PHRASE_KINDS",
    "WORD",
    "CompiledPhrase",
    "LineKind",
    "PatternSet",
    "PhraseIndex",
    "PhraseKind",
    "PhraseMatch",
    "fold",
    "has_case_twins",
    "language_of",
    "phrase_matches",
    "regex_items",
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
#: A word, as anchors and texts are split into words.
WORD = re.compile(r"[^\W_]+")
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
    """``regex.finditer(text)``, tried only where the text its every match starts with
    occurs (the regex engine would try every position of a 4,000-character text)."""
    start = _leading_text(regex)
    if start is None or len(folded) != len(text) or has_case_twins(folded, start):
        yield from regex.finditer(text)
        return
    position = folded.find(start)
    while position != -1:
        match = regex.match(text, position)
        if match is None:
            position = folded.find(start, position + 1)
            continue
        yield match
        position = folded.find(start, match.end())  # finditer goes on after a match


@functools.lru_cache(maxsize=4096)
def _leading_text(regex: re.Pattern[str]) -> str | None:
    """The text (folded, two characters or more: "on" is rare enough in a text, a single
    "i" is not) every match of ``regex`` starts with, when its parse says so: letters
    before anything but zero-width assertions."""
    letters = []
    for op, value in regex_items(regex) or ():
        if op == "LITERAL":
            letters.append(chr(value))
        elif op not in ("ASSERT", "ASSERT_NOT"):
            break
    start = fold("".join(letters))
    return start if len(start) >= 2 and len(start) == len(letters) else None


def regex_items(regex: re.Pattern[str]) -> list[tuple[str, Any]] | None:
    """The top-level items of ``regex`` as the stdlib's regex parser sees them (operator
    name, argument; class items likewise), or ``None`` when it cannot tell: the parser is a
    private module, so any surprise from it means "not known"."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        return [(str(op), _named(value)) for op, value in _parser.parse(regex.pattern, regex.flags)]
    except Exception:
        return None


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
        and not other_twins.isdisjoint(_non_ascii_characters(folded))
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


@dataclass(frozen=True, slots=True)
class CompiledPhrase:
    """One body phrase: its language, its regex, and a lowercase literal every match contains.

    The anchors are cheap tests that skip the regex for almost every phrase: running a thousand
    alternatives over every position of a long text is what made one combined regex slow.
    ``words`` are the phrase's words that any match contains as complete words (set lookups);
    ``anchor`` is its longest word, tested as a substring (it may run into more letters, and
    scripts without spaces have no words to look up).
    """

    language: str
    regex: re.Pattern[str]
    anchor: str
    words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, eq=False)
class PhraseIndex:
    """The phrases of several lists grouped so that a text only meets those it can match,
    looked up once per text for every list (the lookup is kept for the last eight texts).

    ``by_word`` keys each phrase by its longest complete word: only phrases whose key word
    occurs in the text are tried. Phrases without complete words (scripts written without
    spaces, markers whose words run into a ``*``) are grouped in ``by_anchor`` by their
    anchor: a text is searched once per distinct anchor, not once per phrase (twelve
    Scandinavian markers share "skrev"). A text is searched for the few ASCII anchors
    (``ascii_anchors``: 60 of 480, say) and for the others (``other_anchors``, keyed by
    their first character beyond ASCII) only when it holds every character of theirs
    beyond ASCII: an English newsletter with one no-break space is not searched for
    "escribió" or "napisał". Each phrase is listed with the name of its list.
    """

    by_word: Mapping[str, tuple[tuple[str, CompiledPhrase], ...]]
    key_words: frozenset[str]
    by_anchor: Mapping[str, tuple[tuple[str, CompiledPhrase], ...]]
    ascii_anchors: tuple[str, ...]
    other_anchors: Mapping[str, tuple[tuple[str, frozenset[str]], ...]]

    @classmethod
    def build(cls, lists: Iterable[tuple[str, Iterable[CompiledPhrase]]]) -> PhraseIndex:
        """The index of ``(list name, phrases)`` pairs."""
        by_word: dict[str, list[tuple[str, CompiledPhrase]]] = {}
        by_anchor: dict[str, list[tuple[str, CompiledPhrase]]] = {}
        for kind, phrases in lists:
            for phrase in phrases:
                if phrase.words:
                    by_word.setdefault(max(phrase.words, key=len), []).append((kind, phrase))
                else:
                    by_anchor.setdefault(phrase.anchor, []).append((kind, phrase))
        others: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for anchor in by_anchor:
            beyond = [char for char in anchor if not char.isascii()]
            if beyond:
                others.setdefault(beyond[0], []).append((anchor, frozenset(beyond)))
        return cls(
            {word: tuple(found) for word, found in by_word.items()},
            frozenset(by_word),
            {anchor: tuple(found) for anchor, found in by_anchor.items()},
            tuple(anchor for anchor in by_anchor if anchor.isascii()),
            {char: tuple(found) for char, found in others.items()},
        )

    def candidates(self, folded: str) -> Mapping[str, tuple[CompiledPhrase, ...]]:
        """The phrases that can match a text (given as ``fold(text)``), by list: all their
        complete words and their anchor occur in it."""
        return _candidates(self, folded)

    def _anchors_in(self, folded: str) -> Iterator[str]:
        yield from (anchor for anchor in self.ascii_anchors if anchor in folded)
        if folded.isascii():
            return
        held = _non_ascii_characters(folded)
        for char in held & self.other_anchors.keys():
            for anchor, needed in self.other_anchors[char]:
                if needed <= held and anchor in folded:
                    yield anchor


@functools.lru_cache(maxsize=8)
def _candidates(index: PhraseIndex, folded: str) -> Mapping[str, tuple[CompiledPhrase, ...]]:
    found: dict[str, list[CompiledPhrase]] = {}
    words = _words(folded)
    # Phrases share anchors ("monday", "office"): each is looked for once per text, and a
    # word of the text needs no search.
    held: dict[str, bool] = {}
    for word in words & index.key_words:
        for kind, phrase in index.by_word[word]:
            if not phrase.words <= words:
                continue
            anchor = phrase.anchor
            if anchor not in held:
                held[anchor] = anchor in words or anchor in folded
            if held[anchor]:
                found.setdefault(kind, []).append(phrase)
    for anchor in index._anchors_in(folded):
        for kind, phrase in index.by_anchor[anchor]:
            found.setdefault(kind, []).append(phrase)
    return {kind: tuple(phrases) for kind, phrases in found.items()}


@functools.lru_cache(maxsize=8)
def _words(folded: str) -> frozenset[str]:
    """The words of a text, as :data:`WORD` finds them; once per text and message.

    Every ASCII character but a letter or a digit separates words: a C-level translate
    of the UTF-8 bytes and a split find them, several times cheaper than the regex. Only
    the few pieces holding other characters (an accent, a curly apostrophe) are split by
    the regex.
    """
    try:
        data = folded.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return frozenset(WORD.findall(folded))
    # UTF-8 keeps every other character in bytes >= 0x80, which the translate leaves as
    # they are: the bytes still decode. str.split also cuts at the Unicode spaces (a
    # no-break space), which the regex never takes into a word either.
    pieces = data.translate(_ASCII_BYTE_SEPARATORS).decode("utf-8").split()
    if folded.isascii():
        return frozenset(pieces)
    words = set(pieces)
    for piece in [word for word in words if not word.isascii()]:
        words.discard(piece)  # a piece never equals a word of another piece but its own
        words.update(WORD.findall(piece))
    return frozenset(words)


@functools.lru_cache(maxsize=8)
def _non_ascii_characters(folded: str) -> frozenset[str]:
    """The characters of a text beyond ASCII: its UTF-8 bytes without the ASCII ones,
    decoded (a C-level pass instead of a set of every character)."""
    try:
        data = folded.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return frozenset(folded)
    return frozenset(data.translate(None, _ASCII_BYTES).decode("utf-8"))


_ASCII_BYTES = bytes(range(128))
_ASCII_BYTE_SEPARATORS = bytes(c if c > 127 or chr(c).isalnum() else 32 for c in range(256))


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
