"""WARC files as input to `newsflow process` and `newsflow publish`: each captured page is one
raw message; the records that hold no article are counted, not lost; damage is rejected."""

from __future__ import annotations

import functools
import gzip
import io
import random
import tempfile
import tracemalloc
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import brotli
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.recording import RecordingProducer
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow.batch.inputs import InputItem, read_inputs
from newsflow.batch.warc import LONGEST_LINE
from newsflow.cli import main
from newsflow.contracts.codec import decode
from newsflow.tools.publish import publish

ROOT = Path(__file__).resolve().parents[3]
SEED = (ROOT / "samples" / "002_c29026668af7cc6b.txt").read_text()
DATE = "2024-09-10T12:00:00Z"


def article_page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip())
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>© News</footer></body></html>"
    )


class Archive:
    """A WARC file written with warcio, record by record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")
        self._writer = WARCWriter(self._file, gzip=path.name.endswith(".gz"))

    def response(
        self,
        uri: str,
        body: bytes,
        content_type: str = "text/html",
        status: str = "200 OK",
        **h: str,
    ) -> str:
        headers = [
            ("Content-Type", content_type),
            *((k.replace("_", "-"), v) for k, v in h.items()),
        ]
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        return self.write(uri, "response", body, http_headers=http)

    def record(self, uri: str, kind: str, body: bytes, content_type: str) -> str:
        return self.write(uri, kind, body, warc_content_type=content_type)

    def revisit(self, uri: str, digest: str, date: str) -> None:
        """A re-crawl of `uri` at `date` whose payload is identical to the one of `digest`."""
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        record = self._writer.create_revisit_record(
            uri, digest, uri, DATE, http_headers=http, warc_headers_dict={"WARC-Date": date}
        )
        self._writer.write_record(record)

    def write(
        self, uri: str, kind: str, body: bytes, *, truncated: str | None = None, **options: Any
    ) -> str:
        """Writes the record; returns its payload digest."""
        warc_headers = {"WARC-Date": DATE}
        if truncated:
            warc_headers["WARC-Truncated"] = truncated
        record = self._writer.create_warc_record(
            uri,
            kind,
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict=warc_headers,
            **options,
        )
        self._writer.write_record(record)
        return str(record.rec_headers.get_header("WARC-Payload-Digest"))

    def close(self) -> Path:
        self._file.close()
        return self.path


def crawl(path: Path) -> Path:
    """A crawl's WARC: four articles among the records a crawler also writes."""
    archive = Archive(path)
    archive.record("", "warcinfo", b"software: test-crawler\r\n", "application/warc-fields")
    archive.record(
        "https://news.example/a", "request", b"GET /a HTTP/1.1\r\n\r\n", "application/http"
    )
    latin = article_page("Café society", "Un café très animé à Paris.\n" + SEED)
    archive.response(
        "https://news.example/a",
        latin.encode("iso-8859-1", "replace"),
        "text/html; charset=ISO-8859-1",
    )
    archive.response("https://news.example/logo.png", b"\x89PNG\r\n\x1a\n", "image/png")
    archive.response("https://news.example/old", b"", status="301 Moved Permanently")
    archive.response("https://news.example/gone", b"<html>not here</html>", status="404 Not Found")
    archive.record("https://news.example/a", "revisit", b"", "application/http")
    archive.record(
        "https://blog.example/b", "resource", article_page("B", SEED).encode(), "text/html"
    )
    archive.record("https://text.example/c", "conversion", SEED.encode(), "text/plain")
    zipped = gzip.compress(article_page("D", SEED).encode())
    archive.response(
        "https://news.example/d", zipped, "text/html; charset=utf-8", Content_Encoding="gzip"
    )
    return archive.close()


