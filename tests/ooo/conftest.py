"""Shared helpers for the out-of-office tests: language data, message builders, fixtures.

Tests run with ``--import-mode=importlib`` and cannot import each other, so every helper is
exposed as a pytest fixture.
"""

from __future__ import annotations

import base64
import email
import email.header
import email.message
import json
import quopri
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.patterns import PatternSet

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ooo"
CORPUS = Path(__file__).parent.parent.parent.parent / "shared" / "corpus"

#: Builds raw message bytes: (body text, charset, transfer encoding, content type, subject).
BuildMessage = Callable[..., bytes]


@pytest.fixture(scope="session")
def patterns() -> PatternSet:
    return default_patterns()


@pytest.fixture(scope="session")
def expected() -> list[dict[str, Any]]:
    with (FIXTURES / "expected.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "labels.jsonl").is_file():
        pytest.skip("shared corpus not available")
    return CORPUS


def parse_message(raw: bytes) -> tuple[email.message.Message, str]:
    """Parse as the classifier does: the first 64 KiB, compat32, subject RFC 2047-decoded."""
    message = email.message_from_bytes(raw[:65536])
    raw_subject = str(message.get("Subject", ""))
    try:
        subject = str(email.header.make_header(email.header.decode_header(raw_subject)))
    except (UnicodeDecodeError, LookupError, ValueError):
        subject = raw_subject  # a broken encoded word: keep the raw text, as a reader would
    return message, subject


@pytest.fixture(scope="session")
def parse() -> Callable[[bytes], tuple[email.message.Message, str]]:
    return parse_message


def build_message(
    body: str,
    charset: str = "utf-8",
    encoding: str = "8bit",
    content_type: str = "text/plain",
    subject: str = "Re: invoice",
) -> bytes:
    """A single-part message whose body is ``body`` in ``charset`` under ``encoding``."""
    data = body.encode(charset)
    if encoding == "base64":
        payload = base64.encodebytes(data)
    elif encoding == "quoted-printable":
        payload = quopri.encodestring(data)
    else:
        payload = data
    head = (
        f"From: a@example.com\nTo: b@example.com\nSubject: {subject}\nMIME-Version: 1.0\n"
        f'Content-Type: {content_type}; charset="{charset}"\n'
        f"Content-Transfer-Encoding: {encoding}\n\n"
    )
    return head.encode("ascii") + payload


@pytest.fixture(scope="session")
def build() -> BuildMessage:
    return build_message
