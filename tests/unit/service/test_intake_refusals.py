"""POST /v1/articles without a broker: what the intake refuses before it sends anything."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from newsflow.service.metrics import Metrics
from newsflow_ingest.guard import ClientAddress, RateLimiter, TokenAuth
from newsflow_ingest.intake import Intake

ONE = orjson.dumps({"url": "https://example.com/1", "text": "word " * 20})


class Request:
    chunked = False

    def __init__(self, body: bytes, length: str | None = None, *, stalls: bool = False) -> None:
        self.headers = {"Content-Length": str(len(body)) if length is None else length}
        self.client = "10.0.0.1"
        self.body = body
        self.stalls = stalls

    @property
    def forwarded_for(self) -> str | None:
        return self.headers.get("X-Forwarded-For")

    def read(self, length: int) -> bytes:
        if self.stalls:
            raise TimeoutError("timed out")
        return self.body[:length]


class Producer:
    """`fails`: raised by `send`; `undelivered`: by a future's `get` (a batch the broker did
    not acknowledge in time, found only once the flush is over)."""

    def __init__(
        self, fails: Exception | None = None, *, undelivered: Exception | None = None
    ) -> None:
        self.sent: list[bytes] = []
        self.keys: list[bytes | None] = []
        self.fails = fails
        self.undelivered = undelivered
        self.waits: list[float] = []

    def send(self, topic: str, *, key: bytes | None, value: bytes) -> Producer:
        if self.fails:
            raise self.fails
        self.sent.append(value)
        self.keys.append(key)
        return self

    def get(self, timeout: float) -> None:
        if self.undelivered:
            raise self.undelivered

    def flush(self, timeout: float) -> None:
        self.waits.append(timeout)


def intake(
    producer: Producer, metrics: Metrics, *, limiter: RateLimiter | None = None, **limits: Any
) -> Intake:
    return Intake(
        producer=producer,
        topic="articles.raw",
        max_body_bytes=limits.get("max_body_bytes", 100_000),
        max_message_bytes=limits.get("max_message_bytes", 1_000),
        metrics=metrics,
        limiter=limiter,
    )


@pytest.mark.parametrize(
    ("request_", "status", "said"),
    [
        (Request(ONE + b"\n" + b'{"url": "' + b"x" * 2_000 + b'"}'), 413, b"message 2 is"),
        (Request(ONE, length="\u00b2"), 411, b"in digits"),
        (Request(ONE, length=str(len(ONE) + 50)), 400, b"ended after"),
        (Request(ONE, stalls=True), 408, b"not received within"),
    ],
)
def test_a_request_it_cannot_take_whole_is_refused_and_nothing_is_sent(
    metrics: Metrics, request_: Request, status: int, said: bytes
) -> None:
    producer = Producer()
    answered, body, _ = intake(producer, metrics)(request_)  # type: ignore[arg-type]
    assert (answered, producer.sent) == (status, [])
    assert said in orjson.dumps(body)


def test_messages_within_the_limits_are_sent_and_a_broker_failure_asks_for_a_retry(
    metrics: Metrics,
) -> None:
    producer = Producer()
    assert intake(producer, metrics)(Request(ONE + b"\n" + ONE))[0] == 202  # type: ignore[arg-type]
    assert producer.sent == [ONE, ONE]
    assert producer.waits == [10]  # then a 503: a crawler's own timeout is often 30 s
    failing = intake(Producer(fails=RuntimeError("the broker went away")), metrics)
    status, body, headers = failing(Request(ONE))  # type: ignore[arg-type]
    assert (status, body["error"]) == (503, "the broker did not accept the messages; retry")
    assert headers == {"Retry-After": "5"}  # as a 429 says when to come back
    too_large = intake(Producer(fails=MessageSizeTooLargeError("17200177 bytes")), metrics)
    assert too_large(Request(ONE))[0] == 413  # type: ignore[arg-type]


class FailingRequest(Request):
    def read(self, length: int) -> bytes:
        raise RuntimeError("a defect the intake did not foresee")


def test_a_request_the_intake_fails_on_is_counted_as_the_500_it_is_answered(
    metrics: Metrics,
) -> None:
    """The HTTP layer answers 500 for a route that raises: the intake counted only what it
    answered itself, and its failures were missing from newsflow_http_requests_total."""
    from prometheus_client import REGISTRY

    def internal_errors() -> float:
        labels = {"service": metrics.service, "code": "500"}
        return REGISTRY.get_sample_value("newsflow_http_requests_total", labels) or 0.0

    before = internal_errors()
    with pytest.raises(RuntimeError):
        intake(Producer(), metrics)(FailingRequest(ONE))  # type: ignore[arg-type]
    assert internal_errors() == before + 1


def test_a_body_of_exactly_the_limit_is_taken(metrics: Metrics) -> None:
    producer = Producer()
    assert intake(producer, metrics, max_body_bytes=len(ONE))(Request(ONE))[0] == 202  # type: ignore[arg-type]
    assert intake(producer, metrics, max_body_bytes=len(ONE) - 1)(Request(ONE))[0] == 413  # type: ignore[arg-type]


def test_messages_the_broker_did_not_acknowledge_by_the_end_of_the_flush_ask_for_a_retry(
    metrics: Metrics,
) -> None:
    """A send can fail after it was queued (a batch expired, the leader gone): a 202 would say
    the crawler may forget articles that never reached the topic."""
    producer = Producer(undelivered=KafkaTimeoutError("Batch for articles.raw-0 expired"))
    status, _, headers = intake(producer, metrics)(Request(ONE))  # type: ignore[arg-type]
    assert (status, headers) == (503, {"Retry-After": "5"})


@pytest.mark.parametrize(("rate", "retry_after"), [(2.0, "1"), (0.4, "3")])
def test_a_client_over_its_rate_is_told_the_whole_seconds_to_wait_rounded_up(
    metrics: Metrics, rate: float, retry_after: str
) -> None:
    """Retry-After is whole seconds: a wait of 0.5 s is 1, one of 2.5 s is 3 (2 would bring
    the crawler back too early, to another 429)."""
    limiter = RateLimiter(rate, 1, clock=lambda: 0.0)
    route = intake(Producer(), metrics, limiter=limiter)
    assert route(Request(ONE))[0] == 202  # type: ignore[arg-type]
    status, body, headers = route(Request(ONE))  # type: ignore[arg-type]
    assert (status, body, headers) == (
        429,
        {"error": "rate limit exceeded"},
        {"Retry-After": retry_after},
    )


def test_a_url_too_long_to_be_a_key_goes_without_one_for_ingest_to_refuse(
    metrics: Metrics,
) -> None:
    producer = Producer()
    long = orjson.dumps({"url": "https://example.com/" + "u" * 9_000, "text": "word"})
    route = intake(producer, metrics, max_message_bytes=20_000)
    assert route(Request(long))[0] == 202  # type: ignore[arg-type]
    assert producer.keys == [None]


def test_a_body_that_trickles_in_is_timed_out_as_a_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsflow.service import http

    class Trickle:
        def read1(self, size: int) -> bytes:
            time.sleep(0.05)
            return b"x"

    class Handler:
        headers = None
        client_address = ("10.0.0.1", 1)
        rfile = Trickle()

    monkeypatch.setattr(http, "READ_TIMEOUT", 0.3)
    with pytest.raises(TimeoutError):
        http.Request(Handler()).read(100)  # type: ignore[arg-type]


class HeldProducer(Producer):
    """Its flush waits until `acked` is set: the broker has not acknowledged yet."""

    def __init__(self) -> None:
        super().__init__()
        self.acked = threading.Event()
        self.flushing = threading.Event()

    def flush(self, timeout: float) -> None:
        self.flushing.set()
        self.acked.wait(5)


def test_bodies_beyond_the_inflight_budget_wait_for_room_then_are_asked_to_retry(
    metrics: Metrics,
) -> None:
    """Each body is held about four times over until the broker acknowledges it (eight
    concurrent POSTs of 28.5 MB took the ingest supervisor from 78 to 839 MB, over the
    Kubernetes manifest's 512 MiB limit): the bodies handled at once are bounded."""
    producer = HeldProducer()
    route = Intake(
        producer=producer,
        topic="articles.raw",
        max_body_bytes=100_000,
        metrics=metrics,
        max_inflight_bytes=len(ONE) + 10,
        budget_wait=0.2,
    )
    answers: list[int] = []
    first = threading.Thread(target=lambda: answers.append(route(Request(ONE))[0]))  # type: ignore[arg-type]
    first.start()
    assert producer.flushing.wait(5)
    status, body, headers = route(Request(ONE))  # type: ignore[arg-type]
    assert (status, headers) == (503, {"Retry-After": "5"})
    assert "retry" in body["error"]
    producer.acked.set()
    first.join(5)
    assert answers == [202]
    assert route(Request(ONE))[0] == 202  # type: ignore[arg-type]  # its room was given back
    assert producer.sent == [ONE, ONE]


def test_a_body_larger_than_the_budget_is_taken_alone() -> None:
    from newsflow_ingest.guard import BodyBudget

    budget = BodyBudget(100)
    assert budget.take(500, timeout=0)
    assert not budget.take(1, timeout=0.05)
    budget.give_back(500)
    assert budget.take(60, timeout=0) and budget.take(40, timeout=0)
    assert not budget.take(1, timeout=0)


def test_a_byte_order_mark_before_the_body_is_skipped(metrics: Metrics) -> None:
    """`curl --data-binary @body.json` of a file saved with a byte-order mark: 400, "line 1 is
    not JSON"."""
    producer = Producer()
    route = intake(producer, metrics)
    assert route(Request(b"\xef\xbb\xbf" + ONE + b"\n" + ONE))[0] == 202  # type: ignore[arg-type]
    assert route(Request(b"\xef\xbb\xbf" + ONE))[0] == 202  # type: ignore[arg-type]
    assert producer.sent == [ONE, ONE, ONE]


def test_crawlers_behind_a_trusted_proxy_have_a_rate_limit_each(metrics: Metrics) -> None:
    """Behind an ingress every crawler was the ingress's address: one bucket for all."""
    route = Intake(
        producer=Producer(),
        topic="articles.raw",
        max_body_bytes=100_000,
        metrics=metrics,
        limiter=RateLimiter(0.001, 1),
        client_address=ClientAddress.from_setting("10.0.0.0/8"),
    )

    def post_from(crawler: str) -> int:
        request = Request(ONE)
        request.client = "10.0.0.5"
        request.headers["X-Forwarded-For"] = crawler
        return route(request)[0]  # type: ignore[arg-type]

    assert [post_from("203.0.113.1"), post_from("203.0.113.2")] == [202, 202]
    assert post_from("203.0.113.1") == 429


def test_tokens_cannot_be_tried_faster_than_the_rate_limit(metrics: Metrics) -> None:
    """The token was checked before the rate: a client could try tokens without end, each
    answered 401 (a security review)."""
    route = Intake(
        producer=Producer(),
        topic="articles.raw",
        max_body_bytes=100_000,
        metrics=metrics,
        auth=TokenAuth(["s3cret-token"]),
        limiter=RateLimiter(0.001, 2),
    )

    def post(token: str) -> int:
        request = Request(ONE)
        request.headers["Authorization"] = f"Bearer {token}"
        return route(request)[0]  # type: ignore[arg-type]

    assert [post("guess-1"), post("guess-2"), post("guess-3")] == [401, 401, 429]
    assert post("s3cret-token") == 429  # the right one waits as well: no answer says which
