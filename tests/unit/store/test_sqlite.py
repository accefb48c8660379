"""SqliteStore: first-writer-wins claims with expiry, across threads and processes."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from tests.racing import race_claims

import newsflow.store.sqlite as sqlite_store
from newsflow.errors import ConfigError, NewsflowError, StoreUnavailable
from newsflow.store import open_store
from newsflow.store.records import Mark
from newsflow.store.sqlite import SqliteStore

NOW = 1_700_000_000.0
TTL = 60


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def count_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (n,) = conn.execute("SELECT count(*) FROM claims").fetchone()
    return int(n)


def test_first_claim_wins(store: SqliteStore) -> None:
    assert store.claim("h1", "a1", ttl_seconds=TTL, now=NOW) == "a1"


def test_second_claimer_gets_first_owner(store: SqliteStore) -> None:
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    assert store.claim("h1", "a2", ttl_seconds=TTL, now=NOW + 1) == "a1"


def test_same_owner_reclaiming_gets_itself(store: SqliteStore) -> None:
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    assert store.claim("h1", "a1", ttl_seconds=TTL, now=NOW + 1) == "a1"


def test_keys_are_independent(store: SqliteStore) -> None:
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    assert store.claim("h2", "a2", ttl_seconds=TTL, now=NOW) == "a2"


def test_claim_expires_after_ttl(store: SqliteStore) -> None:
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    assert store.claim("h1", "a2", ttl_seconds=TTL, now=NOW + TTL - 0.001) == "a1"
    assert store.claim("h1", "a2", ttl_seconds=TTL, now=NOW + TTL) == "a2"
    # The new claim has its own TTL, counted from when it was made.
    assert store.claim("h1", "a3", ttl_seconds=TTL, now=NOW + 2 * TTL - 1) == "a2"


def test_ttl_must_be_positive(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        store.claim("h1", "a1", ttl_seconds=0, now=NOW)


def test_file_store_persists_across_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "dedup.db")
    first = SqliteStore(path)
    first.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    first.close()

    second = SqliteStore(path)
    try:
        assert second.claim("h1", "a2", ttl_seconds=TTL, now=NOW + 1) == "a1"
    finally:
        second.close()


def test_purge_expired_removes_only_expired_rows(tmp_path: Path) -> None:
    path = tmp_path / "dedup.db"
    s = SqliteStore(str(path))
    try:
        s.claim("old", "a1", ttl_seconds=10, now=NOW)
        s.claim("new", "a2", ttl_seconds=100, now=NOW)
        assert s.purge_expired(NOW + 50) == 1
        assert count_rows(path) == 1
        assert s.claim("new", "a3", ttl_seconds=TTL, now=NOW + 50) == "a2"
        assert s.purge_expired(NOW + 50) == 0
    finally:
        s.close()


def test_claims_purge_now_and_then(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "PURGE_EVERY", 3)
    path = tmp_path / "dedup.db"
    s = SqliteStore(str(path))
    try:
        s.claim("k1", "a", ttl_seconds=1, now=NOW)
        s.claim("k2", "a", ttl_seconds=1, now=NOW)
        assert count_rows(path) == 2
        s.claim("k3", "a", ttl_seconds=TTL, now=NOW + 5)  # third claim: k1 and k2 purged
        assert count_rows(path) == 1
        # The count starts over: the next two claims purge nothing, however expired.
        s.claim("k4", "a", ttl_seconds=1, now=NOW + 5)
        s.claim("k5", "a", ttl_seconds=TTL, now=NOW + 10)
        assert count_rows(path) == 3
        s.claim("k6", "a", ttl_seconds=TTL, now=NOW + 10)  # the third since: k4 purged
        assert count_rows(path) == 3
    finally:
        s.close()


def test_ping_is_true_until_closed() -> None:
    s = SqliteStore(":memory:")
    assert s.ping() is True
    s.close()
    assert s.ping() is False


def test_busy_file_raises_retriable_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "dedup.db"
    s = SqliteStore(str(path), busy_timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreUnavailable) as info:
            s.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
        assert info.value.retriable is True
        holder.execute("ROLLBACK")
        assert s.claim("h1", "a1", ttl_seconds=TTL, now=NOW) == "a1"
    finally:
        holder.close()
        s.close()


def test_open_store_picks_sqlite_for_paths(tmp_path: Path) -> None:
    for url in (
        ":memory:",
        str(tmp_path / "a.db"),
        f"sqlite://{tmp_path / 'b.db'}",
        f"SQLite://{tmp_path / 'c.db'}",
    ):
        s = open_store(url)
        try:
            assert isinstance(s, SqliteStore)
            assert s.claim("h1", "a1", ttl_seconds=TTL, now=NOW) == "a1"
        finally:
            s.close()


@pytest.mark.parametrize("url", ["redis+sentinel://host:26379/0", "memcached://host:11211"])
def test_a_store_url_of_another_scheme_is_refused_by_name(url: str, tmp_path: Path) -> None:
    """ "redis+sentinel://…" was opened as an SQLite path ("cannot open the embedded store")."""
    with pytest.raises(ConfigError, match=r"scheme '[a-z+]+' are not supported"):
        open_store(url)


@pytest.mark.parametrize("grouped", [False, True])
def test_threads_racing_on_one_store_agree(store: SqliteStore, grouped: bool) -> None:
    keys = [f"h{i}" for i in range(200)]

    def claim_all(owner: str) -> dict[str, str]:
        return {k: store.claim(k, owner, ttl_seconds=TTL, now=NOW) for k in keys}

    with ExitStack() as stack:
        if grouped:  # the threads' claims join the one transaction
            stack.enter_context(store.grouped())
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(claim_all, ["t0", "t1", "t2", "t3"]))

    assert all(r == results[0] for r in results)
    assert set(results[0].values()) <= {"t0", "t1", "t2", "t3"}
    assert store.peek_many(keys, now=NOW) == [results[0][k] for k in keys]


def claim_in_process(
    path: str, keys: list[str], owner: str, start: Any, out: Any, group: int | None
) -> None:
    """Child process body: wait for the others, then claim every key (`group` claims at a
    time in one `grouped` transaction, if given); report what it saw."""
    s = SqliteStore(path)
    try:
        start.wait()
        if group is None:
            out.put((owner, {k: s.claim(k, owner, ttl_seconds=TTL, now=NOW) for k in keys}))
            return
        seen = {}
        with s.grouped() as commit:
            for n, key in enumerate(keys, start=1):
                seen[key] = s.claim(key, owner, ttl_seconds=TTL, now=NOW)
                if n % group == 0:
                    commit()
        out.put((owner, seen))
    finally:
        s.close()


@pytest.mark.parametrize("group", [None, 7])
def test_processes_racing_on_one_file_agree_on_one_owner_per_key(
    tmp_path: Path, group: int | None
) -> None:
    path = str(tmp_path / "dedup.db")
    SqliteStore(path).close()  # create schema and WAL up front
    keys = [f"h{i}" for i in range(200)]
    seen = race_claims(
        claim_in_process, lambda owner, start, out: (path, keys, owner, start, out, group)
    )
    check = SqliteStore(path)
    try:
        for key in keys:
            assert check.claim(key, "late", ttl_seconds=TTL, now=NOW) == seen["p0"][key]
    finally:
        check.close()


def test_grouped_writes_are_seen_by_another_process_once_committed_and_hold_off_its_writes(
    tmp_path: Path,
) -> None:
    """`grouped`: one transaction for many calls (each page written once), holding the file's
    write lock until committed, so a claim elsewhere waits and then sees the group."""
    path = str(tmp_path / "dedup.db")
    store, other = SqliteStore(path), SqliteStore(path, busy_timeout=0.05)
    try:
        with store.grouped() as commit:
            assert store.claim("h1", "a1", ttl_seconds=TTL, now=NOW) == "a1"
            assert store.claim("h2", "a2", ttl_seconds=TTL, now=NOW) == "a2"
            assert store.peek("h1", now=NOW) == "a1"  # its own writes, not yet committed
            assert other.peek("h1", now=NOW) is None
            with pytest.raises(StoreUnavailable):
                other.claim("h1", "b1", ttl_seconds=TTL, now=NOW)
            commit()
            assert other.peek_many(["h1", "h2"], now=NOW) == ["a1", "a2"]
            assert other.claim("h1", "b1", ttl_seconds=TTL, now=NOW) == "a1"
            store.claim("h3", "a3", ttl_seconds=TTL, now=NOW)
        assert other.claim("h3", "b3", ttl_seconds=TTL, now=NOW) == "a3"  # committed at the end
    finally:
        store.close()
        other.close()


class FailingMark(Mark):
    """A mark whose value cannot be made: the claim fails after its first write."""

    def value(self, owner: str) -> str:
        raise RuntimeError("no value")


def test_a_call_that_fails_in_a_group_undoes_its_own_writes_only(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "dedup.db"))
    try:
        with store.grouped():
            store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
            with pytest.raises(RuntimeError, match="no value"):
                store.claim("h2", "a2", ttl_seconds=TTL, now=NOW, mark=FailingMark("m", "", ""))
            store.claim("h3", "a3", ttl_seconds=TTL, now=NOW)
        assert store.peek_many(["h1", "h2", "h3"], now=NOW) == ["a1", None, "a3"]
    finally:
        store.close()


def test_a_block_that_raises_leaves_its_uncommitted_writes_undone(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "dedup.db"))
    try:
        with pytest.raises(KeyboardInterrupt), store.grouped() as commit:
            store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
            commit()
            store.claim("h2", "a2", ttl_seconds=TTL, now=NOW)
            raise KeyboardInterrupt
        assert store.peek_many(["h1", "h2"], now=NOW) == ["a1", None]
    finally:
        store.close()


def test_a_group_left_open_when_the_store_is_closed_ends_quietly_undone(tmp_path: Path) -> None:
    """`newsflow process` interrupted closes the store, then its generator of outcomes ends
    inside `grouped`: that printed "Exception ignored … Cannot operate on a closed database"."""
    path = str(tmp_path / "dedup.db")
    store = SqliteStore(path)

    def outcomes() -> Generator[int, None, None]:
        with store.grouped() as commit:
            store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
            commit()
            yield 1
            store.claim("h2", "a2", ttl_seconds=TTL, now=NOW)
            yield 2

    running = outcomes()
    assert list(itertools.islice(running, 2)) == [1, 2]
    store.close()
    running.close()  # raised ProgrammingError
    reopened = SqliteStore(path)
    try:
        assert reopened.peek_many(["h1", "h2"], now=NOW) == ["a1", None]
    finally:
        reopened.close()


class EndingMark(Mark):
    """A mark that ends the transaction and fails, as SQLite does on a full disk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__("m", "", "")
        object.__setattr__(self, "conn", conn)

    def value(self, owner: str) -> str:
        self.conn.execute("ROLLBACK")  # type: ignore[attr-defined]
        raise sqlite3.DatabaseError("database or disk is full")


