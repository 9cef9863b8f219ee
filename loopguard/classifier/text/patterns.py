"""Multilingual phrase data for out-of-office detection, compiled into linear-time regexes.

The phrases live in one TOML file per language under ``loopguard/data/languages``; users
extend or override them at run time with :func:`load_patterns`. Nobody writes a raw regular
expression: every entry uses the small phrase syntax below, which this module compiles into
patterns that cannot backtrack catastrophically.

Phrase syntax (documented for users in ``docs/languages.md``):

* literal text, matched case-insensitively (Romanian ş/ș and ţ/ț count as one letter);
* a run of whitespace matches any run of whitespace, line breaks included;
* ``:`` matches an ASCII or full-width colon, with optional whitespace around it;
* an apostrophe matches ``'``, ``’``, ``‘`` and a backtick;
* ``*`` matches at most 60 characters without a line break (200 in line markers, where a
  trailing ``*`` takes the rest of the line), at most two stars per phrase; whitespace next
  to a star is optional.

Each body phrase and line marker compiles to its own regex, guarded by cheap word anchors;
subject prefixes compile to one alternation with a named group per language.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from loopguard.errors import ConfigurationError

__all__ = [
    "CompiledPhrase",
    "LanguageData",
    "LineKind",
    "PatternSet",
    "PhraseIndex",
    "PhraseKind",
    "PhraseMatch",
    "default_patterns",
    "fold",
    "load_patterns",
]

#: Body phrase lists, searched anywhere in the author's text.
PhraseKind = Literal[
    "autoreply_statements", "absence_phrases", "return_phrases", "ack_phrases", "person_phrases"
]
_PHRASE_KINDS: tuple[PhraseKind, ...] = (
    "autoreply_statements",
    "absence_phrases",
    "return_phrases",
    "ack_phrases",
    "person_phrases",
)
#: Line markers: each must match a whole (trimmed) line.
LineKind = Literal["quote_markers", "forward_markers", "signature_markers"]
_LINE_KINDS: tuple[LineKind, ...] = ("quote_markers", "forward_markers", "signature_markers")
#: Literal lists: no ``*`` allowed.
_LITERAL_KINDS = (
    "reply_prefixes",
    "sender_fields",
    "autoreply_subjects",
    "autoreply_subject_suffixes",
    "header_fields",
    "noreply_senders",
)
_LIST_FIELDS = _LITERAL_KINDS + _PHRASE_KINDS + _LINE_KINDS
_SCALAR_FIELDS = ("language", "name", "word_boundaries", "mode")

_NOREPLY_ENTRY = re.compile(r"[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*")
_BODY_STAR = r"[^\n]{0,60}?"
_LINE_STAR = r"[^\n]{0,200}?"
_MAX_STARS = 2
_MAX_ENTRY_CHARS = 200
_WORD = re.compile(r"[^\W_]+")
_LITERAL_RUN = re.compile(r"[^\s*:：'’‘`]+")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*")
_APOSTROPHES = "'’‘`"
# Letters that legacy charsets spell differently: Romanian comma-below ș/ț are ş/ţ (cedilla)
# in ISO-8859-2 and Windows-1250 mail. Phrases match both; anchors compare folded text.
_EQUIVALENT_LETTERS = {"ș": "[șş]", "ş": "[șş]", "ț": "[țţ]", "ţ": "[țţ]"}
_FOLD = str.maketrans({"ş": "ș", "ţ": "ț"})
# Characters that end an auto-reply subject prefix written without its own colon.
_SUBJECT_PREFIX_END = r"(?=\s*+(?:[:：\-–—|\]\)】」]|$))"


@dataclass(frozen=True, slots=True)
class LanguageData:
    """The phrase lists of one language, as read from its TOML file (validated, uncompiled)."""

    language: str
    name: str
    word_boundaries: bool = True
    reply_prefixes: tuple[str, ...] = ()
    autoreply_subjects: tuple[str, ...] = ()
    autoreply_subject_suffixes: tuple[str, ...] = ()
    sender_fields: tuple[str, ...] = ()
    header_fields: tuple[str, ...] = ()
    noreply_senders: tuple[str, ...] = ()
    autoreply_statements: tuple[str, ...] = ()
    absence_phrases: tuple[str, ...] = ()
    return_phrases: tuple[str, ...] = ()
    ack_phrases: tuple[str, ...] = ()
    person_phrases: tuple[str, ...] = ()
    quote_markers: tuple[str, ...] = ()
    forward_markers: tuple[str, ...] = ()
    signature_markers: tuple[str, ...] = ()


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
    index: Mapping[PhraseKind | LineKind, PhraseIndex] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[PhraseKind | LineKind, PhraseIndex] = {}
        index.update((kind, PhraseIndex.build(found)) for kind, found in self.phrases.items())
        index.update((kind, PhraseIndex.build(found)) for kind, found in self.lines.items())
        object.__setattr__(self, "index", index)

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
        words = _words(folded)
        hits = [
            PhraseMatch(kind, phrase.language, match.group(), match.start())
            for phrase in self.index[kind].candidates(words, folded)
            if phrase.words <= words and phrase.anchor in folded
            for match in phrase.regex.finditer(text)
        ]
        return _without_overlaps(hits)

    def line_markers(self, kind: LineKind, folded: str) -> tuple[CompiledPhrase, ...]:
        """The markers of one line list that can occur in a text (given as ``fold(text)``).

        Callers test each candidate with ``regex.fullmatch(line)`` on trimmed lines; the anchor
        filter leaves only a handful of candidates per message.
        """
        words = _words(folded)
        return tuple(
            marker
            for marker in self.index[kind].candidates(words, folded)
            if marker.words <= words and marker.anchor in folded
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


@dataclass(frozen=True, slots=True)
class PhraseIndex:
    """Phrases of one list grouped so that a text only meets the phrases it can match.

    ``by_word`` keys each phrase by its longest complete word: only phrases whose key word
    occurs in the text are tried. Phrases without complete words (scripts written without
    spaces) are keyed by the first character of their anchor in ``by_char``.
    """

    by_word: Mapping[str, tuple[CompiledPhrase, ...]]
    by_char: Mapping[str, tuple[CompiledPhrase, ...]]

    @classmethod
    def build(cls, phrases: Iterable[CompiledPhrase]) -> PhraseIndex:
        by_word: dict[str, list[CompiledPhrase]] = {}
        by_char: dict[str, list[CompiledPhrase]] = {}
        for phrase in phrases:
            if phrase.words:
                by_word.setdefault(max(phrase.words, key=len), []).append(phrase)
            else:
                by_char.setdefault(phrase.anchor[:1], []).append(phrase)
        return cls(
            {word: tuple(found) for word, found in by_word.items()},
            {char: tuple(found) for char, found in by_char.items()},
        )

    def candidates(self, words: frozenset[str], folded: str) -> Iterable[CompiledPhrase]:
        """The phrases worth testing against a text with these words and this folded form."""
        for word in words & self.by_word.keys():
            yield from self.by_word[word]
        for char, found in self.by_char.items():
            if char in folded:
                yield from found


@functools.lru_cache(maxsize=4)
def _words(folded: str) -> frozenset[str]:
    # One pass over the text per message; every whole-word anchor is then a set lookup.
    return frozenset(_WORD.findall(folded))


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


def load_patterns(
    *extra: str | os.PathLike[str] | Mapping[str, object],
    languages: Iterable[str] | None = None,
) -> PatternSet:
    """Load the packaged languages, apply ``extra`` files or dicts in order, and compile.

    Args:
        *extra: TOML paths or dicts with the same fields as a language file. An entry for a
            known language extends its lists (``mode = "extend"``, the default) or replaces
            the language (``mode = "replace"``); an unknown code adds a language.
        languages: If given, keep only these language codes (after applying ``extra``).

    Returns:
        The compiled pattern set.

    Raises:
        ConfigurationError: A file is unreadable, or a field is unknown, mistyped, or holds
            a phrase the syntax rejects; the message names the source and the field.
    """
    merged: dict[str, LanguageData] = {}
    for source, table in _packaged_tables():
        _merge(merged, _parse_table(table, source))
    for item in extra:
        source, table = _read_extra(item)
        _merge(merged, _parse_table(table, source))
    if languages is not None:
        wanted = tuple(languages)
        unknown = sorted(set(wanted) - merged.keys())
        if unknown:
            raise ConfigurationError(f"languages: unknown language code(s) {unknown}")
        merged = {code: merged[code] for code in wanted}
    return _compile(tuple(merged.values()))


@functools.cache
def default_patterns() -> PatternSet:
    """The packaged languages, compiled once per process."""
    return load_patterns()


def _packaged_tables() -> Iterable[tuple[str, Mapping[str, object]]]:
    folder = resources.files("loopguard") / "data" / "languages"
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            yield (
                f"loopguard/data/languages/{entry.name}",
                _parse_toml(entry.read_text(encoding="utf-8"), entry.name),
            )


def _read_extra(
    item: str | os.PathLike[str] | Mapping[str, object],
) -> tuple[str, Mapping[str, object]]:
    if isinstance(item, Mapping):
        return f"dict for {item.get('language', '?')!r}", item
    path = Path(item)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{path}: cannot read language file: {error}") from error
    return str(path), _parse_toml(text, str(path))


def _parse_toml(text: str, source: str) -> Mapping[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{source}: invalid TOML: {error}") from error


def _parse_table(table: Mapping[str, object], source: str) -> tuple[LanguageData, bool]:
    """Validate one table; returns the data and whether it replaces (not extends) a language."""
    unknown = sorted(set(table) - set(_LIST_FIELDS) - set(_SCALAR_FIELDS))
    if unknown:
        raise ConfigurationError(f"{source}: unknown field(s) {unknown}")
    code = table.get("language")
    if not isinstance(code, str) or not _LANGUAGE_CODE.fullmatch(code):
        raise ConfigurationError(
            f"{source}: field 'language' must be a code such as 'de' or 'pt-br'"
        )
    name = table.get("name", code)
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"{source}: field 'name' must be a non-empty string")
    boundaries = table.get("word_boundaries", True)
    if not isinstance(boundaries, bool):
        raise ConfigurationError(f"{source}: field 'word_boundaries' must be true or false")
    mode = table.get("mode", "extend")
    if mode not in ("extend", "replace"):
        raise ConfigurationError(f"{source}: field 'mode' must be 'extend' or 'replace'")
    lists = {key: _parse_list(table.get(key, []), source, key) for key in _LIST_FIELDS}
    data = LanguageData(language=code, name=name, word_boundaries=boundaries, **lists)
    return data, mode == "replace"


def _parse_list(value: object, source: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ConfigurationError(f"{source}: field {key!r} must be a list of strings")
    return tuple(_check_entry(entry, source, key) for entry in value)


def _check_entry(entry: str, source: str, key: str) -> str:
    text = _normalize(entry)
    problem = _entry_problem(text, key)
    if problem:
        raise ConfigurationError(f"{source}: field {key!r}: entry {entry!r} {problem}")
    return text


def _entry_problem(text: str, key: str) -> str | None:
    if not text.replace("*", "").strip():
        return "has no literal text"
    if len(text) > _MAX_ENTRY_CHARS:
        return f"is longer than {_MAX_ENTRY_CHARS} characters"
    if any(unicodedata.category(char) == "Cc" for char in text):
        return "contains a control character"
    stars = text.count("*")
    if key == "autoreply_subjects" and stars == 1 and text.endswith(" *"):
        return None  # "Away until *": the prefix may run straight into the rest of the subject
    if key == "noreply_senders" and not _NOREPLY_ENTRY.fullmatch(text):
        return "must be ASCII letters and digits, words separated by one space, '-' or '_'"
    if key in _LITERAL_KINDS and stars:
        return "may not contain '*' (this list is literal)"
    if stars > _MAX_STARS:
        return f"has more than {_MAX_STARS} '*'"
    if re.search(r"\*\s*\*", text):
        return "has two '*' in a row"
    if key in _PHRASE_KINDS and (text.startswith("*") or text.endswith("*")):
        return "may not start or end with '*' in a body phrase"
    return None


def _normalize(text: str) -> str:
    """NFC, single spaces, no space before a colon: the canonical form of an entry."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return re.sub(r" (?=[:：])", "", text)


