"""RedisStore.observe_lines against a real Redis: counts per source, once per document, TTL."""

from __future__ import annotations

import pytest
import redis

from newsflow.store.redis import RedisStore

pytestmark = pytest.mark.redis

NOW = 1_700_000_000.0
TTL = 120


def test_counts_are_documents_of_the_source_that_had_the_line(store: RedisStore) -> None:
    assert store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW) == [1, 1]
    assert store.observe_lines("a.example", "d2", ["x", "z"], ttl_seconds=TTL, now=NOW) == [2, 1]
    assert store.observe_lines("b.example", "d3", ["x"], ttl_seconds=TTL, now=NOW) == [1]


def test_a_document_seen_again_is_not_counted_twice(store: RedisStore) -> None:
    store.observe_lines("a.example", "d1", ["x", "x", "y"], ttl_seconds=TTL, now=NOW)
    again = store.observe_lines("a.example", "d1", ["y", "x"], ttl_seconds=TTL, now=NOW)
    assert again == [1, 1]


def test_every_key_is_bounded_by_the_ttl(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW)
    keys = list(client.scan_iter(match=f"{prefix}lines:*"))
    assert len(keys) == 3  # two lines and the document marker
    for key in keys:
        assert 0 < client.ttl(key) <= TTL


def test_counts_are_shared_by_every_client(redis_url: str, prefix: str, store: RedisStore) -> None:
    other = RedisStore.from_url(redis_url, prefix=prefix)
    try:
        store.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=NOW)
        assert other.observe_lines("a.example", "d2", ["x"], ttl_seconds=TTL, now=NOW) == [2]
    finally:
        other.close()
