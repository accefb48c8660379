"""The store contract, run against both stores: SQLite (a file, so several store objects share
it) and a real Redis (several clients, one prefix). What only one store has (Redis's key TTLs,
SQLite's purge) is tested in that store's own file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from tests.story_updates import T0, WINDOW, update

from newsflow.store.base import DedupStore
from newsflow.store.records import (
    LINES_SUFFIX,
    Begun,
    Claim,
    IndexedSignature,
    IndexRequest,
    Mark,
    StoryChoice,
    day_buckets,
)
from newsflow.store.redis import RedisStore
from newsflow.store.sqlite import SqliteStore

TTL = 120
DAY = 86_400
A, B, C, D, E, F = (letter * 32 for letter in "abcdef")
CHOICE = StoryChoice(threshold=0.5, candidates=4, window_seconds=WINDOW)

Opener = Callable[[], DedupStore]


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens store objects that share one state; closes them afterwards."""
    opened: list[DedupStore] = []
    if request.param == "sqlite":
        path = str(tmp_path / "store.db")

        def open_one() -> DedupStore:
            opened.append(SqliteStore(path))
            return opened[-1]

    else:
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("prefix")
        request.getfixturevalue("client")  # deletes the prefix's keys afterwards

        def open_one() -> DedupStore:
            opened.append(RedisStore.from_url(url, prefix=prefix))
            return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: Opener) -> DedupStore:
    return opener()


def index(store: DedupStore, article_id: str, bands: list[str], at: float = T0) -> list[str]:
    found = store.index_signature(
        article_id, bands, article_id.encode(), at=at, window_seconds=WINDOW, now=at
    )
    return [e.article_id for e in found]


def test_index_returns_earlier_articles_sharing_a_band(store: DedupStore) -> None:
    assert index(store, A, ["0:x", "1:y"]) == []
    assert index(store, B, ["0:z", "1:y"]) == [A]
    assert index(store, C, ["0:q", "1:r"]) == []
    [entry] = store.index_signature(C, ["0:x"], b"c", at=T0, window_seconds=WINDOW, now=T0)
    assert entry == IndexedSignature(A, T0, 1, A.encode())


def test_a_redelivered_article_keeps_its_place_and_never_sees_itself(store: DedupStore) -> None:
    index(store, A, ["0:x"])
    index(store, B, ["0:x"])
    assert index(store, A, ["0:x"]) == []  # B came later
    assert index(store, B, ["0:x"]) == [A]


def test_the_index_window_is_about_event_time(store: DedupStore) -> None:
    index(store, A, ["0:x"], at=T0)
    assert index(store, B, ["0:x"], at=T0 + WINDOW + 1) == []
    assert index(store, C, ["0:x"], at=T0 - WINDOW + 1) == [A]  # B is 2 windows away


def test_term_statistics_count_documents_per_day_within_the_window(store: DedupStore) -> None:
    for n, at in enumerate((T0 - 5 * DAY, T0 - DAY, T0)):
        store.commit_decision(
            f"{n:032x}", {}, story=update(f"{n:032x}", at=at), ttl_seconds=WINDOW, now=T0
        )
    stats = store.term_statistics(["iran", "nothing"], at=T0, window_seconds=WINDOW)
    assert (stats.documents, stats.frequencies) == (2, [2, 0])
    assert len(day_buckets(T0, WINDOW)) == 4


def test_candidates_are_scored_in_the_store_and_bounded_by_the_window(store: DedupStore) -> None:
    store.commit_decision(A, {}, story=update(A), ttl_seconds=WINDOW, now=T0)
    store.commit_decision(
        B,
        {},
        story=update(B, at=T0 - 2 * WINDOW, centroid={"iran": 1.0}, index_terms=["iran"]),
        ttl_seconds=WINDOW,
        now=T0,
    )
    [match] = store.story_candidates(
        {"iran": 1.0}, ["iran", "other"], at=T0, window_seconds=WINDOW, limit=5
    )
    assert (match.story_id, match.size) == (A, 1)
    assert match.similarity == pytest.approx(0.8)
    assert store.story_candidates({"x": 1.0}, ["x"], at=T0, window_seconds=WINDOW, limit=5) == []


