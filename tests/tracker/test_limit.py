from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopguard.errors import ConfigurationError
from loopguard.rate.ladder import LimitLadder
from loopguard.rate.tracker import DEFAULT_LIMITS, Limit, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("10m", 600.0),
        ("1h", 3600.0),
        ("1d", 86400.0),
        ("45", 45.0),
        (" 1.5h ", 5400.0),
        ("2H", 7200.0),
        (30, 30.0),
        (0.5, 0.5),
    ],
)
def test_durations_parse_to_seconds(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "bad", ["", "m", "10w", "-5m", "0s", "1e3", "10 minutes", "nan", 0, -1.0, float("inf"), True]
)
def test_bad_durations_are_configuration_errors(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        parse_duration(bad)  # type: ignore[arg-type]


@given(st.text(max_size=200))
def test_duration_parsing_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(ConfigurationError):
        assert parse_duration(text) > 0


def test_limit_normalizes_its_window_and_defaults_to_pairs() -> None:
    limit = Limit(5, "10m")
    assert (limit.count, limit.per, limit.key) == (5, 600.0, "pair")
    assert limit == Limit(5, 600)
    assert str(Limit(2, "1d", "thread")) == "2 per 86400s by thread"


@pytest.mark.parametrize(
    ("count", "per", "key"),
    [
        (0, "1m", "pair"),
        (-1, "1m", "pair"),
        (1.5, "1m", "pair"),
        (True, "1m", "pair"),
        (1, "1m", "ticket"),
        (1, "soon", "pair"),
    ],
)
def test_bad_limits_fail_at_construction(count: object, per: object, key: object) -> None:
    with pytest.raises(ConfigurationError):
        Limit(count, per, key)  # type: ignore[arg-type]


def test_a_ladder_needs_distinct_limits() -> None:
    with pytest.raises(ConfigurationError, match="at least one"):
        LimitLadder([])
    with pytest.raises(ConfigurationError, match="duplicate"):
        LimitLadder([Limit(1, "1m"), Limit(1, 60)])
    with pytest.raises(ConfigurationError, match="Limit instances"):
        LimitLadder(["5/10m"])  # type: ignore[list-item]


def test_a_ladder_keeps_the_largest_count_and_window_per_scope() -> None:
    ladder = LimitLadder(DEFAULT_LIMITS)
    shape = {p.scope: (p.window, p.keep) for p in ladder.scopes}
    assert shape == {
        "pair": (86400.0, 40),
        "thread": (36000.0, 100),
        "domain": (3600.0, 120),
        "answers": (3600.0, 30),
    }