def _merge(merged: dict[str, LanguageData], parsed: tuple[LanguageData, bool]) -> None:
    data, replaces = parsed
    old = merged.get(data.language)
    if old is None or replaces:
        merged[data.language] = data
        return
    changes: dict[str, Any] = {
        key: tuple(dict.fromkeys(getattr(old, key) + getattr(data, key))) for key in _LIST_FIELDS
    }
    changes["name"] = data.name if data.name != data.language else old.name
    changes["word_boundaries"] = data.word_boundaries and old.word_boundaries
    merged[data.language] = replace(old, **changes)


# --- compilation -------------------------------------------------------------------------


def _compile(languages: tuple[LanguageData, ...]) -> PatternSet:
    flags = re.IGNORECASE
    prefixes = [entry for data in languages for entry in data.reply_prefixes]
    senders = [entry for data in languages for entry in data.sender_fields]
    fields_ = [entry for data in languages for entry in data.header_fields + data.sender_fields]
    noreply = [entry for data in languages for entry in data.noreply_senders]
    return PatternSet(
        languages=languages,
        reply_prefix=re.compile(_reply_prefix_regex(prefixes), flags),
        reply_run=re.compile(f"(?:{_reply_prefix_regex(prefixes)})++", flags),
        subject_tag=re.compile(r"[\[【][^\[\]【】\n]{1,30}[\]】]\s*+"),
        autoreply_subject=re.compile(
            r"[\[(【「]?\s*+" + _grouped(languages, "autoreply_subjects", _subject_entry), flags
        ),
        autoreply_subject_suffix=re.compile(
            _grouped(languages, "autoreply_subject_suffixes", _literal_entry) + r"\s*+$", flags
        ),
        sender_field=re.compile(_field_regex(senders), flags),
        header_field=re.compile(_field_regex(fields_), flags),
        noreply_local=re.compile(_noreply_regex(noreply), flags),
        lines={kind: _compiled_lines(languages, kind) for kind in _LINE_KINDS},
        phrases={kind: _compiled_phrases(languages, kind) for kind in _PHRASE_KINDS},
    )


