"""Multilingual phrase data for out-of-office detection, read, validated and merged.

The phrases live in one TOML file per language under ``loopguard/data/languages``; users
extend or override them at run time with :func:`load_patterns`. Nobody writes a raw regular
expression: every entry uses the small phrase syntax below, which
:mod:`loopguard.classifier.text.compiler` compiles into patterns that cannot backtrack
catastrophically.

Phrase syntax (documented for users in ``docs/languages.md``):

* literal text, matched case-insensitively (Romanian ş/ș and ţ/ț count as one letter);
* a run of whitespace matches any run of whitespace, line breaks included;
* ``:`` matches an ASCII or full-width colon, with optional whitespace around it;
* an apostrophe matches ``'``, ``’``, ``‘`` and a backtick;
* ``*`` matches at most 60 characters without a line break (200 in line markers, where a
  trailing ``*`` takes the rest of the line), at most two stars per phrase; whitespace next
  to a star is optional.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from loopguard.classifier.text.compiler import compile_languages
from loopguard.classifier.text.languagedata import EVIDENCE_KINDS, LanguageData
from loopguard.classifier.text.patterns import LINE_KINDS, PHRASE_KINDS, PatternSet
from loopguard.errors import ConfigurationError

__all__ = [
    "ADDRESS_KINDS",
    "EVIDENCE_KINDS",
    "LITERAL_KINDS",
    "LanguageData",
    "default_patterns",
    "load_patterns",
]

#: Literal lists: no ``*`` allowed.
LITERAL_KINDS = (
    "reply_prefixes",
    "sender_fields",
    "autoreply_subjects",
    "autoreply_subject_suffixes",
    "header_fields",
    "noreply_senders",
    "read_receipt_subjects",
    "notification_senders",
    "greetings",
    "generic_addressees",
)
#: Address-word lists: local-part words, ASCII, as in ``noreply_senders``.
ADDRESS_KINDS = ("noreply_senders", "notification_senders")
_PHRASE_LISTS = PHRASE_KINDS + EVIDENCE_KINDS
_LIST_FIELDS = LITERAL_KINDS + _PHRASE_LISTS + LINE_KINDS
_SCALAR_FIELDS = ("language", "name", "word_boundaries", "mode")
_NOREPLY_ENTRY = re.compile(r"[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*")
_MAX_STARS = 2
_MAX_ENTRY_CHARS = 200
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*")


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
    return compile_languages(tuple(merged.values()))


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
    if key == "generic_addressees" and " " in text:
        return "must be one word"
    if key in ADDRESS_KINDS and not _NOREPLY_ENTRY.fullmatch(text):
        return "must be ASCII letters and digits, words separated by one space, '-' or '_'"
    if key in LITERAL_KINDS and stars:
        return "may not contain '*' (this list is literal)"
    if stars > _MAX_STARS:
        return f"has more than {_MAX_STARS} '*'"
    if re.search(r"\*\s*\*", text):
        return "has two '*' in a row"
    if key in _PHRASE_LISTS and (text.startswith("*") or text.endswith("*")):
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
