"""Streaming readers for the mail people have on disk: .eml files, mbox, Maildir, trees, stdin.

Every reader yields one :class:`MailItem` per message, or a :class:`ReadError` for an
input that cannot be read, and never holds more than one message in memory: an mbox is
split by scanning its ``From`` lines in binary, not loaded whole.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

__all__ = [
    "MAX_MESSAGE_BYTES",
    "STDIN",
    "MailItem",
    "ReadError",
    "input_size",
    "read_inputs",
    "read_mbox",
    "reread",
]

#: The name that stands for standard input.
STDIN: Final = "-"

#: Bytes kept of one message; the rest is skipped. The classifier reads at most 256 KiB
#: of headers and 64 KiB of body, so a 2 GB attachment must not cost 2 GB of memory.
MAX_MESSAGE_BYTES: Final = 16 * 1024 * 1024

_MBOX_MAGIC: Final = b"From "
# Files in a directory walk that are read as one message each, or sniffed for mbox.
_MESSAGE_SUFFIXES: Final = frozenset({".eml", ".msg"})
_MBOX_SUFFIXES: Final = frozenset({".mbox", ".mbx"})
_MAILDIR_PARTS: Final = ("cur", "new", "tmp")
# An mbox is read a line at a time, and a longer line in pieces of this size.
_LINE_PIECE: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class MailItem:
    """One message read from an input.

    Attributes:
        location: Where it came from: ``path`` for a file, ``path:N`` for the N-th
            message (from 1) of an mbox, ``-`` or ``-:N`` for standard input.
        raw: The message's bytes (at most :data:`MAX_MESSAGE_BYTES`).
        path: The file it is in (``None`` for standard input), for :func:`reread`.
        offset: Where ``raw`` starts in that file.
    """

    location: str
    raw: bytes
    path: str | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ReadError:
    """An input that could not be read; the run goes on with the others.

    Attributes:
        location: The path (or ``-``) that failed.
        message: Why, in one line.
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def read_inputs(inputs: Iterable[str]) -> Iterator[MailItem | ReadError]:
    """Every message of every input, in order: files, mbox files, Maildirs, trees, ``-``.

    A regular file is an mbox when it starts with ``From `` and one message otherwise.
    A directory is a Maildir when it has ``cur``, ``new`` and ``tmp``; any other directory
    is walked recursively (sorted, hidden entries skipped) for ``.eml``/``.msg`` files,
    mbox files and Maildirs.
    """
    for name in inputs:
        if name == STDIN:
            yield from _read_stream(sys.stdin.buffer, STDIN)
        else:
            yield from _read_path(Path(name), explicit=True)


def input_size(inputs: Iterable[str]) -> int | None:
    """Total bytes of the inputs (for a progress bar), or ``None`` when unknown."""
    total = 0
    for name in inputs:
        if name == STDIN:
            return None
        path = Path(name)
        try:
            if path.is_dir():
                total += sum(_tree_size(path))
            else:
                total += path.stat().st_size
        except OSError:
            continue  # the reader reports it
    return total


def _tree_size(root: Path) -> Iterator[int]:
    for folder, _, files in os.walk(root):
        for file in files:
            try:
                yield os.stat(os.path.join(folder, file)).st_size
            except OSError:
                continue


def _read_path(path: Path, *, explicit: bool) -> Iterator[MailItem | ReadError]:
    try:
        if path.is_dir():
            if _is_maildir(path):
                yield from _read_maildir(path)
            else:
                yield from _read_tree(path)
            return
        with path.open("rb") as handle:
            if not explicit and path.suffix.lower() not in _MESSAGE_SUFFIXES | _MBOX_SUFFIXES:
                # In a walk, a file of unknown type counts only when it is an mbox.
                if handle.read(len(_MBOX_MAGIC)) != _MBOX_MAGIC:
                    return
                handle.seek(0)
            yield from _read_stream(handle, str(path), str(path))
    except OSError as exc:
        yield ReadError(str(path), _describe(exc))


