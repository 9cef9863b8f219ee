"""Cost of hostile input: time and peak memory of classify() against a benign message
of the same size. Nothing may grow faster than the input.

Usage: ``python benchmarks/bench_hostile.py [--size MB]`` (default 10 MB; ``--size 1`` for a
quick run). Each row prints seconds, the ratio to the benign message, and peak traced memory
as a multiple of the input size.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable

import loopguard
from loopguard.testing import build_message

Builder = Callable[[int], bytes]


def benign(size: int) -> bytes:
    """A person's mail with a base64 attachment: the reference for each size."""
    head = build_message(
        {"Content-Type": 'multipart/mixed; boundary="b"'},
        body="--b\nContent-Type: text/plain\n\nsee attached\n--b\n"
        "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n",
    )
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n"
    return head + line * max(1, (size - len(head)) // len(line)) + b"--b--\n"


def huge_header_line(size: int) -> bytes:
    return b"Subject: " + b"x" * size + b"\nFrom: a@example.com\n\nbody\n"


def many_headers(size: int) -> bytes:
    line = b"X-Filler-Header: some value here\n"
    return line * (size // len(line)) + b"From: a@example.com\n\nbody\n"


def many_received(size: int) -> bytes:
    line = b"Received: from relay.example.net by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\n"
    return line * (size // len(line)) + b"From: a@example.com\n\nbody\n"


def many_parts(size: int) -> bytes:
    part = b"--b\nContent-Type: text/plain\n\nhello\n"
    count = max(1, size // len(part))
    head = b'From: a@example.com\nReturn-Path: <>\nContent-Type: multipart/mixed; boundary="b"\n\n'
    return head + part * count + b"--b--\n"


def deep_nesting(size: int) -> bytes:
    depth = 500
    parts = b"".join(
        b'--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' % (i, i + 1)
        for i in range(depth)
    )
    head = b'From: a@example.com\nReturn-Path: <>\nContent-Type: multipart/mixed; boundary="b0"\n\n'
    filler = b"y" * max(0, size - len(head) - len(parts))
    return head + parts + filler


def reply_prefixes(size: int) -> bytes:
    return b"Subject: " + b"Re: " * (size // 4) + b"hello\nFrom: a@example.com\n\nbody\n"


def near_miss_text(size: int) -> bytes:
    # Long runs of almost-matching phrases in the body, which the text step reads.
    words = b"out of the offic undeliverabl unsubscrib do not repl automatic repl "
    body = words * (size // len(words))
    return build_message(subject="Re: hello") + body


def quote_marker_lines(size: int) -> bytes:
    # Every line could start a quote ("... wrote:", "Name <addr>:", "From:"), and one line
    # is nothing but the anchor "<": the quote cut must stay linear in both.
    lines = b"On Monday Jane <jane@example.com> wrote:\nFrom: x\n" + b"<" * 4096 + b"\n"
    return build_message(subject="Re: hello") + lines * (size // len(lines))


def invalid_utf8(size: int) -> bytes:
    junk = bytes(range(128, 256)) * (size // 128)
    return b"Subject: " + junk[:1000] + b"\nFrom: \xff\xfe@\xc3\n\n" + junk


CASES: dict[str, Builder] = {
    "benign (reference)": benign,
    "one huge header line": huge_header_line,
    "100k+ headers": many_headers,
    "100k+ Received lines": many_received,
    "10k+ MIME parts": many_parts,
    "500-deep nesting": deep_nesting,
    "subject of 'Re: ' x N": reply_prefixes,
    "near-miss phrases in body": near_miss_text,
    "quote markers on every line": quote_marker_lines,
    "invalid UTF-8 everywhere": invalid_utf8,
}


def measure(raw: bytes) -> tuple[float, int]:
    """Seconds and peak traced bytes of one classify() call."""
    tracemalloc.start()
    started = time.perf_counter()
    loopguard.classify(raw)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=float, default=10.0, help="input size in MB")
    args = parser.parse_args(argv)
    size = int(args.size * 1024 * 1024)
    # The default classifier is built on first use (compiling the language data): build it
    # before timing anything, or the reference would measure that instead.
    loopguard.classify(build_message(subject="warm-up"))
    reference, _ = measure(benign(size))
    print(f"input ≈ {size / 1e6:.1f} MB; benign message: {reference * 1e3:.1f} ms\n")
    print(f"{'case':<30}{'bytes':>12}{'ms':>10}{'× benign':>10}{'peak mem × input':>18}")
    for name, build in CASES.items():
        raw = build(size)
        elapsed, peak = measure(raw)
        print(
            f"{name:<30}{len(raw):>12,}{elapsed * 1e3:>10.1f}{elapsed / reference:>10.1f}"
            f"{peak / len(raw):>18.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
