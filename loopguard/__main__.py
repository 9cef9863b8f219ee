"""Command line: ``loopguard FILE...`` (or ``python -m loopguard``) prints each verdict."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from loopguard import __version__
from loopguard.classify import classify

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Classify each file and print one aligned line per message; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="loopguard", description="Classify .eml files: a person, or which kind of machine?"
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".eml files")
    parser.add_argument("--version", action="version", version=f"loopguard {__version__}")
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()
    failed = 0
    width = max(len(str(path)) for path in args.files)
    for path in args.files:
        try:
            verdict = classify(path)
        except OSError as exc:
            print(f"loopguard: {path}: {exc.strerror or exc}", file=sys.stderr)
            failed += 1
            continue
        counts[verdict.category.value] += 1
        top = str(verdict.reasons[0]) if verdict.reasons else "no machine evidence"
        print(f"{path!s:<{width}}  {verdict.category.value:<14} {verdict.confidence:5.2f}  {top}")
    summary = ", ".join(f"{count} {name}" for name, count in counts.most_common())
    print(f"{sum(counts.values())} message(s): {summary or 'none'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
