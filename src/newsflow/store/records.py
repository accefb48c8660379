"""The plain values the near-duplicate index and the story state exchange with a store.

Stores hold these; the stages (`newsflow.stages.neardup`, `newsflow.stages.stories`) compute
them. Times are seconds since the epoch: `at` is an article's event time (published, else
fetched, else processed), `now` is when the store is written, for stores that expire entries
themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LINES_SUFFIX = ":lines"


@dataclass(frozen=True, slots=True)
class Mark:
    """A value set alongside a claim, naming the claim's owner: under `key`, unless held,
    `before + owner + after` (the re-crawl marker of `newsflow.stages.recrawl`); and, when
    `lines` is given, `lines` under `key + LINES_SUFFIX`, unless held (a key of its own: the
    marker's value stays as the previous release reads it)."""

    key: str
    before: str
    after: str
    lines: str = ""

    def value(self, owner: str) -> str:
        return f"{self.before}{owner}{self.after}"


@dataclass(frozen=True, slots=True)
class Claim:
    """An exact-dedup claim (`DedupStore.claim`): `owner` for `key` unless it is held, for
    `ttl_seconds`, with `mark` naming whoever holds it."""

    key: str
    owner: str
    ttl_seconds: int
    mark: Mark | None = None


@dataclass(frozen=True, slots=True)
class IndexRequest:
    """What `DedupStore.index_and_term_statistics` takes: an article's signature under its
    LSH bands, and the story terms whose statistics it needs."""

    article_id: str
    bands: list[str]
    signature: bytes
    terms: list[str]
    at: float
    near_window_seconds: int
    story_window_seconds: int


@dataclass(frozen=True, slots=True)
class Begun:
    """What `DedupStore.begin_decision` did: the line counts always; the claim's holder
    unless a line recurs; the near-duplicate entries and term statistics when the article
    holds the claim and asked for them; when a line recurs, the values under the claim's
    mark key and its lines key (`marked`, `marked_lines`: a redelivered article finds there
    what its first decision kept)."""

    line_counts: list[int]
    owner: str | None = None
    indexed: list[IndexedSignature] | None = None
    statistics: TermStatistics | None = None
    marked: str | None = None
    marked_lines: str | None = None


@dataclass(frozen=True, slots=True)
class IndexedSignature:
    """An article already in the near-duplicate index: its MinHash and when it was added.

    `seq` orders articles by when they entered the index, so "earlier" never depends on the
    clocks of the replicas.
    """

    article_id: str
    at: float
    seq: int
    signature: bytes


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """A live candidate story: size, times, and the cosine of the query vector to its
    centroid (computed where the centroid is, so it never travels)."""

    story_id: str
    size: int
    first_seen: float
    last_seen: float
    similarity: float


@dataclass(frozen=True, slots=True)
class TermStatistics:
    """Documents counted within a window, and how many of them had each asked-for term."""

    documents: int
    frequencies: list[int]


@dataclass(frozen=True, slots=True)
class StoryUpdate:
    """What joining (or founding) a story writes, applied once per article by `commit`.

    `counted_terms` raise the window's document frequencies; `centroid` is added to the
    story's centroid, which keeps its `centroid_terms` heaviest terms; the story is indexed
    under `index_terms`. Everything expires `ttl_seconds` after the story was last joined.
    """

    story_id: str
    at: float
    source: str
    title: str | None
    counted_terms: list[str]
    centroid: dict[str, float]
    index_terms: list[str]
    centroid_terms: int
    ttl_seconds: int


# Stories read per index term by the candidate search, the latest first. A story stays
# reachable through a term until this many others joined it since; measured on the stories
# dev set over an index of 100k synthetic articles (`benchmarks.stories --background`): 25
# decides as 100 did, 10 loses most of the recall.
POSTINGS = 25

# Redis keeps INDEX_DEPTH × postings stories per index term (100 by default): no fewer than
# are read, with room for a larger `postings` set later.
INDEX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class StoryChoice:
    """How `commit_decision` chooses the story an update joins: among the `candidates`
    stories sharing most of the update's index terms and joined within `window_seconds` of
    its time, the one whose centroid is most similar to the update's, if that similarity
    reaches `threshold`; else the update's own story (a new one). Of each index term only
    the `postings` stories joined last are looked at, so the search costs the same at any
    index size."""

    threshold: float
    candidates: int
    window_seconds: int
    postings: int = POSTINGS


def best_story(candidates: list[StoryMatch], at: float, choice: StoryChoice) -> StoryMatch | None:
    """The story `choice` picks among `candidates` for an article at `at`, or None.

    A candidate counts when its time span lies within the window of `at`; the first of the
    most similar wins, and only from the threshold. (Redis runs the same rule in Lua.)
    """
    best: StoryMatch | None = None
    for story in candidates:
        if min(abs(at - story.last_seen), abs(at - story.first_seen)) > choice.window_seconds:
            continue
        if story.similarity > (best.similarity if best else 0.0):
            best = story
    return best if best is not None and best.similarity >= choice.threshold else None


@dataclass(frozen=True, slots=True)
class StorySummary:
    """A story as `newsflow stories` lists it."""

    story_id: str
    size: int
    first_seen: float
    last_seen: float
    title: str | None
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "story_id": self.story_id,
            "size": self.size,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "title": self.title,
            "sources": self.sources,
        }


DAY_SECONDS = 86_400


def lsh_days(at: float, window_seconds: int) -> list[int]:
    """The day numbers whose near-duplicate index buckets can hold a match for an article at
    `at`: its own day first (where it is indexed), then every other day within the window
    either side of `at` (articles arrive out of event-time order)."""
    own = int(at // DAY_SECONDS)
    first = int((at - window_seconds) // DAY_SECONDS)
    last = int((at + window_seconds) // DAY_SECONDS)
    return [own, *(day for day in range(first, last + 1) if day != own)]


def day_buckets(at: float, window_seconds: int) -> list[int]:
    """The day numbers (days since the epoch) whose term counts cover `window_seconds` up to
    `at`: document frequencies are kept per day, so they can expire a day at a time."""
    last = int(at // DAY_SECONDS)
    first = int((at - window_seconds) // DAY_SECONDS)
    return list(range(first, last + 1))