def _reply_prefix_regex(prefixes: list[str]) -> str:
    # One prefix such as "Re:", "AW :", "Re[2]:", "RE(3):". Possessive quantifiers keep the
    # match linear even on "Re" followed by a megabyte of spaces.
    names = _alternation(prefixes, _literal) if prefixes else r"(?!)"
    counter = r"(?:\[\d{1,4}\][ \t]*+|\(\d{1,4}\)[ \t]*+)?"
    return rf"(?:{names})[ \t]*+{counter}[:：]\s*+"


def _noreply_regex(entries: list[str]) -> str:
    # "ne pas repondre" matches the local parts ne-pas-repondre, ne_pas_repondre,
    # ne.pas.repondre and nepasrepondre, alone or as a dash/dot/plus separated part of a
    # longer one ("shop-noreply", "noreply+42"); never inside a word ("noreen").
    words = [re.split(r"[ _-]", entry) for entry in _longest_first(entries)]
    names = "|".join(r"[-_.]?".join(map(re.escape, parts)) for parts in words) or r"(?!)"
    return rf"(?:^|[-_.+])(?:{names})(?:$|[-_.+])"


def _field_regex(names: list[str]) -> str:
    # "From:", "*From:*" (bold in text made from HTML), "Von :" — at the start of a line.
    alternatives = _alternation(names, _literal) if names else r"(?!)"
    return rf"[*\s]{{0,3}}(?:{alternatives})[*\s]{{0,3}}[:：]"


