"""Issue 12's promises, measured by the scenario lab's fast subset (benchmarks/scenarios.py).

Every loop is cut at or below the first rung of the default ladder (<= 10 acknowledgements
in the day) and every person is answered. Rows the guard does not keep yet are strict
xfails carrying today's figure: the change that keeps one makes its test XPASS, which
fails the run until the mark is removed. Promises are the issue's, never softened.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from scripts import load_script

LAB = load_script("benchmarks/scenarios.py")

#: The rows that fail today, with what the full run measures (benchmarks/scenarios.py).
TODAY = {
    "mail-bomb": "600/600 answered; 5 if the victim had written them",
    "forged-dsn": "the customer is suppressed (bounced-recipient): 1 of 4 answered",
    "forged-dsn-stamped": "the victim is suppressed (bounced-recipient): 1 of 4 answered",
    "forged-references": "the customer's next reply is rate-limited (10 per 10m by thread)",
    "prefilled-freemail": "3 of 15 answered (repeated-content per sender domain)",
    "contact-form": "0 of 60 visitors answered (own-address)",
    "list-alias": "Policy(own_list_ids=...) does not exist; every customer is bulk",
}
#: The issue's table, row by row, and its combinations: all must run in CI.
ISSUE_ROWS = (
    *TODAY,
    # Kept since issue 13: the case system's unmarked acknowledgements are auto-replies.
    "responder-verp",
    "responder-plus-tag",
    "responder-combined",
    "recipient-omitted",
    "dispatching-16-memory",
    "dispatching-16-sqlite",
    "reply-to-own-address",
    "two-desks",
    "long-threads",
    "customer-30-a-day",
    "company-200-employees",
)


@pytest.fixture(scope="module")
def rows() -> dict[str, Any]:
    """The fast subset, run once; a loop stops as soon as it has broken its promise."""
    return {row.name: row for row in LAB.run(LAB.fast_names(), stop_early=True)}


def test_the_fast_subset_holds_every_row_of_the_issue() -> None:
    assert set(ISSUE_ROWS) <= set(LAB.fast_names())
    assert set(TODAY) <= set(LAB.SCENARIOS)


def test_no_scenario_crashes(rows: dict[str, Any]) -> None:
    # An xfail would swallow a crash, so the lab itself is checked apart from the promises.
    crashed = {name: row.note for name, row in rows.items() if row.measured.startswith("error")}
    assert crashed == {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name, marks=pytest.mark.xfail(strict=True, reason=f"issue 12: today {TODAY[name]}")
        )
        if name in TODAY
        else name
        for name in LAB.fast_names()
    ],
)
def test_promise(rows: dict[str, Any], name: str) -> None:
    row = rows[name]
    assert row.passed, f"{name}: {row.measured}, promised {row.promise} ({row.note})"


def test_the_script_prints_one_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert LAB.main(["--only", "two-desks", "--only", "reply-to-own-address"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["scenario", "kind", "measured", "promise", "result"]
    assert [line.split()[0] for line in lines[1:3]] == ["two-desks", "reply-to-own-address"]
    assert LAB.main(["--only", "two-desks", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["name"] == "two-desks"
    assert row["kind"] == "loop"
    assert row["passed"] is True


def test_a_missing_feature_is_a_failed_row_not_a_crash() -> None:
    def needs_a_new_keyword() -> Any:
        return LAB.new_api(lambda: LAB.loopguard.Policy(no_such_option=True))

    scenario = LAB.Scenario("needs-new-api", "human", True, lambda _stop: needs_a_new_keyword())
    row = LAB.run_scenario(scenario)
    assert row.measured == "n/a (feature missing)"
    assert row.passed is False
    assert row.promise == "100%"
