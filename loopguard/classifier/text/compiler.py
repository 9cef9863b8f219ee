"""The phrase syntax (:mod:`~loopguard.classifier.text.languages`) compiled into regexes.

Every pattern is linear-time on any input. Each body phrase and line marker compiles to
its own regex, guarded by cheap word anchors; subject prefixes compile to one alternation
with a named group per language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from loopguard.classifier.text.patterns import (
    LINE_KINDS,
    PHRASE_KINDS,
    LineKind,
    PatternSet,
    PhraseKind,
    fold,
)
from loopguard.classifier.text.phraseindex import WORD, CompiledPhrase

if TYPE_CHECKING:
    from loopguard.classifier.text.languagedata import LanguageData

__all__ = [
    "compile_address_words",
    "compile_greetings",
    "compile_languages",
    "compile_phrase_list",
    "compile_prefixes",
]

_BODY_STAR = r"[^\n]{0,60}?"
_LINE_STAR = r"[^\n]{0,200}?"
_LITERAL_RUN = re.compile(r"[^\s*:：'’‘`]+")
_APOSTROPHES = "'’‘`"
# Letters that legacy charsets spell differently: Romanian comma-below ș/ț are ş/ţ (cedilla)
# in ISO-8859-2 and Windows-1250 mail. Phrases match both; anchors compare folded text.
_EQUIVALENT_LETTERS = {"ș": "[șş]", "ş": "[șş]", "ț": "[țţ]", "ţ": "[țţ]"}
# Characters that end an auto-reply subject prefix written without its own colon.
_SUBJECT_PREFIX_END = r"(?=\s*+(?:[:：\-–—|\]\)】」]|$))"


def compile_languages(languages: tuple[LanguageData, ...]) -> PatternSet:
    """One :class:`PatternSet` from the validated data of every language, in order."""
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
        lines={kind: _compiled_lines(languages, kind) for kind in LINE_KINDS},
        phrases={kind: _compiled_phrases(languages, kind) for kind in PHRASE_KINDS},
    )


def compile_phrase_list(
    languages: tuple[LanguageData, ...], kind: str
) -> tuple[CompiledPhrase, ...]:
    """The phrases of one evidence list of every language, compiled like the body phrases."""
    return _compiled_phrases(languages, kind)


def compile_prefixes(languages: tuple[LanguageData, ...], kind: str) -> re.Pattern[str]:
    """One subject-prefix regex (a group per language) from a literal list, like the
    auto-reply subjects: matched at a position with ``match``."""
    return re.compile(r"[\[(【「]?\s*+" + _grouped(languages, kind, _subject_entry), re.I)


def compile_address_words(languages: tuple[LanguageData, ...], kind: str) -> re.Pattern[str]:
    """One local-part regex from an address-word list, like the no-reply senders."""
    entries = [entry for data in languages for entry in getattr(data, kind)]
    return re.compile(_noreply_regex(entries), re.I)


def compile_greetings(languages: tuple[LanguageData, ...]) -> re.Pattern[str]:
    """The salutations of every language ("Hi", "Sehr geehrte", "Dzień dobry") at the start
    of a text, and the words that follow them on the same line (group ``words``)."""
    entries = [entry for data in languages for entry in data.greetings]
    names = _alternation(entries, _literal) if entries else r"(?!)"
    return re.compile(rf"\s*+(?:{names})\b[ \t,]*+(?P<words>[^\n]{{0,80}})", re.I)


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
    languages: tuple[LanguageData, ...], kind: PhraseKind | str
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


def _body_regex(entry: str, kind: PhraseKind | str, boundaries: bool) -> str:
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
    words = WORD.findall(entry)
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
        for found in WORD.finditer(entry)
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
