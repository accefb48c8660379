"""SqliteStore's near-duplicate index and story state: order, window, once-only commits."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.story_updates import T0, WINDOW, update

from newsflow.store.records import day_buckets
from newsflow.store.sqlite import SqliteStore

DAY = 86_400
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


def test_index_returns_earlier_articles_sharing_a_band(store: SqliteStore) -> None:
    assert index(store, A, ["0:x", "1:y"]) == []
    assert index(store, B, ["0:z", "1:y"]) == [A]
    assert index(store, C, ["0:q", "1:r"]) == []
    [entry] = store.index_signature(C, ["0:x"], b"c", at=T0, window_seconds=WINDOW, now=T0)
    assert entry == entry.__class__(A, T0, 1, A.encode())


def test_a_redelivered_article_keeps_its_place_and_never_sees_itself(
    store: SqliteStore,
) -> None:
    index(store, A, ["0:x"])
    index(store, B, ["0:x"])
    assert index(store, A, ["0:x"]) == []  # B came later
    assert index(store, B, ["0:x"]) == [A]


def test_the_index_window_is_about_event_time(store: SqliteStore) -> None:
    index(store, A, ["0:x"], at=T0)
    assert index(store, B, ["0:x"], at=T0 + WINDOW + 1) == []
    assert index(store, C, ["0:x"], at=T0 - WINDOW + 1) == [A]  # B is 2 windows away


def test_term_statistics_count_documents_per_day_within_the_window(
    store: SqliteStore,
) -> None:
    for n, at in enumerate((T0 - 5 * DAY, T0 - DAY, T0)):
        store.commit_decision(
            f"{n:032x}", {}, story=update(f"{n:032x}", at=at), ttl_seconds=WINDOW, now=T0
        )
    stats = store.term_statistics(["iran", "nothing"], at=T0, window_seconds=WINDOW)
    assert (stats.documents, stats.frequencies) == (2, [2, 0])
    assert len(day_buckets(T0, WINDOW)) == 4


def test_candidates_are_scored_and_bounded_by_the_window(store: SqliteStore) -> None:
    store.commit_decision(A, {}, story=update(A), ttl_seconds=WINDOW, now=T0)
    store.commit_decision(
        B,
        {},
        story=update(B, at=T0 - 2 * WINDOW, centroid={"iran": 1.0}, index_terms=["iran"]),
        ttl_seconds=WINDOW,
        now=T0,
    )
    [match] = store.story_candidates(
        {"iran": 1.0}, ["iran", "other"], at=T0, window_seconds=WINDOW, limit=5
    )
    assert (match.story_id, match.size) == (A, 1)
    assert match.similarity == pytest.approx(0.8)
    assert store.story_candidates({"x": 1.0}, ["x"], at=T0, window_seconds=WINDOW, limit=5) == []


def test_a_commit_applies_once_and_returns_the_first_decision(store: SqliteStore) -> None:
    first = store.commit_decision(A, {"story_id": A}, story=update(A), ttl_seconds=60, now=T0)
    again = store.commit_decision(A, {"story_id": B}, story=update(B), ttl_seconds=60, now=T0 + 1)
    assert first == again == {"story_id": A}
    assert store.recall_decision(A, now=T0 + 1) == {"story_id": A}
    assert store.recall_decision(A, now=T0 + 60) is None  # expired
    assert store.recall_decision(B, now=T0) is None
    assert [(s.story_id, s.size) for s in store.top_stories(limit=5, since=0)] == [(A, 1)]


def test_joining_grows_the_story_and_trims_its_centroid(store: SqliteStore) -> None:
    store.commit_decision(A, {}, story=update(A, source="one.com"), ttl_seconds=60, now=T0)
    joined = update(
        A,
        at=T0 + 10,
        source="two.com",
        centroid={"kyiv": 2.0, "iran": 0.1},
        index_terms=["kyiv"],
        centroid_terms=2,
    )
    store.commit_decision(B, {}, story=joined, ttl_seconds=60, now=T0)
    [story] = store.top_stories(limit=5, since=0)
    assert (story.size, story.sources, story.first_seen, story.last_seen) == (
        2,
        ["one.com", "two.com"],
        T0,
        T0 + 10,
    )
    assert story.title == "A title"
    [match] = store.story_candidates(
        {"missile": 1.0}, ["kyiv"], at=T0, window_seconds=WINDOW, limit=1
    )
    assert match.similarity == 0.0  # "missile" was trimmed away


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
