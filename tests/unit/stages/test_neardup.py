"""Near duplicates: shingles, MinHash signatures, LSH bands and the decision against a store."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.stages.neardup import (
    BANDS,
    NUM_PERM,
    SCHEME,
    SEED,
    NearSettings,
    _permutations,
    band_keys,
    decide_near,
    shingles,
    signature,
    similarity,
)
from newsflow.store.sqlite import SqliteStore

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
ORIGINAL = (SAMPLES / "002_c29026668af7cc6b.txt").read_text()
OTHER = (SAMPLES / "001_694ca5b908b75097.txt").read_text()
T0 = 1_726_000_000.0
A, B, C = "a" * 32, "b" * 32, "c" * 32
WORDS = ["missile", "Iran", "the", "Russia", "said", "straße", "café", "1,000", "—", "\n"]


def rewrite(text: str) -> str:
    """New headline, dateline, last fifth cut: what a syndication partner does."""
    words = text.split(" ")
    return "Iran sends missiles to Russia, US says\n\nLONDON (AP) — " + " ".join(
        words[: int(len(words) * 0.8)]
    )


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def test_shingles_are_word_trigrams_of_the_normalized_text() -> None:
    assert shingles("The  Cat sat, on “the” mat") == {
        b"the cat sat",
        b"cat sat on",
        b"sat on the",
        b"on the mat",
    }
    assert shingles("Two words") == {b"two words"}
    assert shingles(" ... ") == set()


def test_signature_is_512_bytes_and_none_without_words() -> None:
    sig = signature(ORIGINAL)
    assert sig is not None and len(sig) == 4 * NUM_PERM
    assert signature("—") is None
    assert len(band_keys(sig)) == BANDS
    assert len(set(band_keys(sig))) == BANDS


def datasketch_signature(text: str) -> bytes | None:
    """The signature as datasketch computes it (what `signature` must equal)."""
    grams = shingles(text)
    if not grams:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=zlib.crc32)
    minhash.update_batch(grams)
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


def test_the_permutations_are_datasketch_s_for_the_seed() -> None:
    a, b = _permutations()
    theirs = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, theirs[0]) and np.array_equal(b, theirs[1])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600) | st.lists(st.sampled_from(WORDS), max_size=300).map(" ".join))
def test_signature_is_datasketch_minhash_of_the_shingles(text: str) -> None:
    assert signature(text) == datasketch_signature(text)


def test_signature_of_real_articles_is_datasketch_minhash() -> None:
    for path in sorted(SAMPLES.glob("*.txt")):
        text = path.read_text()
        assert signature(text) == datasketch_signature(text)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=400))
def test_signature_is_deterministic_and_similar_to_itself(text: str) -> None:
    first = signature(text)
    assert first == signature(text)
    if first is not None:
        assert similarity(first, first) == 1.0
        assert band_keys(first) == band_keys(first)


def test_similarity_separates_a_rewrite_from_another_report() -> None:
    original, copy, other = signature(ORIGINAL), signature(rewrite(ORIGINAL)), signature(OTHER)
    assert original and copy and other
    assert similarity(original, copy) > 0.7
    assert similarity(original, other) < 0.3  # two rewrites of one AP story share a little


def test_a_rewrite_is_a_near_duplicate_of_the_original(store: SqliteStore) -> None:
    assert decide_near(A, ORIGINAL, store, at=T0, now=T0) is None
    match = decide_near(B, rewrite(ORIGINAL), store, at=T0 + 60, now=T0 + 60)
    assert match is not None and (match.article_id, match.at) == (A, T0)  # the original's time
    assert 0.7 < match.similarity <= 1.0


def test_different_reports_of_one_event_are_not_near_duplicates(store: SqliteStore) -> None:
    for n, path in enumerate(sorted(SAMPLES.glob("0*.txt"))):
        assert decide_near(f"{n:032x}", path.read_text(), store, at=T0, now=T0) is None


def test_the_earliest_match_wins(store: SqliteStore) -> None:
    decide_near(B, ORIGINAL, store, at=T0 + 100, now=T0)
    decide_near(A, ORIGINAL + " Updated.", store, at=T0, now=T0 + 1)
    match = decide_near(C, rewrite(ORIGINAL), store, at=T0 + 200, now=T0 + 2)
    assert match is not None and (match.article_id, match.at) == (A, T0)


def test_of_matches_at_one_event_time_the_first_indexed_wins(store: SqliteStore) -> None:
    """Ties go by index order, not by id: C was indexed before B."""
    decide_near(C, ORIGINAL, store, at=T0, now=T0)
    decide_near(B, ORIGINAL, store, at=T0, now=T0 + 1)
    match = decide_near(A, rewrite(ORIGINAL), store, at=T0, now=T0 + 2)
    assert match is not None and match.article_id == C


def test_a_redelivered_article_never_matches_itself_or_later_ones(store: SqliteStore) -> None:
    assert decide_near(A, ORIGINAL, store, at=T0, now=T0) is None
    assert decide_near(B, rewrite(ORIGINAL), store, at=T0, now=T0 + 1) is not None
    # A again (redelivery): B came later, so A still has no original.
    assert decide_near(A, ORIGINAL, store, at=T0, now=T0 + 2) is None
    again = decide_near(B, rewrite(ORIGINAL), store, at=T0, now=T0 + 3)
    assert again is not None and again.article_id == A


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=300), st.integers(min_value=1, max_value=4))
def test_an_article_never_matches_itself(text: str, deliveries: int) -> None:
    with closing(SqliteStore(":memory:")) as fresh:
        for n in range(deliveries):
            assert decide_near(A, text, fresh, at=T0, now=T0 + n) is None


def test_entries_older_than_the_window_are_forgotten(store: SqliteStore) -> None:
    window = NearSettings(window_seconds=3600)
    decide_near(A, ORIGINAL, store, at=T0, now=T0, settings=window)
    late = decide_near(B, rewrite(ORIGINAL), store, at=T0 + 7200, now=T0 + 7200, settings=window)
    assert late is None


def test_a_similarity_equal_to_the_threshold_is_a_near_duplicate(store: SqliteStore) -> None:
    exact = NearSettings(threshold=1.0)
    decide_near(A, ORIGINAL, store, at=T0, now=T0, settings=exact)
    match = decide_near(B, ORIGINAL, store, at=T0, now=T0 + 1, settings=exact)
    assert match is not None and (match.article_id, match.similarity) == (A, 1.0)


def test_a_higher_threshold_asks_for_closer_texts(store: SqliteStore) -> None:
    strict = NearSettings(threshold=0.99)
    decide_near(A, ORIGINAL, store, at=T0, now=T0, settings=strict)
    assert decide_near(B, rewrite(ORIGINAL), store, at=T0, now=T0, settings=strict) is None


def test_the_similarity_given_is_the_share_of_equal_values_to_four_places(
    store: SqliteStore,
) -> None:
    """97 of the 128 values are equal: 0.7578125, given as 0.7578 (not 0.76)."""
    original, copy = signature(ORIGINAL), signature(rewrite(ORIGINAL))
    assert original and copy and similarity(original, copy) == 97 / NUM_PERM
    decide_near(A, ORIGINAL, store, at=T0, now=T0)
    match = decide_near(B, rewrite(ORIGINAL), store, at=T0 + 60, now=T0 + 60)
    assert match is not None and match.similarity == 0.7578


def test_every_byte_of_a_band_is_in_its_key() -> None:
    """Two signatures that differ in the last byte of a band share no key for that band."""
    sig = signature(ORIGINAL)
    assert sig is not None
    width = len(sig) // BANDS
    for band in (0, BANDS - 1):
        last = (band + 1) * width - 1
        changed = sig[:last] + bytes([sig[last] ^ 1]) + sig[last + 1 :]
        assert band_keys(changed)[band] != band_keys(sig)[band]
        assert band_keys(changed)[:band] == band_keys(sig)[:band]


def test_a_key_names_its_band_so_equal_rows_in_two_bands_are_two_keys() -> None:
    """A candidate shares rows in the same band, not equal rows anywhere."""
    assert len(set(band_keys(bytes(4 * NUM_PERM)))) == BANDS
