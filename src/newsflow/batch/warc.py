"""WARC files as input: each captured page becomes one raw message, as a crawler would send it.

Web archives (`.warc`, `.warc.gz`, one gzip member per record, as crawlers write them) hold
far more than pages: requests, crawl metadata, images, redirects, revisits that point at an
earlier capture. An article is
- a `response` record of a successful HTTP fetch (2xx, not 204 or 206) whose content is HTML,
  or a `resource` record of HTML (a browser-based crawl's capture): its URL is
  `WARC-Target-URI`, its `fetched_at` the `WARC-Date`, its `id` the `WARC-Record-ID`, and its
  body the HTTP payload with its transfer and content encodings undone (warcio, and our
  reader of chunked payloads), decoded by the charset the HTTP header names, else as any
  other file;
- a `conversion` record of plain text (the extracted text of a WET file), sent as `text`.

A `revisit` record that says its payload is identical to an earlier capture's
(`.../identical-payload-digest`), of an article earlier in the same file, is that article
re-crawled: the revisit's URL, date and id with the earlier capture's content, which dedup
then decides as an exact duplicate of it.

Every other record is not an article: it is counted, by kind, in `skipped`. An article
record larger than the message size limit is rejected `too_large`, and one whose content
cannot be had (truncated by the crawler, an encoding warcio cannot undo, a charset that does
not decode it) `bad_encoding`, the records after it still read. A file cut short (inside a
record, or in a gzip member's last bytes), or that stops being readable WARC, is rejected
`bad_encoding` at that offset, after the articles read before it. Each message's origin is
the file and the record's byte offset in it.
"""

from __future__ import annotations

import codecs
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader

from newsflow import rejection as R
from newsflow.batch.inputs import InputItem, decode_document, file_name
from newsflow.batch.payload import ended_early, normalize_encodings, payload_stream
from newsflow.model import Origin
from newsflow.rejection import Rejection

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PARTIAL_STATUSES = frozenset({204, 206})
LONGEST_LINE = 1 << 20  # of a WARC or HTTP header: a longer one is damage


def read_warc(file: Path, *, max_bytes: int, skipped: Counter[str]) -> Iterator[InputItem]:
    """The articles of a WARC file as raw messages, in file order; see the module's docstring."""
    with file.open("rb") as stream, file.open("rb") as again:
        size = os.fstat(stream.fileno()).st_size
        records = _archive(stream)
        captures: dict[str, int] = {}  # payload digest -> offset of an article's record
        offset, problem, answered = 0, None, False  # answered: the last record has an outcome
        try:
            for record in records:
                offset = records.offset  # where this record starts (read before its content)
                origin = Origin(file=file_name(file), offset=offset)
                if record.format != "warc":
                    raise ValueError(f"not a WARC record but {record.format!r}")
                if not _has_length(record):
                    if not _blank_tail(again, offset):  # (padding read as a record)
                        problem = f"the record at offset {offset} has no valid Content-Length"
                    break  # its end is unknown, and so where the next record starts
                kind = _article_kind(record)
                answered = kind is not None
                if kind is not None:
                    item = _message(record, kind, origin, max_bytes)
                    if item.rejection is None and (digest := _payload_digest(record)):
                        captures.setdefault(digest, offset)
                    yield item
                    if _missing_bytes(record):  # the file ends in it: said in its rejection
                        break
                elif missing := _missing_bytes(record):
                    problem = _cut_short(record, missing)
                    break
                elif (digest := _revisited_digest(record)) in captures:
                    original = _record_at(again, captures[digest])
                    yield _revisit(record, original, origin, max_bytes)
                    answered = True
                else:
                    skipped[_skip_reason(record)] += 1
            else:
                offset, problem = _unread_end(stream, size, records.offset, offset, answered)
        except Exception as exc:  # warcio raises many kinds on a damaged archive
            offset = max(offset, records.offset)
            if not _blank_tail(stream, records.offset):  # (zero padding: warcio raises too)
                problem = f"not readable as WARC from offset {offset}: {type(exc).__name__}: {exc}"
    if problem is not None:
        origin = Origin(file=file_name(file), offset=offset)
        yield InputItem(b"", origin, rejection=Rejection(R.BAD_ENCODING, problem.strip()[:500]))


def _has_length(record: Any) -> bool:
    """Whether the record's `Content-Length` is a number of bytes: warcio reads a record
    without one to the end of the file, and one whose value is not a number (a file cut
    inside that header line) as 0 bytes, an empty page."""
    if not isinstance(getattr(record.raw_stream, "limit", None), int):
        return False
    try:
        return int(record.rec_headers.get_header("Content-Length") or "") >= 0
    except ValueError:
        return False


