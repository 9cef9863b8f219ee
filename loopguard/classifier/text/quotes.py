"""Cutting what is not the author's own: quotes, quote headers, forwards and signatures.

Quote and forward markers come from the language data (``quote_markers``,
``forward_markers``, ``signature_markers``); each must match a whole trimmed line. The
lines that can start a quote are found with ``str.find`` on the markers' anchors, so a
long newsletter's thousands of other lines are never looked at one by one.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.patterns import CompiledPhrase, PatternSet, fold

__all__ = ["AuthorCut", "before_quotes", "cut_author_part"]

# A marker line longer than this is prose, not an attribution line: only its first
# characters are compared, and only with signature markers.
_MAX_MARKER_LINE = 300
_NEWLINE = re.compile("\n")
# A colon among a line's first 60 characters: where a header field line can start.
_FIELD_COLON = re.compile(r"^[^\n:：]{0,59}[:：]", re.MULTILINE)
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
    ``fullmatch`` per kind instead of one per marker. ``anchors``: those of the quote and
    forward markers, one of which every line they match contains."""

    quote: re.Pattern[str] | None
    forward: re.Pattern[str] | None
    signature: re.Pattern[str] | None
    anchors: frozenset[str]

    @classmethod
    def of(cls, folded: str, patterns: PatternSet, *, signatures: bool = True) -> _Markers:
        """The markers that can occur in a text, given as ``fold(text)``."""
        quote = patterns.line_markers("quote_markers", folded)
        forward = patterns.line_markers("forward_markers", folded)
        return cls(
            _any_of(quote),
            _any_of(forward),
            _any_of(patterns.line_markers("signature_markers", folded)) if signatures else None,
            frozenset(marker.anchor for marker in quote + forward),
        )


@functools.lru_cache(maxsize=256)
def _any_of(markers: tuple[CompiledPhrase, ...]) -> re.Pattern[str] | None:
    # fullmatch of an alternation succeeds exactly when one alternative matches the whole
    # line. Line markers are compiled case-insensitive, without lookbehinds.
    if not markers:
        return None
    return re.compile("|".join(f"(?:{marker.regex.pattern})" for marker in markers), re.I)


def cut_author_part(text: str, patterns: PatternSet) -> AuthorCut:
    """``text`` above its first quote, quote header, forwarded block or signature; for a
    bottom-posted reply, the unquoted lines below the quote."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    markers = _Markers.of(fold(text), patterns)
    top: list[str] = []
    for index, line in enumerate(lines):
        kind = _line_kind(lines, index, markers, patterns)
        if kind is None:
            top.append(line)
            continue
        above = _tidy(top)
        if kind == "signature":
            return AuthorCut(above, quoted=False, forwarded=False)
        forwarded = kind == "forward"
        if above or not _opens_angle_quote(lines, index):
            # Below a forward marker or a quote header comes another message, never the
            # author's own words, even when nothing was written above it.
            return AuthorCut(above, quoted=True, forwarded=forwarded)
        # Nothing above a ">" quote: a bottom-posted or interleaved reply; the author's words
        # are the unquoted lines below it.
        return AuthorCut(_unquoted_rest(lines, index + 1, markers, patterns), True, forwarded)
    return AuthorCut(_tidy(top), quoted=False, forwarded=False)


def before_quotes(text: str, patterns: PatternSet | None = None) -> str:
    """``text`` up to the first quote header or forward marker ("On ... wrote:", an Outlook
    "From:/Sent:" block, "-----Original Message-----"), signatures kept.

    What the body rules read: a footer or a notice below the author's own words is this
    message's; the same words inside a quoted message are somebody else's.
    """
    patterns = patterns or default_patterns()
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = normalized.split("\n")
    folded = fold(normalized)
    markers = _Markers.of(folded, patterns, signatures=False)
    for index in _possible_quote_starts(normalized, folded, markers.anchors):
        line = lines[index]
        if line.lstrip().startswith(">"):
            continue  # a quoted line, not a marker: the caller drops those lines itself
        if _line_kind(lines, index, markers, patterns) in ("quote", "forward"):
            return "\n".join(lines[:index])
    return text


def _possible_quote_starts(text: str, folded: str, anchors: frozenset[str]) -> Iterable[int]:
    """The indexes of the lines of ``text`` that can start a quote or a forward, ascending.

    A line that fullmatches a quote or forward marker contains the marker's anchor; a
    wrapped attribution has it in that line or the next; an Outlook-style header block
    starts with a colon among the line's first 60 characters. Finding those with
    ``str.find`` and one regex keeps ``_line_kind`` off the thousands of other lines of a
    long newsletter.
    """
    starts = [0, *(newline.end() for newline in _NEWLINE.finditer(text))]
    if len(folded) != len(text):  # folding changed offsets (never seen): look at every line
        return range(len(starts))
    found = {bisect_right(starts, hit.start()) - 1 for hit in _FIELD_COLON.finditer(text)}
    last = len(starts) - 1
    for anchor in anchors:
        offset = folded.find(anchor)
        while offset != -1:
            line = bisect_right(starts, offset) - 1
            found.update((line, line - 1) if line else (line,))
            if line == last:
                break
            offset = folded.find(anchor, starts[line + 1])  # one hit per line is enough
    return sorted(found)


def _opens_angle_quote(lines: list[str], index: int) -> bool:
    """The cut line is a ">" line, or an attribution line followed by ">" lines."""
    following = (line.strip() for line in lines[index:])
    return next((line for line in following if line and not line.endswith(":")), "").startswith(">")


def _line_kind(lines: list[str], index: int, markers: _Markers, patterns: PatternSet) -> str | None:
    """Classify one line: "quote", "forward", "signature", or None for the author's text."""
    line = lines[index]
    stripped = line.strip()
    if line in ("-- ", "--"):
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


def _fullmatch_any(markers: re.Pattern[str] | None, line: str) -> bool:
    return markers is not None and markers.fullmatch(line) is not None


def _wrapped_attribution(lines: list[str], index: int, markers: _Markers) -> bool:
    # Gmail wraps long attribution lines: "On Mon, 1 Jan 2024 at 10:00, Jane Doe <" /
    # "jane@example.com> wrote:". Join with the next line only when that line ends a marker.
    if index + 1 >= len(lines) or not markers.quote:
        return False
    following = lines[index + 1].strip()
    if not following.endswith((":", "：")) or len(following) > _MAX_MARKER_LINE:
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


def _unquoted_rest(lines: list[str], start: int, markers: _Markers, patterns: PatternSet) -> str:
    kept = []
    for index in range(start, len(lines)):
        kind = _line_kind(lines, index, markers, patterns)
        if kind in ("signature", "forward"):
            break
        if kind is None:
            kept.append(lines[index])
    return _tidy(kept)


def _tidy(lines: list[str]) -> str:
    # Drop separator lines ("_____", "-----") left above a cut quote header.
    end = len(lines)
    while end and not lines[end - 1].strip(_MARKER_DECORATION):
        end -= 1
    return "\n".join(line.rstrip() for line in lines[:end]).strip()
