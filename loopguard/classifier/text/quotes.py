"""Cutting what is not the author's own: quotes, quote headers, forwards and signatures.

Quote and forward markers come from the language data (``quote_markers``,
``forward_markers``, ``signature_markers``); each must match a whole trimmed line. The
lines that can be markers are found with ``str.find`` on the whole text (the markers'
anchors, colons, ``>`` and ``--``), so the thousands of other lines of a long newsletter or
letter are never looked at one by one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.patterns import (
    CASE_TWINS,
    PatternSet,
    fold,
    has_case_twins,
    regex_items,
)
from loopguard.classifier.text.phraseindex import CompiledPhrase

__all__ = ["AuthorCut", "before_quotes", "cut_author_part"]

# A marker line longer than this is prose, not an attribution line: only its first
# characters are compared, and only with signature markers.
_MAX_MARKER_LINE = 300
_SIGNATURE_DASHES = ("-- ", "--")
# Lines a quote-header block ("From:/Sent:/To:/Subject:") may spread over.
_HEADER_BLOCK_WINDOW = 4
# Trimmed from both ends of a line before markers are compared: rules, bullets, and the
# bidirectional controls that Gmail wraps around right-to-left attribution lines.
_MARKER_DECORATION = (
    " \t-_*=~#<>[]|\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


@dataclass(frozen=True, slots=True)
class AuthorCut:
    """The author's part of a text, and whether a quote or a forward was cut."""

    text: str
    quoted: bool
    forwarded: bool


@dataclass(frozen=True, slots=True)
class _Markers:
    """The line markers that can occur in one body (anchor-filtered once per message), each
    kind as one alternation (``None`` when none can occur): a line is tested with one
    ``fullmatch`` per kind instead of one per marker. ``anchors``: those of the markers
    read, one of which every line they match contains, each with the characters every line
    its markers match ends with (``None`` when the regexes do not say)."""

    quote: _Alternation | None
    forward: _Alternation | None
    signature: _Alternation | None
    anchors: Mapping[str, frozenset[str] | None]

    @classmethod
    def of(cls, folded: str, patterns: PatternSet, *, signatures: bool = True) -> _Markers:
        """The markers that can occur in a text, given as ``fold(text)``."""
        quote = patterns.line_markers("quote_markers", folded)
        forward = patterns.line_markers("forward_markers", folded)
        signature = patterns.line_markers("signature_markers", folded) if signatures else ()
        return cls(
            _any_of(quote),
            _any_of(forward),
            _any_of(signature),
            _last_by_anchor(quote + forward + signature),
        )


@functools.lru_cache(maxsize=256)
def _last_by_anchor(
    markers: tuple[CompiledPhrase, ...],
) -> Mapping[str, frozenset[str] | None]:
    lasts: dict[str, list[frozenset[str] | None]] = {}
    for marker in markers:
        lasts.setdefault(marker.anchor, []).append(_last_characters(marker.regex))
    return {anchor: _union(found) for anchor, found in lasts.items()}


def _union(sets: Sequence[frozenset[str] | None]) -> frozenset[str] | None:
    known = [chars for chars in sets if chars is not None]
    return frozenset[str]().union(*known) if len(known) == len(sets) else None


@dataclass(frozen=True, slots=True)
class _Alternation:
    """Markers of one kind as one regex, and the characters every line they match ends
    with when the regexes say so (``None`` when they do not): a line of base64 or
    uuencoded text holds "<" (the anchor of "* <*>:") but seldom ends with a colon."""

    regex: re.Pattern[str]
    last: frozenset[str] | None

    def fullmatch(self, line: str) -> bool:
        if self.last is not None and line[-1:] not in self.last:
            return False
        return self.regex.fullmatch(line) is not None


@functools.lru_cache(maxsize=256)
def _any_of(markers: tuple[CompiledPhrase, ...]) -> _Alternation | None:
    # fullmatch of an alternation succeeds exactly when one alternative matches the whole
    # line. Line markers are compiled case-insensitive, without lookbehinds.
    if not markers:
        return None
    # Two languages may share a marker ("* <*>:"): each alternative once.
    alternatives = dict.fromkeys(f"(?:{marker.regex.pattern})" for marker in markers)
    last = _union([_last_characters(marker.regex) for marker in markers])
    return _Alternation(re.compile("|".join(alternatives), re.I), last)


@functools.lru_cache(maxsize=1024)
def _last_characters(regex: re.Pattern[str]) -> frozenset[str] | None:
    """The characters a full match of ``regex`` can end with, when its parse says so: its
    last item is one character or a class of characters, none with a case."""
    items = regex_items(regex)
    if not items:
        return None
    op, value = items[-1]
    if op == "LITERAL":
        chars = frozenset(chr(value))
    elif op == "IN" and all(kind == "LITERAL" for kind, _ in value):
        chars = frozenset(chr(code) for _, code in value)
    else:
        return None
    caseless = all(c.lower() == c == c.upper() and c not in CASE_TWINS for c in chars)
    return chars if caseless else None


