"""What only RedisStore has, against a real Redis: atomic commits from several clients, the
near-duplicate index kept per day, every key bounded by a TTL (the contract both stores share is in
test_both_stores.py)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from tests.story_updates import T0, WINDOW, update

from newsflow.model import Article, Origin
from newsflow.pipeline import run_decide
from newsflow.stages.extract import extract
from newsflow.stages.ingest import ingest
from newsflow.stages.placement import PlacementSettings, place
from newsflow.store.base import begin_decision_in_steps, open_store
from newsflow.store.records import (
    INDEX_DEPTH,
    POSTINGS,
    Claim,
    IndexRequest,
    Mark,
    StoryChoice,
)
from newsflow.store.redis import RedisStore

pytestmark = pytest.mark.redis

A, B, C = "a" * 32, "b" * 32, "c" * 32
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def index(store: RedisStore, article_id: str, bands: list[str], at: float = T0) -> list[str]:
    found = store.index_signature(
        article_id, bands, article_id.encode(), at=at, window_seconds=WINDOW, now=at
    )
    return [e.article_id for e in found]


def test_the_index_is_a_hash_per_day_matching_only_within_the_window(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    assert index(store, A, ["0:x", "1:y"], at=T0) == []
    assert index(store, B, ["0:x"], at=T0 + WINDOW) == [A]  # one window apart: still a match
    assert index(store, C, ["0:x"], at=T0 + WINDOW + 1) == [B]  # A is beyond the window
    assert index(store, A, ["0:x", "1:y"], at=T0) == []  # redelivered: indexed once
    day = f"{prefix}lsh:day:{int(T0 // 86_400)}"
    assert client.hgetall(day) == {b"0:x": A.encode(), b"1:y": A.encode()}
    later = f"{prefix}lsh:day:{int((T0 + WINDOW) // 86_400)}"
    assert client.hget(later, "0:x") == B.encode() + b" " + C.encode()


def test_an_indexed_id_with_a_space_is_refused(store: RedisStore) -> None:
    with pytest.raises(ValueError, match="no spaces"):
        index(store, "a b", ["0:x"])


def test_a_centroid_is_one_value_and_one_kept_as_a_sorted_set_is_read_and_replaced(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    store.commit_decision(A, {}, story=update(A), ttl_seconds=WINDOW, now=T0)
    key = f"{prefix}story:{A}"
    assert client.type(key + ":cv") == b"string" and not client.exists(key + ":c")
    # As a store before the MessagePack centroid left it: a sorted set of the same weights.
    client.delete(key + ":cv")
    client.zadd(key + ":c", {"iran": 0.8, "missile": 0.6})
    [match] = store.story_candidates({"iran": 1.0}, ["iran"], at=T0, window_seconds=WINDOW, limit=1)
    assert match.similarity == pytest.approx(0.8)
    joined = update(A, centroid={"kyiv": 0.5}, index_terms=["kyiv"])
    store.commit_decision(B, {}, story=joined, ttl_seconds=WINDOW, now=T0)
    assert not client.exists(key + ":c") and client.ttl(key + ":cv") > 0
    [match] = store.story_candidates({"kyiv": 1.0}, ["kyiv"], at=T0, window_seconds=WINDOW, limit=1)
    assert match.similarity == pytest.approx(0.5 / (0.8**2 + 0.6**2 + 0.5**2) ** 0.5)


def test_a_story_scored_and_joined_in_one_commit_adds_the_weights_once(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    """The commit reads a candidate's centroid to score it and joins the same copy: the joined
    centroid is the old one plus the article's weights, and one kept as a sorted set is
    replaced."""
    store.commit_decision(A, {}, story=update(A), ttl_seconds=WINDOW, now=T0)
    key = f"{prefix}story:{A}"
    client.delete(key + ":cv")
    client.zadd(key + ":c", {"iran": 0.8, "missile": 0.6})
    choice = StoryChoice(threshold=0.1, candidates=4, window_seconds=WINDOW, postings=25)
    joined = update(B, centroid={"iran": 0.6, "kyiv": 0.8}, index_terms=["iran"])
    decision = store.commit_decision(
        B, {"story_id": B}, story=joined, choice=choice, ttl_seconds=WINDOW, now=T0
    )
    assert decision == {"story_id": A}
    assert not client.exists(key + ":c")
    [match] = store.story_candidates({"kyiv": 1.0}, ["iran"], at=T0, window_seconds=WINDOW, limit=1)
    assert match.similarity == pytest.approx(0.8 / (1.4**2 + 0.6**2 + 0.8**2) ** 0.5)


def test_the_candidates_are_ranked_as_the_embedded_store_ranks_them(store: RedisStore) -> None:
    """Of 40 stories sharing one to four of the searched terms, many of them tied, both stores
    return the same four in the same order (most shared terms, then the lowest id), whatever
    order the Redis script meets them in."""
    embedded = open_store(":memory:")
    rng = random.Random(5)
    terms = ["iran", "missile", "russia", "kyiv"]
    for _ in range(40):
        sid = f"{rng.randrange(16**32):032x}"
        shared = rng.sample(terms, rng.randint(1, 4))
        joined = update(sid, centroid=dict.fromkeys(shared, 0.5), index_terms=shared)
        for one in (store, embedded):
            one.commit_decision(sid, {}, story=joined, ttl_seconds=WINDOW, now=T0)
    found = {
        name: one.story_candidates({"iran": 1.0}, terms, at=T0, window_seconds=WINDOW, limit=4)
        for name, one in (("redis", store), ("sqlite", embedded))
    }
    embedded.close()
    assert [m.story_id for m in found["redis"]] == [m.story_id for m in found["sqlite"]]
    assert found["redis"] == found["sqlite"]


def test_a_term_keeps_only_the_stories_a_search_can_read_as_a_listpack(
    store: RedisStore, client: redis.Redis, prefix: str
) -> None:
    """Of each index term the search reads the `postings` stories joined last, so the term
    keeps INDEX_DEPTH times as many: the same stories are read, and the set stays a listpack
    (Redis's default zset-max-listpack-entries, 128). A set kept in full by an older store (a
    skiplist) is cut to size and becomes one too."""
    choice = StoryChoice(threshold=0.99, candidates=4, window_seconds=WINDOW, postings=2)
    depth = INDEX_DEPTH * choice.postings
    for n in range(depth + 3):
        sid = f"{n:032x}"
        founding = update(sid, at=T0 + n, centroid={f"t{n}": 1.0}, index_terms=["iran"])
        store.commit_decision(sid, {}, story=founding, choice=choice, ttl_seconds=WINDOW, now=T0)
    term = f"{prefix}sidx:iran"
    latest = [f"{n:032x}".encode() for n in range(depth + 2, 2, -1)]
    assert client.zrevrange(term, 0, -1) == latest
    assert client.object("encoding", term) == b"listpack"
    found = store.story_candidates(
        {"iran": 1.0}, ["iran"], at=T0 + depth, window_seconds=WINDOW, limit=4, postings=2
    )
    assert {m.story_id.encode() for m in found} == set(latest[:2])

    client.delete(term)
    client.zadd(term, {f"old{n:03}": T0 - 1 - n for n in range(200)})
    assert client.object("encoding", term) == b"skiplist"
    store.commit_decision(A, {}, story=update(A, index_terms=["iran"]), ttl_seconds=WINDOW, now=T0)
    assert client.zcard(term) == INDEX_DEPTH * POSTINGS
    assert client.zrevrange(term, 0, 1) == [A.encode(), b"old000"]
    assert client.object("encoding", term) == b"listpack"
    assert 0 < client.ttl(term) <= WINDOW


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


def test_concurrent_commits_of_one_article_count_it_once(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
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


def test_beginning_a_decision_in_one_script_is_the_steps_one_after_the_other(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    """The same articles through `begin_decision` (one script) under one prefix and through
    `begin_decision_in_steps` under another: every answer is the same."""
    one, steps = (RedisStore.from_url(redis_url, prefix=prefix + side) for side in "ab")
    articles = [  # (id, lines, content hash, bands): new, sharing a band, copy, recurring
        ("a" * 32, ["l1", "l2"], "h1", ["0:x", "1:y"]),
        ("b" * 32, ["l1", "l3"], "h2", ["0:x", "1:z"]),
        ("c" * 32, ["l1", "l2"], "h1", ["0:q", "1:y"]),
        ("b" * 32, ["l1", "l3"], "h2", ["0:x", "1:z"]),
        ("d" * 32, ["l1", "l4", "l4"], "h3", ["0:x", "1:y"]),
        ("e" * 32, ["l5"], "h4", ["0:x", "1:y"]),
    ]
    try:
        for article_id, lines, content, bands in articles:
            claim = Claim(f"hash:{content}", article_id, 60, Mark(f"raw:{article_id}", "", ""))
            index = IndexRequest(article_id, bands, article_id.encode(), ["iran", "x"], T0,
                                 WINDOW, WINDOW)  # fmt: skip
            options: dict[str, Any] = dict(
                lines_ttl_seconds=60, recurring_at=3, claim=claim, index=index, now=T0
            )
            assert one.begin_decision("s", content, lines, **options) == begin_decision_in_steps(
                steps, "s", content, lines, **options
            )
    finally:
        one.close()
        steps.close()


def test_a_unique_article_is_decided_in_two_round_trips_and_a_copy_in_one(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2024, 9, 10, 12, tzinfo=UTC)
    seeds = sorted(SAMPLES.glob("0*.txt"))

    def decide(n: int, path: Path) -> str:
        raw = orjson.dumps({"url": f"https://example.com/{n}", "text": path.read_text()})
        article = ingest(raw, now=now)
        assert isinstance(article, Article)
        outcome = run_decide(
            article, extract(article), store=store, now=now, origin=Origin(), original=raw
        )
        return outcome.kind

    assert decide(0, seeds[0]) == "clean"  # the scripts are loaded into Redis
    commands: list[str] = []
    send = store._client.execute_command

    def counted(*args: Any, **options: Any) -> Any:
        commands.append(str(args[0]))
        return send(*args, **options)

    monkeypatch.setattr(store._client, "execute_command", counted)
    assert decide(1, seeds[1]) == "clean"
    assert commands == ["EVALSHA", "EVALSHA"]  # begin_decision, commit_decision
    commands.clear()
    assert decide(2, seeds[1]) == "duplicate"  # the same text under another URL
    assert commands == ["EVALSHA"]


def test_stories_are_listed_page_by_page_through_ties_and_down_to_since(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages follow the last-joined scores, not offsets (Redis walks to an offset element by
    element); stories joined in the same second straddle page boundaries, none is skipped or
    listed twice, and none joined before `since` is read."""
    monkeypatch.setattr("newsflow.store.redis_index._STORY_PAGE", 3)
    seconds = [0, 5, 5, 5, 5, 5, 5, 5, 9, 9, 9, 12, 12]  # last joined: T0 + seconds
    ids = [f"{n:032x}" for n in range(len(seconds))]
    for sid, second in zip(ids, seconds, strict=True):
        store.commit_decision(
            sid, {}, story=update(sid, at=T0 + second), ttl_seconds=WINDOW, now=T0
        )
    extra = {ids[8]: 3, ids[9]: 2, ids[10]: 1}  # joined again at second 9: 4, 3, 2 articles
    for sid, more in extra.items():
        for k in range(more):
            joined = update(sid, at=T0 + 9)
            store.commit_decision(
                f"{sid[:-4]}f{k}{sid[-2:]}", {}, story=joined, ttl_seconds=WINDOW, now=T0
            )
    listed = store.top_stories(limit=100, since=T0 + 5)
    assert sorted(s.story_id for s in listed) == sorted(ids[1:])  # not the one at second 0
    assert [s.size for s in listed[:3]] == [4, 3, 2]
    assert [s.story_id for s in listed[:3]] == ids[8:11]
    assert {s.size for s in listed[3:]} == {1}
