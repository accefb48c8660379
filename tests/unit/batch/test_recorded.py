"""The identities a run into an --out holds: those of the outcomes in its files, and those of
the inputs it takes on, kept compact and told apart by all their 128 bits."""

import os
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsflow.batch import recorded as recorded_module
from newsflow.batch.recorded import FRESH_LIMIT, KEY, Recorded, merge_in_place, read_recorded


def clean(key: int) -> dict[str, str]:
    """An event of the input `key` names (what `outcome_key` reads of a clean event)."""
    return {"article_id": f"{key:032x}"}


def outcome_file(path: Path, keys: list[int]) -> Path:
    path.write_bytes(b"".join(b'{"article_id": "%032x"}\n' % key for key in keys))
    return path


def test_an_input_is_known_by_the_files_or_by_this_run(tmp_path: Path) -> None:
    recorded, _ = read_recorded([outcome_file(tmp_path / "clean.ndjson", [7, 2**127, 3])])
    assert not recorded.admit(clean(2**127))  # in the files
    assert recorded.admit(clean(5))  # new: taken on
    assert not recorded.admit(clean(5))  # the same message again in this run
    assert recorded.skipped == 2
    assert sorted(key for key in range(10) if key in recorded) == [3, 5, 7]


def test_keys_taken_on_stay_known_after_they_are_merged_into_the_files_keys() -> None:
    recorded = Recorded(range(0, 1000, 2), fresh_limit=4)
    for key in range(1, 1000, 2):
        assert recorded.admit(clean(key))
        assert not recorded.admit(clean(key - 1)) and not recorded.admit(clean(key))
    assert len(recorded) == 1000
    assert all(key in recorded for key in range(1000)) and 1000 not in recorded
    assert recorded.skipped == 1000


def test_keys_alike_but_for_one_bit_are_two_inputs() -> None:
    """All 128 bits count: a key cut shorter would take the second input for the first."""
    key = 0x0123456789ABCDEF_FEDCBA9876543210
    others = [key ^ 1, key ^ (1 << 63), key ^ (1 << 64), key ^ (1 << 127)]
    recorded = Recorded([key], fresh_limit=2)
    assert all(recorded.admit(clean(other)) for other in others)
    assert recorded.skipped == 0 and len(recorded) == 5


def test_an_outcome_recorded_twice_in_the_files_is_one_key(tmp_path: Path) -> None:
    recorded, _ = read_recorded(
        [outcome_file(tmp_path / "clean.ndjson", [4, 9]), outcome_file(tmp_path / "x", [9, 4])]
    )
    assert len(recorded) == 2 and 4 in recorded and 9 in recorded and 5 not in recorded


@given(
    st.lists(st.integers(0, 2**128 - 1), max_size=40),
    st.lists(st.integers(0, 2**128 - 1) | st.integers(0, 40), max_size=80),
    st.integers(1, 8),
)
def test_admitting_skips_exactly_the_inputs_known_before(
    in_files: list[int], this_run: list[int], fresh_limit: int
) -> None:
    recorded = Recorded(in_files, fresh_limit=fresh_limit)
    known, skipped = set(in_files), 0
    for key in this_run:
        assert recorded.admit(clean(key)) == (key not in known)
        skipped += key in known
        known.add(key)
    assert len(recorded) == len(known) and all(key in recorded for key in known)
    assert recorded.skipped == skipped


def test_the_ids_of_100_000_outcomes_take_16_bytes_each(tmp_path: Path) -> None:
    """A set of `int`s held 9 MiB for them, 850 MiB for 10 million."""
    path = outcome_file(tmp_path / "clean.ndjson", [n * 7919 + 2**100 for n in range(100_000)])
    tracemalloc.start()
    recorded, notes = read_recorded([path])
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert notes == [] and not recorded.admit(clean(2**100 + 7919 * 99_999))
    assert held < 2 << 20 and peak < 4 << 20


def packed(keys: list[int]) -> bytearray:
    return bytearray(b"".join(key.to_bytes(16) for key in keys))