def test_candidates_are_the_stories_sharing_most_index_terms_ties_by_id(
    store: DedupStore,
) -> None:
    shared = {C: ["iran", "missile", "russia"], B: ["iran", "missile"], A: ["iran", "missile"]}
    shared |= {f"{n}" * 32: ["iran"] for n in range(5)}
    for story_id, terms in shared.items():
        weights = dict.fromkeys(terms, 0.5)
        store.commit_decision(
            story_id,
            {},
            story=update(story_id, centroid=weights, index_terms=terms, counted_terms=terms),
            ttl_seconds=WINDOW,
            now=T0,
        )
    found = store.story_candidates(
        {"iran": 1.0}, ["iran", "missile", "russia"], at=T0, window_seconds=WINDOW, limit=4
    )
    assert [match.story_id for match in found] == [C, A, B, "0" * 32]


def test_a_commit_applies_once_and_returns_the_first_decision(store: DedupStore) -> None:
    first = store.commit_decision(A, {"story_id": A}, story=update(A), ttl_seconds=60, now=T0)
    again = store.commit_decision(A, {"story_id": B}, story=update(B), ttl_seconds=60, now=T0)
    assert first == again == {"story_id": A}
    assert store.recall_decision(A, now=T0) == {"story_id": A}
    assert store.recall_decision(B, now=T0) is None
    [story] = store.top_stories(limit=5, since=0)
    assert (story.story_id, story.size, story.title, story.sources) == (
        A,
        1,
        "A title",
        ["example.com"],
    )


def test_the_largest_story_is_listed_however_many_stories_were_joined_since(
    store: DedupStore,
) -> None:
    """Redis listed the largest among the 1,000 stories joined last only: at 100k articles a
    day, the window holds far more, and the largest story went missing."""
    for n in range(3):
        store.commit_decision(f"{n:032x}", {}, story=update(A), ttl_seconds=WINDOW, now=T0)
    for n in range(3, 1203):
        later = update(f"{n:032x}", at=T0 + n)
        store.commit_decision(f"{n:032x}", {}, story=later, ttl_seconds=WINDOW, now=T0)
    first, second = store.top_stories(limit=2, since=0)
    assert (first.story_id, first.size) == (A, 3)
    assert (second.story_id, second.size) == (f"{1202:032x}", 1)  # then the last joined


def test_joining_grows_the_story_and_trims_its_centroid(store: DedupStore) -> None:
    store.commit_decision(A, {}, story=update(A, source="one.com"), ttl_seconds=60, now=T0)
    joined = update(
        A,
        at=T0 + 10,
        source="two.com",
        centroid={"kyiv": 2.0, "iran": 0.1},
        index_terms=["kyiv"],
        centroid_terms=2,
    )
    store.commit_decision(B, {}, story=joined, ttl_seconds=60, now=T0)
    [story] = store.top_stories(limit=5, since=0)
    assert (story.size, story.sources, story.first_seen, story.last_seen, story.title) == (
        2,
        ["one.com", "two.com"],
        T0,
        T0 + 10,
        "A title",
    )
    [match] = store.story_candidates(
        {"missile": 1.0}, ["kyiv"], at=T0, window_seconds=WINDOW, limit=1
    )
    assert match.similarity == 0.0  # "missile" was trimmed away


def test_indexing_and_term_statistics_together_match_the_separate_calls(
    store: DedupStore, request: pytest.FixtureRequest
) -> None:
    store.commit_decision(A, {}, story=update(A), ttl_seconds=WINDOW, now=T0)
    index(store, A, ["0:x"])
    if isinstance(store, RedisStore):  # a restarted server has lost its scripts: reloaded
        client: redis.Redis = request.getfixturevalue("client")
        client.script_flush()
    entries, stats = store.index_and_term_statistics(
        B,
        ["0:x", "1:y"],
        b"b",
        ["iran", "nothing"],
        at=T0,
        near_window_seconds=WINDOW,
        story_window_seconds=WINDOW,
        now=T0,
    )
    assert [e.article_id for e in entries] == [A]
    assert (stats.documents, stats.frequencies) == (1, [1, 0])
    assert index(store, C, ["1:y"]) == [B]  # B was indexed


