"""POST bodies compressed by the crawler (`Content-Encoding: gzip` or `deflate`): inflated
within the body limit, however little they are compressed to."""

from __future__ import annotations

import gzip
import zlib

import orjson
import pytest
from test_intake_refusals import Producer, intake

from newsflow.service.metrics import Metrics
from newsflow_ingest.encoding import TooLarge, inflate

PAGE = orjson.dumps({"url": "https://example.com/1", "html": "<p>" + "word " * 200 + "</p>"})
OTHER = PAGE.replace(b"/1", b"/2")


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(PAGE, mtime=0)),
        ("x-gzip", gzip.compress(PAGE, mtime=0)),
        ("deflate", zlib.compress(PAGE)),  # HTTP's deflate: zlib's wrapper
        ("deflate", raw_deflate(PAGE)),  # as some clients send it
    ],
)
def test_a_compressed_body_is_inflated(coding: str, body: bytes) -> None:
    assert inflate(body, coding, limit=100_000) == PAGE


def test_gzip_members_one_after_another_are_one_body() -> None:
    body = gzip.compress(PAGE + b"\n", mtime=0) + gzip.compress(OTHER, mtime=0)
    assert inflate(body, "gzip", limit=100_000) == PAGE + b"\n" + OTHER


def test_a_body_inflating_past_the_limit_is_refused_without_inflating_it_all() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, mtime=0)  # 49 KB
    with pytest.raises(TooLarge, match="more than 100000 bytes"):
        inflate(bomb, "gzip", limit=100_000)


@pytest.mark.parametrize(
    ("body", "said"),
    [(b"not gzip at all", "not gzip"), (gzip.compress(PAGE, mtime=0)[:-20], "ends short")],
)
def test_a_body_that_is_not_what_its_coding_says_is_refused_by_name(body: bytes, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        inflate(body, "gzip", limit=100_000)


class Request:
    chunked = False
    forwarded_for = None

    def __init__(self, body: bytes, coding: str) -> None:
        self.headers = {"Content-Length": str(len(body)), "Content-Encoding": coding}
        self.client = "10.0.0.1"
        self.body = body

    def read(self, length: int) -> bytes:
        return self.body[:length]


def test_the_intake_sends_what_a_gzip_body_inflates_to(metrics: Metrics) -> None:
    producer = Producer()
    body = gzip.compress(PAGE + b"\n" + OTHER, mtime=0)
    answer = intake(producer, metrics, max_message_bytes=10_000)(Request(body, "GZIP"))  # type: ignore[arg-type]
    assert answer[:2] == (202, {"accepted": 2})
    assert producer.sent == [PAGE, OTHER]


@pytest.mark.parametrize(
    ("body", "coding", "status", "said"),
    [
        (gzip.compress(b" " * 200_000, mtime=0), "gzip", 413, "inflates to more than 100000 bytes"),
        (b"plain text", "gzip", 400, "not gzip"),
        (PAGE, "br", 415, "gzip, deflate or none"),
    ],
)
def test_the_intake_refuses_a_body_it_cannot_inflate_within_the_limit(
    body: bytes, coding: str, status: int, said: str, metrics: Metrics
) -> None:
    producer = Producer()
    answer = intake(producer, metrics)(Request(body, coding))  # type: ignore[arg-type]
    assert answer[0] == status and said in answer[1]["error"]
    assert producer.sent == []
