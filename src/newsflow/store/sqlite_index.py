"""The near-duplicate index and the story state in SQLite (mixed into `SqliteStore`).

Every write is one `BEGIN IMMEDIATE` transaction (or a savepoint of one, inside `grouped`), so
processes sharing the file see each other's articles in a definite order. Rows carry
`expires_at` (the caller's `now` plus the window) and are purged every `PURGE_EVERY` commits;
reads ignore expired rows meanwhile.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any

from newsflow.errors import NewsflowError, StoreUnavailable
from newsflow.store.records import (
    POSTINGS,
    IndexedSignature,
    StoryChoice,
    StoryMatch,
    StorySummary,
    StoryUpdate,
    TermStatistics,
    best_story,
    day_buckets,
)

INDEX_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    article_id TEXT PRIMARY KEY, decision TEXT NOT NULL, expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signatures (
    article_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, at REAL NOT NULL,
    signature BLOB NOT NULL, expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lsh_bands (
    band TEXT NOT NULL, article_id TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (band, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS term_counts (
    day INTEGER NOT NULL, term TEXT NOT NULL, count INTEGER NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (day, term)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS day_documents (
    day INTEGER PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, size INTEGER NOT NULL, first_seen REAL NOT NULL,
    last_seen REAL NOT NULL, title TEXT, sources TEXT NOT NULL, expires_at REAL NOT NULL,
    norm2 REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_terms (
    story_id TEXT NOT NULL, term TEXT NOT NULL, weight REAL NOT NULL,
    PRIMARY KEY (story_id, term)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_index (
    term TEXT NOT NULL, story_id TEXT NOT NULL, last_seen REAL NOT NULL,
    expires_at REAL NOT NULL, PRIMARY KEY (term, story_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stories_last_seen ON stories (last_seen);
CREATE INDEX IF NOT EXISTS story_index_latest ON story_index (term, last_seen, story_id);
CREATE INDEX IF NOT EXISTS signatures_seq ON signatures (seq);
"""

PURGE_EVERY = 1000
_SQL_VARIABLES = 500
_EXPIRING = ("decisions", "signatures", "lsh_bands", "term_counts", "day_documents", "stories")


