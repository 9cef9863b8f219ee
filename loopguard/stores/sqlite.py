"""The single-host store: one SQLite row per key, shared safely by several processes.

Each row holds the key's newest timestamps as one little-endian blob of doubles, so a
decision reads and writes one row per key. Writers take the lock up front with
``BEGIN IMMEDIATE`` (a deferred transaction that later upgrades can fail with "database
is locked" instead of waiting) and hold it for a few statements only; WAL lets readers
run meanwhile, and the busy timeout makes concurrent writers queue instead of failing.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
import threading
import time
from bisect import bisect_right, insort
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, unquote, urlsplit

from loopguard.errors import ConfigurationError, StoreError
from loopguard.stores import Touch
from loopguard.stores.breaker import Breaker, seconds_option

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS loopguard_rates (
    key TEXT PRIMARY KEY,
    stamps BLOB NOT NULL,
    expires REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS loopguard_rates_expires ON loopguard_rates (expires);
"""
_UPSERT: Final = (
    "INSERT INTO loopguard_rates (key, stamps, expires) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET stamps = excluded.stamps, expires = excluded.expires"
)
# Pruning scans the expiry index; doing it once per this many hits keeps it off the
# common path while bounding the dead rows to roughly what that many hits can create.
_PRUNE_EVERY: Final = 1000
_DEFAULT_TIMEOUT: Final = 5.0
_DEFAULT_COOLDOWN: Final = 5.0


