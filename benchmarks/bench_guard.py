"""Decisions per second of Guard.check over the corpus, and its overhead over classify.

Each pass runs every corpus message through ``classify`` alone and through a fresh
``Guard.check`` (memory store, default limits, a secret, loop tokens on, a fake clock one
second per message), interleaved so that machine noise hits both alike. The overhead is
what the guard adds per message: the loop-token search, the content digest, the bounce
memory and rate-limit store calls, logging and metrics.
Usage: ``python benchmarks/bench_guard.py [FOLDER] [--passes N]``; FOLDER defaults to
../shared/corpus (or $LOOPGUARD_CORPUS) and falls back to tests/fixtures/core.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

from loopguard.classifier.pipeline import Classifier
from loopguard.guard import Guard
from loopguard.mail.view import MessageView
from loopguard.stores.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("LOOPGUARD_CORPUS", ROOT.parent / "shared" / "corpus"))
FIXTURES = ROOT / "tests" / "fixtures" / "core"
RECIPIENT = "help@example.org"


def load(folder: Path) -> list[bytes]:
    """Every message of a corpus folder (labels.jsonl) or of a tree of .eml files."""
    labels = folder / "labels.jsonl"
    if labels.exists():
        rows = [json.loads(line) for line in labels.read_text().splitlines() if line.strip()]
        return [(folder / row["file"]).read_bytes() for row in rows]
    return [path.read_bytes() for path in sorted(folder.rglob("*.eml"))]


class SecondPerReading:
    """A clock one second later at each reading, so that the windows move as they would
    in real traffic."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def one_pass(messages: list[bytes], classifier: Classifier) -> tuple[float, float, list[str]]:
    """Seconds for classify alone and for Guard.check over all messages, and the actions."""
    guard = Guard(
        store=MemoryStore(),
        own_addresses=[RECIPIENT],
        secret=b"benchmark secret",
        clock=SecondPerReading(),
        classifier=classifier,
        metrics=lambda action, reasons: None,
    )
    classify_time = 0.0
    check_time = 0.0
    actions = []
    for raw in messages:
        started = time.perf_counter()
        classifier.classify_view(MessageView.from_bytes(raw))
        classify_time += time.perf_counter() - started
        started = time.perf_counter()
        decision = guard.check(raw, recipient=RECIPIENT, trigger="acknowledge")
        check_time += time.perf_counter() - started
        actions.append(decision.rule or decision.action.value)
    return classify_time, check_time, actions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args(argv)
    folder = args.folder or (DEFAULT_CORPUS if DEFAULT_CORPUS.exists() else FIXTURES)
    messages = load(folder)
    logging.disable(logging.CRITICAL)  # flufl.bounce logs a traceback per failing detector
    classifier = Classifier()
    one_pass(messages[:20], classifier)  # warm caches (patterns, key derivation)
    results = [one_pass(messages, classifier) for _ in range(args.passes)]
    classify_best = min(r[0] for r in results)
    check_best = min(r[1] for r in results)
    count = len(messages)
    print(f"{count} messages from {folder}; best of {args.passes} passes\n")
    print(f"{'':<28}{'total ms':>10}{'µs/msg':>10}{'msg/s':>10}")
    for name, seconds in (("classify alone", classify_best), ("Guard.check", check_best)):
        per_message = seconds / count * 1e6
        print(f"{name:<28}{seconds * 1e3:>10.1f}{per_message:>10.0f}{count / seconds:>10.0f}")
    overhead = (check_best - classify_best) / count
    print(
        f"\nguard overhead: {overhead * 1e6:.0f} µs/msg "
        f"({check_best / classify_best - 1:+.0%} over classify alone)"
    )
    medians = statistics.median(r[1] / r[0] for r in results)
    print(f"median ratio check/classify over passes: {medians:.2f}")
    tally = collections.Counter(results[0][2])
    print("decisions:", ", ".join(f"{rule} {n}" for rule, n in tally.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
