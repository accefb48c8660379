"""The near-duplicate index and the story state in Redis (mixed into `RedisStore`).

One Lua script per operation (`newsflow.store.redis_lua`), so each is atomic: indexing a
signature (query and insert together, so of two near duplicates indexed at once the second
sees the first), reading term statistics (in the same script as the indexing: one round trip
for both), and committing a decision with its story update, the story chosen among the
candidates in the same script. Lists of terms and weights travel as one JSON argument (and
the statistics come back as one), which costs far less on both sides than hundreds of
separate arguments. Every key
has a TTL of the window (refreshed on write) and sorted sets are trimmed by time, so memory is
bounded by the window; datasketch's own Redis LSH storage cannot expire entries, hence ours.
The near-duplicate index is kept per day of event time (one hash per day, band key -> ids),
so it expires a day at a time; a day's hash is large (32 fields per article), so Redis should
free expired keys in the background (`lazyfree-lazy-expire yes`).

Keys live under the store prefix: `decision:<article>`, `sig:<article>`, `lsh:day:<day>`,
`lsh:seq`, `df:<day>`, `dfn:<day>`, `story:<id>` (+ `:cv` centroid, `:src` sources),
`sidx:<term>` and `stories`. Scripts reach keys derived from the prefix, so on Redis Cluster
give the prefix a hash tag (`{newsflow}:`) to keep a deployment's keys in one slot.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import orjson
import redis

from newsflow.store.records import (
    INDEX_DEPTH,
    POSTINGS,
    IndexedSignature,
    StoryChoice,
    StoryMatch,
    StorySummary,
    StoryUpdate,
    TermStatistics,
    day_buckets,
    lsh_days,
)
from newsflow.store.redis_lua import (
    COMMIT,
    INDEX_AND_TERM_STATISTICS,
    INDEX_SIGNATURE,
    STORIES_PAGE,
    STORY_CANDIDATES,
    TERM_STATISTICS,
)

_STORY_PAGE = 1000
"""Stories read per round trip by `top_stories`."""


class RedisIndexOps:
    """`DedupStore`'s near-duplicate and story operations, one script call each."""

    _client: redis.Redis
    _prefix: str

    def _translated(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _script(self, name: str, source: str) -> Any:
        cache: dict[str, Any] = self.__dict__.setdefault("_index_scripts", {})
        if name not in cache:
            cache[name] = self._client.register_script(source)
        return cache[name]

    def recall_decision(self, article_id: str, *, now: float) -> dict[str, Any] | None:
        """The stored decision of `article_id`; Redis expires it, so `now` is not used."""
        with self._translated():
            value = self._client.get(f"{self._prefix}decision:{article_id}")
        return None if value is None else _decision(value)

    def index_signature(
        self,
        article_id: str,
        bands: Sequence[str],
        signature: bytes,
        *,
        at: float,
        window_seconds: int,
        now: float,
    ) -> list[IndexedSignature]:
        """Index the signature (once) and return earlier entries sharing a band."""
        keys, args = self._index_call(article_id, bands, signature, at, window_seconds)
        with self._translated():
            rows = self._script("index", INDEX_SIGNATURE)(keys=keys, args=args)
        return _indexed(rows)

    def term_statistics(
        self, terms: Sequence[str], *, at: float, window_seconds: int
    ) -> TermStatistics:
        """Documents and per-term document frequencies over the window's days."""
        with self._translated():
            reply = self._script("terms", TERM_STATISTICS)(
                args=[self._prefix, *self._terms_call(terms, at, window_seconds)]
            )
        return _statistics(reply)

    def index_and_term_statistics(
        self,
        article_id: str,
        bands: Sequence[str],
        signature: bytes,
        terms: Sequence[str],
        *,
        at: float,
        near_window_seconds: int,
        story_window_seconds: int,
        now: float,
    ) -> tuple[list[IndexedSignature], TermStatistics]:
        """`index_signature` and `term_statistics` in one script call."""
        keys, args = self._index_call(article_id, bands, signature, at, near_window_seconds)
        args += self._terms_call(terms, at, story_window_seconds)
        with self._translated():
            rows, reply = self._script("index_and_terms", INDEX_AND_TERM_STATISTICS)(
                keys=keys, args=args
            )
        return _indexed(rows), _statistics(reply)

    def _index_call(
        self, article_id: str, bands: Sequence[str], signature: bytes, at: float, window: int
    ) -> tuple[list[str], list[Any]]:
        if " " in article_id:
            raise ValueError(f"an indexed article id has no spaces: {article_id!r}")
        p = self._prefix
        days = (f"{p}lsh:day:{day}" for day in lsh_days(at, window))
        keys = [f"{p}sig:{article_id}", f"{p}lsh:seq", *days]
        return keys, [article_id, repr(at), signature, window, p, _json(bands)]

    def _terms_call(self, terms: Sequence[str], at: float, window: int) -> list[bytes]:
        """The terms and the window's day buckets, as the terms function's two JSON lists."""
        return [_json(terms), _json(day_buckets(at, window))]

    def story_candidates(
        self,
        vector: dict[str, float],
        index_terms: Sequence[str],
        *,
        at: float,
        window_seconds: int,
        limit: int,
        postings: int = POSTINGS,
    ) -> list[StoryMatch]:
        """Stories sharing the most index terms (of each term, the `postings` joined last),
        joined within the window, with the cosine of `vector` to each centroid computed in
        Redis (centroids never cross the wire)."""
        args: list[Any] = [self._prefix, repr(at - window_seconds), limit]
        args += [_json(list(vector)), _json(list(vector.values())), _json(index_terms), postings]
        with self._translated():
            found = self._script("candidates", STORY_CANDIDATES)(args=args)
        return [
            StoryMatch(_text(sid), int(size), float(first), float(last), float(_text(sim)))
            for sid, size, first, last, sim in found
        ]

    def commit_decision(
        self,
        article_id: str,
        decision: dict[str, Any],
        *,
        story: StoryUpdate | None,
        choice: StoryChoice | None = None,
        ttl_seconds: int,
        now: float,
    ) -> dict[str, Any]:
        """Store the decision and apply the story update unless a decision exists; with
        `choice`, the story is chosen in the same script (candidates scored in Redis)."""
        args: list[Any] = [json.dumps(decision), ttl_seconds, "1" if story else "0"]
        if story is not None:
            args += [
                self._prefix,
                story.story_id,
                repr(story.at),
                story.source,
                story.title or "",
                story.centroid_terms,
                story.ttl_seconds,
                day_buckets(story.at, 0)[-1],
            ]
            args += [
                _json(list(dict.fromkeys(story.counted_terms))),
                _json(list(story.centroid)),
                _json(list(story.centroid.values())),
                _json(story.index_terms),
                INDEX_DEPTH * (choice.postings if choice else POSTINGS),
            ]
            if choice is not None:
                args += ["1", repr(choice.threshold), choice.candidates, choice.window_seconds]
                args.append(choice.postings)
        with self._translated():
            stored = self._script("commit", COMMIT)(
                keys=[f"{self._prefix}decision:{article_id}"], args=args
            )
        return _decision(stored)

    def top_stories(self, *, limit: int, since: float) -> list[StorySummary]:
        """The largest stories last joined at or after `since`: every such story's size is
        read, a page of `_STORY_PAGE` at a time, and only the largest are described."""
        key = f"{self._prefix}stories"
        largest: list[tuple[int, float, str]] = []  # (size, last joined, id)
        seen: set[str] = set()
        with self._translated():
            for page in self._stories_pages(key, since):
                for sid, last, size in page:
                    if size is not None and sid not in seen:
                        seen.add(sid)
                        largest.append((int(size), last, sid))
                largest = heapq.nlargest(limit, largest)
            pipe = self._client.pipeline(transaction=False)
            for _, _, sid in largest:
                story = f"{self._prefix}story:{sid}"
                pipe.hmget(story, "size", "first_seen", "last_seen", "title")
                pipe.smembers(story + ":src")
            replies = pipe.execute()
        summaries = []
        for (_, _, sid), meta, sources in zip(largest, replies[::2], replies[1::2], strict=True):
            if meta[0] is None:  # expired since its size was read
                continue
            size, first, last, title = meta
            summaries.append(
                StorySummary(
                    sid,
                    int(size),
                    float(first),
                    float(last),
                    _text(title) or None,
                    sorted(_text(s) for s in sources),
                )
            )
        summaries.sort(key=lambda s: (-s.size, -s.last_seen))
        return summaries

    def _stories_pages(
        self, key: str, since: float
    ) -> Iterator[list[tuple[str, float, bytes | None]]]:
        """Stories last joined at or after `since`, latest first, `_STORY_PAGE` at a time:
        (id, last joined, size; None once expired), one script call a page.

        Each page starts below the last one's lowest score (and past the ids already read at
        that score), not at an offset: Redis walks to an offset element by element, so
        paging by offset read the window's stories quadratically (300,000 stories: 7.1 s in
        all, the late pages holding Redis for about 20 ms each)."""
        high: float | str = "+inf"
        skip = 0
        while True:
            reply: Any = self._script("stories_page", STORIES_PAGE)(
                keys=[key], args=[high, since, skip, _STORY_PAGE, f"{self._prefix}story:"]
            )
            page = [
                (_text(reply[i]), float(reply[i + 1]), reply[i + 2])
                for i in range(0, len(reply), 3)
            ]
            if not page:
                return
            yield page
            lowest = page[-1][1]
            tied = sum(1 for _, last, _ in page if last == lowest)
            skip = skip + tied if lowest == high else tied
            high = lowest


def _indexed(rows: list[Any]) -> list[IndexedSignature]:
    return [
        IndexedSignature(_text(a), float(_text(t)), int(_text(s)), bytes(sig))
        for a, t, s, sig in rows
    ]


def _statistics(reply: Any) -> TermStatistics:
    documents, frequencies = reply
    return TermStatistics(int(documents), [int(n) for n in frequencies])


def _json(value: Sequence[Any]) -> bytes:
    """A list as one script argument (Lua decodes it with cjson): one argument instead of
    hundreds, which is most of the cost of a call on both sides."""
    return orjson.dumps(value)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _decision(value: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(value)
    return loaded
