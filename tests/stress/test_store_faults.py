"""Store faults under the guard: each on_store_error policy, no hang, recovery, no lost count.

Redis faults run against a private redis-server (see conftest.py) that the tests stop
(SIGSTOP), kill, restart empty and slow down (DEBUG SLEEP). SQLite faults: a database
locked by another connection, a read-only database, a full disk (RLIMIT_FSIZE in a
child process), damaged pages and a damaged row. docs/reliability.md lists the figures.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loopguard.errors import StoreError
from loopguard.guard import Action, Decision, Guard
from loopguard.guard.policy import Policy, StoreErrorPolicy
from loopguard.rate.tracker import Limit, RateTracker
from loopguard.stores import Store, Touch
from loopguard.testing import build_message

from .conftest import RedisServer, figure

HELP = "help@example.org"
POLICIES: tuple[StoreErrorPolicy, ...] = ("allow", "suppress", "raise")
TIMEOUT = 0.5  # the store timeout under test
SLACK = 1.0  # scheduling slack on a loaded 2-core CI machine
WINDOW = 3600.0
NOW = 1_800_000_000.0


def question(number: int) -> bytes:
    body = f"Hello, question {number}: my printer on floor {number} stopped working. Ann"
    return build_message(sender="ann@example.com", to=HELP, subject=f"Printer {number}", body=body)


def guard_over(store: Store, policy: StoreErrorPolicy) -> Guard:
    return Guard(
        [Limit(1000, "1h")],
        store=store,
        own_addresses=[HELP],
        on_store_error=policy,
        clock=lambda: NOW,
        policy=Policy(repeat_limits=()),
    )


def timed_check(guard: Guard, number: int) -> tuple[Decision | StoreError, float]:
    """The guard's answer (or the StoreError it raised) and the seconds it took."""
    started = time.monotonic()
    try:
        answer: Decision | StoreError = guard.check(question(number), recipient=HELP)
    except StoreError as exc:
        answer = exc
    return answer, time.monotonic() - started


def assert_policy_applied(answer: Decision | StoreError, policy: StoreErrorPolicy) -> None:
    if policy == "raise":
        assert isinstance(answer, StoreError)
        return
    assert isinstance(answer, Decision)
    assert answer.degraded
    assert [r.rule for r in answer.reasons].count("store-error") == 1
    expected = Action.ALLOW if policy == "allow" else Action.SUPPRESS
    assert answer.action is expected


def recovery_seconds(attempt: Callable[[], bool], limit: float = 10.0) -> float:
    """Seconds until ``attempt`` first returns True without a StoreError (at most ``limit``)."""
    started = time.monotonic()
    while True:
        try:
            if attempt():
                return time.monotonic() - started
        except StoreError:
            pass
        assert time.monotonic() - started < limit, "the store did not recover"


def assert_one_timeout_per_cooldown(
    guard: Guard, scenario: str, cooldown: float, end_outage: Callable[[], object]
) -> None:
    """During an outage the store is asked once, fails after its timeout, and the next 50
    checks fail fast (breaker open); after ``end_outage`` the cooldown ends the breaker."""
    try:
        _, first_elapsed = timed_check(guard, 1)
        during = [timed_check(guard, number) for number in range(2, 52)]
    finally:
        end_outage()
    assert TIMEOUT <= first_elapsed < TIMEOUT + SLACK
    assert all(isinstance(answer, Decision) and answer.degraded for answer, _ in during)
    # Failed fast: a check that asked the paused store would have waited its whole timeout
    # (a scheduling hiccup on a loaded machine can cost a fast one a quarter of a second).
    assert max(elapsed for _, elapsed in during) < TIMEOUT
    recovered = recovery_seconds(clean_check(guard, 99))
    slowest = max(elapsed for _, elapsed in during)
    figure(f"{scenario}, breaker", first_check=first_elapsed, next_50_slowest=slowest)
    figure(f"{scenario}, breaker", recovery_seconds=recovered, cooldown=cooldown)
    assert recovered < cooldown + SLACK
    guard.close()


def clean_check(guard: Guard, number: int) -> Callable[[], bool]:
    """An attempt that succeeds when the guard decides with its store again."""
    return lambda: not guard.check(question(number), recipient=HELP).degraded


