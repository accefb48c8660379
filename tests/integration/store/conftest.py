"""Fixtures of the Redis store tests: a throw-away key prefix, cleaned up afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from newsflow.store.redis import RedisStore


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test (or test run) shares."""
    return f"newsflow-test:{uuid.uuid4().hex}:"


@pytest.fixture
def client(redis_url: str, prefix: str) -> Iterator[redis.Redis]:
    """A raw client for inspecting keys; deletes this test's keys afterwards."""
    c = redis.Redis.from_url(redis_url)
    yield c
    keys = list(c.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        c.delete(*keys)
    c.close()


@pytest.fixture
def store(redis_url: str, prefix: str, client: redis.Redis) -> Iterator[RedisStore]:
    """A RedisStore under this test's prefix."""
    s = RedisStore.from_url(redis_url, prefix=prefix)
    yield s
    s.close()
