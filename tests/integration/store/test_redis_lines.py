"""RedisStore.observe_lines against a real Redis: every key bounded by the TTL (the contract
both stores share is in test_both_stores.py)."""

from __future__ import annotations

import pytest
import redis

from newsflow.store.redis import RedisStore

pytestmark = pytest.mark.redis

NOW = 1_700_000_000.0
TTL = 120


def test_every_key_is_bounded_by_the_ttl(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW)
    keys = list(client.scan_iter(match=f"{prefix}lines:*"))
    assert len(keys) == 3  # two lines and the document marker
    for key in keys:
        assert 0 < client.ttl(key) <= TTL
