"""AsyncGuard decides exactly like Guard: same script, same decisions, every store kind."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from loopguard.errors import StoreError
from loopguard.guard import Action, Decision, Guard
from loopguard.guard.aio import AsyncGuard
from loopguard.guard.policy import Policy
from loopguard.rate.tracker import Limit
from loopguard.stores.aio import async_store_from_url, to_async
from loopguard.stores.memory import MemoryStore
from loopguard.stores.sqlite import SQLiteStore

from .conftest import (
    BOUNCE,
    HELP,
    REDIS_KINDS,
    SECRET,
    FailingStore,
    FakeClock,
    acknowledgement,
    person,
    redis_url,
)

LIMITS = [Limit(3, "10m")]
POLICY = Policy(final_notice=True)


def script(ack_guard: Guard) -> list[tuple[bytes, float]]:
    """Messages and the seconds to wait before each: people, loops, a bounce."""
    ack = acknowledgement(ack_guard, person())
    quoted = "\n".join(f"> {line}" for line in ack.get_content().splitlines())
    auto = person(sender="auto@example.net", body=f"Away.\n{quoted}", Auto_Submitted="auto-replied")
    return [
        (person(), 0),
        (person(body="Second question: what about the toner?"), 10),
        (auto, 1),
        (person(sender="gone@example.net", body="Please send me the manual."), 1),
        (BOUNCE, 1),
        (person(sender="gone@example.net", body="Is this mailbox read by anyone?"), 1),
        (person(body="Third question: the paper jams too."), 10),
        (person(body="Fourth question: and the stapler."), 10),
        (person(body="Fifth question: any news at all?"), 10),
        (person(sender=HELP), 1),
        (person(body="Sixth question, much later."), 900),
    ]


def sync_decisions() -> list[Decision]:
    clock = FakeClock()
    guard = Guard(LIMITS, own_addresses=[HELP], secret=SECRET, clock=clock, policy=POLICY)
    decisions = []
    for message, wait in script(guard):
        clock.advance(wait)
        decisions.append(guard.check(message, recipient=HELP))
    return decisions


async def async_decisions(store: object) -> list[Decision]:
    clock = FakeClock()
    sync_twin = Guard(own_addresses=[HELP], secret=SECRET)
    decisions = []
    async with AsyncGuard(
        LIMITS,
        store=store,
        own_addresses=[HELP],
        secret=SECRET,
        clock=clock,
        policy=POLICY,  # type: ignore[arg-type]
    ) as guard:
        for message, wait in script(sync_twin):
            clock.advance(wait)
            decisions.append(await guard.check(message, recipient=HELP))
    return decisions


def summary(decisions: list[Decision]) -> list[tuple[str, str | None, float]]:
    return [(d.action.value, d.rule, d.retry_after) for d in decisions]


@pytest.fixture(params=["memory", "sync-memory", "sqlite", *REDIS_KINDS])
def async_store(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    kind: str = request.param
    if kind == "memory":
        return to_async(MemoryStore())
    if kind == "sync-memory":
        return MemoryStore()
    if kind == "sqlite":
        return to_async(SQLiteStore(tmp_path / "guard.db"))
    return async_store_from_url(redis_url(kind, prefix=f"lgaguard-{uuid.uuid4().hex[:12]}"))


def test_same_decisions_as_the_sync_guard(async_store: object) -> None:
    expected = summary(sync_decisions())
    assert [rule for _, rule, _ in expected] == [
        None,
        None,
        "own-loop-token",
        None,
        "automated",
        "bounced-recipient",
        None,
        "final-notice",
        "rate-limit",
        "own-address",
        None,
    ]
    assert summary(asyncio.run(async_decisions(async_store))) == expected


def test_peek_record_reset_and_forget_bounce() -> None:
    async def scenario() -> None:
        guard = AsyncGuard([Limit(2, "1h")], own_addresses=[HELP], policy=Policy(repeat_limits=()))
        assert (await guard.peek(person(), recipient=HELP)).allowed
        await guard.record(person(), recipient=HELP)
        await guard.record(sender="ann@example.com", recipient=HELP)
        assert (await guard.check(person(), recipient=HELP)).rule == "rate-limit"
        await guard.reset(sender="ann@example.com", recipient=HELP)
        assert (await guard.check(person(), recipient=HELP)).allowed
        gone = person(sender="gone@example.net")
        await guard.check(gone, recipient=HELP)  # answered: its bounce may teach
        await guard.check(BOUNCE, recipient=HELP)
        assert (await guard.peek(gone, recipient=HELP)).rule == "bounced-recipient"
        await guard.forget_bounce("gone@example.net")
        assert (await guard.peek(gone, recipient=HELP)).allowed
        await guard.aclose()

    asyncio.run(scenario())


def test_protect_and_dispatching() -> None:
    sent: list[object] = []
    suppressed: list[Decision] = []

    async def scenario() -> None:
        guard = AsyncGuard([Limit(1, "1h")], own_addresses=[HELP])

        @guard.protect(recipient=HELP, on_suppress=suppressed.append)
        async def acknowledge(message: bytes) -> str:
            sent.append(message)
            return "sent"

        assert await acknowledge(person()) == "sent"
        result = await acknowledge(person())
        assert isinstance(result, Decision)
        assert result.rule == "rate-limit"
        bob = person(sender="bob@example.com", body="Bob asks about the projector.")
        async with guard.dispatching(bob, recipient=HELP) as decision:
            assert decision.allowed
        async with guard.dispatching(bob, recipient=HELP, on_suppress=suppressed.append) as again:
            assert again.action is Action.SUPPRESS

    asyncio.run(scenario())
    assert len(sent) == 1
    assert [d.rule for d in suppressed] == ["rate-limit", "rate-limit"]


def test_a_failed_dispatch_is_refunded() -> None:
    async def scenario() -> list[bool]:
        guard = AsyncGuard([Limit(1, "1h")], own_addresses=[HELP])
        for _ in range(3):
            with pytest.raises(ConnectionError):  # noqa: PT012 (the body is the dispatch)
                async with guard.dispatching(person(), recipient=HELP) as decision:
                    assert decision.allowed
                    raise ConnectionError("SMTP server down")

        @guard.protect(recipient=HELP)
        async def failing(message: bytes) -> None:
            raise ConnectionError("SMTP server down")

        with pytest.raises(ConnectionError):
            await failing(person())
        results = []
        for _ in range(2):
            async with guard.dispatching(person(), recipient=HELP) as decision:
                results.append(decision.allowed)
        return results

    assert asyncio.run(scenario()) == [True, False]


def test_store_failure_policies() -> None:
    async def scenario() -> None:
        allow = AsyncGuard(store=FailingStore())
        decision = await allow.check(person(), recipient=HELP)
        assert decision.allowed
        assert decision.degraded
        strict = AsyncGuard(store=FailingStore(), on_store_error="raise")
        with pytest.raises(StoreError):
            await strict.check(person(), recipient=HELP)
        with pytest.raises(StoreError):
            await strict.record(sender="a@example.com", recipient=HELP)

    asyncio.run(scenario())


def test_from_config_and_stamp() -> None:
    guard = AsyncGuard.from_config({"own_addresses": [HELP], "limits": ["2/1h"]}, secret=SECRET)
    assert guard.limits == (Limit(2, "1h"),)
    ack = acknowledgement(guard, person())  # type: ignore[arg-type]
    assert guard.token is not None
    assert guard.token.verify(ack["X-Loopguard-Token"])