class _Lines:
    """A text's lines, so that the few lines a marker can be on are found with ``str.find``
    on the whole text instead of by looking at every line."""

    __slots__ = ("folded", "lines", "text")

    def __init__(self, text: str) -> None:
        self.text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = self.text.split("\n")
        self.folded = fold(self.text)

    def first_hits(self, needle: str, haystack: str) -> Iterator[tuple[int, int]]:
        """``(line, column)`` of the first occurrence of ``needle`` in each line that holds
        one; ``haystack`` is the text or its fold (same offsets).

        Line numbers are counted from hit to hit with ``str.count`` (C-level), not looked
        up in a table of line starts, which a 20 KB newsletter's 2,000 lines make costly.
        """
        text = self.text
        line = start = 0  # the line a hit is on, and where that line starts
        offset = haystack.find(needle)
        while offset != -1:
            line += text.count("\n", start, offset)
            start = text.rfind("\n", start, offset) + 1 or start
            yield line, offset - start
            end = text.find("\n", offset)
            if end == -1:
                return
            line, start = line + 1, end + 1
            offset = haystack.find(needle, start)  # one hit per line is enough

    def candidates(
        self, markers: _Markers, sender_field: re.Pattern[str], *, every_kind: bool
    ) -> Sequence[int]:
        """The indexes of the lines whose kind can be other than ``None``, ascending.

        A line a marker matches holds the marker's anchor and, when the regexes say so,
        ends with one of the characters the marker's lines end with; a wrapped attribution
        has the anchor in that line or the next, which ends with a colon; an Outlook-style
        header block starts with a sender field
        (``sender_field``) and a colon among the line's first 60 characters (a newsletter's
        "http:" lines are not read one by one). With ``every_kind``, also "-- " and ">"
        lines.
        """
        anchor_letters = "".join(markers.anchors)
        if len(self.folded) != len(self.text) or has_case_twins(self.folded, anchor_letters):
            return range(len(self.lines))  # folding moved offsets or hides a match: read all
        found: set[int] = set()
        lines = self.lines
        for anchor, last in markers.anchors.items():
            for line, _ in self.first_hits(anchor, self.folded):
                if last is None or _may_end_marker(lines, line, last):
                    found.add(line)
                if line and _ends_with_colon(lines[line]):
                    found.add(line - 1)  # an attribution wrapped into this line
        for colon in (":", "："):
            found.update(
                line
                for line, column in self.first_hits(colon, self.text)
                if column < 60 and sender_field.match(lines[line][:60])
            )
        if every_kind:
            found.update(
                line
                for line, column in self.first_hits(">", self.text)
                if not lines[line][:column].strip()
            )
            found.update(
                line
                for line, _ in self.first_hits("--", self.text)
                if lines[line] in _SIGNATURE_DASHES
            )
        return sorted(found)


def cut_author_part(text: str, patterns: PatternSet) -> AuthorCut:
    """``text`` above its first quote, quote header, forwarded block or signature; for a
    bottom-posted reply, the unquoted lines below the quote."""
    lines = _Lines(text)
    markers = _Markers.of(lines.folded, patterns)
    candidates = lines.candidates(markers, patterns.sender_field, every_kind=True)
    for position, index in enumerate(candidates):
        kind = _line_kind(lines.lines, index, markers, patterns)
        if kind is None:
            continue
        above = _tidy(lines.lines[:index])
        if kind == "signature":
            return AuthorCut(above, quoted=False, forwarded=False)
        forwarded = kind == "forward"
        if above or not _opens_angle_quote(lines.lines, index):
            # Below a forward marker or a quote header comes another message, never the
            # author's own words, even when nothing was written above it.
            return AuthorCut(above, quoted=True, forwarded=forwarded)
        # Nothing above a ">" quote: a bottom-posted or interleaved reply; the author's words
        # are the unquoted lines below it.
        rest = _unquoted_rest(lines.lines, index + 1, candidates[position + 1 :], markers, patterns)
        return AuthorCut(rest, True, forwarded)
    return AuthorCut(_tidy(lines.lines), quoted=False, forwarded=False)


def before_quotes(text: str, patterns: PatternSet | None = None) -> str:
    """``text`` up to the first quote header or forward marker ("On ... wrote:", an Outlook
    "From:/Sent:" block, "-----Original Message-----"), signatures kept.

    What the body rules read: a footer or a notice below the author's own words is this
    message's; the same words inside a quoted message are somebody else's.
    """
    patterns = patterns or default_patterns()
    lines = _Lines(text)
    markers = _Markers.of(lines.folded, patterns, signatures=False)
    for index in lines.candidates(markers, patterns.sender_field, every_kind=False):
        line = lines.lines[index]
        if line.lstrip().startswith(">"):
            continue  # a quoted line, not a marker: the caller drops those lines itself
        if _line_kind(lines.lines, index, markers, patterns) in ("quote", "forward"):
            return "\n".join(lines.lines[:index])
    return text


