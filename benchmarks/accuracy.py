"""Accuracy report over a labelled folder (default $LOOPGUARD_CORPUS, else ../shared/corpus).

Prints per-category precision and recall, human mail wrongly flagged, bounce recipient
coverage, the reliability table (confidence bucket -> share right: a host may rely on a
threshold only if the share matches), the confusion matrix, per-language figures and every
miss; ``--json`` prints the same as one JSON object. The folder holds ``labels.jsonl``
(``file``, ``label``, optional ``lang``) or, like the fixture folders, ``expected.jsonl``
(``file``, ``category``, optional ``lang``).
Usage: ``python benchmarks/accuracy.py [FOLDER] [--json] [--no-text] [--headers-only]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import loopguard
from loopguard.classifier.rules.body import BODY_RULES

DEFAULT_CORPUS = Path(
    os.environ.get("LOOPGUARD_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
CATEGORIES = [c.value for c in loopguard.Category]
#: Lower edges of the reliability table's confidence buckets.
BUCKETS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
#: The threshold the issue's calibration promise is about.
RELIED_ON = 0.9


@dataclass
class Report:
    """Confusion counts, reliability, languages and misses of one run."""

    total: int = 0
    errors: list[str] = field(default_factory=list)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)
    bounces_naming: int = 0
    bounces_found: int = 0
    buckets: Counter[tuple[float, bool]] = field(default_factory=Counter)
    languages: Counter[tuple[str, bool]] = field(default_factory=Counter)

    def recall(self, label: str) -> float:
        total = sum(n for (want, _), n in self.confusion.items() if want == label)
        return self.confusion[(label, label)] / total if total else float("nan")

    def precision(self, label: str) -> float:
        total = sum(n for (_, got), n in self.confusion.items() if got == label)
        return self.confusion[(label, label)] / total if total else float("nan")

    def support(self, label: str) -> int:
        return sum(n for (want, _), n in self.confusion.items() if want == label)

    def bucket(self, low: float) -> tuple[int, int]:
        """(right, total) of the verdicts whose confidence falls in the bucket at ``low``."""
        return self.buckets[(low, True)], self.buckets[(low, True)] + self.buckets[(low, False)]

    def relied_on(self) -> tuple[int, int]:
        """(right, total) of the verdicts at :data:`RELIED_ON` or more."""
        pairs = [self.bucket(low) for low in BUCKETS if low >= RELIED_ON]
        return sum(right for right, _ in pairs), sum(total for _, total in pairs)

    def record(self, label: str, got: str, confidence: float, lang: str) -> None:
        right = got == label
        self.confusion[(label, got)] += 1
        self.buckets[(max(low for low in BUCKETS if confidence >= low), right)] += 1
        self.languages[(lang, right)] += 1


def load_labels(folder: Path) -> list[dict[str, str]]:
    """Rows of labels.jsonl (or expected.jsonl), without the disputed ones of uncertain.jsonl."""
    path = folder / "labels.jsonl"
    if not path.exists():
        path = folder / "expected.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        row.setdefault("label", row.get("category", ""))
    return [row for row in rows if row.get("label") in CATEGORIES]


def names_recipients(raw: bytes) -> bool:
    """Whether a bounce states a failed recipient in a form people can read."""
    lowered = raw.lower()
    return b"final-recipient" in lowered or b"@" in raw.split(b"\n\n", 1)[-1]


def run(folder: Path, classifier: loopguard.Classifier | None = None) -> Report:
    """Classify every labelled message of ``folder`` and count hits and misses."""
    classify = (classifier or loopguard.Classifier()).classify
    report = Report()
    for row in load_labels(folder):
        raw = (folder / row["file"]).read_bytes()
        report.total += 1
        try:
            verdict = classify(raw)
        except Exception as exc:  # the report must show, not hide, an exception
            report.errors.append(f"{row['file']}: {type(exc).__name__}: {exc}")
            continue
        got = verdict.category.value
        report.record(row["label"], got, verdict.confidence, row.get("lang") or "?")
        if got != row["label"]:
            top = str(verdict.reasons[0]) if verdict.reasons else "(no evidence)"
            report.misses.append((row["file"], row["label"], got, top))
        if row["label"] == "bounce" and names_recipients(raw):
            report.bounces_naming += 1
            if verdict.bounce is not None and verdict.bounce.recipients:
                report.bounces_found += 1
    return report


def print_report(report: Report) -> None:
    print(f"messages: {report.total}   exceptions: {len(report.errors)}")
    print(f"{'category':<16}{'support':>8}{'recall':>9}{'precision':>11}")
    for label in CATEGORIES:
        print(
            f"{label:<16}{report.support(label):>8}{report.recall(label):>9.1%}"
            f"{report.precision(label):>11.1%}"
        )
    humans = report.support("human")
    flagged = humans - report.confusion[("human", "human")]
    print(f"human mail wrongly flagged: {flagged}/{humans}")
    if report.bounces_naming:
        share = report.bounces_found / report.bounces_naming
        print(
            f"bounces with failed recipients found: {report.bounces_found}/"
            f"{report.bounces_naming} ({share:.1%})"
        )
    print_reliability(report)
    print_confusion(report)
    print_languages(report)
    for error in report.errors:
        print("EXCEPTION", error)
    for file, want, got, top in report.misses:
        print(f"MISS {want:>14} -> {got:<14} {file}   [{top}]")


def print_reliability(report: Report) -> None:
    print("\nreliability (confidence -> share right):")
    edges = [*BUCKETS[1:], 1.0]
    for low, high in zip(BUCKETS, edges, strict=True):
        right, total = report.bucket(low)
        share = f"{right / total:7.1%}" if total else "      -"
        print(f"  [{low:.2f}, {high:.2f}{']' if high == 1.0 else ')'}  {total:>5}  {share}")
    right, total = report.relied_on()
    share = f"{right / total:.1%}" if total else "-"
    print(f"  at >= {RELIED_ON:.2f}: {right}/{total} right ({share})")


def print_confusion(report: Report) -> None:
    short = {label: label[:8] for label in CATEGORIES}
    print("\nconfusion (rows: label, columns: verdict):")
    print(" " * 16 + "".join(f"{short[label]:>9}" for label in CATEGORIES))
    for want in CATEGORIES:
        if report.support(want):
            cells = "".join(f"{report.confusion[(want, got)]:>9}" for got in CATEGORIES)
            print(f"  {want:<14}{cells}")


def print_languages(report: Report) -> None:
    print("\nlanguages (messages, right):")
    for lang in sorted({lang for lang, _ in report.languages}):
        right, wrong = report.languages[(lang, True)], report.languages[(lang, False)]
        print(f"  {lang:<6}{right + wrong:>6}{right / (right + wrong):>8.1%}")


def report_json(report: Report) -> dict[str, object]:
    """The report as plain data for ``--json``; a ratio with nothing to count is null."""

    def ratio(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 4)

    right, total = report.relied_on()
    return {
        "messages": report.total,
        "exceptions": report.errors,
        "categories": {
            label: {
                "support": report.support(label),
                "recall": ratio(report.recall(label)),
                "precision": ratio(report.precision(label)),
            }
            for label in CATEGORIES
        },
        "human_wrongly_flagged": report.support("human") - report.confusion[("human", "human")],
        "bounces_naming_recipients": report.bounces_naming,
        "bounces_recipients_found": report.bounces_found,
        "reliability": [
            {"from": low, "messages": report.bucket(low)[1], "right": report.bucket(low)[0]}
            for low in BUCKETS
        ],
        "relied_on": {"threshold": RELIED_ON, "messages": total, "right": right},
        "confusion": {
            want: {got: report.confusion[(want, got)] for got in CATEGORIES}
            for want in CATEGORIES
            if report.support(want)
        },
        "languages": {
            lang: {
                "messages": report.languages[(lang, True)] + report.languages[(lang, False)],
                "right": report.languages[(lang, True)],
            }
            for lang in sorted({lang for lang, _ in report.languages})
        },
        "misses": [
            {"file": file, "label": want, "got": got, "top_reason": top}
            for file, want, got, top in report.misses
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--no-text", action="store_true", help="without the out-of-office text heuristics"
    )
    parser.add_argument(
        "--headers-only", action="store_true", help="headers and subject only, no body step"
    )
    parser.add_argument("--json", action="store_true", help="the report as one JSON object")
    args = parser.parse_args(argv)
    if not any((args.folder / name).exists() for name in ("labels.jsonl", "expected.jsonl")):
        print(f"no labels.jsonl or expected.jsonl in {args.folder}", file=sys.stderr)
        return 2
    classifier = loopguard.Classifier(
        body_rules=() if args.headers_only else BODY_RULES,
        text_heuristics=not (args.no_text or args.headers_only),
    )
    report = run(args.folder, classifier)
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
