"""What ``loopguard tune`` prints: the candidates' table, the loops it found, and the
recommended ladder as a config file that :func:`loopguard.load_config` reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from loopguard.cli.console import printable, utc
from loopguard.cli.tuning import LOOP_MIN_MESSAGES, PairTrace, Score, Tuning

__all__ = [
    "TABLE_HEADER",
    "counted",
    "duration",
    "pair_label",
    "policy_toml",
    "print_loops",
    "print_table",
    "score_summary",
    "table_cells",
    "tuning_summary",
]

#: The column titles of the table (the HTML report shows the same).
TABLE_HEADER = (
    "CANDIDATE",
    "LOOPS CUT",
    "ANSWERS INTO LOOPS",
    "SLOWEST CUT",
    "HUMANS TOUCHED",
    "AT 2x TRAFFIC",
    "LIMITS",
)


def duration(seconds: float) -> str:
    """``5m51s``, ``2h10m``, ``3d4h``: two units at most."""
    whole = round(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size or (unit == "s" and not parts):
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts[:2])


def counted(count: int, noun: str) -> str:
    """``1 loop``, ``2 loops``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def pair_label(trace: PairTrace) -> str:
    """``sender -> recipient`` as the replay report writes it."""
    return f"{trace.sender or '<>'} -> {trace.recipient or '?'}"


def tuning_summary(tuning: Tuning) -> str:
    """One line: how much mail, over what time, how many loops and conversations."""
    span = ""
    if tuning.first is not None and tuning.last is not None:
        span = f", {utc(tuning.first)} to {utc(tuning.last)} UTC"
    return (
        f"Tuned on {counted(tuning.messages, 'message')}{span}: "
        f"{counted(len(tuning.pairs), 'pair')}, {counted(len(tuning.loops()), 'loop')}, "
        f"{counted(len(tuning.conversations()), 'human conversation')}"
    )


def score_summary(score: Score) -> str:
    """What a candidate does, in words."""
    cut = f"cuts {score.loops_cut} of {counted(score.loops, 'loop')}"
    if score.loops_cut:
        cut += f" after at most {score.latest_cut_answers} answers"
    return (
        f"{cut}; touches {score.touched} of "
        f"{counted(score.conversations, 'human conversation')}, "
        f"{score.touched_at_double} if people wrote twice as much"
    )


def table_cells(score: Score) -> tuple[str, str, str, str, str, str, str]:
    """A candidate's row: name, loops cut, answers into loops, slowest cut, humans touched
    (as it is and at twice the traffic), limits."""
    slowest = "-"
    if score.loops_cut:
        slowest = f"{score.latest_cut_answers} in {duration(score.latest_cut_seconds)}"
    return (
        score.candidate.name,
        f"{score.loops_cut}/{score.loops}",
        str(score.answers_into_loops),
        slowest,
        f"{score.touched}/{score.conversations}",
        f"{score.touched_at_double}/{score.conversations}",
        score.candidate.brief(),
    )


def print_table(scores: Sequence[Score], out: TextIO) -> None:
    """One row per candidate; the answers before the slowest cut, and how long it took."""
    for cells in [TABLE_HEADER, *map(table_cells, scores)]:
        name, cut, answers, slowest, touched, doubled, limits = cells
        print(
            f"{name:<13} {cut:>9}  {answers:>18}  {slowest:<12} {touched:>14}  {doubled:>13}  "
            f"{limits}",
            file=out,
        )


def print_loops(tuning: Tuning, top: int, out: TextIO) -> None:
    """The loops with the most messages, and what made each one a loop."""
    loops = sorted(tuning.loops(), key=lambda trace: (-len(trace.times), pair_label(trace)))
    if not loops:
        return
    print(
        f"\nLoops (pairs of {LOOP_MIN_MESSAGES}+ messages, mostly automated or "
        f"{tuning.loop_rate}+ in one hour):",
        file=out,
    )
    for trace in loops[:top]:
        why = f"{trace.busiest_hour()} in its busiest hour"
        if trace.automated_share > 0.5:
            why = f"{trace.automated_share:.0%} automated"
        print(f"  {len(trace.times):>6} messages, {why}  {printable(pair_label(trace))}", file=out)


def policy_toml(score: Score, tuning: Tuning, sources: Sequence[str], own: Sequence[str]) -> str:
    """The recommended ladder as a TOML config file for :func:`loopguard.load_config`."""
    comments = [
        f"loopguard tune: the recommended limits for {', '.join(sources)}",
        f"{tuning_summary(tuning)}.",
        f'Ladder "{score.candidate.name}": {score_summary(score)}.',
        "Load it with loopguard.Guard.from_config(path) or loopguard.load_config(path).",
    ]
    lines = [f"# {printable(comment)}" for comment in comments]
    lines += ["limits = [", *(f"    {_toml_string(s)}," for s in score.candidate.specs()), "]"]
    if own:
        lines.append(f"own_addresses = [{', '.join(_toml_string(address) for address in own)}]")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
