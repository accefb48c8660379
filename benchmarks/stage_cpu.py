"""CPU per page of newsflow's extract stage and text features, and every output they give:
`python -m benchmarks.stage_cpu` from the repository root.

The pages: the extraction dev set's (`../shared/data/extraction-dev/`, when present) and
`--pages` performance-corpus pages (`benchmarks.performance.corpus`, dev-set sentences in the
six site templates), ingested as the pipeline ingests them, then the plain-text fixtures of
`tests/fixtures/` (many languages and scripts). Each is extracted (`extract`) and its text's
features computed (`text_features`: fingerprint, line hashes, MinHash signature, story terms).

`--out FILE` writes every output, one JSON line a page (the extraction's fields, the
features): run it on two checkouts and compare the files to show that a change for speed
changed no output. Then each stage runs `--rounds` times over all the pages and its CPU time
per page (`time.process_time`) is printed, best and median. To compare two checkouts, run
them in turn, several times each: the machine's speed moves between runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks.performance.corpus import DEV_DIR, PageMaker, dev_pages, sentence_pool
from newsflow.model import Article, Extraction
from newsflow.stages.extract import extract
from newsflow.stages.features import TextFeatures, text_features
from newsflow.stages.ingest import ingest
from newsflow.stages.language import warm_up
from newsflow.stages.stories import StorySettings

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
TEXT_FIXTURES = ("multilingual", "sea", "unspaced", "zawgyi", "stories")
NOW = datetime(2025, 3, 5, tzinfo=UTC)
FETCHED_AT = "2025-03-01T06:00:00Z"


def articles(pages: int, dev_dir: Path | None = DEV_DIR) -> list[Article]:
    """The dev set's pages, `pages` corpus pages and the text fixtures, ingested."""
    raws = [
        {"url": page.url, "html": page.html, "fetched_at": FETCHED_AT, "id": f"h-{n}"}
        for n, page in enumerate(
            [*dev_pages(dev_dir), *PageMaker(seed=7, pool=sentence_pool(dev_dir)).pages(pages)]
        )
    ]
    texts = sorted(path for name in TEXT_FIXTURES for path in (FIXTURES / name).rglob("*.txt"))
    raws += [
        {"url": f"https://text.example/{p.stem}", "text": p.read_text(encoding="utf-8")}
        | {"fetched_at": FETCHED_AT, "id": f"t-{n}"}
        for n, p in enumerate(texts)
    ]
    ingested = (ingest(orjson.dumps(raw), now=NOW) for raw in raws)
    return [article for article in ingested if isinstance(article, Article)]


def outputs(article: Article, stories: StorySettings) -> dict[str, Any]:
    """Everything the extract stage and the text features give for one article."""
    result = extract(article)
    record: dict[str, Any] = {"url": article.url, "result": repr(result)}
    if isinstance(result, Extraction):
        found = text_features(result.title, result.text, stories)
        record["features"] = _features(found)
    return record


def _features(found: TextFeatures) -> dict[str, Any]:
    return {
        "fingerprint": asdict(found.fingerprint),
        "line_hashes": found.line_hashes,
        "signature": found.signature.hex() if found.signature is not None else None,
        "counts": list(found.counts.items()),  # (in their order: most frequent first)
        "language": found.language,
    }


def cpu_ms_per_item(
    work: Callable[[Any], object], items: Sequence[Any], rounds: int
) -> list[float]:
    """The CPU time of `work` per item, in ms, in each of `rounds` runs over the items."""
    times = []
    for _ in range(rounds):
        started = time.process_time()
        for item in items:
            work(item)
        times.append(1000 * (time.process_time() - started) / len(items))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stage_cpu", description=__doc__)
    parser.add_argument("--pages", type=int, default=400, help="performance-corpus pages")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each stage")
    parser.add_argument("--out", type=Path, help="write every output here (JSON lines)")
    parser.add_argument("--dev", type=Path, default=DEV_DIR, help="extraction dev set")
    args = parser.parse_args(argv)
    warm_up()
    stories = StorySettings()
    found = articles(args.pages, args.dev if args.dev.is_dir() else None)
    records = [outputs(article, stories) for article in found]  # (and the caches warm)
    if args.out:
        args.out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
    extractions = [r for r in map(extract, found) if isinstance(r, Extraction)]
    timed = {
        "extract": cpu_ms_per_item(extract, found, args.rounds),
        "text features": cpu_ms_per_item(
            lambda e: text_features(e.title, e.text, stories), extractions, args.rounds
        ),
    }
    print(f"{len(found)} articles ({len(extractions)} extracted), CPU ms per article:")
    for stage, times in timed.items():
        print(f"  {stage}: best {min(times):.3f}, median {statistics.median(times):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