@given(
    st.sets(st.integers(0, 2**128 - 1) | st.integers(0, 60), max_size=60),
    st.data(),
    st.integers(1, 7),
)
def test_a_merge_in_place_gives_the_sorted_union_whatever_the_chunk(
    all_keys: set[int], data: st.DataObject, chunk: int
) -> None:
    ordered = sorted(all_keys)
    fresh = set(data.draw(st.lists(st.sampled_from(ordered))) if ordered else [])
    held = [key for key in ordered if key not in fresh]
    buffer = packed(held)
    merge_in_place(buffer, len(held), np.frombuffer(packed(sorted(fresh)), KEY), chunk=chunk)
    assert buffer == packed(ordered)


def test_merging_the_keys_taken_on_grows_the_array_where_it_is() -> None:
    """A merge made the merged array beside the old one (numpy's insert): twice the ids for a
    moment, a run of 10 million inputs peaking at 367 MiB for 160 held."""
    tracemalloc.start()
    try:
        recorded = Recorded.from_packed(bytearray(os.urandom(16 * 1_000_000)))  # 15.3 MiB
        for _ in range(FRESH_LIMIT):  # the set up to its limit (above a sixteenth)
            assert recorded.admit(clean(int.from_bytes(os.urandom(16))))  # spread, as ids are
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        assert recorded.admit(clean(2**100))  # one more: the set merged into the array
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(recorded._fresh) == 1 and len(recorded) == 1_000_001 + FRESH_LIMIT
    assert peak - held < 16 * 1_000_000 / 2  # the array is not made twice (here 5.1 MiB more,
    # 3.1 of them the room bytearray keeps to grow into; before, 19.8)


def test_keys_read_twice_are_dropped_where_they_are() -> None:
    """Repeats were dropped into a copy of the keys (numpy's delete), beside them."""
    keys = bytearray(os.urandom(16 * 500_000))
    keys += keys[: 16 * 1000]
    tracemalloc.start()
    try:
        recorded = Recorded.from_packed(keys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(recorded) == 500_000
    assert peak < 16 * 500_000 / 4  # here 1.0 MiB; before, 8.6


@pytest.mark.parametrize("failing", range(1, 7))
@pytest.mark.parametrize("chunk", [2, 5])
def test_a_merge_stopped_by_an_exception_leaves_the_keys_as_they_were(
    monkeypatch: pytest.MonkeyPatch, failing: int, chunk: int
) -> None:
    """A merge stopped midway (no memory for a chunk, ^C) left the array taken away and its
    keys half moved: every later lookup raised `AttributeError`."""
    insert, calls = np.insert, 0

    def insert_or_fail(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == failing:
            raise MemoryError
        return insert(*args, **kwargs)

    monkeypatch.setattr(np, "insert", insert_or_fail)
    monkeypatch.setattr(recorded_module, "merge_in_place", partial(merge_in_place, chunk=chunk))
    in_files = list(range(0, 60, 3))
    recorded, known = Recorded(in_files, fresh_limit=8), set(in_files)
    with pytest.raises(MemoryError):
        for key in (n * 7 % 60 for n in range(60)):  # spread over the array
            assert recorded.admit(clean(key)) == (key not in known)
            known.add(key)  # (not the key whose admission raised: it is not taken on)
    assert calls == failing  # stopped at the merges' chunk `failing`
    assert len(recorded) == len(known)
    assert [key for key in range(90) if key in recorded] == sorted(known)
    for key in range(80, 20, -1):  # more merges, the same keys again and new ones
        assert recorded.admit(clean(key)) == (key not in known)
        known.add(key)
    assert len(recorded) == len(known)
    assert [key for key in range(90) if key in recorded] == sorted(known)


def test_a_merge_stopped_before_it_began_leaves_the_buffer_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    buffer = packed([1, 5])
    monkeypatch.setattr(np, "frombuffer", fail)
    with pytest.raises(KeyboardInterrupt):
        merge_in_place(buffer, 2, np.array([b"\0" * 15 + b"\3"], "S16").view(KEY))
    assert buffer == packed([1, 5])
