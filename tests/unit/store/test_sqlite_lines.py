"""SqliteStore.observe_lines: per-source line statistics for boilerplate learning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsflow.store.sqlite import SqliteStore

NOW = 1_700_000_000.0
TTL = 60


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def test_counts_are_documents_of_the_source_that_had_the_line(store: SqliteStore) -> None:
    assert store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW) == [1, 1]
    assert store.observe_lines("a.example", "d2", ["x", "z"], ttl_seconds=TTL, now=NOW) == [2, 1]
    assert store.observe_lines("a.example", "d3", ["y", "x"], ttl_seconds=TTL, now=NOW) == [2, 3]


def test_sources_are_counted_apart(store: SqliteStore) -> None:
    store.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=NOW)
    assert store.observe_lines("b.example", "d2", ["x"], ttl_seconds=TTL, now=NOW) == [1]


def test_a_document_seen_again_is_not_counted_twice(store: SqliteStore) -> None:
    store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW)
    again = store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW + 1)
    assert again == [1, 1]


def test_a_line_repeated_in_one_document_counts_once(store: SqliteStore) -> None:
    assert store.observe_lines("a.example", "d1", ["x", "x"], ttl_seconds=TTL, now=NOW) == [1, 1]


def test_counts_expire_after_the_ttl(store: SqliteStore) -> None:
    store.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=NOW)
    store.observe_lines("a.example", "d2", ["x"], ttl_seconds=TTL, now=NOW + 30)
    # Refreshed at NOW + 30, so still alive at NOW + 80; forgotten after NOW + 90.
    assert store.observe_lines("a.example", "d3", ["x"], ttl_seconds=TTL, now=NOW + 80) == [3]
    assert store.observe_lines("a.example", "d4", ["x"], ttl_seconds=TTL, now=NOW + 200) == [1]
    # The expired document marker lets the same text be counted again.
    assert store.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=NOW + 200) == [2]


def test_more_lines_than_one_query_takes(store: SqliteStore) -> None:
    lines = [f"line{n}" for n in range(1200)]
    store.observe_lines("a.example", "d1", lines, ttl_seconds=TTL, now=NOW)
    assert store.observe_lines("a.example", "d2", lines, ttl_seconds=TTL, now=NOW) == [2] * 1200


def test_counts_are_shared_through_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "store.sqlite")
    first, second = SqliteStore(path), SqliteStore(path)
    try:
        first.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=NOW)
        assert second.observe_lines("a.example", "d2", ["x"], ttl_seconds=TTL, now=NOW) == [2]
    finally:
        first.close()
        second.close()


def test_a_ttl_below_one_second_is_refused(store: SqliteStore) -> None:
    with pytest.raises(ValueError):
        store.observe_lines("a.example", "d1", ["x"], ttl_seconds=0, now=NOW)
