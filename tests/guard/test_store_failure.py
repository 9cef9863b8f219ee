"""on_store_error: allow (degraded), suppress or raise; always logged; over every store."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard import Action, Guard
from loopguard.guard.policy import Policy
from loopguard.rate.tracker import Limit
from loopguard.stores import Store

from .conftest import (
    BOUNCE,
    HELP,
    REDIS_KINDS,
    SECRET,
    FailingStore,
    FakeClock,
    person,
    redis_url,
)


def test_default_is_allow_degraded_and_logged(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    guard = Guard(own_addresses=[HELP], store=FailingStore(), clock=clock, secret=SECRET)
    with caplog.at_level(logging.WARNING, logger="loopguard.guard"):
        decision = guard.check(person(), recipient=HELP)
    assert decision.action is Action.ALLOW
    assert decision.degraded
    assert "store-error" in [r.rule for r in decision.reasons]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    assert warnings[0].rule == "store-error"  # type: ignore[attr-defined]
    assert "ann@" not in str(warnings[0].__dict__)


def test_stateless_checks_still_work_without_the_store(clock: FakeClock) -> None:
    guard = Guard(own_addresses=[HELP], store=FailingStore(), clock=clock)
    decision = guard.check(person(Auto_Submitted="auto-replied"), recipient=HELP)
    assert decision.rule == "automated"
    assert not decision.degraded  # decided before any store call
    assert guard.check(person(sender=HELP), recipient=HELP).rule == "own-address"


def test_suppress_policy(clock: FakeClock) -> None:
    guard = Guard(store=FailingStore(), clock=clock, on_store_error="suppress")
    decision = guard.check(person(), recipient=HELP)
    assert decision.action is Action.SUPPRESS
    assert decision.rule == "store-error"
    assert decision.degraded


def test_raise_policy(clock: FakeClock) -> None:
    guard = Guard(store=FailingStore(), clock=clock, on_store_error="raise")
    with pytest.raises(StoreError, match="unreachable"):
        guard.check(person(), recipient=HELP)
    with pytest.raises(StoreError):
        guard.record(sender="ann@example.com", recipient=HELP)


def test_record_failure_is_logged_not_raised_by_default(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    guard = Guard(store=FailingStore(), clock=clock)
    with caplog.at_level(logging.WARNING, logger="loopguard.guard"):
        guard.record(sender="ann@example.com", recipient=HELP)
    assert "store failed while recording" in caplog.text


def test_bad_policy_name() -> None:
    with pytest.raises(ConfigurationError, match="on_store_error"):
        Guard(on_store_error="ignore")  # type: ignore[arg-type]


def test_final_notice_store_failure_falls_back_to_suppress(clock: FakeClock) -> None:
    class NoticeFails(FailingStore):
        """Works for two hits (the two rate checks), then fails (the notice's hit)."""

        def __init__(self) -> None:
            super().__init__()
            from loopguard.stores.memory import MemoryStore

            self.inner = MemoryStore()
            self.hits = 0

        def hit(self, touches, *, now):  # type: ignore[no-untyped-def]
            self.hits += 1
            if self.hits > 2:
                raise StoreError("notices down")
            return self.inner.hit(touches, now=now)

        def peek(self, touches, *, now):  # type: ignore[no-untyped-def]
            return self.inner.peek(touches, now=now)

    guard = Guard(
        [Limit(1, "1h")],
        store=NoticeFails(),
        clock=clock,
        policy=Policy(final_notice=True, repeat_limits=()),
    )
    assert guard.check(person(), recipient=HELP).allowed
    decision = guard.check(person(), recipient=HELP)
    assert decision.action is Action.SUPPRESS
    assert decision.degraded
    assert [r.rule for r in decision.reasons] == ["rate-limit", "store-error"]


@pytest.fixture(params=["memory", "sqlite", *REDIS_KINDS])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    kind: str = request.param
    store: Store
    if kind == "memory":
        from loopguard.stores.memory import MemoryStore

        store = MemoryStore()
    elif kind == "sqlite":
        from loopguard.stores.sqlite import SQLiteStore

        store = SQLiteStore(tmp_path / "guard.db")
    else:
        from loopguard.stores.redis import RedisStore

        store = RedisStore.from_url(redis_url(kind, prefix=f"lgguard-{uuid.uuid4().hex[:12]}"))
    yield store
    store.close()


def test_the_guard_works_over_every_store(any_store: Store, clock: FakeClock) -> None:
    guard = Guard(
        [Limit(2, "10m")], store=any_store, own_addresses=[HELP], secret=SECRET, clock=clock
    )
    questions = ["Where is my parcel?", "Can I change the address?", "Is it insured?", "Thanks"]
    bodies = [f"Hello, a question about order 17: {q} Regards, Ann" for q in questions]
    assert guard.check(person(body=bodies[0]), recipient=HELP).allowed
    assert guard.check(person(body=bodies[1]), recipient=HELP).allowed
    assert guard.check(person(body=bodies[2]), recipient=HELP).rule == "rate-limit"
    later = person(sender="gone@example.net", body="Is anybody reading this mailbox at all?")
    assert guard.check(later, recipient=HELP).allowed  # answered: its bounce may teach
    guard.check(BOUNCE, recipient=HELP)
    assert guard.check(later, recipient=HELP).rule == "bounced-recipient"
    clock.advance(600)
    assert guard.check(person(body=bodies[3]), recipient=HELP).allowed
