"""Helpers for the command-line tests: messages, mbox files and Maildirs on disk."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from loopguard.cli import run
from loopguard.cli.console import Streams
from loopguard.testing import build_message


def mbox_bytes(messages: Sequence[bytes], *, crlf: bool = False) -> bytes:
    """An mbox holding ``messages``, each after a ``From`` line and before an empty line."""
    newline = b"\r\n" if crlf else b"\n"
    parts = []
    for number, raw in enumerate(messages):
        envelope = f"From sender{number}@example.com Mon Nov 23 10:00:00 2026".encode()
        parts.append(envelope + newline + raw.rstrip(b"\r\n") + newline + newline)
    return b"".join(parts)


@pytest.fixture(name="mbox_bytes")
def mbox_bytes_fixture() -> Callable[..., bytes]:
    """The function that builds mbox bytes from messages."""
    return mbox_bytes


@pytest.fixture
def human() -> bytes:
    """A person's question."""
    return build_message(subject="Where is my order?")


@pytest.fixture
def auto_reply() -> bytes:
    """An RFC 3834 auto-reply."""
    return build_message(
        {"Auto-Submitted": "auto-replied"}, sender="Bob <bob@example.net>", subject="Out of office"
    )


@pytest.fixture
def write_mbox(tmp_path: Path) -> Callable[..., Path]:
    """Write an mbox of the given messages into tmp_path and return its path."""

    def write(messages: Sequence[bytes], name: str = "box.mbox", *, crlf: bool = False) -> Path:
        path = tmp_path / name
        path.write_bytes(mbox_bytes(messages, crlf=crlf))
        return path

    return write


@pytest.fixture
def make_maildir(tmp_path: Path) -> Callable[..., Path]:
    """Create a Maildir with ``new`` and ``cur`` messages and return its path."""

    def make(new: Sequence[bytes], cur: Sequence[bytes] = (), name: str = "Maildir") -> Path:
        root = tmp_path / name
        for part in ("cur", "new", "tmp"):
            (root / part).mkdir(parents=True)
        for number, raw in enumerate(new):
            (root / "new" / f"1700000000.{number}.host").write_bytes(raw)
        for number, raw in enumerate(cur):
            (root / "cur" / f"1700000100.{number}.host:2,S").write_bytes(raw)
        (root / "tmp" / "1700000200.0.host").write_bytes(b"From: half@example.com\n")
        return root

    return make


class Result:
    """What one command run printed, and its exit code."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal() -> type[FakeTerminal]:
    """Makes text streams that say they are terminals."""
    return FakeTerminal


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the command line with captured streams (and optional bytes on stdin)."""

    def invoke(
        *argv: str,
        stdin: bytes | None = None,
        out: io.StringIO | None = None,
        err: io.StringIO | None = None,
    ) -> Result:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        out = out if out is not None else io.StringIO()
        err = err if err is not None else io.StringIO()
        code = run(list(argv), Streams(out, err))
        return Result(code, out.getvalue(), err.getvalue())

    return invoke