def _grouped(
    languages: tuple[LanguageData, ...], kind: str, build: Callable[[str, bool], str]
) -> str:
    groups = []
    for data in languages:
        entries: tuple[str, ...] = getattr(data, kind)
        if entries:
            body = "|".join(build(entry, data.word_boundaries) for entry in _longest_first(entries))
            groups.append(f"(?P<l_{data.language.replace('-', '_')}>{body})")
    return "(?:" + "|".join(groups) + ")" if groups else r"(?!)"


def _longest_first(entries: Iterable[str]) -> list[str]:
    return sorted(entries, key=len, reverse=True)


def _alternation(entries: Iterable[str], build: Callable[[str], str]) -> str:
    return "|".join(build(entry) for entry in _longest_first(entries))


def _literal(text: str) -> str:
    """A literal piece: whitespace runs, colons and apostrophes get their flexible forms."""
    out = []
    after_colon = False
    for token in re.split(r"(\s+|[:：]|['’‘`])", text):
        if not token:
            continue
        if token.isspace():
            # "out: now" also matches "out：now": full-width colons come without a space.
            out.append(r"\s*+" if after_colon else r"\s+")
        elif token in (":", "："):
            out.append(r"\s*+[:：]")
        elif token in _APOSTROPHES:
            out.append("['’‘`]")
        else:
            out.append("".join(map(_letter, token)))
        after_colon = token in (":", "：")
    return "".join(out)


def _letter(char: str) -> str:
    """One literal character as a regex (ş/ș and ţ/ț as their two spellings)."""
    return _EQUIVALENT_LETTERS.get(char.lower(), re.escape(char))