class SQLiteStore:
    """Persistent store for several processes on one host.

    Args:
        path: The database file (created if missing); ``":memory:"`` for a private one.
        timeout: Seconds to wait for another process's write lock before failing.
        cooldown: After a call waited out ``timeout`` (the file stayed locked, as during
            a long backup or VACUUM), calls fail at once for this many seconds instead of
            each waiting again; ``0`` turns this off.

    Raises:
        ConfigurationError: A non-positive timeout or a negative cooldown.
        StoreError: The database cannot be opened or initialized.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = _DEFAULT_TIMEOUT,
        cooldown: float = _DEFAULT_COOLDOWN,
    ) -> None:
        if not 0 < timeout < float("inf"):
            raise ConfigurationError(f"timeout must be positive, got {timeout!r}")
        self.path = str(path)
        self._breaker = Breaker(cooldown, f"SQLite rate store {self.path!r}")
        self._lock = threading.Lock()
        self._hits_since_prune = 0
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            _retry_while_busy(self._initialize, deadline=time.monotonic() + timeout)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite rate store {self.path!r}: {exc}") from exc

    @classmethod
    def from_url(cls, url: str) -> SQLiteStore:
        """Build from ``sqlite:///relative.db``, ``sqlite:////abs.db`` or ``sqlite:///:memory:``.

        ``timeout`` and ``cooldown`` (seconds) may follow as query options:
        ``sqlite:////var/lib/app/rates.db?timeout=1&cooldown=10``.
        """
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise ConfigurationError(
                f"bad SQLite URL {url!r}: expected sqlite:///relative.db or sqlite:////abs.db"
            )
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = sorted(set(options) - {"timeout", "cooldown"})
        if unknown:
            raise ConfigurationError(
                f"unknown sqlite:// option(s) in {url!r}: {', '.join(unknown)}"
            )
        seconds = {
            name: seconds_option(value, name, url, zero=name == "cooldown")
            for name, value in options.items()
        }
        path = Path(unquote(parts.path[1:])) if parts.path != "/:memory:" else ":memory:"
        return cls(path, **seconds)

    def _initialize(self) -> None:
        # Switching to WAL needs the file to itself for a moment; skip it when an
        # earlier opener already did (the mode is stored in the file).
        if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is safe with WAL (no corruption); a power cut may lose the last
        # few counts, which a rate limiter can afford.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps, then record ``now`` under it (see :class:`Store`)."""
        with self._lock, self._wrap("record"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                answers = [self._hit_one(touch, now) for touch in touches]
                self._hits_since_prune += 1
                if self._hits_since_prune >= _PRUNE_EVERY:
                    self._prune(now)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return answers

    def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        """Read each key's live timestamps without recording anything."""
        with self._lock, self._wrap("read"):
            # One read transaction, so a batch sees one consistent snapshot.
            self._db.execute("BEGIN")
            try:
                return [_live(self._read(touch.key), now - touch.window) for touch in touches]
            finally:
                self._db.execute("COMMIT")

    def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        """Remove one timestamp equal to ``now`` under each key, if it is still kept."""
        with self._lock, self._wrap("refund"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for touch in touches:
                    self._refund_one(touch.key, now)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def reset(self, keys: Sequence[str]) -> None:
        """Forget everything recorded under ``keys``."""
        with self._lock, self._wrap("reset"):
            self._db.executemany(
                "DELETE FROM loopguard_rates WHERE key = ?", [(key,) for key in keys]
            )

    def prune(self, now: float) -> int:
        """Delete rows idle past their window; returns how many. Runs by itself now and then."""
        with self._lock, self._wrap("prune"):
            return self._prune(now)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _hit_one(self, touch: Touch, now: float) -> list[float]:
        key, window, keep = touch
        log = self._read(key)
        live = _live(log, now - window)
        stored = list(live)
        insort(stored, now)
        del stored[: max(0, len(stored) - keep)]
        self._db.execute(_UPSERT, (key, _pack(stored), now + window))
        return live

    def _refund_one(self, key: str, now: float) -> None:
        stamps = self._read(key)
        if now in stamps:
            stamps.remove(now)
            self._db.execute(
                "UPDATE loopguard_rates SET stamps = ? WHERE key = ?", (_pack(stamps), key)
            )

    def _read(self, key: str) -> list[float]:
        row = self._db.execute(
            "SELECT stamps FROM loopguard_rates WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return []
        stamps = _unpack(row[0])
        if stamps is None:
            # A damaged row would fail every decision on its key for ever; its count is
            # lost either way, so start it afresh (the next hit overwrites it).
            log.warning("loopguard SQLite rate store %r: unreadable row dropped", self.path)
            return []
        return stamps

    def _rollback(self) -> None:
        # SQLite rolls back by itself after some errors (disk full, I/O error); a second
        # ROLLBACK would then fail and hide the real cause, which the caller must see.
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                log.debug("loopguard SQLite rollback failed", exc_info=True)

    def _prune(self, now: float) -> int:
        self._hits_since_prune = 0
        return self._db.execute("DELETE FROM loopguard_rates WHERE expires <= ?", (now,)).rowcount

    def _wrap(self, action: str) -> _SQLiteErrors:
        return _SQLiteErrors(f"SQLite rate store {self.path!r} failed to {action}", self._breaker)


class _SQLiteErrors:
    """Turns sqlite3 errors into StoreError, chained to the cause, and keeps the breaker.

    Entering fails at once while the breaker is open; a call that waited out the busy
    timeout opens it, any other outcome closes it.
    """

    def __init__(self, message: str, breaker: Breaker) -> None:
        self._message = message
        self._breaker = breaker

    def __enter__(self) -> None:
        self._breaker.check()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc is None:
            self._breaker.record(timed_out=False)
        elif isinstance(exc, sqlite3.Error):
            self._breaker.record(timed_out=_is_busy(exc))
            raise StoreError(f"{self._message}: {exc}") from exc


def _is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite gave up because another connection held the lock."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code, no extension
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _retry_while_busy(step: Callable[[], None], *, deadline: float) -> None:
    """Run ``step`` again while another connection holds the lock, until ``deadline``.

    SQLite answers "database is locked" at once, without waiting out the busy timeout,
    when waiting could deadlock - which is what happens when several processes open a
    new file together and each tries to switch it to WAL. Those races end in
    milliseconds, so opening retries them instead of failing the host's start-up.
    """
    pause = 0.005
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _live(log: list[float], horizon: float) -> list[float]:
    return log[bisect_right(log, horizon) :]


def _pack(stamps: Sequence[float]) -> bytes:
    return struct.pack(f"<{len(stamps)}d", *stamps)


def _unpack(blob: object) -> list[float] | None:
    """The timestamps of a row, or None if the row is not a whole number of doubles."""
    if not isinstance(blob, bytes) or len(blob) % 8:
        return None
    return sorted(struct.unpack(f"<{len(blob) // 8}d", blob))
