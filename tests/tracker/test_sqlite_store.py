from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from loopguard.errors import ConfigurationError, StoreError
from loopguard.stores import Touch
from loopguard.stores.sqlite import SQLiteStore, _retry_while_busy

NOW = 1_800_000_000.0


def test_the_database_uses_wal(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.db") as store:
        store.hit([Touch("k", 60, 3)], now=NOW)
    db = sqlite3.connect(tmp_path / "r.db")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_state_persists_across_instances(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.db") as store:
        store.hit([Touch("k", 60, 3)], now=NOW)
    with SQLiteStore(tmp_path / "r.db") as store:
        assert store.peek([Touch("k", 60, 3)], now=NOW + 1) == [[NOW]]


def test_expired_rows_are_pruned(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.db") as store:
        store.hit([Touch("short", 60, 3), Touch("long", 600, 3)], now=NOW)
        assert store.prune(NOW + 59) == 0
        assert store.prune(NOW + 60) == 1
        assert store.peek([Touch("long", 600, 3)], now=NOW + 60) == [[NOW]]


def test_pruning_runs_by_itself(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.db") as store:
        for index in range(1000):
            store.hit([Touch(f"k{index}", 60, 3)], now=NOW + index)
        rows = store._db.execute("SELECT COUNT(*) FROM loopguard_rates").fetchone()[0]
    assert rows == 60  # only keys hit in the last 60 s survive the prune at the 1000th hit


def test_a_held_write_lock_times_out_as_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    store = SQLiteStore(path, timeout=0.05, cooldown=0)  # the breaker is tested below
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="failed to record") as caught:
            store.hit([Touch("k", 60, 3)], now=NOW)
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.hit([Touch("k", 60, 3)], now=NOW) == [[]]
    store.close()


def test_a_file_that_is_no_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open") as caught:
        SQLiteStore(path)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_a_closed_store_raises_store_errors(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "r.db")
    store.close()
    with pytest.raises(StoreError):
        store.peek([Touch("k", 60, 3)], now=NOW)
    with pytest.raises(StoreError):
        store.reset(["k"])


def test_from_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SQLiteStore.from_url(f"sqlite:///{tmp_path}/abs.db") as store:
        assert store.path == f"{tmp_path}/abs.db"
    monkeypatch.chdir(tmp_path)
    with SQLiteStore.from_url("sqlite:///rel%20ative.db") as store:
        assert store.path == "rel ative.db"
    with SQLiteStore.from_url("sqlite:///:memory:") as store:
        assert store.path == ":memory:"
    for bad in ("sqlite://host/x.db", "sqlite:///", "sqlite:x.db"):
        with pytest.raises(ConfigurationError, match="bad SQLite URL"):
            SQLiteStore.from_url(bad)


def test_timeout_and_cooldown_from_the_url(tmp_path: Path) -> None:
    with SQLiteStore.from_url(f"sqlite:///{tmp_path}/r.db?timeout=0.5&cooldown=0") as store:
        assert store._breaker.cooldown == 0
    with SQLiteStore.from_url(f"sqlite:///{tmp_path}/r.db") as store:
        assert store._breaker.cooldown == 5.0
    for bad in ("timeout=0", "timeout=x", "cooldown=-1", "cooldown=inf"):
        with pytest.raises(ConfigurationError, match="must be a number of seconds"):
            SQLiteStore.from_url(f"sqlite:///{tmp_path}/r.db?{bad}")
    with pytest.raises(ConfigurationError, match=r"unknown sqlite:// option.*: mode"):
        SQLiteStore.from_url(f"sqlite:///{tmp_path}/r.db?mode=ro")


def test_a_lock_held_past_the_timeout_fails_the_next_calls_fast(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.db", timeout=0.05, cooldown=60) as store:
        other = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match="locked"):
            store.hit([Touch("k", 60, 3)], now=NOW)
        other.execute("COMMIT")
        other.close()
        # Released, but within the cooldown: no waiting, no store access.
        with pytest.raises(StoreError, match="skipped: a call timed out"):
            store.hit([Touch("k", 60, 3)], now=NOW)
        store._breaker.record(timed_out=False)  # as after the cooldown
        assert store.hit([Touch("k", 60, 3)], now=NOW) == [[]]


def test_timeout_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        SQLiteStore(tmp_path / "r.db", timeout=0)


def _busy_error() -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    return error


def test_opening_retries_the_lock_races_sqlite_does_not_wait_out() -> None:
    # Several processes opening a new file together can each get "database is locked"
    # at once (SQLite's deadlock avoidance skips the busy timeout); opening retries.
    failures = [_busy_error(), _busy_error()]

    def step() -> None:
        if failures:
            raise failures.pop()

    _retry_while_busy(step, deadline=time.monotonic() + 5)
    assert failures == []


def test_opening_gives_up_on_a_lock_held_past_the_deadline() -> None:
    def step() -> None:
        raise _busy_error()

    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _retry_while_busy(step, deadline=started + 0.2)
    assert time.monotonic() - started < 2


def test_opening_does_not_retry_other_errors() -> None:
    calls = []

    def step() -> None:
        calls.append(1)
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk"):
        _retry_while_busy(step, deadline=time.monotonic() + 5)
    assert calls == [1]