def _opens_angle_quote(lines: list[str], index: int) -> bool:
    """The cut line is a ">" line, or an attribution line followed by ">" lines."""
    following = (line.strip() for line in lines[index:])
    return next((line for line in following if line and not line.endswith(":")), "").startswith(">")


def _line_kind(lines: list[str], index: int, markers: _Markers, patterns: PatternSet) -> str | None:
    """Classify one line: "quote", "forward", "signature", or None for the author's text."""
    line = lines[index]
    stripped = line.strip()
    if line in _SIGNATURE_DASHES:
        return "signature"
    if stripped.startswith(">"):
        return "quote"
    if not stripped:
        return None
    bare = stripped[:_MAX_MARKER_LINE].strip(_MARKER_DECORATION)
    if len(stripped) > _MAX_MARKER_LINE:
        # Prose, not an attribution line; but a legal disclaimer is one long line, and a
        # signature marker ending in "*" ("This email and any attachments *") matches its start.
        return "signature" if _fullmatch_any(markers.signature, bare) else None
    if _fullmatch_any(markers.forward, bare):
        return "forward"
    if _fullmatch_any(markers.quote, bare) or _wrapped_attribution(lines, index, markers):
        return "quote"
    if _fullmatch_any(markers.signature, bare):
        return "signature"
    if _starts_header_block(lines, index, patterns):
        return "quote"
    return None


def _fullmatch_any(markers: _Alternation | None, line: str) -> bool:
    return markers is not None and markers.fullmatch(line)


def _may_end_marker(lines: list[str], index: int, last: frozenset[str]) -> bool:
    """Whether line ``index`` can be matched by a marker whose lines end in ``last``:
    itself, trimmed as :func:`_line_kind` trims it, or wrapped into the next line, which
    then ends with a colon (a line of base64 or uuencoded text holds "<" but seldom does)."""
    bare = lines[index].strip()[:_MAX_MARKER_LINE].rstrip(_MARKER_DECORATION)
    return bare[-1:] in last or (index + 1 < len(lines) and _ends_with_colon(lines[index + 1]))


def _ends_with_colon(line: str) -> bool:
    return line.strip().endswith((":", "："))


def _wrapped_attribution(lines: list[str], index: int, markers: _Markers) -> bool:
    # Gmail wraps long attribution lines: "On Mon, 1 Jan 2024 at 10:00, Jane Doe <" /
    # "jane@example.com> wrote:". Join with the next line only when that line ends a marker.
    if index + 1 >= len(lines) or not markers.quote:
        return False
    following = lines[index + 1].strip()
    if not _ends_with_colon(following) or len(following) > _MAX_MARKER_LINE:
        return False
    joined = f"{lines[index].strip()} {following}".strip(_MARKER_DECORATION)
    return _fullmatch_any(markers.quote, joined)


def _starts_header_block(lines: list[str], index: int, patterns: PatternSet) -> bool:
    """An Outlook-style quote header: a sender line ("From:", "Von:" …) and another field close by.

    Requiring the sender field first keeps "To: … / Subject: …" lines that a challenge or
    acknowledgement quotes inside its own text from cutting it.
    """
    if not _is_field(lines[index], patterns.sender_field):
        return False
    window = lines[index + 1 : index + 1 + _HEADER_BLOCK_WINDOW]
    return any(_is_field(line, patterns.header_field) for line in window)


def _is_field(line: str, field: re.Pattern[str]) -> bool:
    head = line[:60]
    return (":" in head or "：" in head) and field.match(head) is not None


def _unquoted_rest(
    lines: list[str],
    start: int,
    candidates: Sequence[int],
    markers: _Markers,
    patterns: PatternSet,
) -> str:
    """The lines from ``start`` on that are the author's (kind ``None``), up to a signature
    or a forward; ``candidates``: the lines from ``start`` on whose kind can be another."""
    kept: list[str] = []
    previous = start
    for index in candidates:
        kind = _line_kind(lines, index, markers, patterns)
        if kind is None:
            continue
        kept.extend(lines[previous:index])
        if kind in ("signature", "forward"):
            return _tidy(kept)
        previous = index + 1
    kept.extend(lines[previous:])
    return _tidy(kept)


def _tidy(lines: list[str]) -> str:
    # Drop separator lines ("_____", "-----") left above a cut quote header.
    end = len(lines)
    while end and not lines[end - 1].strip(_MARKER_DECORATION):
        end -= 1
    return "\n".join(line.rstrip() for line in lines[:end]).strip()