def test_a_commit_with_a_choice_joins_the_most_similar_story_from_the_threshold(
    store: DedupStore,
) -> None:
    store.commit_decision(A, {"story_id": A}, story=update(A), ttl_seconds=WINDOW, now=T0)
    other = update(B, centroid={"kyiv": 1.0}, index_terms=["kyiv", "iran"])
    store.commit_decision(B, {"story_id": B}, story=other, ttl_seconds=WINDOW, now=T0)
    close = update(C, centroid={"iran": 0.6, "missile": 0.8})  # cosine 0.96 to A
    decision = {"status": "unique", "story_id": C, "similarity": None}
    stored = store.commit_decision(
        C, decision, story=close, choice=CHOICE, ttl_seconds=WINDOW, now=T0
    )
    assert stored == {"status": "unique", "story_id": A, "similarity": None}
    far = update(D, centroid={"iran": 0.3, "kyiv": 0.1, "other": 0.95})  # below 0.5 to both
    store.commit_decision(D, {"story_id": D}, story=far, choice=CHOICE, ttl_seconds=WINDOW, now=T0)
    sizes = {s.story_id: s.size for s in store.top_stories(limit=9, since=0)}
    assert sizes == {A: 2, B: 1, D: 1}
    assert store.recall_decision(C, now=T0) == stored
    later = update(E, at=T0 + 2 * WINDOW)  # A's twin, but A was last joined too long ago
    alone = store.commit_decision(
        E, {"story_id": E}, story=later, choice=CHOICE, ttl_seconds=WINDOW, now=T0
    )
    assert alone == {"story_id": E}


def test_articles_of_a_new_story_committed_at_once_join_one_story(opener: Opener) -> None:
    stores = [opener() for _ in range(4)]
    ids = [f"{n:032x}" for n in range(12)]

    def commit(n: int) -> str:
        article = ids[n]
        stored = stores[n % 4].commit_decision(
            article,
            {"story_id": article},
            story=update(article),
            choice=CHOICE,
            ttl_seconds=WINDOW,
            now=T0,
        )
        return str(stored["story_id"])

    with ThreadPoolExecutor(4) as pool:
        chosen = set(pool.map(commit, range(len(ids))))
    [story] = stores[0].top_stories(limit=5, since=0)
    assert len(chosen) == 1 and (story.story_id, story.size) == (chosen.pop(), len(ids))


def test_a_claim_can_set_a_mark_naming_its_owner_in_the_same_step(store: DedupStore) -> None:
    first = Mark("raw:b1", "a1 ", " c1")
    assert store.claim("hash:c1", "a1", ttl_seconds=TTL, now=T0, mark=first) == "a1"
    copy = Mark("raw:b2", "a2 ", " c1")  # another body, same text: marked with a1, the owner
    assert store.claim("hash:c1", "a2", ttl_seconds=TTL, now=T0, mark=copy) == "a1"
    again = Mark("raw:b1", "a3 ", " c1")  # a mark already set stays
    store.claim("hash:c1", "a3", ttl_seconds=TTL, now=T0, mark=again)
    assert store.peek("raw:b1", now=T0) == "a1 a1 c1"
    assert store.peek("raw:b2", now=T0) == "a2 a1 c1"


def test_the_lines_a_mark_keeps_are_the_first_claimers(store: DedupStore) -> None:
    """A mark's lines, like the mark, are set once: a later claim (a redelivery, a copy)
    leaves them as the first claimer left them."""
    first = Mark("raw:b1", "a1 ", " c1", lines="l1 l2")
    store.claim("hash:c1", "a1", ttl_seconds=TTL, now=T0, mark=first)
    again = Mark("raw:b1", "a2 ", " c1", lines="l3")
    store.claim("hash:c1", "a2", ttl_seconds=TTL, now=T0, mark=again)
    assert store.peek("raw:b1" + LINES_SUFFIX, now=T0) == "l1 l2"