def test_a_group_that_sqlite_rolled_back_is_not_committed_as_if_whole(tmp_path: Path) -> None:
    """Writes after SQLite ended the group's transaction would begin another, and the commit
    would store them alone: the outcomes waiting on the lost ones would be given out."""
    store = SqliteStore(str(tmp_path / "dedup.db"))
    try:
        with pytest.raises(NewsflowError, match="rolled back"), store.grouped() as commit:
            store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
            with pytest.raises(sqlite3.DatabaseError):
                store.claim("h2", "a2", ttl_seconds=TTL, now=NOW, mark=EndingMark(store._conn))
            store.claim("h3", "a3", ttl_seconds=TTL, now=NOW)
            commit()
        assert store.peek_many(["h1", "h2", "h3"], now=NOW) == [None, None, None]
        with store.grouped():  # and the next group is a group again
            store.claim("h4", "a4", ttl_seconds=TTL, now=NOW)
        assert store.peek("h4", now=NOW) == "a4"
    finally:
        store.close()


def test_a_group_ended_outside_a_write_is_not_committed_as_if_whole(tmp_path: Path) -> None:
    """SQLite may end the transaction in any statement (the purge after a claim, a read)."""
    store = SqliteStore(str(tmp_path / "dedup.db"))
    try:
        with pytest.raises(NewsflowError, match="rolled back"), store.grouped() as commit:
            store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
            store._conn.execute("ROLLBACK")  # as SQLite does on an I/O error
            store.claim("h2", "a2", ttl_seconds=TTL, now=NOW)
            commit()
        assert store.peek_many(["h1", "h2"], now=NOW) == [None, None]
    finally:
        store.close()


