"""Hostile text stays linear: megabyte subjects and lines, 100k prefixes, near misses.

The bounds are deliberately generous (seconds, for work that takes milliseconds): they
catch catastrophic backtracking, which takes minutes or hours, not slow machines.
"""

from __future__ import annotations

import email
import time
from collections.abc import Callable

import pytest

from loopguard.classifier.text.authortext import author_text
from loopguard.classifier.text.outofoffice import assess_text
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.text.subject import subject_evidence

BOUND_SECONDS = 5.0
MB = 1_000_000


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


HOSTILE_SUBJECTS = {
    "1 MB of letters": "a" * MB,
    "100k Re: prefixes": "Re: " * 100_000 + "Automatic reply: x",
    "100k mixed prefixes": "Re: AW: SV: Fwd: 回复：" * 20_000,
    "prefix then 1 MB of spaces": "Re" + " " * MB + ":",
    "near-miss prefixes": "Re " * 300_000,
    "near-miss auto-reply": "Automatic repl" * 70_000,
    "tags without end": "[" * MB,
    "1 MB of colons": ":" * MB,
}


@pytest.mark.parametrize("subject", HOSTILE_SUBJECTS.values(), ids=HOSTILE_SUBJECTS.keys())
def test_subject_evidence_is_linear(patterns: PatternSet, subject: str) -> None:
    assert _timed(lambda: subject_evidence(subject, patterns)) < BOUND_SECONDS


HOSTILE_BODIES = {
    "1 MB line": "x" * MB,
    "1 MB of spaces": " " * MB,
    "near-miss star phrase": "ich bin " * 125_000,
    "near-miss absence": "I am out of the " * 60_000,
    "near-miss attribution": "On Monday " * 100_000,
    "attribution lines": "On a wrote\n" * 90_000,
    "quote header lines": "From: x\n" * 120_000,
    "anchors everywhere": "office absence urgent return vacation " * 25_000,
    "colons": "out : : : " * 100_000,
    "cjk": "我目前正在" * 200_000,
    "separator lines": "x\n" + "-----\n" * 200_000,
    "quote marks": '"a' * 500_000,
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_body_pipeline_is_linear(patterns: PatternSet, body: str) -> None:
    raw = b"Subject: Re: x\nContent-Type: text/plain; charset=utf-8\n\n" + body.encode()
    message = email.message_from_bytes(raw)

    def run() -> None:
        assess_text("Re: x", author_text(message, patterns=patterns), patterns)

    assert _timed(run) < BOUND_SECONDS


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_phrase_search_is_linear_without_the_length_cap(patterns: PatternSet, body: str) -> None:
    def run() -> None:
        for kind in ("autoreply_statements", "absence_phrases", "return_phrases", "person_phrases"):
            patterns.find(kind, body[:200_000])

    assert _timed(run) < BOUND_SECONDS


HOSTILE_HTML = {
    "unclosed tags": "<a " * 26_000,
    "unclosed attribute tags": "<a b='" * 13_000,
    "unclosed comments": "<!--x>" * 13_000,
    "unclosed end tags": "</a" * 26_000,
    "marked sections": "<![if >" * 11_000,
    "many small tags": "<b>x</b>" * 10_000,
}


@pytest.mark.parametrize("html", HOSTILE_HTML.values(), ids=HOSTILE_HTML.keys())
def test_html_reduction_is_linear(patterns: PatternSet, html: str) -> None:
    raw = b"Subject: x\nContent-Type: text/html; charset=utf-8\n\n" + html.encode()
    message = email.message_from_bytes(raw)
    assert _timed(lambda: author_text(message, patterns=patterns)) < BOUND_SECONDS