def test_peek_many_reads_several_claims_in_one_call(store: DedupStore) -> None:
    store.claim("raw:a", "a1 a1 c1", ttl_seconds=TTL, now=T0)
    store.claim("raw:c", "a3 a1 c1", ttl_seconds=TTL, now=T0)
    assert store.peek_many(["raw:a", "raw:b", "raw:c"], now=T0) == ["a1 a1 c1", None, "a3 a1 c1"]
    assert store.peek_many([], now=T0) == []


def test_the_candidate_search_reads_only_the_latest_stories_of_each_term(
    store: DedupStore,
) -> None:
    # A shares two terms with the article, but three stories joined "iran" after A did and
    # "missile" is A's alone: with 3 postings per term, A is found through "missile" only.
    store.commit_decision(A, {}, story=update(A, at=T0 - 30), ttl_seconds=WINDOW, now=T0)
    for n, story_id in enumerate((B, C, D)):
        later = update(
            story_id, at=T0 - 20 + n, centroid={"iran": 0.6, "kyiv": 0.8}, index_terms=["iran"]
        )
        store.commit_decision(story_id, {}, story=later, ttl_seconds=WINDOW, now=T0)
    vector, terms = {"iran": 1.0}, ["iran", "missile"]
    wide = store.story_candidates(vector, terms, at=T0, window_seconds=WINDOW, limit=4)
    assert [m.story_id for m in wide] == [A, B, C, D]  # A shares the most terms
    # "iran" read latest first: D, C, B; A only through "missile".
    narrow = store.story_candidates(
        vector, terms, at=T0, window_seconds=WINDOW, limit=4, postings=2
    )
    assert [m.story_id for m in narrow] == [A, C, D]
    # A choice with the same cut cannot reach A through "iran": an article indexed under
    # "iran" alone, A's twin (cosine 0.48 to the others), founds its own story; without the
    # cut it joins A.
    twin = {"iran": 0.8, "missile": 0.6}
    cut = StoryChoice(threshold=0.5, candidates=4, window_seconds=WINDOW, postings=2)
    alone = store.commit_decision(
        E,
        {"story_id": E},
        story=update(E, centroid=twin, index_terms=["iran"]),
        choice=cut,
        ttl_seconds=WINDOW,
        now=T0,
    )
    assert alone == {"story_id": E}
    joined = store.commit_decision(
        F,
        {"story_id": F},
        story=update(F, centroid=twin, index_terms=["iran"]),
        choice=CHOICE,
        ttl_seconds=WINDOW,
        now=T0,
    )
    assert joined == {"story_id": A}


def test_line_counts_are_documents_of_the_source_that_had_the_line(store: DedupStore) -> None:
    assert store.observe_lines("a.example", "d1", ["x", "y"], ttl_seconds=TTL, now=T0) == [1, 1]
    assert store.observe_lines("a.example", "d2", ["x", "z"], ttl_seconds=TTL, now=T0) == [2, 1]
    assert store.observe_lines("a.example", "d3", ["y", "x"], ttl_seconds=TTL, now=T0) == [2, 3]
    assert store.observe_lines("b.example", "d4", ["x"], ttl_seconds=TTL, now=T0) == [1]


def test_a_document_is_counted_once_per_line(store: DedupStore) -> None:
    assert store.observe_lines("a.example", "d1", ["x", "x", "y"], ttl_seconds=TTL, now=T0) == [
        1,
        1,
        1,
    ]
    again = store.observe_lines("a.example", "d1", ["y", "x"], ttl_seconds=TTL, now=T0 + 1)
    assert again == [1, 1]


def test_line_counts_are_shared_by_every_store_object(opener: Opener) -> None:
    first, second = opener(), opener()
    first.observe_lines("a.example", "d1", ["x"], ttl_seconds=TTL, now=T0)
    assert second.observe_lines("a.example", "d2", ["x"], ttl_seconds=TTL, now=T0) == [2]


def test_more_lines_than_one_query_takes(store: DedupStore) -> None:
    lines = [f"line{n}" for n in range(1200)]
    store.observe_lines("a.example", "d1", lines, ttl_seconds=TTL, now=T0)
    assert store.observe_lines("a.example", "d2", lines, ttl_seconds=TTL, now=T0) == [2] * 1200


