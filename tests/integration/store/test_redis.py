"""RedisStore against a real Redis: first-writer-wins, server-side TTL, errors, redaction."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import pytest
import redis
from tests.racing import race_claims

from newsflow.errors import ConfigError, StoreUnavailable
from newsflow.store import open_store
from newsflow.store.records import LINES_SUFFIX, Mark
from newsflow.store.redis import RedisStore, redact_url

pytestmark = pytest.mark.redis

NOW = 1_700_000_000.0
TTL = 120


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_first_claim_wins_and_later_claimers_see_it(store: RedisStore) -> None:
    assert store.claim("h1", "a1", ttl_seconds=TTL, now=NOW) == "a1"
    assert store.claim("h1", "a2", ttl_seconds=TTL, now=NOW) == "a1"
    assert store.claim("h2", "a2", ttl_seconds=TTL, now=NOW) == "a2"


def test_same_owner_reclaiming_gets_itself(store: RedisStore) -> None:
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    assert store.claim("h1", "a1", ttl_seconds=TTL, now=NOW) == "a1"


def test_claim_sets_ttl_on_the_prefixed_key(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    assert client.get(f"{prefix}h1") == b"a1"
    assert 0 < client.ttl(f"{prefix}h1") <= TTL
    # A losing claim does not extend the winner's TTL.
    store.claim("h1", "a2", ttl_seconds=10 * TTL, now=NOW)
    assert 0 < client.ttl(f"{prefix}h1") <= TTL


def test_a_mark_and_its_lines_expire_with_their_claim(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    """Set in the claim's script, with the claim's TTL, so they do not outlive it."""
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW, mark=Mark("m1", "a1 ", "", lines="l1"))
    assert client.get(f"{prefix}m1") == b"a1 a1"
    assert 0 < client.ttl(f"{prefix}m1") <= TTL
    assert 0 < client.ttl(f"{prefix}m1{LINES_SUFFIX}") <= TTL


def test_expired_claim_can_be_won_again(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    store.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
    client.pexpire(f"{prefix}h1", 1)
    time.sleep(0.05)
    assert store.claim("h1", "a2", ttl_seconds=TTL, now=NOW) == "a2"


def test_ping(store: RedisStore) -> None:
    assert store.ping() is True


@pytest.mark.parametrize("upper", [False, True])
def test_open_store_picks_redis(redis_url: str, client: redis.Redis, upper: bool) -> None:
    scheme, rest = redis_url.split("://", 1)
    s = open_store(f"{scheme.upper() if upper else scheme}://{rest}")  # schemes ignore case
    try:
        assert isinstance(s, RedisStore)
        assert s.ping() is True
    finally:
        s.close()


def test_a_rediss_url_to_a_redis_without_tls_says_so(redis_url: str) -> None:
    """It timed out with nothing pointing at TLS."""
    s = open_store("rediss://" + redis_url.split("://", 1)[1])
    try:
        with pytest.raises(StoreUnavailable, match="needs Redis to speak TLS"):
            s.reach()
    finally:
        s.close()


def claim_in_process(
    url: str, prefix: str, keys: list[str], owner: str, start: Any, out: Any
) -> None:
    """Child process body: wait for the others, then claim every key; report what it saw."""
    s = RedisStore.from_url(url, prefix=prefix)
    try:
        s.ping()  # connect before the race starts
        start.wait()
        out.put((owner, {k: s.claim(k, owner, ttl_seconds=TTL, now=NOW) for k in keys}))
    finally:
        s.close()


def test_processes_racing_on_200_hashes_agree_on_one_owner_each(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    keys = [uuid.uuid5(uuid.NAMESPACE_OID, str(i)).hex for i in range(200)]
    seen = race_claims(
        claim_in_process, lambda owner, start, out: (redis_url, prefix, keys, owner, start, out)
    )
    for key in keys:
        assert client.get(f"{prefix}{key}") == seen["p0"][key].encode()


def test_unreachable_redis_raises_retriable_store_unavailable() -> None:
    s = RedisStore.from_url(f"redis://:s3cret@127.0.0.1:{closed_port()}/0")
    try:
        with pytest.raises(StoreUnavailable) as info:
            s.claim("h1", "a1", ttl_seconds=TTL, now=NOW)
        assert info.value.retriable is True
        assert "s3cret" not in str(info.value)
        assert s.ping() is False
    finally:
        s.close()


@pytest.mark.parametrize(
    "url",
    [
        "redis://user:s3cret@127.0.0.1:6379/15",
        "redis://:s3cret@127.0.0.1:6379/15",
        "rediss://127.0.0.1:6379/0?password=s3cret&socket_timeout=1",
    ],
)
def test_repr_redacts_password(url: str) -> None:
    s = RedisStore.from_url(url)
    try:
        assert "s3cret" not in repr(s)
        assert "***" in repr(s)
        assert "127.0.0.1:6379" in repr(s)
    finally:
        s.close()


def test_a_url_that_does_not_parse_is_a_configuration_error_that_does_not_show_it() -> None:
    with pytest.raises(ConfigError, match=r"invalid Redis URL .*not shown.*Invalid IPv6") as error:
        RedisStore.from_url("redis://:s3cret@[::1/0")
    assert "s3cret" not in str(error.value)


def test_redact_url_keeps_what_is_not_secret() -> None:
    assert redact_url("redis://127.0.0.1:6379/15") == "redis://127.0.0.1:6379/15"
    assert redact_url("redis://user:pw@h:1/2?db=3") == "redis://user:***@h:1/2?db=3"


def test_peek_reads_a_claim_without_making_one(store: RedisStore) -> None:
    assert store.peek("raw:h", now=0) is None
    assert store.peek("raw:h", now=0) is None  # peeking did not claim
    store.claim("raw:h", "a1 a1 c1", ttl_seconds=60, now=0)
    assert store.peek("raw:h", now=0) == "a1 a1 c1"
