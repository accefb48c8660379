"""Per-article cost of near-dup + story assignment: `python -m benchmarks.placement_cost`.

Fills a store with `--sizes` articles (default 10,000 and 100,000) inside the window —
signatures and story updates shaped like real ones (terms drawn from the stories dev set's
vocabulary, ~40% of articles joining an existing story), written through the store
interface — then times `place()` (the whole near-duplicate + story decision, store round trips
included) for 300 real dev articles at that index size, each while an extraction dev page is
extracted (`newsflow.stages.extract.extract`) as the services do it, in the sandbox's child
process, and compares the two medians (`--arrangement` for the others; `--stages` adds each
stage's median). The target of issue 5: under 20% of the median extraction time.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import redis

from benchmarks.stories import DEV, load_dev, scratch_store
from newsflow.model import Article
from newsflow.sandbox import Sandbox
from newsflow.stages import placement
from newsflow.stages.extract import extract
from newsflow.stages.neardup import NUM_PERM, band_keys
from newsflow.stages.placement import PlacementSettings, place
from newsflow.stages.stories import StorySettings
from newsflow.stages.story_terms import terms
from newsflow.store.base import DedupStore
from newsflow.store.records import POSTINGS, StoryUpdate

EXTRACTION_DEV = DEV.parent / "extraction-dev"
START = datetime(2024, 9, 10, tzinfo=UTC)
TARGET_SHARE = 0.20


def fill(
    store: DedupStore,
    size: int,
    settings: PlacementSettings,
    rng: random.Random,
    *,
    start: datetime = START,
) -> None:
    """`size` synthetic articles spread over the window from `start`, written as `place`
    would: as many counted, vector and index terms as the story settings keep."""
    vocabulary = sorted({t for a in load_dev(DEV) for t in terms(a.get("title"), a["text"])})
    shape = settings.stories
    window = shape.window_seconds
    stories: list[str] = []
    for n in range(size):
        at = start.timestamp() + window * n / size
        article_id = f"{n:032x}"
        sig = rng.randbytes(4 * NUM_PERM)
        store.index_signature(article_id, band_keys(sig), sig, at=at, window_seconds=window, now=at)
        words = rng.sample(vocabulary, shape.vector_terms)
        joined = stories and rng.random() < 0.4
        story_id = rng.choice(stories[-2000:]) if joined else article_id
        if not joined:
            stories.append(story_id)
        weights = {w: rng.random() / 8 for w in words}
        update = StoryUpdate(
            story_id,
            at,
            f"site{n % 500}",
            None,
            words + rng.sample(vocabulary, shape.counted_terms - shape.vector_terms),
            weights,
            words[: shape.index_terms],
            shape.centroid_terms,
            window,
        )
        store.commit_decision(
            article_id,
            {"status": "unique", "story_id": story_id},
            story=update,
            ttl_seconds=window,
            now=at,
        )


def extraction_pages(pages: int = 40) -> list[Article]:
    """The first `pages` extraction dev pages as ingested articles."""
    truth = json.loads((EXTRACTION_DEV / "ground-truth.json").read_text())
    found = []
    for key in sorted(truth)[:pages]:
        html = gzip.decompress((EXTRACTION_DEV / "html" / f"{key}.html.gz").read_bytes())
        url = truth[key]["url"]
        found.append(
            Article(
                article_id=key[:32],
                source_id=None,
                url=url,
                canonical_url=url,
                source="dev",
                content_type="html",
                body=html.decode("utf-8", "replace"),
                body_hash=key,
                fetched_at=None,
                ingested_at="2024-09-10T00:00:00Z",
            )
        )
    return found


ARRANGEMENTS = ("service", "in-process", "alone")


def time_placements(
    store: DedupStore, settings: PlacementSettings, offset: int, *, arrangement: str = "service"
) -> tuple[list[float], list[float]]:
    """Seconds of `place` for 300 dev articles and of extracting a dev page for each.

    `service` (as the services run it): the page is extracted in the sandbox's child process
    (its own timing) while this process places the article, so both share the machine at
    once. `in-process`: the two alternate in this process, so every placement starts with
    caches that the extraction has just filled with its own data. `alone`: the 300
    placements one after the other, then the 300 extractions.
    """
    articles = load_dev(DEV)[:300]
    dev_pages = extraction_pages()
    pages = [dev_pages[n % len(dev_pages)] for n in range(len(articles))]
    moment = START + timedelta(seconds=settings.stories.window_seconds)
    placing: list[float] = []
    extracting: list[float] = []
    with Sandbox() if arrangement == "service" else contextlib.nullcontext() as sandbox:
        for n, (article, page) in enumerate(zip(articles, pages, strict=True)):
            if sandbox is not None:
                sandbox.submit(page)
            started = time.perf_counter()
            place(
                f"{offset + n:032x}",
                source="dev",
                title=article.get("title") or None,
                text=article["text"],
                published_at=None,
                fetched_at=None,
                store=store,
                now=moment,
                settings=settings,
            )
            placing.append(time.perf_counter() - started)
            if sandbox is not None:
                extracting.append(sandbox.collect().seconds)
            elif arrangement == "in-process":
                extracting.append(_timed_extraction(page))
    if arrangement == "alone":
        extracting = [_timed_extraction(page) for page in pages]
    return placing, extracting


def _timed_extraction(page: Article) -> float:
    started = time.perf_counter()
    extract(page)
    return time.perf_counter() - started


class StageTimes:
    """While open, the seconds of each stage of `place` (its features in Python and its two
    store calls), by wrapping them where `place` looks them up."""

    FUNCTIONS = ("signature", "counted_terms", "plan_with_statistics")
    STORE_CALLS = ("index_and_term_statistics", "commit_decision")

    def __init__(self, store: DedupStore) -> None:
        self.seconds: dict[str, list[float]] = {}
        self._store = store
        self._stack = contextlib.ExitStack()

    def _wrap(self, owner: Any, name: str) -> None:
        inner = getattr(owner, name)
        times = self.seconds.setdefault(name, [])

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                times.append(time.perf_counter() - started)

        self._stack.enter_context(mock.patch.object(owner, name, timed))

    def __enter__(self) -> StageTimes:
        for name in self.FUNCTIONS:
            self._wrap(placement, name)
        for name in self.STORE_CALLS:
            self._wrap(self._store, name)
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def summary(self) -> str:
        return ", ".join(
            f"{name} {statistics.median(times) * 1000:.2f}"
            for name, times in self.seconds.items()
            if times
        )


class ScriptTime:
    """Redis's own time in Lua scripts (`INFO commandstats`, EVALSHA) from now on; resets the
    server's command statistics, so use a Redis of your own."""

    def __init__(self, url: str | None) -> None:
        self.client = redis.Redis.from_url(url) if url else None
        if self.client is not None:
            self.client.config_resetstat()

    def ms_per(self, articles: int) -> float | None:
        if self.client is None:
            return None
        stats = self.client.info("commandstats").get("cmdstat_evalsha", {})
        self.client.close()
        return float(stats.get("usec", 0)) / 1000 / articles


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=None, help="redis://… (default: SQLite in memory)")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--postings",
        type=int,
        default=None,
        help=f"stories read per index term (default: {POSTINGS})",
    )
    parser.add_argument(
        "--arrangement",
        choices=ARRANGEMENTS,
        default="service",
        help="service: extract in the sandbox's child while placing, as the services do; "
        "in-process: extract and place alternately in this process; alone: all placements, "
        "then all extractions",
    )
    parser.add_argument(
        "--stages", action="store_true", help="also print the median ms of each stage of place()"
    )
    args = parser.parse_args(argv)
    stories = StorySettings() if args.postings is None else StorySettings(postings=args.postings)
    settings = PlacementSettings(stories=stories)
    print(
        f"{'index size':>10} {'store':<16} {'place median ms':>15} {'p95 ms':>7} "
        f"{'extract median ms':>17} {'share':>6} ok (target: share < {TARGET_SHARE:.0%})"
        + ("   Redis script ms/article" if args.store else "")
    )
    ok = True
    for size in (int(s) for s in args.sizes.split(",")):
        with scratch_store(args.store) as store:
            fill(store, size, settings, random.Random(size))
            scripts = ScriptTime(args.store)
            with StageTimes(store) if args.stages else contextlib.nullcontext() as stages:
                placing, extracting = time_placements(
                    store, settings, size, arrangement=args.arrangement
                )
            script_ms = scripts.ms_per(len(placing))
        median, extraction = statistics.median(placing), statistics.median(extracting)
        p95 = sorted(placing)[int(0.95 * len(placing))]
        good = median < TARGET_SHARE * extraction
        ok &= good
        name = "redis" if args.store else "sqlite :memory:"
        print(
            f"{size:>10} {name:<16} {median * 1000:>15.2f} {p95 * 1000:>7.2f} "
            f"{extraction * 1000:>17.2f} {median / extraction:>6.1%} {'yes' if good else 'NO '}"
            + (f"   {script_ms:.2f}" if script_ms is not None else ""),
            flush=True,
        )
        if stages is not None:
            print(f"{'':>10} stage medians, ms: {stages.summary()}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
