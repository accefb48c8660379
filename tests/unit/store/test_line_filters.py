"""LineFilters: where an item's bits go, which filters are live, and the false-positive rate
the module documents, measured on a filter simulated in memory."""

from __future__ import annotations

import math

import pytest

from newsflow.store.line_filters import HASHES, LineFilters

TTL = 30 * 24 * 3600
NOW = 1_700_000_000.0


def test_an_item_has_its_bits_in_range_and_the_same_in_every_process() -> None:
    filters = LineFilters("p:", mib=1)
    offsets = filters.offsets("a.example", "lline")
    assert len(offsets) == HASHES
    assert all(0 <= offset < 8 * 1024 * 1024 for offset in offsets)
    assert offsets == LineFilters("other:", mib=1).offsets("a.example", "lline")
    assert offsets != filters.offsets("b.example", "lline")


def test_three_filters_are_live_the_newest_first() -> None:
    look = LineFilters("p:").lookup("a.example", "doc", ["x"], ttl_seconds=TTL, now=NOW)
    period = TTL // 2
    current = int(NOW // period)
    names = [f"p:lines:filter:32:{period}:{n}" for n in (current, current - 1, current - 2)]
    assert look.spec["filters"] == names
    assert look.spec["expire"] == math.ceil((current + 1) * period + TTL - NOW)


def test_the_lookup_carries_the_document_first_then_every_line() -> None:
    filters = LineFilters("p:")
    look = filters.lookup("a.example", "doc", ["x", "y"], ttl_seconds=TTL, now=NOW)
    assert look.spec["items"] == 3
    offsets = [*filters.offsets("a.example", "ddoc"), *filters.offsets("a.example", "lx")]
    offsets += filters.offsets("a.example", "ly")
    gets = [arg for offset in offsets for arg in (b"GET", b"u1", offset)]
    sets = [arg for offset in offsets for arg in (b"SET", b"u1", offset, 1)]
    assert look.arguments == gets + sets


@pytest.mark.parametrize("bits_per_item", [11.0, 22.0])
def test_false_positives_are_as_rare_as_the_formula_says(bits_per_item: float) -> None:
    filters = LineFilters("p:", mib=1)
    items = int(filters.bits / bits_per_item)
    bits = bytearray(filters.bits // 8)
    for n in range(items):
        for offset in filters.offsets("a.example", f"l{n}"):
            bits[offset >> 3] |= 1 << (offset & 7)
    probes = 40_000
    false = sum(
        all(bits[o >> 3] >> (o & 7) & 1 for o in filters.offsets("a.example", f"new{n}"))
        for n in range(probes)
    )
    expected = (1 - math.exp(-HASHES / bits_per_item)) ** HASHES
    assert false / probes == pytest.approx(expected, rel=0.2)


@pytest.mark.parametrize("mib", [0, 513])
def test_a_filter_redis_cannot_hold_is_refused(mib: int) -> None:
    with pytest.raises(ValueError, match="1 to 512 MiB"):
        LineFilters("p:", mib=mib)
