"""The author's own words in a message: decoded, reduced to text, quotes and signature cut.

Out-of-office evidence must come from what the sender's software wrote now, not from the
message it quotes: a person answering an auto-reply quotes "I am out of the office" too.
:func:`author_text` never raises; a broken part yields less text, not an exception.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import email.message
import functools
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

from loopguard.classifier.text.patterns import CompiledPhrase, PatternSet, default_patterns, fold

__all__ = ["BodyText", "author_text", "before_quotes", "decode_bytes", "html_to_text"]

_MAX_DEPTH = 20
_MAX_PARTS = 200
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

# Labels mail declares, mapped to the Python codec that decodes what senders really mean
# by them: Windows and CJK supersets of the registered charsets.
_CODEC_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "utf8": "utf-8",
}
# What a hostile charset label can make ``bytes.decode`` raise: bad bytes, unknown or
# non-text codecs ("base64"), codecs that always fail ("undefined") or reject "replace".
_DECODE_FAILURES = (UnicodeError, LookupError, ValueError, TypeError)
# ISO-2022-JP as real mailers write it: NEC and IBM extensions need the wider codecs.
_ISO_2022_JP_FAMILY = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3")
_SKIPPED_HTML = frozenset({"script", "style", "head", "title", "template"})
_BLOCK_HTML = frozenset(
    {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "pre", "section", "article", "header", "footer", "blockquote", "dd", "dt",
    }
)  # fmt: skip
_SIGNATURE_CLASSES = ("gmail_signature", "moz-signature", "signature")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]+")
# A "<" with no ">" before the next "<" (or the end) opens no tag. Each lookahead stops at
# the next "<" or ">", so the scan is linear.
_UNCLOSED_TAG = re.compile(r"<(?=[^<>]*+(?:<|\Z))")


@dataclass(frozen=True, slots=True)
class BodyText:
    """The author's part of a message body.

    Attributes:
        text: The author's own top part, quotes, forwarded blocks and signature cut.
        quoted: A quote, quote header or forwarded block was cut.
        forwarded: The cut started at a forward marker ("Forwarded message" …).
        truncated: The decoded body was longer than ``max_chars`` and was cut first.
        html_only: The text came from a text/html part (no text/plain part, or an empty one).
        charset: The codec that decoded the part, or ``None`` when there was no text part.
    """

    text: str
    quoted: bool = False
    forwarded: bool = False
    truncated: bool = False
    html_only: bool = False
    charset: str | None = None


def author_text(
    msg: email.message.Message,
    *,
    max_chars: int = 20_000,
    patterns: PatternSet | None = None,
) -> BodyText:
    """Extract the author's own text from a parsed message; never raises.

    Picks the first inline text/plain part (else the first text/html, reduced to text),
    decodes its transfer encoding and charset, then keeps the part above the first quote,
    quote header, forwarded block or signature.

    Args:
        msg: A parsed message (any policy); may be truncated or malformed.
        max_chars: Decoded characters kept before cutting; the rest is ignored.
        patterns: Language data for quote and forward markers; the packaged default if None.

    Returns:
        The author's text and what was cut.
    """
    patterns = patterns or default_patterns()
    try:
        plain, html = _text_parts(msg)
    except Exception:  # a hostile structure must yield "no text", never a crash
        return BodyText("")
    decoded, codec = _decoded(plain) if plain else ("", None)
    html_only = False
    if not decoded.strip() and html is not None:
        # No text/plain, or an empty one beside the real HTML body (some clients send that).
        markup, codec = _decoded(html)
        decoded = html_to_text(markup[: max_chars * 4])
        html_only = True
    truncated = len(decoded) > max_chars
    # Composed accents, as the phrases are written: Windows-1258 Vietnamese and some Mac
    # clients send base letters followed by combining marks.
    cut = _cut_author_part(unicodedata.normalize("NFC", decoded[:max_chars]), patterns)
    return BodyText(
        text=cut.text,
        quoted=cut.quoted,
        forwarded=cut.forwarded,
        truncated=truncated,
        html_only=html_only,
        charset=codec,
    )


# --- choosing the part ---------------------------------------------------------------------


def _text_parts(
    msg: email.message.Message,
) -> tuple[email.message.Message | None, email.message.Message | None]:
    """The first inline text/plain and the first inline text/html part, in document order."""
    plain: email.message.Message | None = None
    html: email.message.Message | None = None
    stack: list[tuple[email.message.Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < _MAX_PARTS and (plain is None or html is None):
        part, depth = stack.pop()
        seen += 1
        if part.get_content_maintype() == "message":
            continue  # an attached or quoted message (compat32 calls it multipart) is not ours
        if part.is_multipart():
            children = part.get_payload()
            if depth < _MAX_DEPTH and isinstance(children, list):
                stack.extend(
                    (child, depth + 1)
                    for child in reversed(children)
                    if isinstance(child, email.message.Message)
                )
            continue
        if _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and plain is None:
            plain = part
        elif content_type == "text/html" and html is None:
            html = part
    return plain, html


def _is_attachment(part: email.message.Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).strip().lower()
    return disposition.startswith("attachment")


def _decoded(part: email.message.Message) -> tuple[str, str]:
    raw, charset = _payload(part)
    return decode_bytes(raw, charset)


def _payload(part: email.message.Message) -> tuple[bytes, str | None]:
    try:
        raw = _base64_payload(part) or part.get_payload(decode=True)
    except (ValueError, binascii.Error, LookupError, TypeError):
        raw = None
    try:
        charset = part.get_content_charset()
    except (ValueError, LookupError, TypeError):
        charset = None
    return (raw if isinstance(raw, bytes) else b""), charset


def _base64_payload(part: email.message.Message) -> bytes | None:
    """A base64 body decoded as far as it goes, or None when the part is not base64.

    The stdlib returns the *undecoded* text when the length is not a whole number of
    quanta, which is what a body cut at the parse limit looks like.
    """
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    payload = part.get_payload()
    if encoding != "base64" or not isinstance(payload, str):
        return None
    alphabet = _NOT_BASE64.sub("", payload)
    whole = alphabet[: len(alphabet) - len(alphabet) % 4]
    tail = alphabet[len(whole) :]
    padded = whole + (tail + "=" * (4 - len(tail)) if len(tail) > 1 else "")
    return binascii.a2b_base64(padded)


# --- decoding ------------------------------------------------------------------------------


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str]:
    """Decode body bytes, trusting the declared charset only as far as the bytes allow.

    1. Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says: mislabelled UTF-8
       is the most common lie, and legacy text is almost never valid UTF-8.
    2. The declared charset, through Windows/CJK superset aliases, tolerating a few bad
       bytes: a body cut at the parse limit ends in half a character.
    3. Windows-1252 with replacement characters: never fails.

    Returns:
        The text and the codec that produced it.
    """
    if not data.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("utf-8"), "utf-8"
    for codec in _declared_codecs(data, declared):
        text = _decode_tolerant(data, codec)
        if text is not None:
            return text, codec
    return data.decode("cp1252", "replace"), "cp1252"


def _declared_codecs(data: bytes, declared: str | None) -> list[str]:
    label = (declared or "").strip().strip('"').lower()
    codec = _CODEC_ALIASES.get(label, label)
    if codec.startswith("iso-2022-jp") or (not codec and b"\x1b$" in data):
        return list(_ISO_2022_JP_FAMILY)
    if not codec:
        return ["utf-8"]  # undeclared: ASCII, or UTF-8 with a few bad bytes
    return [codec] if _known_codec(codec) else []


def _decode_tolerant(data: bytes, codec: str) -> str | None:
    """``data`` in ``codec``, if the only damage is a cut character at the end or is rare.

    Rare means one replaced character per 200: a stray byte in a long legacy text, not a
    wrong label (a wrong label damages every non-ASCII character).
    """
    try:
        text = data.decode(codec, "replace")
    except _DECODE_FAILURES:
        return None
    damaged = text.count("\ufffd")
    cut_at_end = damaged <= 3 and "\ufffd" not in text.rstrip("\ufffd")
    return text if cut_at_end or damaged <= len(text) // 200 else None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except (LookupError, ValueError, TypeError):  # unknown, or a name with a NUL in it
        return False
    return True


# --- HTML ----------------------------------------------------------------------------------


def html_to_text(html: str) -> str:
    """Reduce HTML to plain text with the stdlib parser; never raises.

    Blocks become lines, ``<blockquote>`` content becomes ``> `` lines (so the quote rules
    cut it), and mail clients' signature blocks are preceded by a ``-- `` line.
    """
    parser = _TextExtractor()
    # Broken markup can make the parser raise; keep whatever text came before the damage.
    with contextlib.suppress(Exception):
        parser.feed(_defuse(html))
        parser.close()
    return parser.text()


def _defuse(html: str) -> str:
    """Escape the markup that makes the stdlib parser quadratic: tags and comments never closed.

    ``HTMLParser`` rescans the rest of the input for every "<a " without a ">" before the
    next "<", and for every "<!--" with no "-->" after it (78 KB of "<a " took 35 s on
    Python 3.11). Escaped, they are text; real markup is untouched.
    """
    html = _UNCLOSED_TAG.sub("&lt;", html)
    closed = html.rfind("-->") + 3 if "-->" in html else 0
    return html[:closed] + html[closed:].replace("<!--", "&lt;!--")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_HTML:
            self._skip_depth += 1
        elif tag in _BLOCK_HTML:
            self._newline()
        if tag == "blockquote":
            self._quote_depth += 1
        css_class = " ".join(value or "" for name, value in attrs if name == "class")
        if any(marker in css_class for marker in _SIGNATURE_CLASSES):
            self._newline()
            self._lines.append("-- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_HTML:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_HTML:
            self._newline()
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if not self._current and self._quote_depth:
            self._current.append("> ")
        self._current.append(" ".join(data.split()) if data.strip() else " ")

    def _newline(self) -> None:
        line = "".join(self._current).strip()
        self._current = []
        if line and line != ">":
            self._lines.append(line)

    def text(self) -> str:
        self._newline()
        return "\n".join(self._lines)


# --- cutting quotes, forwards and signatures -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cut:
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


def _cut_author_part(text: str, patterns: PatternSet) -> _Cut:
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
            return _Cut(above, quoted=False, forwarded=False)
        forwarded = kind == "forward"
        if above or not _opens_angle_quote(lines, index):
            # Below a forward marker or a quote header comes another message, never the
            # author's own words, even when nothing was written above it.
            return _Cut(above, quoted=True, forwarded=forwarded)
        # Nothing above a ">" quote: a bottom-posted or interleaved reply; the author's words
        # are the unquoted lines below it.
        return _Cut(_unquoted_rest(lines, index + 1, markers, patterns), True, forwarded)
    return _Cut(_tidy(top), quoted=False, forwarded=False)


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
