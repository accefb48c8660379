"""An HTTP payload as recorded in a WARC record, its transfer and content encodings undone,
read in bounded pieces.

warcio undoes the encodings (`record.content_stream()`), but it compares the headers as
written (`Chunked` is not chunked to it, nor `x-gzip` gzip), reads each chunk of a chunked
payload whole and inflates it in one step (as much memory as the chunk inflates to), and
calls a brotli decompressor by a method the `brotli` package no longer has. Here the headers
are put in the form it compares, chunked payloads are read a piece at a time, and brotli is
given the method warcio calls.
"""

from __future__ import annotations

import re
from typing import Any

import brotli
from warcio.bufferedreaders import BufferedReader

ALIASES = {"x-gzip": "gzip", "x-deflate": "deflate"}
SIZE_LINE = 4096  # longest chunk-size line read (the size and its extensions)
_CHUNK_SIZE = re.compile(rb"[ \t]*([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n?")


class _Brotli:
    """A brotli decompressor as warcio calls one (`decompress`, `unused_data`): warcio 1.8.1
    calls the `brotli` package's by a method name that package no longer has. A payload
    that inflates past `LIMIT` is refused (a few bytes of brotli can make a gigabyte)."""

    LIMIT = 64 << 20
    unused_data = None

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()
        self._made = 0

    def decompress(self, data: bytes) -> bytes:
        room = self.LIMIT - self._made
        out = bytes(self._decompressor.process(data, output_buffer_limit=room + 1))
        self._made += len(out)
        if self._made > self.LIMIT:
            raise ValueError(f"the brotli content inflates past {self.LIMIT >> 20} MiB")
        return out


BufferedReader.DECOMPRESSORS["br"] = _Brotli  # warcio's table of content decoders


def payload_stream(record: Any) -> _Inflating:
    """The record's payload as a stream, its transfer and content encodings undone. warcio's
    own reader of a chunked payload reads each chunk whole and inflates it in one step; this
    one reads it a piece at a time, so what the caller reads bounds the memory."""
    http = record.http_headers
    if http is None:
        return _Inflating(record.raw_stream)
    source = record.raw_stream
    if http.get_header("Transfer-Encoding") == "chunked":
        source = _Dechunked(source)
    encoding = http.get_header("Content-Encoding")
    decoded = encoding if encoding in BufferedReader.get_supported_decompressors() else None
    return _Inflating(source, decomp_type=decoded)


def ended_early(stream: _Inflating) -> bool:
    """Whether the compressed payload read from `stream` ended before its compressed stream
    did (a page cut short, that warcio would give as whole)."""
    return stream.decompressor is not None and getattr(stream.decompressor, "eof", True) is False


class _Inflating(BufferedReader):
    """warcio's reader, except that content which stops inflating part way is an error:
    warcio prints it and ends the payload there. (As warcio, content that does not inflate
    from its first block on is taken for content sent unencoded.)"""

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor is not None and data and self.num_block_read:
            return bytes(self.decompressor.decompress(data))
        return bytes(super()._decompress(data))


class _Dechunked:
    """The data of an HTTP chunked body, a piece at a time (a file-like object for warcio's
    `BufferedReader`, which reads 16 KB at a time). A body whose first line is no chunk size
    is passed on as it is, and one that ends without its last, empty chunk ends there, as
    warcio does: servers send such bodies."""

    PIECE = 1 << 16

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._left = 0  # of the current chunk
        self._started = self._ended = self._unchunked = False

    def read(self, size: int = -1) -> bytes:
        if self._unchunked:
            return bytes(self._raw.read(size))
        while not self._left and not self._ended:
            line = bytes(self._raw.readline(SIZE_LINE))
            if not line:  # the body ends without its last chunk
                self._ended = True
                break
            size_found = _CHUNK_SIZE.fullmatch(line)
            if size_found is None:
                if self._started:
                    raise ValueError(f"not a chunk size: {line[:64]!r}")
                self._unchunked = True
                return line + bytes(self._raw.read(size))
            self._started = True
            self._left = int(size_found.group(1), 16)
            self._ended = self._left == 0
        if self._ended:
            return b""
        wanted = self.PIECE if size is None or size < 0 else min(size, self.PIECE)
        piece = bytes(self._raw.read(min(self._left, wanted)))
        self._left = 0 if not piece else self._left - len(piece)  # none: the body ends
        self._ended = not piece
        if not self._left:
            self._raw.readline(SIZE_LINE)  # the line break after the chunk
        return piece


def normalize_encodings(http: Any) -> str | None:
    """Put the HTTP headers warcio undoes the encodings by in the form it compares them in
    (lower case; `x-gzip` is gzip; a transfer coding other than chunked, as in `gzip,
    chunked`, taken as the content's encoding); returns an encoding it cannot undo, if any
    (two compressions one over the other count as one it cannot undo)."""
    if http is None:
        return None
    codings = _codings(http.get_header("Transfer-Encoding"))
    chunked = bool(codings) and codings[-1] == "chunked"
    compressions = [
        *codings[: -1 if chunked else None],
        *_codings(http.get_header("Content-Encoding")),
    ]
    http.remove_header("Transfer-Encoding")
    http.remove_header("Content-Encoding")
    if chunked:
        http.add_header("Transfer-Encoding", "chunked")
    if not compressions:
        return None
    if len(compressions) > 1:
        return ", ".join(compressions)
    encoding = ALIASES.get(compressions[0], compressions[0])
    http.add_header("Content-Encoding", encoding)
    return None if encoding in BufferedReader.get_supported_decompressors() else encoding


def _codings(header: str | None) -> list[str]:
    """The codings an encoding header lists, in the order applied, lower case, without
    `identity`."""
    codings = (coding.strip().lower() for coding in (header or "").split(","))
    return [coding for coding in codings if coding and coding != "identity"]