def test_a_line_ttl_below_one_second_is_refused(store: DedupStore) -> None:
    with pytest.raises(ValueError):
        store.observe_lines("a.example", "d1", ["x"], ttl_seconds=0, now=T0)


def claim_of(article_id: str, content: str, body: str | None = None) -> Claim:
    """The claim of an article whose text hashes to `content`, marking its body (by default
    a body of its own)."""
    return Claim(f"hash:{content}", article_id, TTL, Mark(f"raw:{body or article_id}", "", " m"))


def begin(
    store: DedupStore, article_id: str, lines: list[str], *, content: str, bands: list[str]
) -> Begun:
    """`begin_decision` for an article of source "s" whose text hashes to `content`."""
    claim = claim_of(article_id, content)
    request = IndexRequest(article_id, bands, article_id.encode(), ["iran"], T0, WINDOW, WINDOW)
    return store.begin_decision(
        "s", content, lines, lines_ttl_seconds=TTL, recurring_at=3, claim=claim, index=request,
        now=T0,
    )  # fmt: skip


def test_beginning_a_decision_counts_lines_claims_and_indexes_in_one_step(
    store: DedupStore,
) -> None:
    first = begin(store, A, ["l1", "l2"], content="ha", bands=["0:x"])
    assert (first.line_counts, first.owner, first.indexed) == ([1, 1], A, [])
    assert first.statistics is not None and first.statistics.frequencies == [0]
    assert store.peek(f"raw:{A}", now=T0) == f"{A} m"  # the claim's mark
    second = begin(store, B, ["l1", "l3"], content="hb", bands=["0:x"])
    assert (second.line_counts, second.owner) == ([2, 1], B)
    assert second.indexed is not None and [e.article_id for e in second.indexed] == [A]


def test_a_duplicate_is_told_its_owner_and_is_not_indexed(store: DedupStore) -> None:
    begin(store, A, ["l1"], content="ha", bands=["0:x"])
    copy = begin(store, B, ["l1"], content="ha", bands=["0:x"])
    assert (copy.owner, copy.indexed, copy.statistics) == (A, None, None)
    assert index(store, C, ["0:x"]) == [A]  # B never entered the index
    again = begin(store, A, ["l1"], content="ha", bands=["0:x"])  # A redelivered
    assert (again.owner, again.indexed) == (A, [])


def test_a_recurring_line_stops_before_the_claim(store: DedupStore) -> None:
    for n, article in enumerate((A, B)):
        begin(store, article, ["plug", f"own {n}"], content=f"h{n}", bands=[f"0:{n}"])
    third = begin(store, C, ["plug", "own 2"], content="h2", bands=["0:x"])
    assert (third.line_counts, third.owner, third.indexed) == ([3, 1], None, None)
    assert store.peek("hash:h2", now=T0) is None  # the text will change: nothing claimed
    assert index(store, D, ["0:x"]) == []
    assert third.marked is None  # C's body was never marked


def test_when_a_line_recurs_the_mark_is_told(store: DedupStore) -> None:
    """A redelivered article reads there which lines its first decision dropped."""
    for n, article in enumerate((A, B)):
        begin(store, article, ["plug", f"own {n}"], content=f"h{n}", bands=[f"0:{n}"])
    store.claim("hash:h2", C, ttl_seconds=TTL, now=T0, mark=Mark(f"raw:{C}", "", " h2", "0"))
    assert store.peek(f"raw:{C}", now=T0) == f"{C} h2"  # as the previous release reads it
    again = begin(store, C, ["plug", "own 2", "other"], content="h3", bands=["0:x"])
    assert (again.line_counts, again.owner) == ([3, 1, 1], None)
    assert (again.marked, again.marked_lines) == (f"{C} h2", "0")
    store.claim("hash:h4", D, ttl_seconds=TTL, now=T0, mark=Mark(f"raw:{D}", "", " h4"))
    assert store.peek(f"raw:{D}:lines", now=T0) is None  # no lines dropped: none written


