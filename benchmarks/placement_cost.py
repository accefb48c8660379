"""Per-article cost of near-dup + story assignment: `python -m benchmarks.placement_cost`.

Fills a store with `--sizes` articles (default 10,000 and 100,000) inside the window —
signatures and story updates shaped like real ones (terms drawn from the stories dev set's
vocabulary, ~40% of articles joining an existing story), written through the store
interface — then times `place()` (the whole near-duplicate + story decision, store round trips
included) for 300 real dev articles at that index size, and compares the median with the
median extraction time of the extraction dev pages (`newsflow.stages.extract.extract`).
The target of issue 5: under 20% of the median extraction time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from benchmarks.stories import DEV, load_dev, scratch_store
from newsflow.model import Article
from newsflow.stages.extract import extract
from newsflow.stages.neardup import NUM_PERM, band_keys
from newsflow.stages.placement import PlacementSettings, place
from newsflow.stages.stories import terms
from newsflow.store.base import DedupStore
from newsflow.store.records import StoryUpdate

EXTRACTION_DEV = DEV.parent / "extraction-dev"
START = datetime(2024, 9, 10, tzinfo=UTC)
TARGET_SHARE = 0.20


def fill(store: DedupStore, size: int, settings: PlacementSettings, rng: random.Random) -> None:
    """`size` synthetic articles spread over the window, written as `place` would."""
    vocabulary = sorted({t for a in load_dev(DEV) for t in terms(a.get("title"), a["text"])})
    window = settings.stories.window_seconds
    stories: list[str] = []
    for n in range(size):
        at = START.timestamp() + window * n / size
        article_id = f"{n:032x}"
        sig = rng.randbytes(4 * NUM_PERM)
        store.index_signature(article_id, band_keys(sig), sig, at=at, window_seconds=window, now=at)
        words = rng.sample(vocabulary, 150)
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
            words + rng.sample(vocabulary, 250),
            weights,
            words[:20],
            settings.stories.centroid_terms,
            window,
        )
        store.commit_decision(
            article_id,
            {"status": "unique", "story_id": story_id},
            story=update,
            ttl_seconds=window,
            now=at,
        )


def time_placement(store: DedupStore, settings: PlacementSettings, offset: int) -> list[float]:
    articles = load_dev(DEV)[:300]
    moment = START + timedelta(seconds=settings.stories.window_seconds)
    seconds = []
    for n, article in enumerate(articles):
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
        seconds.append(time.perf_counter() - started)
    return seconds


def median_extraction_seconds(pages: int = 40) -> float:
    """Median time of `extract` over the first `pages` extraction dev pages."""
    truth = json.loads((EXTRACTION_DEV / "ground-truth.json").read_text())
    times = []
    for key in sorted(truth)[:pages]:
        html = gzip.decompress((EXTRACTION_DEV / "html" / f"{key}.html.gz").read_bytes())
        article = Article(
            article_id=key[:32],
            source_id=None,
            url=truth[key]["url"],
            canonical_url=truth[key]["url"],
            source="dev",
            content_type="html",
            body=html.decode("utf-8", "replace"),
            body_hash=key,
            fetched_at=None,
            ingested_at="2024-09-10T00:00:00Z",
        )
        started = time.perf_counter()
        extract(article)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=None, help="redis://… (default: SQLite in memory)")
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args(argv)
    settings = PlacementSettings()
    extraction = median_extraction_seconds()
    print(
        f"median extraction time: {extraction * 1000:.1f} ms "
        f"(target: placement under {TARGET_SHARE:.0%} = {extraction * TARGET_SHARE * 1000:.1f} ms)"
    )
    print(f"{'index size':>10} {'store':<16} {'median ms':>9} {'p95 ms':>7} {'share':>6} ok")
    ok = True
    for size in (int(s) for s in args.sizes.split(",")):
        with scratch_store(args.store) as store:
            fill(store, size, settings, random.Random(size))
            seconds = sorted(time_placement(store, settings, size))
        median = statistics.median(seconds)
        p95 = seconds[int(0.95 * len(seconds))]
        good = median <= TARGET_SHARE * extraction
        ok &= good
        name = "redis" if args.store else "sqlite :memory:"
        print(
            f"{size:>10} {name:<16} {median * 1000:>9.2f} {p95 * 1000:>7.2f} "
            f"{median / extraction:>6.1%} {'yes' if good else 'NO'}",
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
