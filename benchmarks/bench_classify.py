"""Speed of loopguard.classify against the stdlib parser, mail-parser and flufl.bounce.

Runs every method on the same messages in one process and prints per-message means,
medians, ratios and the worst case (a generated 2 MB message with an attachment). Each
message's time is the best of ``--repeat`` passes over the whole corpus.
Usage: ``python benchmarks/bench_classify.py [FOLDER] [--repeat N]``; FOLDER defaults to
../shared/corpus (or $LOOPGUARD_CORPUS) and falls back to tests/fixtures/core.
"""

from __future__ import annotations

import argparse
import email
import email.parser
import email.policy
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import mailparser
from flufl.bounce import all_failures

import loopguard
from loopguard.testing import build_message

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("LOOPGUARD_CORPUS", ROOT.parent / "shared" / "corpus"))
FIXTURES = ROOT / "tests" / "fixtures" / "core"


def load(folder: Path) -> list[bytes]:
    """Every message of a corpus folder (labels.jsonl) or of a tree of .eml files."""
    if (folder / "labels.jsonl").exists():
        import json

        rows = [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines()]
        return [(folder / row["file"]).read_bytes() for row in rows]
    return [path.read_bytes() for path in sorted(folder.rglob("*.eml"))]


def big_message(size: int = 2 * 1024 * 1024) -> bytes:
    """A person's mail with a base64 attachment of about ``size`` bytes."""
    head = build_message(
        {"Content-Type": 'multipart/mixed; boundary="b"'},
        body="--b\nContent-Type: text/plain\n\nReport attached.\n--b\n"
        "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n",
    )
    line = b"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29kZT4+\n"
    return head + line * (size // len(line)) + b"--b--\n"


def headers_only(raw: bytes) -> object:
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw, headersonly=True)


def full_parse(raw: bytes) -> object:
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)


def flufl(raw: bytes) -> object:
    message = email.message_from_bytes(raw)
    try:
        return all_failures(message)
    except Exception:  # some detectors raise on real mail; the time still counts
        return None


def mail_parser(raw: bytes) -> object:
    try:
        return mailparser.parse_from_bytes(raw)
    except Exception:  # mail-parser raises on some real mail; the time still counts
        return None


HEADERS_ONLY_CLASSIFIER = loopguard.Classifier(body_rules=(), text_heuristics=False)
NO_TEXT_CLASSIFIER = loopguard.Classifier(text_heuristics=False)

METHODS: dict[str, Callable[[bytes], object]] = {
    "loopguard.classify": loopguard.classify,
    "classify, without text heuristics": NO_TEXT_CLASSIFIER.classify,
    "classify, headers and subject only": HEADERS_ONLY_CLASSIFIER.classify,
    "stdlib headersonly": headers_only,
    "stdlib full parse": full_parse,
    "mailparser.parse_from_bytes": mail_parser,
    "message_from_bytes + flufl.all_failures": flufl,
}


QUICK = ("loopguard.classify", "stdlib headersonly")


def per_call(method: Callable[[bytes], object], raw: bytes, repeat: int) -> float:
    """Best of ``repeat`` timings of one call, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        method(raw)
        best = min(best, time.perf_counter() - started)
    return best


def per_message(
    methods: dict[str, Callable[[bytes], object]], messages: list[bytes], passes: int
) -> dict[str, list[float]]:
    """Best of ``passes`` timings of every method on every message, in seconds.

    Each pass reads the corpus once, the methods interleaved per message (noise from
    other processes hits them alike). A message is never classified twice in a row: the
    small caches of recent texts (word sets, phrase lookups) then never hand a message
    its own earlier results, as they would not in real traffic.
    """
    times = {name: [float("inf")] * len(messages) for name in methods}
    for _ in range(passes):
        for index, raw in enumerate(messages):
            for name, method in methods.items():
                started = time.perf_counter()
                method(raw)
                elapsed = time.perf_counter() - started
                times[name][index] = min(times[name][index], elapsed)
    return times


def print_targets(times: dict[str, list[float]], messages: list[bytes]) -> None:
    """The issue-14 ratios, side by side: classify against the stdlib header-only parse
    (mean and median per message), and the slowest message against the classify median."""
    classify, base = times["loopguard.classify"], times["stdlib headersonly"]
    mean_ratio = statistics.fmean(classify) / statistics.fmean(base)
    median_ratio = statistics.median(classify) / statistics.median(base)
    median = statistics.median(classify)
    worst, index = max(zip(classify, range(len(classify)), strict=True))
    print(
        f"\nclassify / stdlib header-only: mean {mean_ratio:.2f}x (target <= 5), "
        f"median {median_ratio:.2f}x (target <= 2.5)"
    )
    print(
        f"slowest message / classify median: {worst / median:.1f}x (target <= 10; "
        f"#{index}, {len(messages[index]):,} bytes, {worst * 1e6:.0f} us)"
    )
    over = sum(1 for value in classify if value > 10 * median)
    print(f"messages over 10x the median: {over} of {len(classify)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="only classify and the header-only parse: the ratios"
    )
    args = parser.parse_args(argv)
    methods = {k: METHODS[k] for k in QUICK} if args.quick else METHODS
    folder = args.folder or (DEFAULT_CORPUS if DEFAULT_CORPUS.exists() else FIXTURES)
    messages = load(folder)
    logging.disable(logging.CRITICAL)  # flufl.bounce logs a traceback per failing detector
    print(f"{len(messages)} messages from {folder}; best of {args.repeat} passes per message\n")
    times = per_message(methods, messages, args.repeat)
    big = big_message()
    big_times = {name: per_call(m, big, 1 if "flufl" in name else 3) for name, m in methods.items()}
    base = statistics.fmean(times["stdlib headersonly"])
    mp = statistics.fmean(times.get("mailparser.parse_from_bytes", times["stdlib headersonly"]))
    print(
        f"{'method':<42}{'mean µs':>10}{'median µs':>11}{'msg/s':>9}{'×hdr-only':>11}"
        f"{'×mailparser':>13}{'2 MB µs':>11}"
    )
    for name, values in times.items():
        mean = statistics.fmean(values)
        print(
            f"{name:<42}{mean * 1e6:>10.0f}{statistics.median(values) * 1e6:>11.0f}"
            f"{1 / mean:>9.0f}{mean / base:>11.2f}{mean / mp:>13.3f}{big_times[name] * 1e6:>11.0f}"
        )
    print_targets(times, messages)
    median = statistics.median(times["loopguard.classify"])
    worst = big_times["loopguard.classify"]
    print(
        f"\nclassify: 2 MB message {worst * 1e6:.0f} µs = {worst / median:.1f}× the corpus median"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