class SqliteIndexOps:
    """`DedupStore`'s near-duplicate and story operations over the store's connection, and the
    transactions every write of the store is made in."""

    _conn: sqlite3.Connection
    _lock: threading.Lock
    _commits_since_purge: int = 0
    _grouped: bool = False  # inside `grouped`: writes join one transaction
    _group_open: bool = False  # the group's writes since its last commit are in one
    _group_lost: bool = False  # and SQLite ended that transaction itself (an error)

    @contextmanager
    def grouped(self) -> Iterator[Callable[[], None]]:
        """Make the writes of the calls inside one transaction, committed by the function
        this yields and at the end (rolled back if the block raises). See `DedupStore.grouped`.

        Each call stays atomic (a savepoint of the group's transaction: a call that fails
        undoes its own writes only), and the transaction, begun `IMMEDIATE` by the first
        write, holds the file's write lock until it is committed: other processes wait
        (`busy_timeout`) and then see the whole group. A page changed by several articles of
        a group is written once, where each commit wrote it again."""
        with self._lock:
            if self._grouped:
                raise RuntimeError("writes are grouped already")
            self._grouped = True
        try:
            yield self.commit_group
            self.commit_group()
        except BaseException:
            # (A store closed meanwhile, as a run interrupted closes it before its generator
            # of outcomes ends, rolled the transaction back itself.)
            with self._lock, suppress(sqlite3.ProgrammingError):
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
            raise
        finally:
            with self._lock:
                self._grouped = self._group_open = self._group_lost = False

    def commit_group(self) -> None:
        """Commit the writes grouped since the last commit (see `grouped`)."""
        with self._lock, _busy():
            self._check_group()
            if self._group_lost:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._group_open = self._group_lost = False
                raise NewsflowError(
                    "the store rolled back the decisions not yet committed (an error in a write "
                    "undid its whole transaction); a re-run decides them again"
                )
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")
            self._group_open = False

    def _check_group(self) -> None:
        """Note a group whose transaction SQLite ended itself (disk full, an I/O error), in
        whatever statement: its writes are gone, and a commit of the writes after them must
        not give out the outcomes waiting on them."""
        if self._group_open and not self._conn.in_transaction:
            self._group_lost = True

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction that takes the file's write lock up front; inside `grouped`,
        a savepoint of the group's transaction (begun by the group's first write)."""
        conn = self._conn
        if not self._grouped:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return
        self._check_group()
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
            self._group_open = True
        conn.execute("SAVEPOINT step")
        try:
            yield
            conn.execute("RELEASE step")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO step")
                conn.execute("RELEASE step")
            raise

    def _insert_rows(
        self,
        insert: str,
        row: str,
        rows: Sequence[tuple[Any, ...]],
        upsert: str = "",
        upsert_values: tuple[Any, ...] = (),
    ) -> list[Any]:
        """Run `insert` over `rows` as a few statements of many rows each (`row` is one row's
        VALUES; `upsert` their ON CONFLICT clause, and any RETURNING clause, with
        `upsert_values` for its parameters); what they return. One statement per row
        (`executemany`) took longer, most of it starting and ending each statement. SQLite
        inserts a statement's rows one after the other, so a key given twice is upserted
        twice, as before.

        Each statement has a power of two of rows (50 are 32 + 16 + 2), so that a table has a
        few statements for the connection to keep prepared (of 128), not one per count:
        preparing one of 50 rows takes longer than running it."""
        most = (_SQL_VARIABLES - len(upsert_values)) // row.count("?")
        returned: list[Any] = []
        start = 0
        while start < len(rows):
            count = 1 << (min(most, len(rows) - start).bit_length() - 1)
            chunk = rows[start : start + count]
            start += count
            returned += self._conn.execute(
                f"{insert} {','.join([row] * count)} {upsert}",
                [*(value for item in chunk for value in item), *upsert_values],
            ).fetchall()
        return returned

    @contextmanager
    def _read(self) -> Iterator[None]:
        """One read transaction: a consistent snapshot across several queries (inside an open
        write transaction, that one)."""
        conn = self._conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def recall_decision(self, article_id: str, *, now: float) -> dict[str, Any] | None:
        """The stored decision of `article_id`, unless it expired at `now`."""
        with self._lock, _busy():
            row = self._conn.execute(
                "SELECT decision FROM decisions WHERE article_id = ? AND expires_at > ?",
                (article_id, now),
            ).fetchone()
        return None if row is None else _decision(row[0])

    def index_signature(
        self,
        article_id: str,
        bands: Sequence[str],
        signature: bytes,
        *,
        at: float,
        window_seconds: int,
        now: float,
    ) -> list[IndexedSignature]:
        """Index the signature (once) and return earlier live entries sharing a band."""
        expires_at = now + window_seconds
        with self._lock, _busy(), self._write():
            row = self._conn.execute(
                "SELECT seq FROM signatures WHERE article_id = ? AND expires_at > ?",
                (article_id, now),
            ).fetchone()
            if row is None:
                (seq,) = self._conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM signatures"
                ).fetchone()
                self._conn.execute(
                    "INSERT OR REPLACE INTO signatures VALUES (?, ?, ?, ?, ?)",
                    (article_id, seq, at, signature, expires_at),
                )
                self._insert_rows(
                    "INSERT OR REPLACE INTO lsh_bands VALUES",
                    "(?, ?, ?)",
                    [(band, article_id, expires_at) for band in bands],
                )
            else:
                seq = row[0]
            found = self._conn.execute(
                "SELECT DISTINCT s.article_id, s.at, s.seq, s.signature FROM lsh_bands b"
                " JOIN signatures s ON s.article_id = b.article_id"
                f" WHERE b.band IN ({_marks(bands)}) AND s.seq < ? AND s.expires_at > ?"
                " AND s.at BETWEEN ? AND ?",
                (*bands, seq, now, at - window_seconds, at + window_seconds),
            ).fetchall()
        return [IndexedSignature(a, t, s, bytes(sig)) for a, t, s, sig in found]

    def term_statistics(
        self, terms: Sequence[str], *, at: float, window_seconds: int
    ) -> TermStatistics:
        """Documents and per-term document frequencies over the window's days."""
        days = day_buckets(at, window_seconds)
        day_marks = _marks(days)
        counts: dict[str, int] = {}
        unique = list(dict.fromkeys(terms))
        with self._lock, _busy(), self._read():
            (documents,) = self._conn.execute(
                f"SELECT COALESCE(SUM(count), 0) FROM day_documents WHERE day IN ({day_marks})",
                days,
            ).fetchone()
            for start in range(0, len(unique), _SQL_VARIABLES):
                chunk = unique[start : start + _SQL_VARIABLES]
                counts.update(
                    self._conn.execute(
                        f"SELECT term, SUM(count) FROM term_counts WHERE day IN ({day_marks})"
                        f" AND term IN ({_marks(chunk)}) GROUP BY term",
                        (*days, *chunk),
                    ).fetchall()
                )
        return TermStatistics(int(documents), [int(counts.get(term, 0)) for term in terms])

    def index_and_term_statistics(
        self,
        article_id: str,
        bands: Sequence[str],
        signature: bytes,
        terms: Sequence[str],
        *,
        at: float,
        near_window_seconds: int,
        story_window_seconds: int,
        now: float,
    ) -> tuple[list[IndexedSignature], TermStatistics]:
        """`index_signature`, then `term_statistics` (in process: no round trip to save)."""
        entries = self.index_signature(
            article_id, bands, signature, at=at, window_seconds=near_window_seconds, now=now
        )
        return entries, self.term_statistics(terms, at=at, window_seconds=story_window_seconds)

    def story_candidates(
        self,
        vector: dict[str, float],
        index_terms: Sequence[str],
        *,
        at: float,
        window_seconds: int,
        limit: int,
        postings: int = POSTINGS,
    ) -> list[StoryMatch]:
        """Stories sharing the most index terms (of each term, the `postings` joined last),
        joined within the window, with the cosine of `vector` to each centroid."""
        with self._lock, _busy(), self._read():
            return self._candidates(vector, index_terms, at - window_seconds, limit, postings)

    def _candidates(
        self,
        vector: dict[str, float],
        index_terms: Sequence[str],
        since: float,
        limit: int,
        postings: int,
    ) -> list[StoryMatch]:
        if not index_terms:
            return []
        latest = " UNION ALL ".join(
            "SELECT story_id FROM (SELECT story_id FROM story_index WHERE term = ?"
            " AND last_seen >= ? ORDER BY last_seen DESC, story_id DESC LIMIT ?)"
            for _ in index_terms
        )
        # Counted per story before the join: joining every posting, then grouping, took 0.30
        # ms a search where this takes 0.22 (the index of 2,000 generated articles).
        ranked = self._conn.execute(
            "SELECT s.story_id, s.size, s.first_seen, s.last_seen, s.norm2"
            f" FROM (SELECT story_id, COUNT(*) AS shared FROM ({latest}) GROUP BY story_id) i"
            " JOIN stories s ON s.story_id = i.story_id ORDER BY i.shared DESC, i.story_id"
            " LIMIT ?",
            (*(x for term in index_terms for x in (term, since, postings)), limit),
        ).fetchall()
        dots: dict[str, float] = {}
        if ranked and vector:
            pairs = ",".join("(?, ?)" for _ in vector)
            dots = dict(
                self._conn.execute(
                    f"WITH v(term, w) AS (VALUES {pairs}) SELECT t.story_id,"
                    " SUM(t.weight * v.w) FROM story_terms t JOIN v ON t.term = v.term"
                    f" WHERE t.story_id IN ({_marks(ranked)}) GROUP BY t.story_id",
                    (*(x for item in vector.items() for x in item), *(r[0] for r in ranked)),
                ).fetchall()
            )
        return [
            StoryMatch(sid, size, first, last, dots.get(sid, 0.0) / math.sqrt(norm2))
            if norm2 > 0
            else StoryMatch(sid, size, first, last, 0.0)
            for sid, size, first, last, norm2 in ranked
        ]

    def commit_decision(
        self,
        article_id: str,
        decision: dict[str, Any],
        *,
        story: StoryUpdate | None,
        choice: StoryChoice | None = None,
        ttl_seconds: int,
        now: float,
    ) -> dict[str, Any]:
        """Store the decision and apply the story update (to the story `choice` picks, if
        given), unless a decision exists; all in one write transaction."""
        with self._lock, _busy():
            with self._write():
                row = self._conn.execute(
                    "SELECT decision FROM decisions WHERE article_id = ? AND expires_at > ?",
                    (article_id, now),
                ).fetchone()
                if row is not None:
                    return _decision(row[0])
                if story is not None and choice is not None:
                    story = self._choose(story, choice)
                    decision = {**decision, "story_id": story.story_id}
                self._conn.execute(
                    "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?)",
                    (article_id, json.dumps(decision), now + ttl_seconds),
                )
                if story is not None:
                    self._apply(story, now)
            self._commits_since_purge += 1
            if self._commits_since_purge >= PURGE_EVERY:
                self._commits_since_purge = 0
                self._purge_index_locked(now)
        return decision

    def _choose(self, story: StoryUpdate, choice: StoryChoice) -> StoryUpdate:
        """`story`, sent to the story `choice` picks for it if any."""
        found = self._candidates(
            story.centroid,
            story.index_terms,
            story.at - choice.window_seconds,
            choice.candidates,
            choice.postings,
        )
        best = best_story(found, story.at, choice)
        return story if best is None else replace(story, story_id=best.story_id)

    def top_stories(self, *, limit: int, since: float) -> list[StorySummary]:
        """The largest stories last joined at or after `since`."""
        with self._lock, _busy():
            rows = self._conn.execute(
                "SELECT story_id, size, first_seen, last_seen, title, sources FROM stories"
                " WHERE last_seen >= ? ORDER BY size DESC, last_seen DESC LIMIT ?",
                (since, limit),
            ).fetchall()
        return [
            StorySummary(sid, size, first, last, title, sorted(json.loads(sources)))
            for sid, size, first, last, title, sources in rows
        ]

    def purge_index(self, now: float) -> None:
        """Delete near-duplicate and story rows expired at `now`."""
        with self._lock, _busy():
            self._purge_index_locked(now)

    def _apply(self, story: StoryUpdate, now: float) -> None:
        expires_at = now + story.ttl_seconds
        day = day_buckets(story.at, 0)[-1]
        self._conn.execute(
            "INSERT INTO day_documents VALUES (?, 1, ?) ON CONFLICT (day) DO UPDATE SET"
            " count = count + 1, expires_at = excluded.expires_at",
            (day, expires_at),
        )
        self._insert_rows(
            "INSERT INTO term_counts VALUES",
            "(?, ?, 1, ?)",
            [(day, term, expires_at) for term in dict.fromkeys(story.counted_terms)],
            "ON CONFLICT (day, term) DO UPDATE SET count = count + 1,"
            " expires_at = excluded.expires_at",
        )
        row = self._conn.execute(
            "SELECT sources FROM stories WHERE story_id = ?", (story.story_id,)
        ).fetchone()
        sources = sorted({*json.loads(row[0] if row else "[]"), story.source})
        self._conn.execute(
            "INSERT INTO stories VALUES (?, 1, ?, ?, ?, ?, ?, 0) ON CONFLICT (story_id) DO UPDATE"
            " SET size = size + 1, first_seen = MIN(first_seen, excluded.first_seen),"
            " last_seen = MAX(last_seen, excluded.last_seen), sources = excluded.sources,"
            " expires_at = excluded.expires_at",
            (story.story_id, story.at, story.at, story.title, json.dumps(sources), expires_at),
        )
        self._insert_rows(
            "INSERT INTO story_terms VALUES",
            "(?, ?, ?)",
            [(story.story_id, term, weight) for term, weight in story.centroid.items()],
            "ON CONFLICT (story_id, term) DO UPDATE SET weight = weight + excluded.weight",
        )
        # Trimmed only when over its size (a new story's centroid is one article's); the
        # count and the norm come from one read of its terms.
        terms, norm2 = self._centroid_size(story.story_id)
        if terms > story.centroid_terms:
            self._conn.execute(
                "DELETE FROM story_terms WHERE story_id = ? AND term NOT IN (SELECT term FROM"
                " story_terms WHERE story_id = ? ORDER BY weight DESC, term LIMIT ?)",
                (story.story_id, story.story_id, story.centroid_terms),
            )
            _, norm2 = self._centroid_size(story.story_id)
        self._conn.execute(
            "UPDATE stories SET norm2 = ? WHERE story_id = ?", (norm2, story.story_id)
        )
        self._insert_rows(
            "INSERT INTO story_index VALUES",
            "(?, ?, ?, ?)",
            [(term, story.story_id, story.at, expires_at) for term in story.index_terms],
            "ON CONFLICT (term, story_id) DO UPDATE SET last_seen = MAX(last_seen,"
            " excluded.last_seen), expires_at = excluded.expires_at",
        )

    def _centroid_size(self, story_id: str) -> tuple[int, float]:
        """How many terms the story's centroid has, and its squared norm."""
        row = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(weight * weight), 0) FROM story_terms"
            " WHERE story_id = ?",
            (story_id,),
        ).fetchone()
        return int(row[0]), float(row[1])

    def _purge_index_locked(self, now: float) -> None:
        with self._write():
            for table in _EXPIRING:
                self._conn.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (now,))
            self._conn.execute("DELETE FROM story_index WHERE expires_at <= ?", (now,))
            self._conn.execute(
                "DELETE FROM story_terms WHERE story_id NOT IN (SELECT story_id FROM stories)"
            )


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _decision(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@contextmanager
def _busy() -> Iterator[None]:
    """Another process holding the write lock past the busy timeout is retriable."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
            raise StoreUnavailable(f"sqlite store is busy: {exc}") from exc
        raise
