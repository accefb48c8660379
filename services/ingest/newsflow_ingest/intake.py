"""HTTP intake: `POST /v1/articles` (one JSON object, or NDJSON) → `articles.raw`.

The edge only checks that the body is JSON objects within the size limit; the ingest stage
validates them like any other raw message, so every accepted object gets a recorded outcome.
Before the body is read: the client's rate limit, the bearer token (if tokens are configured),
and the size limit from Content-Length.
"""

from __future__ import annotations

import codecs
import logging
import math
import threading
from typing import Any

import orjson
from kafka.errors import MessageSizeTooLargeError

from newsflow.service.http import READ_TIMEOUT, BodyTooLarge, Refused, Request, Response
from newsflow.stages.ingest import DEFAULT_MAX_BYTES, MAX_URL_CHARS
from newsflow_ingest.encoding import CODINGS, TooLarge, inflate
from newsflow_ingest.guard import BodyBudget, ClientAddress, Holding, RateLimiter, TokenAuth

log = logging.getLogger(__name__)
PATH = "/v1/articles"
ACK_SECONDS = 10
"""How long a POST waits for the broker's acknowledgements before it answers 503: a leader
election takes seconds, and a crawler's own timeout is often 30 s (it waited 30)."""
BROKER_RETRY_AFTER = "5"  # seconds a crawler waits after a 503 (the broker down or not reached)
DEFAULT_MAX_INFLIGHT_BYTES = 64 * 1024 * 1024
BUSY = 503, {"error": "the intake holds as many bodies as it may; retry"}
NOT_RECEIVED = 408, {"error": f"the body was not received within {READ_TIMEOUT:.0f} s"}
BUDGET_WAIT = 10.0
"""How long a POST waits for room when the bodies being handled fill the budget, before it
answers 503 (as long as it waits for the broker's acknowledgements)."""


