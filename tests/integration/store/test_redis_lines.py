"""RedisStore.observe_lines against a real Redis: a line seen once costs no key of its own (its
first sighting is a few bits in a filter), every key is bounded, and first sightings are
forgotten by period (the contract both stores share is in test_both_stores.py)."""

from __future__ import annotations

import pytest
import redis

from newsflow.store.redis import RedisStore

pytestmark = pytest.mark.redis

NOW = 1_700_000_000.0
TTL = 120
PERIOD = TTL // 2


def test_lines_seen_once_have_no_key_of_their_own(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW)
    store.observe_lines("a.example", "d2", ["z"], ttl_seconds=TTL, now=NOW)
    keys = {key.decode() for key in client.scan_iter(match=f"{prefix}lines:*")}
    assert keys == {f"{prefix}lines:filter:32:{PERIOD}:{int(NOW // PERIOD)}"}


def test_a_line_seen_again_is_counted_under_a_key_bounded_by_the_ttl(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=NOW)
    assert store.observe_lines("a.example", "d2", ["x"], ttl_seconds=TTL, now=NOW) == [2]
    assert client.get(f"{prefix}lines:a.example:x") == b"2"
    assert 0 < client.ttl(f"{prefix}lines:a.example:x") <= TTL


def test_a_filter_lives_until_the_ttl_after_its_period_ends(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    period_start = (NOW // PERIOD) * PERIOD
    store.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=period_start + 10)
    (key,) = client.scan_iter(match=f"{prefix}lines:filter:*")
    assert TTL < client.ttl(key) <= PERIOD - 10 + TTL


def test_a_first_sighting_is_remembered_until_its_filter_expires(store: RedisStore) -> None:
    period_start = (NOW // PERIOD) * PERIOD
    store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=period_start)
    # Its period ends at +60, so it is remembered until +180 (the TTL after that end).
    late = period_start + PERIOD + TTL - 1
    assert store.observe_lines("a.example", "d2", ["x"], ttl_seconds=TTL, now=late) == [2]
    gone = period_start + PERIOD + TTL
    assert store.observe_lines("a.example", "d3", ["y"], ttl_seconds=TTL, now=gone) == [1]


def test_the_filter_has_the_configured_size(
    redis_url: str, client: redis.Redis, prefix: str
) -> None:
    store = RedisStore.from_url(redis_url, prefix=prefix, line_filter_mib=1)
    try:
        store.observe_lines(
            "a.example", "d1", [f"line{n}" for n in range(200)], ttl_seconds=TTL, now=NOW
        )
    finally:
        store.close()
    (key,) = client.scan_iter(match=f"{prefix}lines:filter:1:*")
    assert 1024 * 1024 - 4096 < client.strlen(key) <= 1024 * 1024
