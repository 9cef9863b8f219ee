"""A bounded, forgiving header-block splitter: the classifier's hot path, no MIME parse.

The stdlib's ``headersonly=True`` still reads and decodes the whole body (tens of ms on a
2 MB message), so the header block is cut out with a bounded search and split here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_HEADER_BYTES", "HeaderBlock", "split_headers"]

#: The end of the header block is searched for in this many bytes at most. Real header
#: blocks are a few KB; past this, the rest is treated as body and the damage reported.
MAX_HEADER_BYTES = 256 * 1024

# The blank line that ends the header block, in LF or CRLF (or mixed) form.
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
# A field name: printable ASCII except colon and space (RFC 5322 section 2.2).
_FIELD = re.compile(r"([!-9;-~]+)[ \t]*:")


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """Headers of one message, names lower-cased, values unfolded, in order of appearance."""

    fields: dict[str, list[str]]
    body_offset: int
    """Where the body starts in the raw bytes (the raw length when there is no body)."""
    damage: tuple[str, ...]
    """What was wrong with the header block, as short human-readable notes."""

    def get(self, name: str) -> str | None:
        """The first value of a header, or ``None``."""
        values = self.fields.get(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        """Every value of a header, in order (empty when absent)."""
        return self.fields.get(name, [])

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def count(self, name: str) -> int:
        """How many times a header occurs."""
        return len(self.fields.get(name, ()))


def split_headers(raw: bytes) -> HeaderBlock:
    """Split ``raw`` into header fields and the body offset; never raises."""
    damage: list[str] = []
    blank = _BLANK_LINE.search(raw, 0, MAX_HEADER_BYTES)
    if blank is not None:
        block, body_offset = raw[: blank.start()], blank.end()
    elif len(raw) <= MAX_HEADER_BYTES:
        block, body_offset = raw, len(raw)
        if raw.strip():
            damage.append("no blank line after the headers")
    else:
        block, body_offset = raw[:MAX_HEADER_BYTES], MAX_HEADER_BYTES
        damage.append(f"header block longer than {MAX_HEADER_BYTES} bytes, cut")
    text = block.decode("utf-8", "replace")
    if "\ufffd" in text:
        damage.append("header bytes that are not UTF-8")
    fields = _parse_fields(text, damage)
    return HeaderBlock(fields, body_offset, tuple(damage))


def _parse_fields(text: str, damage: list[str]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    name: str | None = None
    parts: list[str] = []
    stray_lines = 0
    lines = text.splitlines()
    if lines and lines[0].startswith("From "):
        lines = lines[1:]  # an mbox separator line, not a header
    for line in lines:
        if line[:1] in (" ", "\t"):
            if name is not None:
                parts.append(line)
            continue
        if name is not None:
            fields.setdefault(name, []).append(_unfold(parts))
        match = _FIELD.match(line)
        if match is None:
            name = None
            if line.strip():
                stray_lines += 1
            continue
        name = match.group(1).lower()
        parts = [line[match.end() :]]
    if name is not None:
        fields.setdefault(name, []).append(_unfold(parts))
    if stray_lines:
        damage.append(f"{stray_lines} header line(s) without a field name")
    return fields


def _unfold(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0].strip()
    return " ".join(part.strip() for part in parts).strip()