def offset(item: InputItem) -> int:
    """The item's byte offset in its WARC file (every WARC record has one)."""
    assert item.origin.offset is not None
    return item.origin.offset


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_each_captured_article_is_one_raw_message_and_the_other_records_are_counted(
    tmp_path: Path, name: str
) -> None:
    skipped: Counter[str] = Counter()
    items = list(read_inputs([crawl(tmp_path / name)], max_bytes=10_000_000, skipped=skipped))
    messages = [orjson.loads(item.raw) for item in items]
    assert [m["url"] for m in messages] == [
        "https://news.example/a",
        "https://blog.example/b",
        "https://text.example/c",
        "https://news.example/d",
    ]
    assert [("html" in m, "text" in m) for m in messages] == [(True, False)] * 2 + [
        (False, True),
        (True, False),
    ]
    assert "Un café très animé" in messages[0]["html"]  # decoded by the header's charset
    assert "<h1>D</h1>" in messages[3]["html"]  # its gzip content encoding undone
    assert all(m["fetched_at"] == DATE and m["id"].startswith("<urn:uuid:") for m in messages)
    assert skipped == Counter(
        {
            "warcinfo": 1,
            "request": 1,
            "response of image/png": 1,
            "response 301": 1,
            "response 404": 1,
            "revisit": 1,
        }
    )
    offsets = [offset(item) for item in items]
    assert all(item.origin.file == str(tmp_path / name) for item in items)
    assert offsets == sorted(set(offsets)) and offsets[0] > 0


@pytest.mark.parametrize("name", ["recrawl.warc.gz", "recrawl.warc"])
def test_a_revisit_of_an_article_is_its_recrawl_and_dedup_calls_it_a_duplicate(
    tmp_path: Path, name: str
) -> None:
    archive = Archive(tmp_path / name)
    page = article_page("Missiles", SEED).encode()
    digest = archive.response("https://news.example/a", page)
    archive.response("https://news.example/b", article_page("Other", "Another story.").encode())
    archive.revisit("https://news.example/a", digest, "2024-09-11T08:00:00Z")
    archive.revisit("https://news.example/z", "sha1:NOTINTHISFILE", "2024-09-11T08:00:00Z")
    skipped: Counter[str] = Counter()
    first, _, recrawl = read_inputs([archive.close()], max_bytes=10_000_000, skipped=skipped)
    original, again = orjson.loads(first.raw), orjson.loads(recrawl.raw)
    assert again["html"] == original["html"] == page.decode()
    assert (again["url"], again["fetched_at"]) == ("https://news.example/a", "2024-09-11T08:00:00Z")
    assert again["id"] != original["id"]
    assert offset(recrawl) > offset(first)
    assert skipped == Counter({"revisit": 1})  # of a capture this file does not hold

    out = tmp_path / "out"
    assert main(["process", str(tmp_path / name), "--out", str(out), "--quiet"]) == 0
    clean = [decode("clean", line) for line in (out / "clean.ndjson").read_bytes().splitlines()]
    [duplicate] = [
        decode("duplicate", line) for line in (out / "duplicates.ndjson").read_bytes().splitlines()
    ]
    assert duplicate["duplicate_of"] == clean[0]["article_id"]
    assert duplicate["fetched_at"] == "2024-09-11T08:00:00Z"


def test_which_responses_hold_articles(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "kinds.warc.gz")
    page = article_page("P", "Text.").encode()
    archive.response("https://a.example/203", page, status="203 Non-Authoritative Information")
    archive.response("https://a.example/case", page, "TEXT/HTML; Charset=UTF-8")
    archive.response("https://a.example/xhtml", page, "application/xhtml+xml")
    archive.response("https://a.example/204", page, status="204 No Content")
    archive.response("https://a.example/206", page, status="206 Partial Content")
    archive.record("https://a.example/json", "conversion", b"{}", "application/json")
    archive.record("https://a.example/css", "resource", b"p {}", "text/css")
    skipped: Counter[str] = Counter()
    items = list(read_inputs([archive.close()], max_bytes=10_000_000, skipped=skipped))
    urls = [orjson.loads(item.raw)["url"].rsplit("/", 1)[1] for item in items]
    assert urls == ["203", "case", "xhtml"]
    assert skipped == Counter(
        {"response 204": 1, "response 206": 1, "conversion": 1, "resource": 1}
    )