def _article_kind(record: Any) -> str | None:
    """ "html" or "text" for a record that holds an article, else None."""
    kind = record.rec_type
    if kind == "conversion":
        return "text" if _media_type(record.rec_headers) == "text/plain" else None
    if kind == "resource":
        return "html" if _media_type(record.rec_headers) in HTML_TYPES else None
    if kind != "response" or record.http_headers is None:
        return None
    status = _status(record)
    if status is None or not 200 <= status < 300 or status in PARTIAL_STATUSES:
        return None
    return "html" if _media_type(record.http_headers) in HTML_TYPES else None


def _skip_reason(record: Any) -> str:
    kind = record.rec_type
    if kind != "response" or record.http_headers is None:
        return kind
    status = _status(record)
    if status is None or not 200 <= status < 300 or status in PARTIAL_STATUSES:
        return f"response {status or 'without a status'}"
    return f"response of {_media_type(record.http_headers) or 'no content type'}"


def _payload_digest(record: Any) -> str | None:
    return record.rec_headers.get_header("WARC-Payload-Digest") or None


def _revisited_digest(record: Any) -> str:
    """The payload digest a revisit record repeats, when it says its payload is identical
    (else "")."""
    if record.rec_type != "revisit":
        return ""
    profile = record.rec_headers.get_header("WARC-Profile") or ""
    identical = profile.endswith("/identical-payload-digest")
    return (_payload_digest(record) or "") if identical else ""


def _record_at(stream: Any, offset: int) -> Any:
    """The record that starts at `offset` of the file open as `stream`."""
    stream.seek(offset)
    return next(iter(_archive(stream)))


def _archive(stream: Any) -> ArchiveIterator:
    """warcio's iterator over the records of the file open as `stream`, reading lines with
    `_LineReader`."""
    records = ArchiveIterator(stream)
    records.reader = _LineReader(records.fh, block_size=records.reader.block_size)
    return records


class _LineReader(DecompressingBufferedReader):
    """warcio's reader of an archive, except that a line is read in time linear in its length
    and one longer than `LONGEST_LINE` is an error. warcio's reader adds a line's pieces one
    by one to the line read so far, each time copying it: a 40 MB header line without a line
    break took 22 s."""

    def readline(self, length: int | None = None) -> bytes:
        wanted = LONGEST_LINE + 1 if length is None or length < 0 else min(length, LONGEST_LINE + 1)
        pieces: list[bytes] = []
        got = 0
        while got < wanted:
            self._fillbuff()
            if self.empty():
                break
            piece = self.buff.readline(wanted - got)
            pieces.append(piece)
            got += len(piece)
            if piece.endswith(b"\n"):
                break
        if got > LONGEST_LINE:
            raise ValueError(f"a line longer than {LONGEST_LINE} bytes")
        return b"".join(pieces)


def _revisit(revisit: Any, original: Any, origin: Origin, max_bytes: int) -> InputItem:
    """A re-crawl of an unchanged page: the revisit's URL, date and id, the original's
    content (ingest and dedup then decide it as a re-crawl: an exact duplicate)."""
    kind = _article_kind(original)
    if kind is None:  # recorded as an article's capture, so this cannot happen
        raise ValueError(f"the record revisited at {origin.offset} is no longer an article")
    return _message(original, kind, origin, max_bytes, headers=revisit.rec_headers)


def _unread_end(
    stream: Any, size: int, reached: int, last: int, answered: bool
) -> tuple[int, str | None]:
    """Where the file went wrong and how, when warcio read it to its end without complaint
    (else `last`, None): bytes it did not read as records; in a gzipped file, a member cut
    short from the last record's on (warcio takes what there is of a member whose end is
    missing for the end of the file); in an uncompressed one, a last record without the
    blank lines that end every record, unless that record was read whole and `answered`
    (its outcome given: only its closing line breaks are missing)."""
    if reached < size and not _blank_tail(stream, reached):
        return reached, f"not readable as WARC from offset {reached}: {size - reached} bytes"
    stream.seek(last)
    if stream.read(2) == b"\x1f\x8b":  # gzip
        stream.seek(last)
        if not _whole_gzip_members(stream):
            return last, f"the gzip member from offset {last} on is cut short"
    elif size and not answered:
        stream.seek(max(0, size - 4))
        if not stream.read(4).endswith((b"\r\n\r\n", b"\n\n")):
            return last, f"the record at offset {last} is cut short: the file ends inside it"
    return last, None


