"""Issue 12's promises, measured by the scenario lab's fast subset (benchmarks/scenariolab/).

Every loop is cut at or below the first rung of the default ladder (<= 10 acknowledgements
in the day) and every person is answered. Every loop runs twice: against the stock guard,
and against one whose classifier reads headers only (``NAME/headers-only``), where the
unmarked responder passes for a person and only the guard's own defences can cut it.
Promises are the issue's, never softened.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from scripts import load_package

import loopguard

LAB = load_package("benchmarks/scenariolab")

#: The issue's table, row by row, and its combinations: all must run in CI.
ISSUE_ROWS = (
    "responder-verp",
    "responder-plus-tag",
    "responder-combined",
    "recipient-omitted",
    "mail-bomb",
    "dispatching-16-memory",
    "dispatching-16-sqlite",
    "reply-to-own-address",
    "two-desks",
    "forged-dsn",
    "forged-dsn-stamped",
    "forged-references",
    "prefilled-freemail",
    "contact-form",
    "list-alias",
    "long-threads",
    "customer-30-a-day",
    "company-200-employees",
)
#: The loops whose unmarked responder the stock classifier recognises: without it, the
#: guard's identity model, ladder and reservation must cut them all the same.
BLIND_ROWS = tuple(
    f"{name}{LAB.BLIND}" for name in ISSUE_ROWS if LAB.SCENARIOS[name].kind == "loop"
)


@pytest.fixture(scope="module")
def rows() -> dict[str, Any]:
    """The fast subset, run once; a loop stops as soon as it has broken its promise."""
    return {row.name: row for row in LAB.run(LAB.fast_names(), stop_early=True)}


def test_the_fast_subset_holds_every_row_of_the_issue() -> None:
    assert set(ISSUE_ROWS) | set(BLIND_ROWS) <= set(LAB.fast_names())
    assert "responder-verp/headers-only" in BLIND_ROWS


def test_no_scenario_crashes(rows: dict[str, Any]) -> None:
    # An xfail would swallow a crash, so the lab itself is checked apart from the promises.
    crashed = {name: row.note for name, row in rows.items() if row.measured.startswith("error")}
    assert crashed == {}


def scenario_params() -> list[Any]:
    """Every fast row; a known-broken one must fail (strict xfail: a fix shows up)."""
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=LAB.KNOWN_BROKEN[name]))
        if name in LAB.KNOWN_BROKEN
        else name
        for name in LAB.fast_names()
    ]


@pytest.mark.parametrize("name", scenario_params())
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


def test_without_the_classifier_the_rate_ladder_and_reservation_cut_the_loops(
    rows: dict[str, Any],
) -> None:
    assert "cut by rate-limit" in rows["responder-verp/headers-only"].note
    assert rows["dispatching-16-memory/headers-only"].value == 5  # exactly check()'s 5


def test_known_broken_rows_exist_and_show_as_known(rows: dict[str, Any]) -> None:
    assert set(LAB.KNOWN_BROKEN) <= set(LAB.SCENARIOS)
    assert not set(LAB.KNOWN_BROKEN) & (set(ISSUE_ROWS) | set(BLIND_ROWS))  # never soften
    listed = [rows[name] for name in LAB.KNOWN_BROKEN if name in rows]
    assert listed
    assert {LAB.verdict(row) for row in listed} == {"BROKEN (known)"}


def test_a_missing_feature_is_a_failed_row_not_a_crash() -> None:
    def needs_a_new_keyword() -> Any:
        return LAB.new_api(lambda: loopguard.Policy(no_such_option=True))

    scenario = LAB.Scenario("needs-new-api", "human", True, lambda _stop: needs_a_new_keyword())
    row = LAB.run_scenario(scenario)
    assert row.measured == "n/a (feature missing)"
    assert row.passed is False
    assert row.promise == "100%"
