"""The table and the command line: run the chosen scenarios, print one aligned table (or
JSON), exit non-zero when a scenario crashed."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict

from . import __doc__ as lab_description  # what the lab measures: the --help text
from .core import KNOWN_BROKEN, SCENARIOS, Row, fast_names, run_scenario


def run(names: Iterable[str], *, stop_early: bool = False) -> list[Row]:
    return [run_scenario(SCENARIOS[name], stop_early=stop_early) for name in names]


def table(rows: Sequence[Row]) -> str:
    """One aligned table: scenario, kind, measured, promise, verdict, seconds, what decided."""
    header_row = ("scenario", "kind", "measured", "promise", "result", "s", "note")
    lines = [header_row] + [
        (
            row.name,
            row.kind,
            row.measured,
            row.promise,
            verdict(row),
            f"{row.seconds:.1f}",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header_row))]
    seconds = header_row.index("s")
    rendered = [
        "  ".join(
            cell.rjust(width) if column == seconds else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    kept = sum(row.passed for row in rows)
    known = sum(not row.passed and row.name in KNOWN_BROKEN for row in rows)
    broken_note = f" ({known} known broken)" if known else ""
    return "\n".join([*rendered, "", f"{kept}/{len(rows)} promises kept{broken_note}"])


def verdict(row: Row) -> str:
    """pass, FAIL, or BROKEN (known) for a listed row that fails (a listed row that
    passes says so: take it off the list)."""
    if row.name not in KNOWN_BROKEN:
        return "pass" if row.passed else "FAIL"
    return "pass (listed as broken)" if row.passed else "BROKEN (known)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(lab_description or "").splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="the subset CI runs")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), metavar="NAME")
    parser.add_argument("--json", action="store_true", help="rows as JSON")
    args = parser.parse_args(argv)
    names = args.only or (fast_names() if args.fast else list(SCENARIOS))
    started = time.perf_counter()
    rows = run(names, stop_early=args.fast)
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        print(table(rows))
        print(f"{len(rows)} scenarios in {time.perf_counter() - started:.1f} s")
    # A crashed scenario is a broken lab, not a measurement.
    return 1 if any(row.measured.startswith("error") for row in rows) else 0