def _starred(text: str, star: str) -> str:
    pieces = [piece.strip() for piece in text.split("*")]
    return star.join(_literal(piece) for piece in pieces)


def _word_start(text: str, boundaries: bool) -> str:
    # Only a phrase that starts with a letter or digit needs a word boundary; scripts written
    # without spaces (Chinese, Japanese, Thai) turn this off in their file.
    return r"(?<!\w)" if boundaries and text[:1].isalnum() else ""


def _compiled_phrases(
    languages: tuple[LanguageData, ...], kind: PhraseKind
) -> tuple[CompiledPhrase, ...]:
    return tuple(
        CompiledPhrase(
            language=data.language,
            regex=re.compile(_body_regex(entry, kind, data.word_boundaries), re.I),
            anchor=_anchor(entry),
            words=_whole_words(entry) if data.word_boundaries else frozenset(),
        )
        for data in languages
        for entry in getattr(data, kind)
    )


def _body_regex(entry: str, kind: PhraseKind, boundaries: bool) -> str:
    regex = _starred(entry, _BODY_STAR)
    first = _letter(entry[:1])
    if _word_start(entry, boundaries) and regex.startswith(first):
        # The word edge of a leading (?<!\w), checked after the first letter instead: a
        # regex that starts with a letter lets the engine skip ahead to where that letter
        # occurs, which makes the search of a long text two to three times faster.
        regex = first + r"(?<!\w.)" + regex[len(first) :]
    else:
        regex = _word_start(entry, boundaries) + regex
    # A person phrase only lowers the score, and every language's phrases meet every text:
    # it must end at a word end, or Dutch "in orde" would penalize English "in order".
    # Evidence phrases keep matching inflected endings ("e-mail" → "e-mails", "휴가입니다").
    if kind == "person_phrases" and boundaries and entry[-1:].isalnum():
        regex += r"(?!\w)"
    return regex


def _anchor(entry: str) -> str:
    """The longest word of the phrase, folded: every match contains it as a substring.

    A phrase without words ("* <*>:") gets its longest literal run instead ("<"); only
    whitespace, colons and apostrophes match more than themselves.
    """
    words = _WORD.findall(entry)
    if words:
        return fold(max(words, key=len))
    return fold(max(_LITERAL_RUN.findall(entry), key=len, default=""))


def _whole_words(entry: str) -> frozenset[str]:
    """Words every match contains as complete words of the text, folded.

    A word is complete when literal non-letters surround it in the phrase (or it starts the
    phrase, whose regex then begins with a word boundary): the regex forces the same edges in
    the text. A word next to a ``*`` or at the phrase's end may run into more letters.
    """
    return frozenset(
        fold(found.group())
        for found in _WORD.finditer(entry)
        if _isolated(entry, found.start(), found.end())
    )


def _isolated(entry: str, start: int, end: int) -> bool:
    starts_clean = start == 0 or (
        not entry[:start].rstrip().endswith("*") and not entry[start - 1].isalnum()
    )
    after = entry[end:].lstrip()
    ends_clean = bool(after) and not after.startswith("*") and not entry[end].isalnum()
    return starts_clean and ends_clean


def _compiled_lines(
    languages: tuple[LanguageData, ...], kind: LineKind
) -> tuple[CompiledPhrase, ...]:
    # A line marker is matched with fullmatch against one trimmed line: it starts at a word
    # edge without any lookbehind.
    return tuple(
        CompiledPhrase(
            data.language,
            re.compile(_line_regex(entry), re.I),
            _anchor(entry),
            _whole_words(entry) if data.word_boundaries else frozenset(),
        )
        for data in languages
        for entry in getattr(data, kind)
    )


def _line_regex(entry: str) -> str:
    # A trailing "*" takes the rest of the line, however long: "Sent from my *" and the first
    # words of a one-line legal disclaimer. Elsewhere the line star is bounded.
    if entry.endswith("*"):
        return _starred(entry[:-1], _LINE_STAR) + r"[^\n]*"
    return _starred(entry, _LINE_STAR)


def _literal_entry(entry: str, boundaries: bool) -> str:
    return _word_start(entry, boundaries) + _literal(entry)


def _subject_entry(entry: str, boundaries: bool) -> str:
    del boundaries  # the prefix is anchored at a known position and must end at a separator
    if entry.endswith(" *"):
        return _literal(entry[:-2]) + r"\s"
    tail = "" if entry.endswith((":", "：")) else _SUBJECT_PREFIX_END
    return _literal(entry) + tail