class Counter:
    """Counts one pair's events in a store, exactly, through the public tracker API."""

    def __init__(self, store: Store) -> None:
        self.tracker = RateTracker([Limit(100_000, WINDOW)], store=store, clock=lambda: NOW)
        key = self.tracker.keys.key_of("pair", "loop@example.net", HELP, None)
        assert key is not None
        self.touch = Touch(key, WINDOW, 100_000)

    def hit(self) -> bool:
        self.tracker.hit(sender="loop@example.net", recipient=HELP)
        return True

    def count(self) -> int:
        return len(self.tracker.store.peek([self.touch], now=NOW)[0])


# -- Redis ----------------------------------------------------------------------------


def redis_store(server: RedisServer, cooldown: float = 0.0) -> Store:
    """A store on ``server``; the breaker is off unless asked for, to see each timeout."""
    from loopguard.stores.redis import RedisStore

    return RedisStore(server.url, timeout=TIMEOUT, cooldown=cooldown)


@pytest.mark.redis
@pytest.mark.parametrize("policy", POLICIES)
def test_paused_redis_times_out_once_per_check(
    redis_server: RedisServer, policy: StoreErrorPolicy
) -> None:
    guard = guard_over(redis_store(redis_server), policy)
    assert guard.check(question(0), recipient=HELP).action is Action.ALLOW
    redis_server.pause()
    try:
        answer, elapsed = timed_check(guard, 1)
    finally:
        redis_server.resume()
    assert_policy_applied(answer, policy)
    # Regression: the guard waited once per store step (3 x the timeout) before the fix.
    assert elapsed < TIMEOUT + SLACK
    recovered = recovery_seconds(clean_check(guard, 2))
    figure(f"redis paused, {policy}", check_seconds=elapsed, recovery_seconds=recovered)
    assert recovered < 1.0
    guard.close()


@pytest.mark.redis
def test_paused_redis_loses_no_count(redis_server: RedisServer) -> None:
    counter = Counter(redis_store(redis_server))
    for _ in range(3):
        counter.hit()
    redis_server.pause()
    try:
        with pytest.raises(StoreError, match="Timeout"):
            counter.hit()
    finally:
        redis_server.resume()
    counter.hit()
    # The three from before are kept; the call that timed out was still in the server's
    # socket buffer and is counted when it resumes (an over-count, the safe side).
    assert counter.count() == 5


@pytest.mark.redis
@pytest.mark.parametrize("policy", POLICIES)
def test_killed_redis_fails_fast_and_a_restart_recovers(
    redis_server: RedisServer, policy: StoreErrorPolicy
) -> None:
    guard = guard_over(redis_store(redis_server), policy)
    assert guard.check(question(0), recipient=HELP).action is Action.ALLOW
    redis_server.kill()
    answer, elapsed = timed_check(guard, 1)
    assert_policy_applied(answer, policy)
    assert elapsed < TIMEOUT  # connection refused: no waiting at all
    redis_server.start()
    recovered = recovery_seconds(clean_check(guard, 2))
    figure(f"redis killed, {policy}", check_seconds=elapsed, recovery_seconds=recovered)
    assert recovered < 1.0
    decision = guard.check(question(3), recipient=HELP)
    assert decision.action is Action.ALLOW
    assert not decision.degraded
    guard.close()


@pytest.mark.redis
def test_a_restart_empty_loses_exactly_what_the_server_held(redis_server: RedisServer) -> None:
    counter = Counter(redis_store(redis_server))
    for _ in range(3):
        counter.hit()
    redis_server.restart()  # no persistence: the three counts are gone with the server
    recovery_seconds(counter.hit)  # the script is loaded again by itself (NOSCRIPT)
    counter.hit()
    assert counter.count() == 2


@pytest.mark.redis
@pytest.mark.parametrize("policy", POLICIES)
def test_slow_redis_times_out_then_answers(
    redis_server: RedisServer, policy: StoreErrorPolicy
) -> None:
    store = redis_store(redis_server)
    counter = Counter(store)
    guard = guard_over(store, policy)
    counter.hit()
    sleeper = threading.Thread(target=redis_server.command, args=("DEBUG", "SLEEP", "1.5"))
    sleeper.start()
    time.sleep(0.1)  # let DEBUG SLEEP reach the server first (the fault being injected)
    answer, elapsed = timed_check(guard, 1)
    assert_policy_applied(answer, policy)
    assert elapsed < TIMEOUT + SLACK
    with pytest.raises(StoreError, match="Timeout"):
        counter.hit()
    sleeper.join(timeout=10)
    recovered = recovery_seconds(clean_check(guard, 2))
    figure(f"redis slow, {policy}", check_seconds=elapsed, recovery_seconds=recovered)
    counter.hit()
    # The guard's call was sent and dropped its connection on the timeout; the counter's
    # then timed out opening a new one, so it was never sent: 1 before + 1 after.
    assert counter.count() == 2