@pytest.mark.parametrize("name", ["offsets.warc.gz", "offsets.warc"])
def test_each_origin_offset_is_where_its_record_starts(tmp_path: Path, name: str) -> None:
    path = crawl(tmp_path / name)
    items = list(read_inputs([path], max_bytes=10_000_000))
    with path.open("rb") as stream:
        for item in items:
            assert item.origin.offset is not None
            stream.seek(item.origin.offset)
            record = next(iter(ArchiveIterator(stream)))
            uri = record.rec_headers.get_header("WARC-Target-URI")
            assert uri == orjson.loads(item.raw)["url"]


def test_a_revisit_that_does_not_say_its_payload_is_identical_is_not_a_recrawl(
    tmp_path: Path,
) -> None:
    archive = Archive(tmp_path / "revisits.warc")
    digest = archive.response("https://news.example/a", article_page("A", SEED).encode())
    archive.record("https://news.example/a", "revisit", b"", "application/http")  # no profile
    archive.revisit("https://news.example/a", digest, "2024-09-11T08:00:00Z")
    skipped: Counter[str] = Counter()
    items = list(read_inputs([archive.close()], max_bytes=10_000_000, skipped=skipped))
    assert len(items) == 2 and skipped == Counter({"revisit": 1})


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({"Content_Encoding": "zstd"}, "the page's content encoding 'zstd' is not supported"),
        ({"Content_Type": "text/html; charset=utf-7"}, "record content not readable: "),
    ],
)
def test_a_record_that_cannot_be_read_is_rejected_and_the_next_is_read(
    tmp_path: Path, headers: dict[str, str], said: str
) -> None:
    archive = Archive(tmp_path / "mixed.warc.gz")
    archive.response("https://news.example/1", article_page("One", SEED).encode())
    content_type = headers.pop("Content_Type", "text/html")
    body = b"<html><body><p>+2AA-</p></body></html>"  # a lone surrogate, in UTF-7
    archive.response("https://news.example/2", body, content_type, **headers)
    archive.response("https://news.example/3", article_page("Three", SEED).encode())
    first, bad, third = read_inputs([archive.close()], max_bytes=10_000_000)
    assert bad.rejection is not None and bad.rejection.detail.startswith(said)
    assert (first.rejection, third.rejection) == (None, None)


@pytest.mark.parametrize(
    "headers",
    [
        {"Transfer_Encoding": "Chunked"},
        {"Content_Encoding": "x-gzip"},
        {"Content_Encoding": "br"},
        {"Transfer_Encoding": "gzip, chunked"},
        {"Transfer_Encoding": "identity, chunked", "Content_Encoding": "GZIP"},
    ],
)
def test_encodings_are_undone_whatever_their_spelling(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    page = article_page("Encoded", SEED).encode()
    codings = ", ".join(headers.values()).lower()
    body = brotli.compress(page) if "br" in codings else page
    body = gzip.compress(body) if "gzip" in codings else body
    body = chunked(body, 500) if "chunked" in codings else body
    archive = Archive(tmp_path / "encoded.warc.gz")
    archive.response("https://news.example/e", body, "text/html", **headers)
    [item] = read_inputs([archive.close()], max_bytes=10_000_000)
    assert orjson.loads(item.raw)["html"] == page.decode()


def chunked(data: bytes, size: int) -> bytes:
    """`data` in HTTP chunks of `size` bytes."""
    pieces = [data[n : n + size] for n in range(0, len(data), size)]
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (lambda page: chunked(page, 1000), None),
        (lambda page: chunked(gzip.compress(page), 777), "gzip"),
        (lambda page: page, None),  # marked chunked, sent whole: passed on as it is
    ],
)
def test_chunked_payloads_are_read_whatever_their_chunks(
    tmp_path: Path, body: Any, encoding: str | None
) -> None:
    page = article_page("Chunked", SEED).encode()
    headers = {"Transfer_Encoding": "chunked"}
    if encoding:
        headers["Content_Encoding"] = encoding
    archive = Archive(tmp_path / "chunked.warc.gz")
    archive.response("https://news.example/c", body(page), "text/html", **headers)
    [item] = read_inputs([archive.close()], max_bytes=10_000_000)
    assert orjson.loads(item.raw)["html"] == page.decode()


