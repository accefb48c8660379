"""SqliteStore.observe_lines: counts expire by the `now` it is given (the contract both stores
share is in test_both_stores.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsflow.store.sqlite import SqliteStore

NOW = 1_700_000_000.0
TTL = 60


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def test_counts_expire_after_the_ttl(store: SqliteStore) -> None:
    store.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=NOW)
    store.observe_lines("a.example", "d2", ["x"], ttl_seconds=TTL, now=NOW + 30)
    # Refreshed at NOW + 30, so still alive at NOW + 80; forgotten after NOW + 90.
    assert store.observe_lines("a.example", "d3", ["x"], ttl_seconds=TTL, now=NOW + 80) == [3]
    assert store.observe_lines("a.example", "d4", ["x"], ttl_seconds=TTL, now=NOW + 200) == [1]
    # The expired document marker lets the same text be counted again.
    assert store.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=NOW + 200) == [2]