class Intake:
    """The POST route: parse, produce every object to the raw topic, wait for the acks."""

    def __init__(
        self,
        *,
        producer: Any,
        topic: str,
        max_body_bytes: int,
        max_message_bytes: int = DEFAULT_MAX_BYTES,
        metrics: Any,
        auth: TokenAuth | None = None,
        limiter: RateLimiter | None = None,
        max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES,
        budget_wait: float = BUDGET_WAIT,
        client_address: ClientAddress | None = None,
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.max_body_bytes = max_body_bytes
        self.max_message_bytes = max_message_bytes
        self.metrics = metrics
        self.auth = auth or TokenAuth(())
        self.limiter = limiter or RateLimiter(0, 1)
        self.budget = BodyBudget(max_inflight_bytes)
        self.budget_wait = budget_wait
        self.client_address = client_address or ClientAddress(())
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        try:
            status, body, headers = self._handle(request)
        except Exception:  # the HTTP layer answers 500 (and logs it): counted as one
            self.metrics.http_requests.labels(self.metrics.service, "500").inc()
            raise
        self.metrics.http_requests.labels(self.metrics.service, str(status)).inc()
        return status, body, headers

    def _handle(self, request: Request) -> Response:
        # The rate first: a request with a wrong token counts too, so tokens cannot be tried
        # faster than the limit (checked after the token, they could, without end).
        with self._lock:
            client = self.client_address(request.client, request.forwarded_for)
            wait = self.limiter.allow(client)
        if wait:
            retry = str(max(1, math.ceil(wait)))
            return 429, {"error": "rate limit exceeded"}, {"Retry-After": retry}
        if not self.auth.allows(request.headers.get("Authorization")):
            return (
                401,
                {"error": "a valid bearer token is required"},
                {"WWW-Authenticate": 'Bearer realm="newsflow"'},
            )
        coding = request.headers.get("Content-Encoding", "identity").strip().lower()
        if coding != "identity" and coding not in CODINGS:
            return 415, {"error": f"Content-Encoding {coding!r}: gzip, deflate or none"}, {}
        status, body = self._accept(request, coding)
        return status, body, {"Retry-After": BROKER_RETRY_AFTER} if status == 503 else {}

    def _accept(self, request: Request, coding: str) -> tuple[int, dict[str, Any]]:
        if request.chunked:
            return self._accept_chunked(request, coding)
        length_header = request.headers.get("Content-Length") or ""
        if not (length_header.isascii() and length_header.isdigit()):
            return 411, {"error": "a Content-Length in digits or a chunked body is required"}
        length = int(length_header)
        if length > self.max_body_bytes:
            return 413, {"error": f"body is {length} bytes, limit {self.max_body_bytes}"}
        with self.budget.holding(self.budget_wait) as holding:
            if not holding.take(length):
                log.warning(
                    "intake busy: %d bytes of bodies held, a body of %d refused",
                    self.budget.held,
                    length,
                )
                return BUSY
            try:
                body = request.read(length)
            except TimeoutError:
                return NOT_RECEIVED
            if len(body) < length:
                return 400, {"error": f"the body ended after {len(body)} of {length} bytes"}
            return self._decoded(body, coding, holding)

    def _accept_chunked(self, request: Request, coding: str) -> tuple[int, dict[str, Any]]:
        """A body of no announced length, sent in chunks: room in the budget is taken piece
        by piece as they come (it was refused 411)."""
        with self.budget.holding(self.budget_wait) as holding:
            try:
                body = request.read_chunked(limit=self.max_body_bytes, reserve=holding.take)
            except Refused:
                return BUSY
            except BodyTooLarge as exc:
                return 413, {"error": f"{exc}, limit {self.max_body_bytes}"}
            except TimeoutError:
                return NOT_RECEIVED
            except ValueError as exc:
                return 400, {"error": f"chunked body: {exc}"}
            return self._decoded(body, coding, holding)

    def _decoded(self, body: bytes, coding: str, holding: Holding) -> tuple[int, dict[str, Any]]:
        """The body sent, its content coding undone, `holding` its inflated size."""
        if coding == "identity":
            return self._send(body)
        try:
            body = inflate(body, coding, limit=self.max_body_bytes)
        except TooLarge as exc:
            return 413, {"error": f"{exc}, limit {self.max_body_bytes}"}
        except ValueError as exc:
            return 400, {"error": str(exc)}
        if not holding.swap(len(body)):  # the compressed body's room, for the inflated one's
            return BUSY
        return self._send(body)

    def _send(self, body: bytes) -> tuple[int, dict[str, Any]]:
        messages = split_messages(body)
        if isinstance(messages, str):
            return 400, {"error": messages}
        for number, message in enumerate(messages, start=1):
            if len(message) > self.max_message_bytes:
                limit = self.max_message_bytes
                return 413, {"error": f"message {number} is {len(message)} bytes, limit {limit}"}
        try:
            futures = [self.producer.send(self.topic, key=_key(m), value=m) for m in messages]
            self.producer.flush(timeout=ACK_SECONDS)
            for future in futures:
                future.get(timeout=0)
        except MessageSizeTooLargeError as exc:  # larger than a produce request: no retry helps
            log.error("intake could not deliver to %s: %s", self.topic, exc)
            return 413, {"error": f"a message is larger than the broker takes: {exc}"}
        except Exception as exc:  # some may have gone: a retry repeats them, which ingest absorbs
            log.error("intake could not deliver to %s: %s", self.topic, exc)
            return 503, {"error": "the broker did not accept the messages; retry"}
        return 202, {"accepted": len(messages)}


def split_messages(body: bytes) -> list[bytes] | str:
    """One JSON object, or one object per line; an error string names the first bad line. A
    byte-order mark before the body is dropped (RFC 8259 lets a reader skip it)."""
    stripped = body.removeprefix(codecs.BOM_UTF8).strip()
    if not stripped:
        return "empty body"
    try:
        whole = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [stripped]
    candidates = [line.strip() for line in stripped.split(b"\n") if line.strip()]
    for number, line in enumerate(candidates, start=1):
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return f"line {number} is not JSON: {exc}"
        if not isinstance(value, dict):
            return f"line {number} is not a JSON object"
    return candidates


def _key(message: bytes) -> bytes | None:
    """The message's URL, its key on the raw topic; none for a URL ingest will refuse as too
    long (a key is sent beside its message: 7 MB of URL made a message over a request)."""
    url = orjson.loads(message).get("url")
    if not isinstance(url, str) or len(url) > MAX_URL_CHARS:
        return None
    return url.encode("utf-8")
