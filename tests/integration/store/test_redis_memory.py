"""The store on a Redis that fills up: a full Redis refuses writes, and the store says so as
`StoreUnavailable` (the services pause and retry instead of dead-lettering every article); a
Redis that would evict keys instead is named in a warning. Each test runs a Redis server of
its own, so that its memory settings touch nothing else."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import redis
import yaml
from tests.private_redis import private_redis

from newsflow.errors import StoreUnavailable
from newsflow.store.records import StoryUpdate
from newsflow.store.redis import RedisStore, eviction_warning

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[3]
NOW = 1_700_000_000.0
WINDOW = 72 * 3600


def story(article_id: str) -> StoryUpdate:
    terms = [f"{article_id}-term-{n}" for n in range(50)]
    return StoryUpdate(
        article_id,
        NOW,
        "example.com",
        "A title",
        terms,
        dict.fromkeys(terms, 0.14),
        terms[:20],
        300,
        WINDOW,
    )


def test_a_full_redis_is_unavailable_to_the_store_until_it_has_room() -> None:
    with private_redis("--maxmemory-policy", "noeviction") as client:
        client.config_set("maxmemory", int(client.info("memory")["used_memory"]) + 2_000_000)
        store = RedisStore(client, prefix="t:")
        with pytest.raises(StoreUnavailable, match="maxmemory") as refused:
            for n in range(100_000):
                store.commit_decision(
                    f"{n:032x}", {"story_id": None}, story=story(f"{n:032x}"),
                    ttl_seconds=WINDOW, now=NOW,
                )  # fmt: skip
        assert n > 10  # it took writes before it was full
        assert isinstance(refused.value.__cause__, redis.exceptions.OutOfMemoryError)
        with pytest.raises(StoreUnavailable, match="maxmemory"):
            store.claim("hash", "owner", ttl_seconds=60, now=NOW)
        assert store.ping()  # reads still answer: readiness alone does not end the pause

        client.config_set("maxmemory", 0)  # room again (keys expired, or a larger Redis)
        assert store.claim("hash", "owner", ttl_seconds=60, now=NOW) == "owner"


def test_a_redis_busy_with_another_clients_script_is_unavailable_not_an_error() -> None:
    """redis-py raises BUSY as a plain ResponseError: taken for a bad article, it dead-lettered
    every article of the batch after three immediate retries, though Redis answered again a
    second later."""
    busy_loop = """local start = redis.call('TIME')
        repeat local now = redis.call('TIME')
        until (now[1] - start[1]) * 1000000 + (now[2] - start[2]) > 1500000"""
    with private_redis("--busy-reply-threshold", "100") as client:
        store = RedisStore(redis.Redis(port=client.connection_pool.connection_kwargs["port"]))
        other = threading.Thread(target=client.eval, args=(busy_loop, 0))
        other.start()
        time.sleep(0.4)
        try:
            with pytest.raises(StoreUnavailable, match="busy"):
                store.claim("hash", "owner", ttl_seconds=60, now=NOW)
        finally:
            other.join()
        assert store.claim("hash", "owner", ttl_seconds=60, now=NOW) == "owner"
        # In a pipeline (newsflow stories) redis-py puts the command before the reply.
        piped = "Command # 1 (HGET story:a size) of pipeline caused error: BUSY Redis is busy"
        with pytest.raises(StoreUnavailable, match="busy"), store._translated():
            raise redis.exceptions.ResponseError(piped)
        with pytest.raises(redis.exceptions.ResponseError), store._translated():
            raise redis.exceptions.ResponseError("ERR wrong number of arguments")


def test_a_redis_that_evicts_keys_is_named_in_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with private_redis("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru") as client:
        store = RedisStore(client, prefix="t:", description="redis://evicting")
        with caplog.at_level(logging.WARNING, logger="newsflow.store.redis"):
            assert store.ping() and store.ping()
        [record] = caplog.records
        assert "redis://evicting" in record.getMessage()
        assert "allkeys-lru" in record.getMessage()


def test_a_redis_that_refuses_to_evict_gets_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    with private_redis("--maxmemory", "64mb", "--maxmemory-policy", "noeviction") as client:
        with caplog.at_level(logging.WARNING, logger="newsflow.store.redis"):
            assert RedisStore(client, prefix="t:").ping()
        assert caplog.records == []


@pytest.mark.parametrize(
    ("memory", "warned"),
    [
        ({"maxmemory": 0, "maxmemory_policy": "allkeys-lru"}, False),  # no limit: never evicts
        ({"maxmemory": 2**30, "maxmemory_policy": "noeviction"}, False),
        ({"maxmemory": 2**30, "maxmemory_policy": "volatile-ttl"}, True),
        ({}, False),  # INFO without these fields
    ],
)
def test_only_a_limit_with_an_evicting_policy_is_warned_about(
    memory: dict[str, object], warned: bool
) -> None:
    assert (eviction_warning(memory) is not None) is warned


def test_the_compose_redis_options_are_accepted_by_a_real_redis(tmp_path: Path) -> None:
    """docker-compose.yml's Redis runs with these options: a real redis-server takes them,
    refuses writes when full instead of evicting, and frees expired keys in the background
    (a day of the near-duplicate index is one large hash)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    assert command[0] == "redis-server"
    with private_redis(*command[1:], "--dir", str(tmp_path)) as client:
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert client.config_get("lazyfree-lazy-expire") == {"lazyfree-lazy-expire": "yes"}
        assert client.config_get("appendonly") == {"appendonly": "yes"}