def test_a_redelivered_article_that_claimed_its_whole_text_keeps_it_when_a_line_recurs(
    store: DedupStore,
) -> None:
    """A's plug line recurred only after A was decided: at A's redelivery its text lost the
    line, claimed another hash, and was even taken for a copy of a later article."""
    begin(store, A, ["plug", "own a"], content="ha", bands=["0:a"])
    begin(store, B, ["plug", "own b"], content="hb", bands=["0:b"])
    begin(store, C, ["plug", "own c"], content="hc", bands=["0:c"])  # the plug is learned
    again = begin(store, A, ["plug", "own a"], content="ha", bands=["0:a"])
    assert (again.line_counts, again.owner, again.indexed) == ([3, 1], A, [])


def test_a_released_claim_leaves_nothing_of_its_article(store: DedupStore) -> None:
    """A's decision failed after its claim (it is dead-lettered): its text, its body and its
    index entry are free, and B, a copy that comes next, is decided as if A never came."""
    begin(store, A, ["l1"], content="ha", bands=["0:x"])
    store.claim(f"raw:{A}:lines", "0", ttl_seconds=TTL, now=T0)  # as a mark's lines would be
    assert store.release_claim(claim_of(A, "ha"), now=T0) is True
    assert store.peek_many(["hash:ha", f"raw:{A}", f"raw:{A}:lines"], now=T0) == [None] * 3
    assert index(store, C, ["0:x"]) == []  # A is no longer in the near-duplicate index
    copy = begin(store, B, ["l1"], content="ha", bands=["0:x"])
    assert copy.owner == B and copy.indexed is not None  # not a copy of A, nor a near one
    assert [e.article_id for e in copy.indexed] == [C]
    again = begin(store, A, ["l1"], content="ha", bands=["0:x"])  # A replayed
    assert (again.owner, again.indexed) == (B, None)  # a duplicate of B now
    assert store.release_claim(claim_of(A, "ha"), now=T0) is False  # B's claim stays
    assert store.peek("hash:ha", now=T0) == B


def test_only_what_still_names_the_article_is_released(store: DedupStore) -> None:
    """Compare-and-delete: a claim and a mark another article holds stay."""
    begin(store, A, ["l1"], content="ha", bands=["0:x"])
    begin(store, B, ["l2"], content="ha", bands=["0:y"])  # a copy: its body marked with A
    assert store.release_claim(claim_of(B, "ha"), now=T0) is False
    assert store.release_claim(claim_of(C, "ha", body=A), now=T0) is False
    assert store.peek_many(["hash:ha", f"raw:{A}", f"raw:{B}"], now=T0) == [
        A,
        f"{A} m",
        f"{A} m",  # (B's body names A: a copy of it)
    ]
    assert index(store, D, ["0:x"]) == [A]


def test_an_article_with_a_stored_decision_keeps_its_claim(store: DedupStore) -> None:
    """A decided before (published) and redelivered: a failure now gives nothing back."""
    begin(store, A, ["l1"], content="ha", bands=["0:x"])
    store.commit_decision(A, {"story_id": A}, story=None, ttl_seconds=TTL, now=T0)
    assert store.release_claim(claim_of(A, "ha"), now=T0) is False
    assert store.peek_many(["hash:ha", f"raw:{A}"], now=T0) == [A, f"{A} m"]
    assert index(store, C, ["0:x"]) == [A]


def test_claims_made_in_a_group_are_every_store_objects_once_committed(opener: Opener) -> None:
    """`grouped` (one transaction on SQLite, nothing to group on Redis): each claim in the
    block is first-writer-wins, and committed, for every store object sharing the state."""
    first, second = opener(), opener()
    with first.grouped() as commit:
        assert first.claim("h1", A, ttl_seconds=TTL, now=T0) == A
        assert first.claim("h1", B, ttl_seconds=TTL, now=T0) == A
        commit()
        assert second.claim("h1", C, ttl_seconds=TTL, now=T0) == A
        assert first.claim("h2", B, ttl_seconds=TTL, now=T0) == B
    assert second.peek_many(["h1", "h2"], now=T0) == [A, B]
