"""HTML bodies reduced to text: as a reader sees it, or cheaply for scanning.

:func:`html_to_text` keeps the structure the author's words need (lines, quotes,
signature blocks); :func:`strip_tags` only drops the markup, for scanning long machine
text (a newsletter's 40 KB of HTML) for a few phrases at a fraction of the cost.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser

__all__ = ["html_to_text", "strip_tags"]

_SKIPPED_HTML = frozenset({"script", "style", "head", "title", "template"})
_BLOCK_HTML = frozenset(
    {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "pre", "section", "article", "header", "footer", "blockquote", "dd", "dt",
    }
)  # fmt: skip
_SIGNATURE_CLASSES = ("gmail_signature", "moz-signature", "signature")
# A "<" with no ">" before the next "<" (or the end) opens no tag. Each lookahead stops at
# the next "<" or ">", so the scan is linear.
_UNCLOSED_TAG = re.compile(r"<(?=[^<>]*+(?:<|\Z))")
# A tag, bounded: a ">" more than 2,000 characters away closes no tag worth dropping.
_TAG = re.compile(r"<[^<>]{0,2000}>")
# How much HTML is parsed between two looks at the length of the text so far.
_CHUNK = 4096


def strip_tags(html: str) -> str:
    """``html`` with every tag replaced by a space (entities and comments' text kept)."""
    return _TAG.sub(" ", html)


def html_to_text(html: str, *, limit: int | None = None) -> str:
    """Reduce HTML to plain text with the stdlib parser; never raises.

    Blocks become lines, ``<blockquote>`` content becomes ``> `` lines (so the quote rules
    cut it), and mail clients' signature blocks are preceded by a ``-- `` line.

    With ``limit``, the parse stops once the text is known to be longer: the text returned
    then starts like the whole text and is longer than ``limit`` exactly when the whole
    text is (a newsletter's first screens, not its 40 KB).
    """
    parser = _TextExtractor()
    # Broken markup can make the parser raise; keep whatever text came before the damage.
    with contextlib.suppress(Exception):
        for chunk in _chunks(_defuse(html)):
            parser.feed(chunk)
            if limit is not None and parser.size > limit + 1:
                return parser.finished_text()  # longer than limit (size counts line breaks)
        parser.close()
    return parser.text()


def _chunks(html: str) -> Iterator[str]:
    """``html`` in pieces of about ``_CHUNK`` characters, each cut just before a "<".

    The stdlib parser reports the same events for such pieces as for the whole: text ends
    where the next tag begins, and a construct cut in two waits for its end.
    """
    start = 0
    while start < len(html):
        cut = html.find("<", start + _CHUNK)
        end = len(html) if cut == -1 else cut
        yield html[start:end]
        start = end


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
        self.size = 0
        """Length of the completed lines with a line break after each (one more than the
        length of their text)."""

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
            self._add("-- ")

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
            self._add(line)

    def _add(self, line: str) -> None:
        self._lines.append(line)
        self.size += len(line) + 1

    def finished_text(self) -> str:
        """The lines completed so far: what every later event only adds to."""
        return "\n".join(self._lines)

    def text(self) -> str:
        self._newline()
        return "\n".join(self._lines)
