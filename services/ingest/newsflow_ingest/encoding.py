"""A POST body's content coding undone, within the body limit: gzip (one member or several,
as `cat a.gz b.gz` makes) and deflate (zlib's wrapper, or raw as some clients send it).

A crawler posting pages compresses them (HTML shrinks 5–10×): such a body was refused 415.
The limit applies to what it inflates to, read in one bounded step, so a few kilobytes that
inflate to gigabytes cost no more memory than the limit.
"""

from __future__ import annotations

import zlib

CODINGS = {"gzip": 31, "x-gzip": 31, "deflate": 15}  # zlib's wbits for each
"""The content codings taken, by their name in `Content-Encoding` (lower case)."""


class TooLarge(ValueError):
    """The body inflates past the limit."""


def inflate(body: bytes, coding: str, *, limit: int) -> bytes:
    """`body` with `coding` (a key of `CODINGS`) undone; `TooLarge` past `limit` bytes,
    `ValueError` naming what is wrong when it is not such a body."""
    wbits = CODINGS[coding]
    if coding == "deflate" and body and (body[0] & 0x0F) != 8:  # no zlib header: raw deflate
        wbits = -15
    pieces: list[bytes] = []
    size, rest = 0, body
    while rest:
        inflating = zlib.decompressobj(wbits)
        try:
            piece = inflating.decompress(rest, limit + 1 - size)
        except zlib.error as exc:
            raise ValueError(f"the body is not {coding}: {exc}") from None
        size += len(piece)
        if size > limit or inflating.unconsumed_tail:
            raise TooLarge(f"the body inflates to more than {limit} bytes")
        if not inflating.eof:
            raise ValueError(f"the {coding} body ends short")
        pieces.append(piece)
        rest = inflating.unused_data if wbits == 31 else b""  # a further gzip member
        if rest and not rest.strip(b"\0"):  # padding after the last member
            break
    return b"".join(pieces)