def test_a_page_compressed_twice_is_rejected_naming_its_encodings(tmp_path: Path) -> None:
    page = gzip.compress(gzip.compress(article_page("Twice", SEED).encode()))
    archive = Archive(tmp_path / "twice.warc")
    archive.response(
        "https://news.example/t", page, Transfer_Encoding="gzip", Content_Encoding="gzip"
    )
    [item] = read_inputs([archive.close()], max_bytes=10_000_000)
    assert item.rejection is not None and item.rejection.reason == "bad_encoding"
    assert "'gzip, gzip' is not supported" in item.rejection.detail


def gzip_of_zeros(mebibytes: int) -> bytes:
    deflater, zeros = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16), bytes(1 << 20)
    return b"".join(deflater.compress(zeros) for _ in range(mebibytes)) + deflater.flush()


def test_one_huge_compressed_chunk_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """warcio's own reader inflates a chunk whole: 256 MiB here, for a 256 KB record."""
    bomb = gzip_of_zeros(256)
    archive = Archive(tmp_path / "bomb.warc.gz")
    archive.response(
        "https://news.example/bomb",
        chunked(bomb, len(bomb)),
        "text/html",
        Transfer_Encoding="chunked",
        Content_Encoding="gzip",
    )
    path = archive.close()
    tracemalloc.start()
    try:
        [item] = read_inputs([path], max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert item.rejection is not None and item.rejection.reason == "too_large"
    assert peak < 64 << 20


@pytest.mark.parametrize(
    ("body", "encoding", "html"),
    [
        (b"5\r\n<p>x<\r\n0\r\n\r\n", "identity", "<p>x<"),
        (b"15\r\n<html><body>whole</b>\r\n", None, "<html><body>whole</b>"),  # no 0 chunk
        (b"5;" + b"e" * 80 + b"\r\n<p>x<\r\n0\r\n\r\n", None, "<p>x<"),  # long extension
    ],
)
def test_chunked_bodies_as_servers_send_them(
    tmp_path: Path, body: bytes, encoding: str | None, html: str
) -> None:
    headers = {"Transfer_Encoding": "chunked"}
    if encoding:
        headers["Content_Encoding"] = encoding
    archive = Archive(tmp_path / "served.warc.gz")
    archive.response("https://news.example/s", body, "text/html", **headers)
    [item] = read_inputs([archive.close()], max_bytes=10_000_000)
    assert item.rejection is None and orjson.loads(item.raw)["html"] == html


def test_a_brotli_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = brotli.compress(bytes(256 << 20), quality=1)
    archive = Archive(tmp_path / "bomb.warc.gz")
    archive.response("https://news.example/bomb", bomb, "text/html", Content_Encoding="br")
    archive.response("https://news.example/next", article_page("Next", SEED).encode())
    path = archive.close()
    del bomb
    tracemalloc.start()
    try:
        bomb_item, after = read_inputs([path], max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # (warcio takes a first block that fails to inflate for content sent unencoded: the
    # compressed bytes are then no text in any charset)
    assert bomb_item.rejection is not None and bomb_item.rejection.reason == "bad_encoding"
    assert after.rejection is None
    assert peak < 160 << 20


@pytest.mark.parametrize(
    "tail", [bytes(512), b"\r\n", gzip.compress(b"")], ids=["zeros", "line break", "empty gzip"]
)
def test_what_writers_leave_after_the_last_record_is_no_damage(tmp_path: Path, tail: bytes) -> None:
    archive = Archive(tmp_path / "padded.warc.gz")
    archive.response("https://news.example/p", article_page("Padded", SEED).encode())
    path = archive.close()
    path.write_bytes(path.read_bytes() + tail)
    [item] = read_inputs([path], max_bytes=10_000_000)
    assert item.rejection is None


@pytest.mark.parametrize("damage", ["a byte changed", "the end cut off"])
def test_compressed_content_damaged_past_its_first_block_is_rejected(
    tmp_path: Path, damage: str
) -> None:
    """warcio prints the error and ends the page there, which would pass a cut page as whole."""
    text = "\n".join(f"{n:08x} " + random.Random(n).randbytes(40).hex() for n in range(1500))
    zipped = bytearray(gzip.compress(article_page("Big", text).encode()))
    assert len(zipped) > 3 * 16_384
    if damage == "a byte changed":
        zipped[len(zipped) // 2] ^= 0xFF
    else:
        del zipped[len(zipped) // 2 :]
    archive = Archive(tmp_path / "damaged-content.warc.gz")
    archive.response("https://news.example/z", bytes(zipped), "text/html", Content_Encoding="gzip")
    archive.response("https://news.example/next", article_page("Next", SEED).encode())
    damaged, after = read_inputs([archive.close()], max_bytes=10_000_000)
    assert damaged.rejection is not None and damaged.rejection.reason == "bad_encoding"
    assert after.rejection is None


def test_a_page_the_crawler_truncated_is_rejected(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "truncated.warc.gz")
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    archive.write(
        "https://news.example/long",
        "response",
        article_page("Long", SEED).encode()[:500],
        http_headers=http,
        truncated="length",
    )
    [item] = read_inputs([archive.close()], max_bytes=10_000_000)
    assert item.rejection is not None
    assert item.rejection.detail == (
        "the crawler kept only part of this page (WARC-Truncated: length)"
    )


@pytest.mark.parametrize("name", ["CC-MAIN-1.warc.wet.gz", "page.wet"])
def test_common_crawl_wet_files_are_read_as_warc(tmp_path: Path, name: str) -> None:
    archive = Archive(tmp_path / name)
    archive.record("https://text.example/c", "conversion", SEED.encode(), "text/plain")
    [item] = read_inputs([tmp_path], max_bytes=10_000_000)  # found in the folder too
    assert orjson.loads(item.raw) == {
        "url": "https://text.example/c",
        "text": SEED,
        "fetched_at": DATE,
        "id": orjson.loads(item.raw)["id"],
    }


def test_a_record_over_the_size_limit_is_rejected_where_it_stands(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "big.warc.gz")
    archive.response("https://news.example/big", article_page("Big", SEED * 3).encode())
    archive.response("https://news.example/small", article_page("Small", "A short note.").encode())
    path = archive.close()
    big, small = read_inputs([path], max_bytes=len(SEED) * 2)
    assert big.rejection is not None and big.rejection.reason == "too_large"
    assert big.origin.offset == 0
    assert small.rejection is None and orjson.loads(small.raw)["url"].endswith("/small")


def test_a_page_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    page = article_page("Exact", SEED).encode()
    archive = Archive(tmp_path / "exact.warc.gz")
    archive.response("https://news.example/exact", page)
    [item] = read_inputs([archive.close()], max_bytes=len(page))
    assert item.rejection is None


@pytest.mark.parametrize(
    ("damage", "readable", "said"),
    [
        ("cut in the last record", 2, "the record is cut short: "),
        ("garbage after the last record", 3, "not readable as WARC from offset "),
        ("not a WARC", 0, "not readable as WARC from offset 0: "),
    ],
)
def test_a_damaged_warc_gives_the_articles_before_the_damage_then_one_rejection(
    tmp_path: Path, damage: str, readable: int, said: str
) -> None:
    archive = Archive(tmp_path / "whole.warc.gz")
    for n in range(3):
        archive.response(f"https://news.example/{n}", article_page(f"N{n}", SEED).encode())
    whole = archive.close().read_bytes()
    damaged = {
        "cut in the last record": whole[: len(whole) - 200],
        "garbage after the last record": whole + b"garbage\n",
        "not a WARC": b"this is not a web archive\n" * 3,
    }[damage]
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(damaged)
    *good, last = read_inputs([path], max_bytes=10_000_000)
    assert [orjson.loads(item.raw)["url"] for item in good] == [
        f"https://news.example/{n}" for n in range(readable)
    ]
    assert last.rejection is not None and last.rejection.reason == "bad_encoding"
    assert last.rejection.detail.startswith(said)
    assert offset(last) > (offset(good[-1]) if good else -1)


@pytest.mark.parametrize("name", ["long.warc", "long.warc.gz"])
def test_a_header_line_without_end_is_damage_found_in_time(tmp_path: Path, name: str) -> None:
    """warcio reads a line in time quadratic in its length (a 40 MB one took 22 s); here a
    line is read in linear time, and one over the limit is where the file stops being WARC."""
    archive = Archive(tmp_path / name)
    archive.response("https://news.example/before", article_page("Before", SEED).encode())
    endless = b"WARC/1.0\r\nWARC-Type: response\r\nX-Note: " + b"a" * (3 * LONGEST_LINE)
    path = archive.close()
    with path.open("ab") as file:
        file.write(gzip.compress(endless) if name.endswith(".gz") else endless)
    before, damage = read_inputs([path], max_bytes=10_000_000)
    assert orjson.loads(before.raw)["url"] == "https://news.example/before"
    assert damage.rejection is not None and damage.rejection.reason == "bad_encoding"
    assert f"a line longer than {LONGEST_LINE} bytes" in damage.rejection.detail
    assert offset(damage) > offset(before)


def test_long_header_lines_under_the_limit_are_read(tmp_path: Path) -> None:
    cookie = "id=" + "x" * (LONGEST_LINE - 100)  # servers send cookies and policies this long
    archive = Archive(tmp_path / "cookies.warc")
    archive.response("https://news.example/a", article_page("A", SEED).encode(), Set_Cookie=cookie)
    (item,) = read_inputs([archive.close()], max_bytes=10_000_000)
    assert item.rejection is None and orjson.loads(item.raw)["url"] == "https://news.example/a"


def test_newsflow_process_decides_the_articles_of_a_warc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["process", str(crawl(tmp_path / "crawl.warc.gz")), "--out", str(out)]) == 0
    clean = [decode("clean", line) for line in (out / "clean.ndjson").read_bytes().splitlines()]
    duplicates = (out / "duplicates.ndjson").read_bytes().splitlines()
    assert len(clean) + len(duplicates) == 4
    first = clean[0]
    assert (first["url"], first["source"], first["title"]) == (
        "https://news.example/a",
        "news.example",
        "Café society",
    )
    assert first["fetched_at"] == DATE
    assert first["source_id"].startswith("<urn:uuid:")
    summary = capsys.readouterr().out
    assert "skipped WARC records that hold no article: " in summary
    assert "revisit 1" in summary and "response 404 1" in summary


def test_publish_sends_the_articles_and_reports_what_it_could_not_send(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    crawl(inputs / "crawl.warc.gz")
    (inputs / "huge.html").write_text(article_page("Huge", SEED * 40))
    producer = RecordingProducer()
    result = publish(producer, "articles.raw", [inputs], max_bytes=len(SEED) * 20)
    assert result.sent == len(producer.sent) == 4
    [(origin, rejection)] = result.unsent
    assert (origin.file, rejection.reason) == (str(inputs / "huge.html"), "too_large")
    assert result.skipped["request"] == 1


HEADS = [b"", b"WARC/1.0\r\n", b"WARC/1.1\r\nWARC-Type: response\r\n"]


@settings(max_examples=300, deadline=None)
@given(head=st.sampled_from(HEADS), data=st.binary(max_size=2000))
def test_any_bytes_give_messages_and_rejections_never_an_exception(
    tmp_path_factory: pytest.TempPathFactory, head: bytes, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "any.warc"
    path.write_bytes(head + data)
    items = list(read_inputs([path], max_bytes=10_000))
    rejected = [item.rejection.reason for item in items if item.rejection is not None]
    assert set(rejected) <= {"bad_encoding", "too_large"}
    messages = [item for item in items if item.rejection is None]
    assert all(isinstance(orjson.loads(item.raw)["url"], str) for item in messages)


@functools.cache
def small_crawl() -> bytes:
    """An uncompressed WARC of a few records, to damage."""
    with tempfile.TemporaryDirectory() as folder:
        return crawl(Path(folder) / "crawl.warc").read_bytes()


@settings(max_examples=200, deadline=None)
@given(
    cut=st.floats(min_value=0.0, max_value=1.0),
    edits=st.lists(st.tuples(st.floats(0.0, 0.999), st.integers(0, 255)), max_size=5),
)
def test_a_damaged_crawl_never_raises_and_loses_no_article_silently(
    tmp_path_factory: pytest.TempPathFactory, cut: float, edits: list[tuple[float, int]]
) -> None:
    whole = bytearray(small_crawl())
    for where, byte in edits:
        whole[int(where * len(whole))] = byte
    damaged = bytes(whole[: int(cut * len(whole))])
    path = tmp_path_factory.mktemp("damaged") / "crawl.warc"
    path.write_bytes(damaged)
    items = list(read_inputs([path], max_bytes=10_000_000, skipped=Counter()))
    # A damaged record is rejected alone (its content) or with the rest of the file.
    assert all(item.rejection is None or item.rejection.reason == "bad_encoding" for item in items)
    messages = [item for item in items if item.rejection is None]
    # (a damaged header may leave a message without a usable URL: ingest rejects it then)
    assert all(isinstance(orjson.loads(item.raw)["url"], str) for item in messages)
    # A record ends with two line breaks; a cut in them leaves its content whole.
    closing = [n for n in range(len(whole)) if whole.startswith(b"\r\n\r\nWARC/", n)]
    harmless = {n + k for n in [*closing, len(whole) - 4] for k in range(5)}
    if not edits and len(damaged) > 0 and len(damaged) not in harmless:
        assert items and items[-1].rejection is not None  # a cut inside a record is reported


def test_a_file_cut_inside_a_content_length_line_is_reported_not_read_as_an_empty_page(
    tmp_path: Path,
) -> None:
    """warcio reads a Content-Length that is no number as 0: a crawl cut just after
    `Content-Length: ` gave the record as an article of no content, and no rejection."""
    whole = small_crawl()
    starts = [n for n in range(len(whole)) if whole.startswith(b"\r\nWARC/1.0\r\n", n)]
    last = whole.index(b"\r\nContent-Length: ", starts[-1])  # the last record's own header
    path = tmp_path / "crawl.warc"
    path.write_bytes(whole[: last + len(b"\r\nContent-Length: ")])
    items = list(read_inputs([path], max_bytes=10_000_000, skipped=Counter()))
    assert [item.rejection.reason for item in items if item.rejection] == ["bad_encoding"]
    assert items[-1].rejection is not None and items[-1].origin.offset == starts[-1] + 2
    assert "no valid Content-Length" in items[-1].rejection.detail


def member_ends(data: bytes) -> list[int]:
    """Where each gzip member of `data` ends."""
    ends, at = [], 0
    while at < len(data):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        inflater.decompress(data[at:])
        at = len(data) - len(inflater.unused_data)
        ends.append(at)
    return ends


@pytest.mark.parametrize("short_by", [1, 5, 12, 30])
def test_a_gzipped_warc_cut_near_the_end_of_a_member_is_reported(
    tmp_path: Path, short_by: int
) -> None:
    """warcio takes a member whose last bytes are missing for the end of the file."""
    whole = crawl(tmp_path / "whole.warc.gz").read_bytes()
    for end in member_ends(whole)[:-1]:
        path = tmp_path / "cut.warc.gz"
        path.write_bytes(whole[: end - short_by])
        items = list(read_inputs([path], max_bytes=10_000_000))
        assert items and items[-1].rejection is not None, end
        assert items[-1].rejection.reason == "bad_encoding"


def test_a_rerun_over_the_same_warc_files_appends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its articles (their ids from each record's URI, date and content) and its rejections
    (by file and offset) are known to be recorded: `newsflow process` into the same --out."""
    whole = crawl(tmp_path / "crawl.warc.gz").read_bytes()
    (tmp_path / "cut.warc.gz").write_bytes(whole[: len(whole) - 200])
    named = [str(tmp_path / "crawl.warc.gz"), str(tmp_path / "cut.warc.gz")]
    out = tmp_path / "out"
    assert main(["process", *named, "--out", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in out.glob("*.ndjson")}
    assert b'"offset"' in before["rejected.ndjson"]
    capsys.readouterr()
    assert main(["process", *named, "--out", str(out)]) == 0
    assert {path.name: path.read_bytes() for path in out.glob("*.ndjson")} == before
    assert "processed 0 inputs" in capsys.readouterr().out
