"""A Redis that refuses the extract service's user stops the service with a configuration
error (exit status 2), and dead-letters nothing.

Before: the extract service never tried its store at start-up, so a wrong password or an ACL
user without access to the key prefix showed up at the first batch, as a traceback that
killed the worker, restarted by the supervisor, again and again; refused key access in the
middle of a batch was retried, then dead-lettered, article after article."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from kafka_io import collect, publish_raw
from tests.private_redis import private_redis

from newsflow.errors import CONFIG_ERROR_EXIT
from newsflow.kafka.settings import Topics

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
TEXT = "The council approved the new budget on Tuesday after a long debate. " * 4
PREFIX = "newsflow:"


@pytest.fixture
def acl_redis(tmp_path: Path) -> Iterator[int]:
    """A redis-server of the test's own whose user `app` may use keys under PREFIX only."""
    acl = tmp_path / "users.acl"
    acl.write_text(
        "user default off\n"
        "user admin on >admin ~* &* +@all\n"
        f"user app on >secret ~{PREFIX}* &* +@all\n"
    )
    with private_redis("--aclfile", str(acl), username="admin", password="admin") as admin:
        yield admin.connection_pool.connection_kwargs["port"]


def raw(source_id: str) -> bytes:
    return orjson.dumps({"id": source_id, "url": f"https://example.com/{source_id}", "text": TEXT})


def wait_exit(service: Any, timeout: float = 30) -> int | None:
    try:
        return int(service.process.wait(timeout))
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.parametrize(
    ("userinfo", "said"),
    [("app:wrong", "refused the credentials"), ("app:secret", "no permission")],
    ids=["wrong-password", "prefix-not-allowed"],
)
def test_a_store_refusing_the_user_stops_extract_at_start(
    userinfo: str, said: str, acl_redis: int, broker: str, topics: Topics, start_service: Any
) -> None:
    prefix = PREFIX if userinfo == "app:wrong" else "other:"
    extract = start_service(
        "extract",
        NEWSFLOW_STORE_URL=f"redis://{userinfo}@127.0.0.1:{acl_redis}/0",
        NEWSFLOW_STORE_PREFIX=prefix,
    )
    publish_raw(broker, topics.ingested, [b"{}"])  # a batch to process, were it to start
    assert wait_exit(extract) == CONFIG_ERROR_EXIT, extract.log_text()
    log = extract.log_text(100_000)
    assert said in log
    assert "Traceback" not in log
    assert "secret" not in log


def test_key_access_revoked_mid_run_stops_extract_and_dead_letters_nothing(
    acl_redis: int, broker: str, topics: Topics, start_service: Any
) -> None:
    ingest = start_service("ingest")
    extract = start_service(
        "extract",
        NEWSFLOW_STORE_URL=f"redis://app:secret@127.0.0.1:{acl_redis}/0",
        NEWSFLOW_STORE_PREFIX=PREFIX,
    )
    ingest.wait_ready()
    extract.wait_ready()
    publish_raw(broker, topics.raw, [raw("before")])
    found = collect(broker, [topics.clean], expected=1, timeout=60)
    assert [e["source_id"] for e in found[topics.clean]] == ["before"]

    admin = redis.Redis(port=acl_redis, username="admin", password="admin")
    admin.acl_setuser("app", enabled=True, reset_keys=True, keys=["other:*"])
    admin.close()
    publish_raw(broker, topics.raw, [raw(f"after-{n}") for n in range(3)])
    assert wait_exit(extract) == CONFIG_ERROR_EXIT, extract.log_text()
    found = collect(broker, [topics.clean, topics.duplicates, topics.dlq], expected=2, timeout=3)
    assert found[topics.dlq] == []
    assert [e["source_id"] for e in found[topics.clean]] == ["before"]
    assert "no permission" in extract.log_text(100_000)
