"""The HTML page of ``loopguard tune --report``: the candidates' figures and, per busiest
pair, a timeline of its messages with the moment each candidate would have cut it.

One self-contained file: inline CSS and SVG, no script, nothing fetched from a network.
The markup is well-formed XML as well as HTML, so any XML parser reads it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from html import escape
from typing import Final

from loopguard import Category
from loopguard.cli.console import utc
from loopguard.cli.tune_text import (
    TABLE_HEADER,
    pair_label,
    score_summary,
    table_cells,
    tuning_summary,
)
from loopguard.cli.tuning import LOOP_MIN_MESSAGES, Outcome, PairTrace, Score, Tuning

__all__ = ["render_report", "timeline_svg"]

_COLORS: Final = {
    Category.HUMAN: "#2b6cb0",
    Category.AUTO_REPLY: "#dd6b20",
    Category.AUTO_GENERATED: "#805ad5",
    Category.BOUNCE: "#c53030",
    Category.BULK: "#718096",
    Category.RECEIPT: "#2f855a",
}
_WIDTH: Final = 880
_HEIGHT: Final = 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 30, 34
_MAX_MARKS: Final = 1000  # a timeline of 50,000 messages shows one in 50
_STYLE: Final = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #1a202c; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e2e8f0; text-align: right; }
th:first-child, td:first-child, td.limits { text-align: left; }
tr.recommended { background: #fefcbf; font-weight: 600; }
pre { background: #f7fafc; padding: 1em; overflow-x: auto; }
.legend span { margin-right: 1.2em; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
svg text { font: 11px system-ui, sans-serif; fill: #4a5568; }
"""


def render_report(
    tuning: Tuning, scores: Sequence[Score], best: Score, policy: str, *, top: int
) -> str:
    """The whole page: summary, candidates' table, recommended config, busiest pairs."""
    title = "loopguard tune"
    body = [
        f"<h1>{title}</h1>",
        f"<p>{escape(tuning_summary(tuning))}.</p>",
        f"<p>A loop is a pair of {LOOP_MIN_MESSAGES} or more messages, mostly classified "
        f"automated or {tuning.loop_rate} or more in one hour. A candidate touches a human "
        "conversation when one of its rate limits suppresses a message a person wrote.</p>",
        "<h2>Candidates</h2>",
        _table(scores, best),
        f"<h2>Recommended: {escape(best.candidate.name)}</h2>",
        f"<p>{escape(score_summary(best))}.</p>",
        f"<pre>{escape(policy)}</pre>",
        "<h2>Busiest pairs</h2>",
        _legend(),
        *(_pair_section(trace, tuning, scores) for trace in tuning.busiest(top)),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en" xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        f'<meta charset="utf-8"/>\n<title>{title}</title>\n<style>{_STYLE}</style>\n'
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _table(scores: Sequence[Score], best: Score) -> str:
    header = "".join(f"<th>{escape(title.lower())}</th>" for title in TABLE_HEADER)
    rows = [f"<tr>{header}<th>people's messages suppressed</th></tr>"]
    for score in scores:
        *figures, limits = table_cells(score)
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in figures)
        cells += f'<td class="limits">{escape(limits)}</td><td>{score.people_suppressed}</td>'
        marked = ' class="recommended"' if score is best else ""
        rows.append(f"<tr{marked}>{cells}</tr>")
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _legend() -> str:
    items = "".join(
        f'<span><span class="swatch" style="background:{color}"></span>{category.value}</span>'
        for category, color in _COLORS.items()
    )
    return (
        f'<p class="legend">{items}<span>dashed line: where a candidate first suppressed</span></p>'
    )


def _pair_section(trace: PairTrace, tuning: Tuning, scores: Sequence[Score]) -> str:
    kind = "loop" if trace.loop else "human conversation" if trace.human else "machine mail"
    outcomes = [(s.candidate.name, tuning.outcome(trace, s.candidate.limits)) for s in scores]
    cuts = _cuts(outcomes)
    key = "".join(f"<li>{utc(when)} UTC: {escape(', '.join(names))}</li>" for when, names in cuts)
    never = [name for name, outcome in outcomes if outcome.cut_at is None]
    if never:
        key += f"<li>never: {escape(', '.join(never))}</li>"
    return (
        f"<section>\n<h3>{escape(pair_label(trace))}</h3>\n"
        f"<p>{len(trace.times)} messages, {trace.busiest_hour()} in its busiest hour: "
        f"{kind}.</p>\n{timeline_svg(trace, [when for when, _ in cuts])}\n"
        f"<p>First suppression (numbered as in the timeline), by candidate and rule:</p>\n"
        f"<ol>{key}</ol>\n</section>"
    )


def _cuts(outcomes: Sequence[tuple[str, Outcome]]) -> list[tuple[float, list[str]]]:
    """The moments candidates first suppressed, in time order, with who and by which rule."""
    by_time: dict[float, list[str]] = defaultdict(list)
    for name, outcome in outcomes:
        if outcome.cut_at is not None:
            by_time[outcome.cut_at].append(f"{name} ({outcome.cut_rule})")
    return sorted(by_time.items())


def timeline_svg(trace: PairTrace, cuts: Sequence[float]) -> str:
    """Messages over time (cumulative count, one mark per message colored by category) and
    a numbered dashed line at each of the ``cuts`` (times)."""
    start, end = trace.times[0], trace.times[-1]
    if end - start < 60:
        start, end = start - 60, end + 60
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    total = len(trace.times)

    def x(when: float) -> float:
        return _LEFT + (when - start) / (end - start) * plot_w

    def y(count: int) -> float:
        return _TOP + plot_h - count / total * plot_h

    step = math.ceil(total / _MAX_MARKS)
    shown = range(0, total, step)
    path = " ".join(f"{x(trace.times[i]):.1f},{y(i + 1):.1f}" for i in shown)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img">',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_WIDTH - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="#a0aec0"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end">{total}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" text-anchor="end">0</text>',
        f'<text x="{_LEFT}" y="{_HEIGHT - 10}">{utc(start)} UTC</text>',
        f'<text x="{_WIDTH - _RIGHT}" y="{_HEIGHT - 10}" text-anchor="end">{utc(end)} UTC</text>',
        f'<polyline points="{path}" fill="none" stroke="#cbd5e0"/>',
        *_cut_lines(cuts, x, plot_h),
        *(_mark(trace, i, x(trace.times[i]), y(i + 1)) for i in shown),
        "</svg>",
    ]
    return "\n".join(parts)


def _mark(trace: PairTrace, index: int, cx: float, cy: float) -> str:
    category = trace.categories[index]
    color = _COLORS.get(category, "#000000")
    tip = f"{utc(trace.times[index])} UTC, {category.value}"
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{color}"><title>{tip}</title></circle>'


def _cut_lines(cuts: Sequence[float], x: Callable[[float], float], plot_h: float) -> list[str]:
    lines: list[str] = []
    previous, raised = -math.inf, False
    for number, when in enumerate(cuts, start=1):
        at = x(when)
        raised = at - previous < 14 and not raised  # numbers of close lines take turns
        previous = at
        lines += [
            f'<line x1="{at:.1f}" y1="{_TOP}" x2="{at:.1f}" y2="{_TOP + plot_h}" '
            'stroke="#e53e3e" stroke-dasharray="4 3"/>',
            f'<text x="{at:.1f}" y="{_TOP - 5 - 12 * raised}" text-anchor="middle">{number}</text>',
        ]
    return lines
