"""Cost of the out-of-office text rules: hostile-input scaling, throughput, body decoding.

Three reports:

1. Scaling on hostile input: time per call for 1 KB → 1 MB subjects and body lines and
   1k → 100k repeated reply prefixes. Linear rules show time growing ~10x per 10x input.
2. Messages per second over the shared corpus (and tests/fixtures/ooo): parsing alone, and
   parsing plus ``author_text`` + ``assess_text`` (the body heuristics); then the whole
   ``Classifier.classify`` with ``text_heuristics`` on and off.
3. Body decoding, stdlib (``loopguard.classifier.text.authortext``) against mail-parser: speed, and
   correctness on the multilingual fixtures (the expected label still reached when the
   text comes from each decoder; replacement characters and escape sequences left over).

Usage: ``python benchmarks/bench_text.py [--corpus FOLDER] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import email
import email.header
import email.message
import json
import logging
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import mailparser

from loopguard.classifier.pipeline import Classifier
from loopguard.classifier.text.authortext import BodyText, author_text
from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.outofoffice import (
    DEFAULT_TEXT_THRESHOLD,
    assess_text,
    subject_evidence,
)
from loopguard.classifier.text.patterns import PatternSet

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("LOOPGUARD_CORPUS", ROOT.parent / "shared" / "corpus"))
FIXTURES = ROOT / "tests" / "fixtures" / "ooo"
PARSE_LIMIT = 65536


def _best_of(repeat: int, call: Callable[[], object]) -> float:
    """Fastest of ``repeat`` runs, in seconds (the least disturbed by the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def _subject_of(message: email.message.Message) -> str:
    raw = str(message.get("Subject", ""))
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except (UnicodeDecodeError, LookupError, ValueError):
        return raw


def scaling(patterns: PatternSet, repeat: int) -> None:
    """Report 1: time per call on hostile input of growing size."""
    print(f"== 1. scaling on hostile input (best of {repeat}) ==")
    cases: dict[str, Callable[[int], Callable[[], object]]] = {
        "subject of letters": lambda n: lambda: subject_evidence("a" * n, patterns),
        "subject near-miss 'Re '": lambda n: lambda: subject_evidence("Re " * (n // 3), patterns),
        "body line (author_text+assess)": lambda n: _body_call("ich bin " * (n // 8), patterns),
        "body line, no length cap (find)": lambda n: (
            lambda: patterns.find("absence_phrases", "I am out of the " * (n // 16))
        ),
    }
    for name, make in cases.items():
        row = []
        for size in (1_000, 10_000, 100_000, 1_000_000):
            row.append(f"{size // 1000:>5} KB {_best_of(repeat, make(size)) * 1000:9.3f} ms")
        print(f"{name:34} " + " | ".join(row))
    row = []
    for count in (1_000, 10_000, 100_000):
        subject = "Re: " * count + "Automatic reply: x"
        seconds = _best_of(repeat, lambda s=subject: subject_evidence(s, patterns))
        row.append(f"{count // 1000:>4}k {seconds * 1000:9.3f} ms")
    print(f"{'repeated Re: prefixes':34} " + " | ".join(row))


def _body_call(body: str, patterns: PatternSet) -> Callable[[], object]:
    raw = b"Subject: Re: x\nContent-Type: text/plain; charset=utf-8\n\n" + body.encode()
    message = email.message_from_bytes(raw)
    return lambda: assess_text("Re: x", author_text(message, patterns=patterns), patterns)


def _load(folder: Path) -> list[bytes]:
    labels = folder / "labels.jsonl"
    if labels.is_file():
        rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
        return [(folder / row["file"]).read_bytes() for row in rows]
    return [path.read_bytes() for path in sorted(folder.rglob("*.eml"))]


def throughput(name: str, messages: list[bytes], patterns: PatternSet, repeat: int) -> None:
    """Report 2: messages/s with and without the body heuristics."""

    def parse_only() -> None:
        for raw in messages:
            _subject_of(email.message_from_bytes(raw[:PARSE_LIMIT]))

    def with_text() -> None:
        for raw in messages:
            message = email.message_from_bytes(raw[:PARSE_LIMIT])
            assess_text(_subject_of(message), author_text(message, patterns=patterns), patterns)

    base = _best_of(repeat, parse_only)
    full = _best_of(repeat, with_text)
    count = len(messages)
    print(
        f"{name:24} {count:4} msgs | parse+subject {count / base:8.0f} msg/s | "
        f"+ author_text+assess_text {count / full:8.0f} msg/s | "
        f"text rules cost {(full - base) / count * 1e6:7.1f} µs/msg"
    )


def classify_throughput(name: str, messages: list[bytes], repeat: int) -> None:
    """Report 2b: the whole classifier, with and without the text heuristics."""
    with_text = Classifier(text_heuristics=True)
    without = Classifier(text_heuristics=False)
    on = _best_of(repeat, lambda: [with_text.classify(raw) for raw in messages])
    off = _best_of(repeat, lambda: [without.classify(raw) for raw in messages])
    count = len(messages)
    print(
        f"{name:24} {count:4} msgs | classify, text off {count / off:8.0f} msg/s | "
        f"text on {count / on:8.0f} msg/s | cost {(on - off) / count * 1e6:7.1f} µs/msg"
    )


def _mailparser_text(raw: bytes) -> str:
    try:
        parsed = mailparser.parse_from_bytes(raw[:PARSE_LIMIT])
    except Exception:  # mail-parser raises on some inputs; count that as "no text"
        return ""
    plain = parsed.text_plain
    return plain[0] if plain else (parsed.text_html[0] if parsed.text_html else "")


def _stdlib_text(raw: bytes, patterns: PatternSet) -> str:
    return author_text(email.message_from_bytes(raw[:PARSE_LIMIT]), patterns=patterns).text


def decoding(messages: list[bytes], patterns: PatternSet, repeat: int) -> None:
    """Report 3: stdlib decoding (loopguard.classifier.text.authortext) against mail-parser."""
    print("== 3. body decoding: stdlib (loopguard.classifier.text.authortext) vs mail-parser ==")
    stdlib = _best_of(repeat, lambda: [_stdlib_text(raw, patterns) for raw in messages])
    other = _best_of(repeat, lambda: [_mailparser_text(raw) for raw in messages])
    print(
        f"speed over {len(messages)} msgs: stdlib {len(messages) / stdlib:8.0f} msg/s, "
        f"mail-parser {len(messages) / other:8.0f} msg/s "
        f"({'stdlib' if stdlib < other else 'mail-parser'} faster by "
        f"{max(stdlib, other) / min(stdlib, other):.1f}x)"
    )
    rows = [
        json.loads(line)
        for line in (FIXTURES / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    right = {"stdlib": 0, "mail-parser": 0}
    damaged = {"stdlib": 0, "mail-parser": 0}
    for row in rows:
        raw = (FIXTURES / row["file"]).read_bytes()
        subject = _subject_of(email.message_from_bytes(raw))
        for name, text in (
            ("stdlib", _stdlib_text(raw, patterns)),
            ("mail-parser", _mailparser_text(raw)),
        ):
            damaged[name] += "\ufffd" in text or "\x1b" in text or "$B" in text
            body = _reparsed(text, patterns)
            label = assess_text(subject, body, patterns).confidence >= DEFAULT_TEXT_THRESHOLD
            right[name] += label == (row["label"] == "auto_reply")
    for name in right:
        print(
            f"{name:12} on {len(rows)} multilingual fixtures: {right[name]} labelled right, "
            f"{damaged[name]} with replacement characters or raw escape sequences"
        )


def _reparsed(text: str, patterns: PatternSet) -> BodyText:
    """Run decoded text through the same quote cutting, so only the decoding differs."""
    raw = b"Content-Type: text/plain; charset=utf-8\n\n" + text.encode("utf-8", "replace")
    return author_text(email.message_from_bytes(raw), patterns=patterns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # mail-parser logs every defect it meets
    patterns = default_patterns()
    scaling(patterns, args.repeat)
    print("== 2. throughput ==")
    corpus = _load(args.corpus) if (args.corpus / "labels.jsonl").is_file() else []
    if corpus:
        throughput("shared corpus", corpus, patterns, args.repeat)
    else:
        print(f"shared corpus not found at {args.corpus}: skipped")
    fixtures = _load(FIXTURES)
    throughput("tests/fixtures/ooo", fixtures, patterns, args.repeat)
    for name, messages in (("shared corpus", corpus), ("tests/fixtures/ooo", fixtures)):
        if messages:
            classify_throughput(name, messages, args.repeat)
    decoding(corpus + fixtures, patterns, args.repeat)
    median = statistics.median(len(raw) for raw in corpus + fixtures)
    print(f"(median message size: {median:.0f} bytes)")


if __name__ == "__main__":
    main()
