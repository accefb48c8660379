"""What only SqliteStore has: one file shared by several store objects, purging, and expiry by
the `now` it is given (the contract both stores share is in test_both_stores.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.story_updates import T0, WINDOW, update

from newsflow.store.sqlite import SqliteStore

A, B, C = "a" * 32, "b" * 32, "c" * 32


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def index(store: SqliteStore, article_id: str, bands: list[str], at: float = T0) -> list[str]:
    found = store.index_signature(
        article_id, bands, article_id.encode(), at=at, window_seconds=WINDOW, now=at
    )
    return [e.article_id for e in found]


def test_concurrent_commits_of_one_article_count_it_once(tmp_path: Path) -> None:
    path = str(tmp_path / "store.sqlite")
    stores = [SqliteStore(path) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(
                    lambda s: s.commit_decision(
                        A, {"by": id(s)}, story=update(A), ttl_seconds=60, now=T0
                    ),
                    stores,
                )
            )
        assert len({r["by"] for r in results}) == 1
        assert stores[0].top_stories(limit=1, since=0)[0].size == 1
    finally:
        for s in stores:
            s.close()


def test_purge_removes_expired_rows(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = SqliteStore(str(path))
    store.commit_decision(A, {}, story=update(A, ttl_seconds=60), ttl_seconds=60, now=T0)
    index(store, B, ["0:x"])
    store.purge_index(T0 + WINDOW + 1)
    store.close()
    with sqlite3.connect(path) as conn:
        for table in ("decisions", "signatures", "lsh_bands", "stories", "story_terms"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


def test_a_decision_is_forgotten_after_its_ttl(store: SqliteStore) -> None:
    store.commit_decision(A, {"story_id": A}, story=update(A), ttl_seconds=60, now=T0)
    assert store.recall_decision(A, now=T0 + 59) == {"story_id": A}
    assert store.recall_decision(A, now=T0 + 60) is None


def test_a_storys_terms_are_written_in_few_statements(store: SqliteStore) -> None:
    """Fifty centroid terms take three statements (32 + 16 + 2 rows), not one each."""
    terms = [f"term{i}" for i in range(50)]
    story = update(A, counted_terms=terms, centroid={t: 0.1 for t in terms}, index_terms=terms)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    store.commit_decision(A, {}, story=story, ttl_seconds=60, now=T0)
    for table in ("term_counts", "story_terms", "story_index"):
        assert len([s for s in statements if f"INSERT INTO {table}" in s]) == 3, table


def test_a_centroid_over_its_size_keeps_its_heaviest_terms(store: SqliteStore) -> None:
    first = update(A, centroid={"iran": 0.8, "missile": 0.6}, centroid_terms=2)
    store.commit_decision(A, {}, story=first, ttl_seconds=60, now=T0)
    joined = update(A, centroid={"iran": 0.3, "strike": 0.7}, centroid_terms=2)
    store.commit_decision(B, {}, story=joined, ttl_seconds=60, now=T0)
    (match,) = store.story_candidates(
        {"iran": 1.0}, ["iran"], at=T0, window_seconds=WINDOW, limit=4
    )
    # Kept: iran 1.1 and strike 0.7; the norm is theirs, not the trimmed missile's.
    assert match.similarity == pytest.approx(1.1 / (1.1**2 + 0.7**2) ** 0.5)
