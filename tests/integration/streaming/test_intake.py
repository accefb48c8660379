"""POST /v1/articles on a running ingest service: limits, auth, rate limit, fuzzed bodies."""

from __future__ import annotations

import gzip
import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka_io import collect

from newsflow.kafka.settings import Topics

pytestmark = pytest.mark.kafka
ONE = b'{"id": "h1", "url": "https://example.com/1", "text": "' + b"word " * 20 + b'"}'


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post_chunked(url: str, pieces: list[bytes], headers: dict[str, str]) -> tuple[int, Any]:
    """A POST whose body goes in chunks, as a client streaming it sends it: no length."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("POST", parts.path, body=iter(pieces), headers=headers,
                           encode_chunked=True)  # fmt: skip
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_one_object_or_ndjson_is_accepted_and_bad_bodies_are_refused(
    broker: str, topics: Topics, start_service: Any
) -> None:
    ingest = start_service(
        "ingest", NEWSFLOW_HTTP_MAX_BODY_BYTES="5000", NEWSFLOW_MAX_MESSAGE_BYTES="3000"
    )
    ingest.wait_ready()
    url = ingest.url("/v1/articles")
    ndjson = b"\n".join([ONE.replace(b"h1", b"h2"), ONE.replace(b"h1", b"h3")])
    assert post(url, ONE) == (202, b'{"accepted":1}')
    assert post(url, ndjson) == (202, b'{"accepted":2}')
    assert post(url, b"{not json")[0] == 400
    assert post(url, b"[1,2]")[0] == 400
    status, body = post(url, b"x" * 6000)
    assert status == 413 and b"limit 5000" in body
    big = b'{"url": "https://example.com/big", "text": "' + b"w " * 1600 + b'"}'
    status, body = post(url, ONE.replace(b"h1", b"h9") + b"\n" + big)  # the first is not sent
    assert status == 413 and b"message 2 is" in body and b"limit 3000" in body
    gzipped = gzip.compress(ONE.replace(b"h1", b"h4"))
    assert post(url, gzipped, {"Content-Encoding": "gzip"}) == (202, b'{"accepted":1}')
    assert post(url, ONE, {"Content-Encoding": "br"})[0] == 415
    five = gzip.compress(ONE.replace(b"h1", b"h5"))
    pieces = [five[:10], five[10:]]
    assert post_chunked(url, pieces, {"Content-Encoding": "gzip"}) == (202, b'{"accepted":1}')
    found = collect(broker, [topics.ingested], expected=5)
    assert sorted(e["source_id"] for e in found[topics.ingested]) == ["h1", "h2", "h3", "h4", "h5"]
    assert ingest.metric("newsflow_http_requests_total", code="202") == 4
    assert ingest.metric("newsflow_http_requests_total", code="400") == 2
    assert ingest.metric("newsflow_http_requests_total", code="413") == 2


def test_bearer_tokens_and_the_rate_limit(start_service: Any) -> None:
    ingest = start_service(
        "ingest",
        NEWSFLOW_INTAKE_TOKENS="t0ken-a,t0ken-b",
        NEWSFLOW_INTAKE_RATE_LIMIT="1",
        NEWSFLOW_INTAKE_BURST="2",
    )
    ingest.wait_ready()
    url = ingest.url("/v1/articles")
    status, body = post(url, ONE)
    assert status == 401 and b"bearer token" in body
    assert post(url, ONE, {"Authorization": "Bearer nope"})[0] == 401
    good = {"Authorization": "Bearer t0ken-b"}
    assert post(url, ONE, good)[0] == 429  # the wrong tokens counted: none can be guessed faster
    time.sleep(2.2)  # the bucket fills again: one a second, two at most
    assert [post(url, ONE, good)[0] for _ in range(2)] == [202, 202]
    assert post(url, ONE, good)[0] == 429
    assert "t0ken" not in ingest.log_text()


@pytest.fixture(scope="module")
def fuzz_target(broker: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One ingest service for all fuzz examples (module scope: starting one per example is slow)."""
    import os
    import signal
    import subprocess
    import sys

    from newsflow.kafka.clients import create_topics
    from newsflow.kafka.localbroker import free_port
    from newsflow.kafka.settings import KafkaSettings

    create_topics(KafkaSettings(bootstrap=broker), ["fuzz.raw"], partitions=1, replication=1)
    port = free_port()
    log = tmp_path_factory.mktemp("fuzz") / "ingest.log"
    env = {**os.environ, "NEWSFLOW_KAFKA_BOOTSTRAP": broker, "NEWSFLOW_TOPIC_RAW": "fuzz.raw",
           "NEWSFLOW_HTTP_PORT": str(port), "NEWSFLOW_HTTP_HOST": "127.0.0.1",
           "NEWSFLOW_HTTP_MAX_BODY_BYTES": "20000", "NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS": "2000",
           "NEWSFLOW_KAFKA_HEARTBEAT_INTERVAL_MS": "500"}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "newsflow", "ingest"], env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url + "/v1/articles"
    process.send_signal(signal.SIGTERM)
    process.wait(30)


bodies = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=2000).map(str.encode),
    st.lists(
        st.dictionaries(st.text(max_size=10), st.text(max_size=50), max_size=4), max_size=5
    ).map(lambda objs: b"\n".join(__import__("orjson").dumps(o) for o in objs)),
    st.binary(min_size=20001, max_size=30000),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(body=bodies)
def test_fuzzed_bodies_never_break_the_intake(fuzz_target: str, body: bytes) -> None:
    status, response = post(fuzz_target, body)
    assert status in (202, 400, 413), (status, response)
    assert b"Traceback" not in response