def _blank_tail(stream: Any, start: int) -> bool:
    """Whether the file from `start` on holds nothing: zero padding, line breaks, or empty
    gzip members, as some writers leave after the last record."""
    stream.seek(start)
    tail = stream.read(1 << 16)
    if stream.read(1):
        return False  # more than padding
    while tail.startswith(b"\x1f\x8b"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            if inflater.decompress(tail, 1 << 10).strip() or not inflater.eof:
                return False
        except zlib.error:
            return False
        tail = inflater.unused_data
    return not tail.strip(b"\x00\r\n\t ")


def _whole_gzip_members(stream: Any) -> bool:
    """Whether the rest of the file is whole gzip members (their ends are all there)."""
    inflater, fed = zlib.decompressobj(zlib.MAX_WBITS | 16), False
    while chunk := stream.read(1 << 16):
        while chunk:
            fed = True
            inflater.decompress(chunk, 1 << 16)  # the output is bounded and thrown away
            while inflater.unconsumed_tail and not inflater.eof:
                inflater.decompress(inflater.unconsumed_tail, 1 << 16)
            if not inflater.eof:
                break  # the member goes on in the next chunk
            chunk = inflater.unused_data
            inflater, fed = zlib.decompressobj(zlib.MAX_WBITS | 16), False
    return not fed


def _message(
    record: Any, kind: str, origin: Origin, max_bytes: int, *, headers: Any = None
) -> InputItem:
    """The raw message of an article's record (or the record's rejection); `headers`: the
    WARC headers to take its URL, date and id from, when not the record's own (a revisit's).
    """
    try:
        return _read_message(record, kind, origin, max_bytes, headers or record.rec_headers)
    except Exception as exc:  # the record's own content, not the archive, is at fault
        detail = f"record content not readable: {type(exc).__name__}: {exc}"[:500]
        return InputItem(b"", origin, rejection=Rejection(R.BAD_ENCODING, detail))


def _read_message(
    record: Any, kind: str, origin: Origin, max_bytes: int, headers: Any
) -> InputItem:
    if truncated := record.rec_headers.get_header("WARC-Truncated"):
        detail = f"the crawler kept only part of this page (WARC-Truncated: {truncated})"
        return InputItem(b"", origin, rejection=Rejection(R.BAD_ENCODING, detail))
    if unsupported := normalize_encodings(record.http_headers):
        detail = f"the page's content encoding {unsupported!r} is not supported"
        return InputItem(b"", origin, rejection=Rejection(R.BAD_ENCODING, detail))
    stream = payload_stream(record)
    body = stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        detail = f"record content is more than {max_bytes} bytes"
        return InputItem(b"", origin, rejection=Rejection(R.TOO_LARGE, detail))
    if ended_early(stream):
        detail = "the page's compressed content ends before its compressed stream does"
        return InputItem(b"", origin, rejection=Rejection(R.BAD_ENCODING, detail))
    if missing := _missing_bytes(record):
        return InputItem(
            b"", origin, rejection=Rejection(R.BAD_ENCODING, _cut_short(record, missing))
        )
    text = _decoded(body, _charset(record.http_headers or record.rec_headers))
    if isinstance(text, Rejection):
        return InputItem(body, origin, rejection=text)
    message = {
        "url": headers.get_header("WARC-Target-URI", "").strip("<>"),
        kind: text,
        "fetched_at": headers.get_header("WARC-Date"),
        "id": headers.get_header("WARC-Record-ID"),
    }
    return InputItem(orjson.dumps({k: v for k, v in message.items() if v is not None}), origin)


def _missing_bytes(record: Any) -> int:
    """How many bytes of the record's block the file lacks (a file cut in this record): its
    block is read to the end, and warcio's reader of it counts down from `Content-Length`."""
    while record.raw_stream.read(1 << 16):
        pass
    return max(0, int(record.raw_stream.limit))


def _cut_short(record: Any, missing: int) -> str:
    return f"the record is cut short: {missing} of its {record.length} bytes are missing"


def _decoded(body: bytes, charset: str | None) -> str | Rejection:
    """The body in the charset its header names, when that names a real one that decodes it;
    else UTF-8 or the most likely charset (`decode_document`)."""
    if charset:
        try:
            return body.decode(codecs.lookup(charset).name)
        except (LookupError, UnicodeError):
            pass
    return decode_document(body)


def _status(record: Any) -> int | None:
    code = record.http_headers.get_statuscode()
    return int(code) if code and code.isascii() and code.isdecimal() else None


def _media_type(headers: Any) -> str | None:
    """The content type without its parameters, lower case ("text/html"), if one is given."""
    media_type = (headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return media_type or None


def _charset(headers: Any) -> str | None:
    for parameter in (headers.get_header("Content-Type") or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None