@pytest.mark.redis
def test_stop_and_go_bursts_never_hang_and_count_each_event_once_at_most(
    redis_server: RedisServer,
) -> None:
    counter = Counter(redis_store(redis_server))
    stop = threading.Event()

    def flap() -> None:
        while not stop.is_set():
            redis_server.pause()
            stop.wait(2 * TIMEOUT)  # long enough for a call to time out
            redis_server.resume()
            stop.wait(TIMEOUT)

    flapper = threading.Thread(target=flap)
    flapper.start()
    succeeded = failed = 0
    slowest = 0.0
    try:
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                counter.hit()
                succeeded += 1
            except StoreError:
                failed += 1
            slowest = max(slowest, time.monotonic() - started)
    finally:
        stop.set()
        flapper.join(timeout=10)
        redis_server.resume()
    figure("redis stop-and-go", ok=succeeded, failed=failed, slowest_seconds=slowest)
    assert failed
    assert succeeded
    assert slowest < TIMEOUT + SLACK
    assert succeeded <= counter.count() <= succeeded + failed


@pytest.mark.redis
def test_a_paused_redis_costs_one_timeout_per_cooldown(redis_server: RedisServer) -> None:
    """Regression: every check waited the full timeout for the whole outage."""
    cooldown = 1.0
    guard = guard_over(redis_store(redis_server, cooldown=cooldown), "allow")
    assert not guard.check(question(0), recipient=HELP).degraded
    redis_server.pause()
    assert_one_timeout_per_cooldown(guard, "redis paused", cooldown, redis_server.resume)


@pytest.mark.redis
def test_async_guard_on_a_paused_redis(redis_server: RedisServer) -> None:
    from loopguard.guard.aio import AsyncGuard
    from loopguard.stores.redis import AsyncRedisStore

    async def outage() -> list[tuple[Decision, float]]:
        store = AsyncRedisStore(redis_server.url, timeout=TIMEOUT, cooldown=1.0)
        guard = AsyncGuard(
            [Limit(1000, "1h")], store=store, clock=lambda: NOW, policy=Policy(repeat_limits=())
        )
        answers = []
        redis_server.pause()
        try:
            for number in range(5):
                started = time.monotonic()
                decision = await guard.check(question(number), recipient=HELP)
                answers.append((decision, time.monotonic() - started))
        finally:
            redis_server.resume()
        await guard.aclose()
        return answers

    answers = asyncio.run(outage())
    assert all(decision.degraded and decision.allowed for decision, _ in answers)
    assert all([r.rule for r in d.reasons].count("store-error") == 1 for d, _ in answers)
    assert answers[0][1] < TIMEOUT + SLACK
    assert max(elapsed for _, elapsed in answers[1:]) < TIMEOUT  # none waited a timeout


@pytest.mark.redis
@pytest.mark.parametrize("policy", POLICIES)
def test_redis_out_of_memory(redis_server: RedisServer, policy: StoreErrorPolicy) -> None:
    counter = Counter(redis_store(redis_server))
    for _ in range(3):
        counter.hit()
    redis_server.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
    redis_server.command("CONFIG", "SET", "maxmemory", "1")  # below what it already uses
    answer, elapsed = timed_check(guard_over(counter.tracker.store, policy), 1)
    assert_policy_applied(answer, policy)
    with pytest.raises(StoreError, match="maxmemory"):
        counter.hit()
    redis_server.command("CONFIG", "SET", "maxmemory", "0")
    counter.hit()
    figure(f"redis out of memory, {policy}", check_seconds=elapsed)
    assert counter.count() == 4  # a refused script writes nothing; nothing is lost


def test_timeout_and_cooldown_from_the_url() -> None:
    from loopguard.errors import ConfigurationError
    from loopguard.stores.redis import RedisStore

    store = RedisStore.from_url("redis://127.0.0.1:9/0?timeout=0.25&cooldown=0&prefix=t")
    kwargs = store.client.connection_pool.connection_kwargs  # type: ignore[union-attr]
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 0.25
    assert store._breaker.cooldown == 0
    store.close()
    default = RedisStore.from_url("redis://127.0.0.1:9/0")
    assert default.client.connection_pool.connection_kwargs["socket_timeout"] == 5.0  # type: ignore[union-attr]
    default.close()
    for bad in ("timeout=0", "timeout=x", "cooldown=-1", "cooldown=inf"):
        with pytest.raises(ConfigurationError):
            RedisStore.from_url(f"redis://127.0.0.1:9/0?{bad}")


