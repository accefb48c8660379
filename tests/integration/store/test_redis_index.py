"""RedisStore's near-duplicate index and story state against a real Redis: the same behaviour
as SQLite, atomic under concurrency, every key bounded by a TTL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from tests.story_updates import T0, WINDOW, update

from newsflow.stages.placement import PlacementSettings, place
from newsflow.store.redis import RedisStore

pytestmark = pytest.mark.redis

DAY = 86_400
A, B, C = "a" * 32, "b" * 32, "c" * 32
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def index(store: RedisStore, article_id: str, bands: list[str], at: float = T0) -> list[str]:
    found = store.index_signature(
        article_id, bands, article_id.encode(), at=at, window_seconds=WINDOW, now=at
    )
    return [e.article_id for e in found]


def test_index_returns_earlier_articles_sharing_a_band(store: RedisStore) -> None:
    assert index(store, A, ["0:x", "1:y"]) == []
    assert index(store, B, ["0:z", "1:y"]) == [A]
    assert index(store, C, ["0:q", "1:r"]) == []
    [entry] = store.index_signature(C, ["0:x"], b"c", at=T0, window_seconds=WINDOW, now=T0)
    assert (entry.article_id, entry.at, entry.signature) == (A, T0, A.encode())


def test_a_redelivered_article_keeps_its_place_and_never_sees_itself(store: RedisStore) -> None:
    index(store, A, ["0:x"])
    index(store, B, ["0:x"])
    assert index(store, A, ["0:x"]) == []
    assert index(store, B, ["0:x"]) == [A]


def test_the_index_window_is_about_event_time(store: RedisStore) -> None:
    index(store, A, ["0:x"], at=T0)
    assert index(store, B, ["0:x"], at=T0 + WINDOW + 1) == []
    assert index(store, C, ["0:x"], at=T0 - WINDOW + 1) == [A]


def test_a_band_forgets_entries_older_than_two_windows(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    index(store, A, ["0:x"], at=T0)
    index(store, B, ["0:x"], at=T0 + WINDOW)  # A is still within two windows: kept
    assert client.zrange(f"{prefix}lsh:0:x", 0, -1) == [A.encode(), B.encode()]
    index(store, C, ["0:x"], at=T0 + 2 * WINDOW + 1)
    assert client.zrange(f"{prefix}lsh:0:x", 0, -1) == [B.encode(), C.encode()]


def test_every_index_and_story_key_expires(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    index(store, A, ["0:x"])
    store.commit_decision(B, {"story_id": B}, story=update(B), ttl_seconds=WINDOW, now=T0)
    keys = [k.decode() for k in client.scan_iter(match=f"{prefix}*")]
    assert {k.removeprefix(prefix).split(":")[0] for k in keys} >= {
        "sig",
        "lsh",
        "decision",
        "df",
        "dfn",
        "story",
        "sidx",
        "stories",
    }
    for key in keys:
        if key != f"{prefix}lsh:seq":  # a counter: one integer, whatever the traffic
            assert 0 < client.ttl(key) <= WINDOW, key


def test_term_statistics_count_documents_per_day_within_the_window(store: RedisStore) -> None:
    for n, at in enumerate((T0 - 5 * DAY, T0 - DAY, T0)):
        store.commit_decision(
            f"{n:032x}", {}, story=update(f"{n:032x}", at=at), ttl_seconds=WINDOW, now=T0
        )
    stats = store.term_statistics(["iran", "nothing"], at=T0, window_seconds=WINDOW)
    assert (stats.documents, stats.frequencies) == (2, [2, 0])


def test_candidates_are_scored_in_redis_and_bounded_by_the_window(store: RedisStore) -> None:
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


def test_candidates_are_the_stories_sharing_most_index_terms_ties_by_id(
    store: RedisStore,
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


def test_a_commit_applies_once_and_returns_the_first_decision(store: RedisStore) -> None:
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


def test_joining_grows_the_story_and_trims_its_centroid(store: RedisStore) -> None:
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
    assert (story.size, story.sources, story.first_seen, story.last_seen) == (
        2,
        ["one.com", "two.com"],
        T0,
        T0 + 10,
    )
    [match] = store.story_candidates(
        {"missile": 1.0}, ["kyiv"], at=T0, window_seconds=WINDOW, limit=1
    )
    assert match.similarity == 0.0


def test_concurrent_commits_of_one_article_count_it_once(redis_url: str, prefix: str) -> None:
    stores = [RedisStore.from_url(redis_url, prefix=prefix) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(
                    lambda s: s.commit_decision(
                        A, {"by": id(s)}, story=update(A), ttl_seconds=60, now=T0
                    ),
                    stores,
                )
            )
        assert len({r["by"] for r in results}) == 1
        assert stores[0].top_stories(limit=1, since=0)[0].size == 1
    finally:
        for s in stores:
            s.close()


def test_placement_on_redis_links_a_rewrite_and_groups_the_seeds(store: RedisStore) -> None:
    now = datetime(2024, 9, 10, 12, tzinfo=UTC)
    seeds = sorted(SAMPLES.glob("0*.txt"))
    placed = [
        place(
            f"{n:032x}",
            source=path.stem,
            title=None,
            text=path.read_text(),
            published_at=None,
            fetched_at=None,
            store=store,
            now=now + timedelta(minutes=n),
            settings=PlacementSettings(),
        )
        for n, path in enumerate(seeds)
    ]
    assert {p.story_id for p in placed} == {f"{0:032x}"}
    text = seeds[2].read_text()
    rewrite = place(
        "e" * 32,
        source="copy",
        title=None,
        text="LONDON (AP) — " + text[: int(len(text) * 0.8)],
        published_at=None,
        fetched_at=None,
        store=store,
        now=now + timedelta(hours=1),
    )
    assert (rewrite.status, rewrite.near_duplicate_of, rewrite.story_id) == (
        "near_duplicate",
        f"{2:032x}",
        f"{0:032x}",
    )