def test_peek_reads_a_live_claim_and_ignores_an_expired_one() -> None:
    store = SqliteStore(":memory:")
    assert store.peek("raw:h", now=0) is None
    store.claim("raw:h", "a1 a1 c1", ttl_seconds=60, now=0)
    assert store.peek("raw:h", now=59) == "a1 a1 c1"
    assert store.peek("raw:h", now=60) is None


def test_peek_many_reads_live_claims_only() -> None:
    store = SqliteStore(":memory:")
    store.claim("raw:a", "a1 a1 c1", ttl_seconds=60, now=0)
    store.claim("raw:c", "a3 a1 c1", ttl_seconds=10, now=0)
    assert store.peek_many(["raw:a", "raw:b", "raw:c", "raw:a"], now=30) == [
        "a1 a1 c1",
        None,
        None,  # expired
        "a1 a1 c1",
    ]


def test_a_store_file_that_cannot_be_opened_is_a_configuration_error(tmp_path: Path) -> None:
    """In the extract image (read-only root, no NEWSFLOW_STORE_URL) the worker crashed with a
    traceback and was restarted forever, instead of stopping with exit 2 and saying why."""
    with pytest.raises(ConfigError, match="NEWSFLOW_STORE_URL"):
        open_store(str(tmp_path / "missing" / "store.sqlite"))


def test_every_connection_to_a_store_file_has_its_write_settings(tmp_path: Path) -> None:
    """A group's pages stay in the page cache until its commit, statement journals in memory,
    and checkpoints are 10,000 frames apart: each connection's own settings, so each process
    sharing the file sets them (SQLite's defaults wrote ~1 MB per article)."""
    path = str(tmp_path / "dedup.db")
    for store in (SqliteStore(path), SqliteStore(path)):
        try:
            settings = [
                store._conn.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous", "cache_size", "temp_store")
            ]
            assert settings == ["wal", 1, -sqlite_store.CACHE_KIB, 2]  # NORMAL, MEMORY
            (pages,) = store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()
            assert pages == sqlite_store.CHECKPOINT_PAGES == 10_000
        finally:
            store.close()


def test_a_python_with_an_sqlite_too_old_for_the_store_is_told_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The store's statements need RETURNING (SQLite 3.35; Ubuntu 20.04 has 3.31): a Python
    linked to an older SQLite failed on its first article with "near RETURNING: syntax
    error". It is a configuration error at the start, naming both ways out."""
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(ConfigError, match=r"needs SQLite 3\.35 or later.*has 3\.31\.1.*redis://"):
        SqliteStore(str(tmp_path / "store.sqlite"))
    assert not (tmp_path / "store.sqlite").exists()
