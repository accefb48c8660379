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


def test_a_new_documents_lines_are_counted_in_few_statements(store: SqliteStore) -> None:
    """Fifty lines take three statements (32 + 16 + 2 rows), whose RETURNING gives the counts:
    a statement per line and a read of the counts afterwards took longer."""
    lines = [f"line {i}" for i in range(50)]
    store.observe_lines("a.example", "d1", lines[:10], ttl_seconds=TTL, now=NOW)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    counts = store.observe_lines("a.example", "d2", lines, ttl_seconds=TTL, now=NOW + 1)
    assert counts == [2] * 10 + [1] * 40
    on_counts = [s for s in statements if "line_counts" in s]
    assert len(on_counts) == 3
    assert all(s.lstrip().startswith("INSERT") for s in on_counts)


def test_lines_beyond_one_statements_variables_are_all_counted(store: SqliteStore) -> None:
    lines = [f"line {i}" for i in range(1000)]
    store.observe_lines("a.example", "d1", lines[:600], ttl_seconds=TTL, now=NOW)
    counts = store.observe_lines("a.example", "d2", [*lines, "line 0"], ttl_seconds=TTL, now=NOW)
    assert counts == [2] * 600 + [1] * 400 + [2]
    # A document seen already reads the counts without counting again.
    assert store.observe_lines("a.example", "d2", lines, ttl_seconds=TTL, now=NOW) == counts[:-1]