def _read_stream(
    handle: BinaryIO, location: str, path: str | None = None
) -> Iterator[MailItem | ReadError]:
    """One message, or an mbox when the stream starts with a ``From `` line."""
    head = handle.read(len(_MBOX_MAGIC))
    if head == _MBOX_MAGIC:
        yield from read_mbox(handle, location, first_line_start=head, path=path)
        return
    raw = head + handle.read(MAX_MESSAGE_BYTES - len(head))
    if not raw.strip():
        yield ReadError(location, "empty, no message")
        return
    yield MailItem(location, raw, path)


def reread(path: str, offset: int, size: int) -> bytes:
    """Read a message's bytes again (``MailItem.path``, ``.offset``, ``len(.raw)``), to
    revisit messages in another order without keeping them in memory.

    Raises:
        OSError: The file cannot be read any more.
    """
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(size)


def read_mbox(
    handle: BinaryIO, location: str, *, first_line_start: bytes = b"", path: str | None = None
) -> Iterator[MailItem | ReadError]:
    """Split an mbox stream into messages, one at a time.

    A message starts at a ``From `` line at the start of the file or after an empty
    line, as mutt and Thunderbird write them (a body line that starts with "From " in
    mid-paragraph stays in the body). Escaped ``>From`` lines are left as they are: they
    are body text, which the classifier reads only for phrases.

    Args:
        handle: A binary stream positioned at the start of the mbox, or just after the
            first ``first_line_start`` bytes of it.
        location: The name used in each item's location.
        first_line_start: Bytes already consumed from the stream (to sniff the format).
        path: The file the stream reads, recorded in each item for :func:`reread`.
    """
    lines: list[bytes] = []
    kept = 0
    index = 0
    previous_blank = True
    pending = first_line_start
    position = start = 0
    # readline(limit): one hostile line of gigabytes is read in pieces, never held whole.
    for line in iter(functools.partial(handle.readline, _LINE_PIECE), b""):
        if pending:
            line, pending = pending + line, b""
        position += len(line)
        if previous_blank and line.startswith(_MBOX_MAGIC):
            if index:
                yield _mbox_item(location, index, lines, path, start)
            index += 1
            lines, kept, start = [], 0, position
            previous_blank = False
            continue
        previous_blank = line in (b"\n", b"\r\n")
        if kept < MAX_MESSAGE_BYTES:
            piece = line[: MAX_MESSAGE_BYTES - kept]
            lines.append(piece)
            kept += len(piece)
    if pending:  # the stream held nothing but the sniffed bytes
        index += 1
    if index:
        yield _mbox_item(location, index, lines, path, start)
    else:
        yield ReadError(location, "empty mbox, no message")


def _mbox_item(
    location: str, index: int, lines: list[bytes], path: str | None, offset: int
) -> MailItem:
    # The empty line before the next "From " line separates messages; it is not content.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines.pop()
    return MailItem(f"{location}:{index}", b"".join(lines), path, offset)


def _is_maildir(path: Path) -> bool:
    return all((path / part).is_dir() for part in _MAILDIR_PARTS)


def _read_maildir(path: Path) -> Iterator[MailItem | ReadError]:
    # tmp/ holds messages still being delivered: never read them.
    for part in ("new", "cur"):
        for name in sorted(os.listdir(path / part)):
            if not name.startswith("."):
                yield from _read_message_file(path / part / name)


def _read_message_file(path: Path) -> Iterator[MailItem | ReadError]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_MESSAGE_BYTES)
    except OSError as exc:
        yield ReadError(str(path), _describe(exc))
        return
    if raw.strip():
        yield MailItem(str(path), raw, str(path))
    else:
        yield ReadError(str(path), "empty, no message")


def _read_tree(root: Path) -> Iterator[MailItem | ReadError]:
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        yield ReadError(str(root), _describe(exc))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        # Symbolic links to directories are not followed: they can form cycles.
        if entry.is_dir(follow_symlinks=False) or entry.is_file():
            yield from _read_path(Path(entry.path), explicit=False)


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
