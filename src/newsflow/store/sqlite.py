"""The embedded dedup store: one SQLite file (or memory) shared by threads and processes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from newsflow.errors import ConfigError, StoreUnavailable
from newsflow.store.base import begin_decision_in_steps
from newsflow.store.records import LINES_SUFFIX, Begun, Claim, IndexRequest, Mark
from newsflow.store.sqlite_index import INDEX_SCHEMA, SqliteIndexOps

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

# Per-source line statistics for boilerplate learning (`observe_lines`).
_LINES_SCHEMA = """
CREATE TABLE IF NOT EXISTS line_counts (
    source TEXT NOT NULL,
    line TEXT NOT NULL,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (source, line)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS line_counts_expires_at ON line_counts (expires_at);
CREATE TABLE IF NOT EXISTS line_documents (
    source TEXT NOT NULL,
    document TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (source, document)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS line_documents_expires_at ON line_documents (expires_at);
"""

# Count a line (`VALUES (source, line, 1, expires_at)`) once more, starting again from 1
# when its count had expired.
_COUNT_AGAIN = """
ON CONFLICT (source, line) DO UPDATE SET
    count = CASE WHEN line_counts.expires_at <= ? THEN 1 ELSE line_counts.count + 1 END,
    expires_at = excluded.expires_at
RETURNING line, count
"""

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6

PURGE_EVERY = 1000
"""Claims between two automatic purges of expired rows."""
CACHE_KIB = 64 * 1024
"""The connection's page cache: a group of decisions (`grouped`, ~1,300 pages for 32 articles)
changes its pages in memory and writes each once, at the commit (with SQLite's 2 MB default
they spilled to the WAL mid-transaction, some several times)."""
CHECKPOINT_PAGES = 10_000
"""WAL frames between automatic checkpoints (SQLite's default 1,000): a page written by many
commits in between is copied into the database file once (a WAL of up to ~40 MB)."""
_SQL_VARIABLES = 500  # lines per query, well under SQLite's bound-parameter limit
OLDEST_SQLITE = (3, 35)
"""The oldest SQLite the store's statements run on: upserts (3.24) and RETURNING (3.35)."""


class SqliteStore(SqliteIndexOps):
    """`DedupStore` over SQLite: the default for one process and for batch mode.

    Claims are atomic across threads (one connection behind a lock) and across processes
    sharing the file (each claim is one `BEGIN IMMEDIATE` transaction, or a savepoint of the
    one `grouped` holds, WAL journal, busy timeout). Expiry uses the caller's `now`, so tests
    and batch reruns control the clock.
    """

    def __init__(self, path: str, *, busy_timeout: float = 10.0) -> None:
        """Open (creating if needed) the store at `path`, a file path or ":memory:".

        `busy_timeout` is how long, in seconds, a claim waits for another process's write
        lock before giving up with `StoreUnavailable`.
        """
        if sqlite3.sqlite_version_info < OLDEST_SQLITE:
            raise ConfigError(
                f"the embedded store needs SQLite {'.'.join(map(str, OLDEST_SQLITE))} or later,"
                f" and this Python has {sqlite3.sqlite_version}: run it with a Python built"
                " with a newer SQLite (the images have one), or give a redis:// store URL"
            )
        self._path = path
        self._lock = threading.Lock()
        self._claims_since_purge = 0
        self._observations_since_purge = 0
        # isolation_level=None: no implicit transactions, we open them ourselves.
        self._conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        with self._lock, _translated():
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL stays consistent; only an OS crash can lose the last commits.
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            self._conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            # The savepoints' statement journals in memory, not in temporary files.
            self._conn.execute("PRAGMA temp_store=MEMORY")
            self._conn.executescript(_SCHEMA)
            self._conn.executescript(_LINES_SCHEMA)
            self._conn.executescript(INDEX_SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteStore(path={self._path!r})"

    def claim(
        self, key: str, owner: str, *, ttl_seconds: int, now: float, mark: Mark | None = None
    ) -> str:
        """Set `key` to `owner` unless a live claim holds it; return the owner that holds it
        (and set `mark` naming it, in the same transaction).

        A claim whose `expires_at` is at or before `now` is treated as absent, so the key
        can be won again once its TTL has passed.
        """
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        with self._lock, _translated():
            with self._write():
                self._conn.execute(_CLAIM, (key, owner, now + ttl_seconds, now))
                row = self._conn.execute(
                    "SELECT owner FROM claims WHERE key = ?", (key,)
                ).fetchone()
                if mark is not None:
                    value = mark.value(row[0])
                    self._conn.execute(_CLAIM, (mark.key, value, now + ttl_seconds, now))
                    if mark.lines:
                        lines = (mark.key + LINES_SUFFIX, mark.lines, now + ttl_seconds, now)
                        self._conn.execute(_CLAIM, lines)
            self._claims_since_purge += 1
            if self._claims_since_purge >= PURGE_EVERY:
                self._purge_locked(now)
        holder: str = row[0]
        return holder

    def release_claim(self, claim: Claim, *, now: float) -> bool:
        """See `DedupStore.release_claim`: one transaction, so a claim taken meanwhile by
        another article (once this one's had expired) stays."""
        with self._lock, _translated(), self._write():
            decided = self._conn.execute(
                "SELECT 1 FROM decisions WHERE article_id = ? AND expires_at > ?",
                (claim.owner, now),
            ).fetchone()
            released = decided is None and self._release_locked(claim)
        return released

    def _release_locked(self, claim: Claim) -> bool:
        released = self._delete_held(claim.key, claim.owner)
        mark = claim.mark
        if mark is not None and self._delete_held(mark.key, mark.value(claim.owner)):
            self._conn.execute("DELETE FROM claims WHERE key = ?", (mark.key + LINES_SUFFIX,))
        # Its band rows stay until they expire: a band lookup joins the signatures, so rows
        # without one are never found (and deleting them by article would scan the table).
        self._conn.execute("DELETE FROM signatures WHERE article_id = ?", (claim.owner,))
        return released

    def _delete_held(self, key: str, value: str) -> bool:
        """Delete `key` if it holds `value`; whether it did."""
        cursor = self._conn.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, value))
        return cursor.rowcount > 0

    def peek(self, key: str, *, now: float) -> str | None:
        """The live owner of `key`, or None when it is absent or expired at `now`."""
        with self._lock, _translated():
            row = self._conn.execute(
                "SELECT owner FROM claims WHERE key = ? AND expires_at > ?", (key, now)
            ).fetchone()
        return None if row is None else str(row[0])

    def peek_many(self, keys: Sequence[str], *, now: float) -> list[str | None]:
        """The live owners of `keys` (None where absent or expired at `now`)."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock, _translated():
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    self._conn.execute(
                        f"SELECT key, owner FROM claims WHERE key IN ({marks}) AND expires_at > ?",
                        (*chunk, now),
                    ).fetchall()
                )
        return [found.get(key) for key in keys]

    def purge_expired(self, now: float) -> int:
        """Delete claims expired at `now` and return how many; keeps the file bounded."""
        with self._lock, _translated():
            return self._purge_locked(now)

    def observe_lines(
        self,
        source: str,
        document: str,
        line_hashes: Sequence[str],
        *,
        ttl_seconds: int,
        now: float,
    ) -> list[int]:
        """Count `document` once for each of its lines; per line, how many live documents of
        `source` had it (see `DedupStore.observe_lines`). One transaction, so concurrent
        observers of the same document count it once."""
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        lines = list(dict.fromkeys(line_hashes))
        expires_at = now + ttl_seconds
        with self._lock, _translated():
            with self._write():
                seen = self._conn.execute(
                    "SELECT 1 FROM line_documents WHERE source = ? AND document = ?"
                    " AND expires_at > ?",
                    (source, document, now),
                ).fetchone()
                if seen is None:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO line_documents VALUES (?, ?, ?)",
                        (source, document, expires_at),
                    )
                    # Every line was just counted, so the counts it returns are all live.
                    counts = dict(
                        self._insert_rows(
                            "INSERT INTO line_counts (source, line, count, expires_at) VALUES",
                            "(?, ?, 1, ?)",
                            [(source, line, expires_at) for line in lines],
                            _COUNT_AGAIN,
                            (now,),
                        )
                    )
                else:
                    counts = dict(self._live_counts(source, lines, now))
            self._observations_since_purge += 1
            if self._observations_since_purge >= PURGE_EVERY:
                self._observations_since_purge = 0
                self._conn.execute("DELETE FROM line_counts WHERE expires_at <= ?", (now,))
                self._conn.execute("DELETE FROM line_documents WHERE expires_at <= ?", (now,))
        return [counts.get(line, 0) for line in line_hashes]

    def _live_counts(self, source: str, lines: list[str], now: float) -> Iterator[tuple[str, int]]:
        for start in range(0, len(lines), _SQL_VARIABLES):
            chunk = lines[start : start + _SQL_VARIABLES]
            marks = ",".join("?" * len(chunk))
            yield from self._conn.execute(
                f"SELECT line, count FROM line_counts WHERE source = ? AND expires_at > ?"
                f" AND line IN ({marks})",
                (source, now, *chunk),
            )

    def begin_decision(
        self,
        source: str,
        document: str,
        line_hashes: Sequence[str],
        *,
        lines_ttl_seconds: int,
        recurring_at: int,
        claim: Claim,
        index: IndexRequest | None,
        now: float,
    ) -> Begun:
        """See `DedupStore.begin_decision`: here the calls one after the other (an embedded
        store has no round trips to save)."""
        return begin_decision_in_steps(
            self,
            source,
            document,
            line_hashes,
            lines_ttl_seconds=lines_ttl_seconds,
            recurring_at=recurring_at,
            claim=claim,
            index=index,
            now=now,
        )

    def ping(self) -> bool:
        """True when the database answers a trivial query; used by readiness checks."""
        try:
            with self._lock:
                self._conn.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reach(self) -> None:
        """Nothing to reach: the file is open (`open_store` says why not when it cannot be)."""

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
