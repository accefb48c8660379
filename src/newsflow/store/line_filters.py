"""Bloom filters that remember which lines a source printed once, for the Redis store.

Learned boilerplate counts, per source, the documents that had each line. Almost every line is
seen once (an article's own paragraphs: 99.75% of the counters over 3,000 performance-corpus
pages held 1), so a counter key per line spent most of the store's memory on lines that never
recur. Instead a line's first sighting sets bits in a Bloom filter, and only a line seen again
gets a counter. The filters are Redis strings of `mib` MiB, one per half of the lines' TTL
(filter *i* holds the sightings of period *i* and lives until the TTL after that period ends),
so a first sighting is remembered for one to one and a half TTLs; every live filter is read.

A false positive makes a line never seen count as seen once: its first document counts it 2
(so 3 more documents, not 4, make it boilerplate), and its counter is kept. With `HASHES`
bits per item, n items in a period and m bits, the rate is (1 − e^(−HASHES·n/m))^HASHES:
32 MiB and 24 million items (100,000 articles of 15 lines a day for 15 days) give 2.7%, which
costs boilerplate learning next to nothing; more bits per item would cost Redis time per line.

The filters are ours, not RedisBloom's: that module is not in plain Redis, and the store must
run on any Redis from 6.0 (BITFIELD_RO).
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HASHES = 2
DEFAULT_MIB = 32
MAX_MIB = 512  # a Redis string's largest size
_DIGEST = struct.Struct(f"<{HASHES}Q")


@dataclass(frozen=True, slots=True)
class Lookup:
    """A lookup's `spec` for the script, and its BITFIELD `arguments`: every item's GET
    arguments, then its SET arguments."""

    spec: dict[str, Any]
    arguments: list[Any]


@dataclass(frozen=True, slots=True)
class LineFilters:
    """The filters of a store under `prefix`, `mib` MiB each."""

    prefix: str
    mib: int = DEFAULT_MIB

    def __post_init__(self) -> None:
        if not 1 <= self.mib <= MAX_MIB:
            raise ValueError(f"a line filter has 1 to {MAX_MIB} MiB, got {self.mib}")

    @property
    def bits(self) -> int:
        return self.mib * 8 * 1024 * 1024

    def lookup(
        self, source: str, document: str, lines: Sequence[str], *, ttl_seconds: int, now: float
    ) -> Lookup:
        """How the store's script looks up `document` of `source` and its `lines` at `now`,
        and remembers them: the live filters (newest first), the newest one's TTL, and every
        item's bit offsets (the document's first, then each line's) as BITFIELD arguments."""
        period = max(1, ttl_seconds // 2)
        current = int(now // period)
        live = range(current, math.floor((now - ttl_seconds) / period) - 1, -1)
        base = f"{self.prefix}lines:filter:{self.mib}:{period}:"
        offsets = self.offsets(source, "d" + document)
        for line in lines:
            offsets += self.offsets(source, "l" + line)
        spec = {
            "filters": [f"{base}{number}" for number in live],
            "expire": math.ceil((current + 1) * period + ttl_seconds - now),
            "hashes": HASHES,
            "items": 1 + len(lines),
        }
        gets = [arg for offset in offsets for arg in (b"GET", b"u1", offset)]
        sets = [arg for offset in offsets for arg in (b"SET", b"u1", offset, 1)]
        return Lookup(spec, gets + sets)

    def offsets(self, source: str, item: str) -> list[int]:
        """The `HASHES` bit offsets of an item of a source."""
        digest = hashlib.blake2b(f"{source}\n{item}".encode(), digest_size=_DIGEST.size).digest()
        return [value % self.bits for value in _DIGEST.unpack(digest)]
