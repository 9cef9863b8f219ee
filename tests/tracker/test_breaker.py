"""The fail-fast breaker the Redis and SQLite stores share."""

from __future__ import annotations

import pytest

from loopguard.errors import ConfigurationError, StoreError
from loopguard.stores.breaker import Breaker, seconds_option
from loopguard.testing import FakeClock


def test_the_breaker_opens_for_its_cooldown_only() -> None:
    clock = FakeClock(100.0)
    breaker = Breaker(2.0, "Test store", clock=clock)
    breaker.check()
    breaker.record(timed_out=True)
    with pytest.raises(StoreError, match=r"Test store skipped: a call timed out 0\.0 s ago"):
        breaker.check()
    clock.advance(1.99)
    with pytest.raises(StoreError, match="skipped"):
        breaker.check()
    clock.advance(0.01)
    breaker.check()  # half open: the next call tries the store
    breaker.record(timed_out=True)  # still stuck: open again for a whole cooldown
    with pytest.raises(StoreError, match="skipped"):
        breaker.check()
    clock.advance(2.0)
    breaker.record(timed_out=False)
    breaker.check()


def test_other_failures_do_not_open_it() -> None:
    breaker = Breaker(2.0, "Test store", clock=FakeClock(0.0))
    breaker.record(timed_out=False)
    breaker.check()


def test_a_zero_cooldown_never_fails_fast() -> None:
    breaker = Breaker(0.0, "Test store", clock=FakeClock(0.0))
    breaker.record(timed_out=True)
    breaker.check()


@pytest.mark.parametrize("cooldown", [-1.0, float("inf"), float("nan")])
def test_bad_cooldowns_are_configuration_errors(cooldown: float) -> None:
    with pytest.raises(ConfigurationError, match="cooldown"):
        Breaker(cooldown, "Test store")


def test_seconds_options() -> None:
    assert seconds_option("0.25", "timeout", "x://") == 0.25
    assert seconds_option("0", "cooldown", "x://") == 0.0
    for bad in ("x", "-1", "inf", "nan", ""):
        with pytest.raises(ConfigurationError, match="cooldown must be a number of seconds"):
            seconds_option(bad, "cooldown", "x://")
    with pytest.raises(ConfigurationError, match="timeout"):
        seconds_option("0", "timeout", "x://", zero=False)
