"""The compat32 message tree, built from the whole text with C-level string searches.

The stdlib's feed parser reads a message line by line in Python: about 2 ms for a 23 KB
newsletter, and most of the cost of the body step. :func:`parse` builds the very same tree
(the same headers, payloads, preambles, epilogues and defects) with ``str.find`` and a few
anchored regexes, for the shapes real mail has: nested multiparts cut anywhere (a missing
close boundary), attached messages, delivery-status blocks. Any other shape (a lone CR, a
header line the parser would take for body text, a boundary that starts another one, a
missing start boundary ...) is left to the stdlib parser, which then builds the tree.
"""

from __future__ import annotations

import email.errors
import email.message
import email.parser
import email.policy
import re

__all__ = ["parse", "parse_fast"]

# One header field and its continuation lines, as the stdlib reads it: the name is any
# printable ASCII but the colon (RFC 5322 ftext), the value starts after the colon's
# spaces and tabs and keeps its inner line breaks.
_FIELD = re.compile(r"^([\x21-\x39\x3b-\x7e]*):[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.M)
# What may follow a boundary on its line (the stdlib's boundary regex): "--" closes.
_BOUNDARY_TAIL = re.compile(r"(--)?[ \t]*(\r?\n|\Z)")
# Nesting the fast path follows; deeper trees go to the stdlib parser.
_MAX_DEPTH = 32
_COMPAT32 = email.policy.compat32


def parse(data: bytes) -> email.message.Message:
    """``data`` parsed as ``BytesParser(policy=compat32).parsebytes`` parses it."""
    text = data.decode("ascii", "surrogateescape")
    fast = parse_fast(text)
    if fast is not None:
        return fast
    return email.parser.Parser(policy=_COMPAT32).parsestr(text)


def parse_fast(text: str) -> email.message.Message | None:
    """The tree of ``text`` (bytes decoded as ASCII with surrogate escapes), or ``None``
    when its shape is one the stdlib parser must build."""
    if text.count("\r") != text.count("\r\n"):
        return None  # a lone CR ends a line for the stdlib: not worth following
    try:
        return _Builder(text).part(0, (), None, 0)[0]
    except _LeftToStdlibError:
        return None


class _LeftToStdlibError(Exception):
    """A shape the fast path does not follow."""


class _Builder:
    """Builds one tree; each method mirrors a step of the stdlib feed parser."""

    def __init__(self, text: str) -> None:
        self.text = text

    def part(
        self, start: int, outer: tuple[str, ...], parent: str | None, depth: int
    ) -> tuple[email.message.Message, int, email.message.Message]:
        """The message or part at ``start``, where its input ends (the next line that is
        one of the ``outer`` boundaries, or the end), and the last message it created."""
        if depth > _MAX_DEPTH:
            raise _LeftToStdlibError
        message = email.message.Message()
        if parent == "multipart/digest":
            message.set_default_type("message/rfc822")
        end, body = self.blank_line(start, len(self.text))
        if any(":" in separator for separator in outer):
            # A boundary line that passes for a field would end the header block early;
            # any other one makes it fail the field check below (and go to the stdlib).
            early = self.next_boundary(start, outer, end)[0]
            end, body = (early, early) if early < end else (end, body)
        self.headers(message, start, end)
        ctype = message.get_content_type()
        maintype = ctype.partition("/")[0]
        if maintype == "message" and ctype != "message/delivery-status":
            inner, end, last = self.part(body, outer, ctype, depth + 1)
            message.attach(inner)
            return message, end, last
        if maintype == "multipart":
            return self.multipart(message, body, outer, ctype, depth)
        limit = self.next_boundary(body, outer)[0]
        if ctype == "message/delivery-status":
            return message, limit, self.status_blocks(message, body, limit)
        message.set_payload(self.text[body:limit])
        return message, limit, message

    def headers(self, message: email.message.Message, start: int, end: int) -> None:
        """Set the header fields of the block from ``start`` to ``end``."""
        text = self.text
        if text.startswith("From ", start):
            newline = text.find("\n", start, end)
            first_end = end if newline == -1 else newline + 1
            message.set_unixfrom(text[start:first_end].rstrip("\r\n"))
            start = first_end
        fields = _FIELD.findall(text, start, end)
        # Every line must start a field or continue one: as many fields as lines that do
        # not start with a space or a tab after a line break (a first line does not count
        # as continued, so it must be a field).
        lines = text.count("\n", start, end) + (0 if end == start or text[end - 1] == "\n" else 1)
        continued = text.count("\n ", start, end) + text.count("\n\t", start, end)
        if len(fields) != lines - continued:
            raise _LeftToStdlibError  # a line that is no field: the stdlib reads it as body
        for name, value in fields:
            if not name:
                raise _LeftToStdlibError  # "Missing header name": a defect
            message.set_raw(name, value)

    def blank_line(self, start: int, limit: int) -> tuple[int, int]:
        """Where the header block from ``start`` ends and where the body starts."""
        text = self.text
        if start < limit and text.startswith(("\n", "\r\n"), start):
            return start, text.index("\n", start) + 1
        first = text.find("\n\n", start, limit)
        crlf = text.find("\n\r\n", start, first if first != -1 else limit)
        if crlf != -1:
            first = crlf
        if first == -1:
            return limit, limit
        return first + 1, text.index("\n", first + 1) + 1

    def status_blocks(
        self, message: email.message.Message, start: int, limit: int
    ) -> email.message.Message:
        """``message/delivery-status``: one header-only message per block of fields, blocks
        separated by a blank line. Returns the last block."""
        text = self.text
        while True:
            block = email.message.Message()
            message.attach(block)
            end = self.blank_line(start, limit)[0]
            self.headers(block, start, end)
            if "content-type" in block:
                raise _LeftToStdlibError  # a block with a body of its own
            block.set_payload("")
            if end == limit:
                return block
            start = text.index("\n", end) + 1  # past the blank line
            if start >= limit:
                return block

    def multipart(
        self,
        message: email.message.Message,
        body: int,
        outer: tuple[str, ...],
        ctype: str,
        depth: int,
    ) -> tuple[email.message.Message, int, email.message.Message]:
        """The parts of a multipart between its boundaries, its preamble and epilogue."""
        boundary = message.get_boundary()
        if boundary is None:
            raise _LeftToStdlibError
        encoding = str(message.get("content-transfer-encoding", "8bit")).lower()
        if encoding not in ("7bit", "8bit", "binary"):
            defect = email.errors.InvalidMultipartContentTransferEncodingDefect()
            message.policy.handle_defect(message, defect)
        own = "--" + boundary
        if any(sep.startswith(own) or own.startswith(sep) for sep in outer):
            raise _LeftToStdlibError  # one boundary line could end two levels
        inner = (*outer, own)
        at, found, closing, line_end = self.next_boundary(body, inner)
        if found != own or closing:
            raise _LeftToStdlibError  # no start boundary: a defect
        if at > body:
            message.preamble = _without_line_end(self.text[body:at])
        while True:
            if (
                self.text.startswith("--", line_end)
                and self.next_boundary(line_end, inner, line_end + 1)[1]
            ):
                raise _LeftToStdlibError  # two boundary lines in a row
            part, at, last = self.part(line_end, inner, ctype, depth + 1)
            message.attach(part)
            _drop_final_line_end(last)
            _, found, closing, line_end = self.next_boundary(at, inner)
            if found != own:
                # The end, or a boundary of an enclosing multipart, before this one closed.
                message.policy.handle_defect(message, email.errors.CloseBoundaryNotFoundDefect())
                return message, at, message
            if closing:
                end = self.next_boundary(line_end, outer)[0]
                message.epilogue = self.text[line_end:end]
                return message, end, message

    def next_boundary(
        self, start: int, separators: tuple[str, ...], before: int | None = None
    ) -> tuple[int, str, bool, int]:
        """The first line at or after ``start`` (a line start) and before ``before`` that
        is one of the boundaries: its offset, which one, whether it closes, and where its
        line ends. ``(len(text), "", False, len(text))`` when there is none."""
        text = self.text
        best = (len(text), "", False, len(text))
        if before is not None:
            best = (before, "", False, before)
        for separator in separators:
            found = self.boundary_line(separator, start, best[0])
            if found is not None:
                best = found
        return best

    def boundary_line(
        self, separator: str, start: int, before: int
    ) -> tuple[int, str, bool, int] | None:
        text = self.text
        at = (
            start
            if start < before and text.startswith(separator, start)
            else _line_with(text, separator, start, before)
        )
        while at != -1:
            tail = _BOUNDARY_TAIL.match(text, at + len(separator))
            if tail is not None:
                return at, separator, tail.group(1) is not None, tail.end()
            at = _line_with(text, separator, at + 1, before)
        return None


def _line_with(text: str, prefix: str, start: int, before: int) -> int:
    """The offset of the first line after ``start`` and before ``before`` that begins with
    ``prefix``, or -1."""
    found = text.find("\n" + prefix, start, before + len(prefix) - 1)
    return found + 1 if found != -1 else -1


def _without_line_end(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _drop_final_line_end(last: email.message.Message) -> None:
    """The line break before a boundary belongs to the boundary (RFC 2046): the stdlib
    takes it off the payload (or the epilogue) of the last message the part created."""
    # The payload as the parser stored it (get_payload() re-decodes 8-bit text); a list
    # only for a multipart: the last message created is never an attached message's
    # container or a delivery-status part.
    payload = vars(last).get("_payload")
    if isinstance(payload, list):
        if last.epilogue == "":
            last.epilogue = None
        elif last.epilogue is not None:
            last.epilogue = _without_line_end(last.epilogue)
        return
    if isinstance(payload, str):
        last.set_payload(_without_line_end(payload))