# -- SQLite ---------------------------------------------------------------------------


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "rates.db"


def sqlite_store(path: Path, cooldown: float = 0.0) -> Store:
    """A store on ``path``; the breaker is off unless asked for, to see each timeout."""
    from loopguard.stores.sqlite import SQLiteStore

    return SQLiteStore(path, timeout=TIMEOUT, cooldown=cooldown)


@pytest.fixture
def exclusive_lock(sqlite_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding BEGIN EXCLUSIVE until the test releases it."""
    sqlite_store(sqlite_path).close()  # the schema exists before the lock is taken
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize("policy", POLICIES)
def test_locked_sqlite_waits_its_timeout_once(
    sqlite_path: Path, exclusive_lock: sqlite3.Connection, policy: StoreErrorPolicy
) -> None:
    guard = guard_over(sqlite_store(sqlite_path), policy)
    answer, elapsed = timed_check(guard, 1)
    assert_policy_applied(answer, policy)
    assert elapsed < TIMEOUT + SLACK  # two waits of the busy timeout before the fix
    figure(f"sqlite locked, {policy}", check_seconds=elapsed)
    exclusive_lock.execute("COMMIT")
    assert guard.check(question(2), recipient=HELP).action is Action.ALLOW
    guard.close()


def test_a_locked_sqlite_costs_one_timeout_per_cooldown(
    sqlite_path: Path, exclusive_lock: sqlite3.Connection
) -> None:
    """Regression: every check waited the busy timeout for as long as the lock was held."""
    cooldown = 1.0
    guard = guard_over(sqlite_store(sqlite_path, cooldown=cooldown), "allow")
    assert_one_timeout_per_cooldown(
        guard, "sqlite locked", cooldown, lambda: exclusive_lock.execute("COMMIT")
    )


def test_a_locked_sqlite_does_not_block_the_event_loop(
    sqlite_path: Path, exclusive_lock: sqlite3.Connection
) -> None:
    from loopguard.guard.aio import AsyncGuard

    finished: list[str] = []

    async def decide(name: str, guard: AsyncGuard) -> None:
        await guard.check(question(1), recipient=HELP)
        finished.append(name)

    async def both() -> None:
        locked = AsyncGuard(store=sqlite_store(sqlite_path), clock=lambda: NOW)
        free = AsyncGuard(clock=lambda: NOW)  # memory store
        await asyncio.gather(decide("locked", locked), decide("free", free))
        await locked.aclose()

    asyncio.run(both())
    # The SQLite wait runs in a worker thread: the other decision finished meanwhile.
    assert finished == ["free", "locked"]


def test_locked_sqlite_loses_no_count(sqlite_path: Path) -> None:
    counter = Counter(sqlite_store(sqlite_path))
    for _ in range(3):
        counter.hit()
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreError, match="locked"):
        counter.hit()
    assert counter.count() == 3  # WAL: readers still read under the exclusive lock
    other.execute("COMMIT")
    other.close()
    counter.hit()
    assert counter.count() == 4  # the refused call was rolled back, not half-recorded


@pytest.mark.parametrize("policy", POLICIES)
def test_read_only_sqlite(sqlite_path: Path, policy: StoreErrorPolicy) -> None:
    store = sqlite_store(sqlite_path)
    counter = Counter(store)
    counter.hit()
    # Root ignores file modes, so the connection itself is made read-only: the same
    # SQLITE_READONLY error a read-only file or mount gives.
    connection: sqlite3.Connection = store._db  # type: ignore[attr-defined]
    connection.execute("PRAGMA query_only = ON")
    answer, _ = timed_check(guard_over(store, policy), 1)
    assert_policy_applied(answer, policy)
    with pytest.raises(StoreError, match="readonly"):
        counter.hit()
    connection.execute("PRAGMA query_only = OFF")
    counter.hit()
    assert counter.count() == 2
    store.close()


# The child fills a store, caps its own file size (RLIMIT_FSIZE; Python ignores SIGXFSZ,
# so writes fail with EFBIG), hits new keys until the store fails, asks a guard under
# each policy, lifts the cap again and reports, as JSON, what happened.
FULL_DISK_CHILD = """
import json, os, resource, sys, time
from loopguard.errors import StoreError
from loopguard.guard import Guard
from loopguard.guard.policy import Policy
from loopguard.stores import Touch
from loopguard.stores.sqlite import SQLiteStore
from loopguard.testing import build_message
from loopguard.rate.tracker import Limit, RateTracker

path = sys.argv[1]
store = SQLiteStore(path, timeout=0.5)
rates = RateTracker([Limit(1000, 3600)], store=store, clock=lambda: 1.8e9)
for _ in range(3):
    rates.hit(sender="loop@example.net", recipient="help@example.org")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
room = max(os.path.getsize(path), os.path.getsize(path + "-wal")) + 65536
resource.setrlimit(resource.RLIMIT_FSIZE, (room, hard))
report = {"ok_before_full": 0, "error": None, "escaped": None, "policies": {}}
for number in range(100000):
    try:
        rates.hit(sender=f"new{number}@example.com", recipient="help@example.org")
        report["ok_before_full"] += 1
    except StoreError as exc:
        report["error"] = str(exc)
        break
    except Exception as exc:
        report["escaped"] = repr(exc)
        break
mail = build_message(sender="ann@example.com", to="help@example.org", body="Hello there, Ann")
for policy in ("allow", "suppress", "raise"):
    guard = Guard([Limit(9, "1h")], store=store, on_store_error=policy,
                  policy=Policy(repeat_limits=()), clock=lambda: 1.8e9)
    try:
        decision = guard.check(mail, recipient="help@example.org")
        report["policies"][policy] = [decision.action.value, decision.degraded]
    except StoreError:
        report["policies"][policy] = "StoreError"
    except Exception as exc:
        report["policies"][policy] = repr(exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
started = time.monotonic()
rates.hit(sender="loop@example.net", recipient="help@example.org")
report["recovery_seconds"] = time.monotonic() - started
key = rates.keys.key_of("pair", "loop@example.net", "help@example.org", None)
report["count_after"] = len(store.peek([Touch(key, 3600, 1000)], now=1.8e9)[0])
print(json.dumps(report))
"""


def test_full_disk_sqlite(sqlite_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(sqlite_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout)
    figure("sqlite full disk", **report)
    assert report["escaped"] is None
    # Regression: the failed ROLLBACK ("no transaction is active") hid the real cause.
    assert "disk I/O error" in report["error"] or "full" in report["error"]
    assert report["policies"] == {
        "allow": ["allow", True],
        "suppress": ["suppress", True],
        "raise": "StoreError",
    }
    assert report["count_after"] == 4  # 3 before the fault, 1 after; the failures rolled back


def test_damaged_pages_fail_as_store_errors(sqlite_path: Path) -> None:
    store = sqlite_store(sqlite_path)
    counter = Counter(store)
    for number in range(3000):  # enough rows for the table to span many pages
        store.hit([Touch(f"k{number}", WINDOW, 5)], now=NOW)
    counter.hit()
    store.close()
    data = bytearray(sqlite_path.read_bytes())
    data[8192 : len(data) - 4096] = b"\xa5" * (len(data) - 12288)  # keep header, first page
    sqlite_path.write_bytes(bytes(data))
    try:
        damaged = sqlite_store(sqlite_path)
    except StoreError:
        return  # refused when opened: as good as refused when used
    for policy in POLICIES:
        answer, _ = timed_check(guard_over(damaged, policy), 1)
        assert_policy_applied(answer, policy)
    damaged.close()


def test_garbage_file_is_refused_with_a_store_error(sqlite_path: Path) -> None:
    sqlite_path.write_bytes(b"not a database at all " * 400)
    with pytest.raises(StoreError, match="not a database"):
        sqlite_store(sqlite_path)


@pytest.mark.parametrize("damage", [b"\x01\x02\x03", "text", b""])
def test_a_damaged_row_starts_afresh(sqlite_path: Path, damage: object) -> None:
    """Regression: a row that is not whole doubles raised struct.error/TypeError for ever."""
    counter = Counter(sqlite_store(sqlite_path))
    counter.hit()
    other = sqlite3.connect(sqlite_path)
    other.execute("UPDATE loopguard_rates SET stamps = ?", (damage,))
    other.commit()
    other.close()
    counter.hit()
    counter.hit()
    assert counter.count() == 2
