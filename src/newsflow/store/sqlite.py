"""The embedded dedup store: one SQLite file (or memory) shared by threads and processes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from newsflow.errors import StoreUnavailable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS claims_expires_at ON claims (expires_at);
"""

# Take the key unless a live claim holds it; an expired claim is overwritten in place.
_CLAIM = """
INSERT INTO claims (key, owner, expires_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE claims.expires_at <= ?
"""

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6

PURGE_EVERY = 1000
"""Claims between two automatic purges of expired rows."""


class SqliteStore:
    """`DedupStore` over SQLite: the default for one process and for batch mode.

    Claims are atomic across threads (one connection behind a lock) and across processes
    sharing the file (each claim is one `BEGIN IMMEDIATE` transaction, WAL journal, busy
    timeout). Expiry uses the caller's `now`, so tests and batch reruns control the clock.
    """

    def __init__(self, path: str, *, busy_timeout: float = 10.0) -> None:
        """Open (creating if needed) the store at `path`, a file path or ":memory:".

        `busy_timeout` is how long, in seconds, a claim waits for another process's write
        lock before giving up with `StoreUnavailable`.
        """
        self._path = path
        self._lock = threading.Lock()
        self._claims_since_purge = 0
        # isolation_level=None: no implicit transactions, we open them ourselves.
        self._conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        with self._lock, _translated():
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL stays consistent; only an OS crash can lose the last commits.
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteStore(path={self._path!r})"

    def claim(self, key: str, owner: str, *, ttl_seconds: int, now: float) -> str:
        """Set `key` to `owner` unless a live claim holds it; return the owner that holds it.

        A claim whose `expires_at` is at or before `now` is treated as absent, so the key
        can be won again once its TTL has passed.
        """
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        with self._lock, _translated():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(_CLAIM, (key, owner, now + ttl_seconds, now))
                row = self._conn.execute(
                    "SELECT owner FROM claims WHERE key = ?", (key,)
                ).fetchone()
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._claims_since_purge += 1
            if self._claims_since_purge >= PURGE_EVERY:
                self._purge_locked(now)
        holder: str = row[0]
        return holder

    def purge_expired(self, now: float) -> int:
        """Delete claims expired at `now` and return how many; keeps the file bounded."""
        with self._lock, _translated():
            return self._purge_locked(now)

    def ping(self) -> bool:
        """True when the database answers a trivial query; used by readiness checks."""
        try:
            with self._lock:
                self._conn.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._conn.close()

    def _purge_locked(self, now: float) -> int:
        self._claims_since_purge = 0
        cursor = self._conn.execute("DELETE FROM claims WHERE expires_at <= ?", (now,))
        return cursor.rowcount


@contextmanager
def _translated() -> Iterator[None]:
    """Turn SQLite's busy/locked errors (another process holds the lock) into StoreUnavailable."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
            raise StoreUnavailable(f"sqlite store is busy: {exc}") from exc
        raise
