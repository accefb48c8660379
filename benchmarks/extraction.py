"""Extraction benchmark: `python -m benchmarks.extraction` from the repository root.

Prints, for the extraction dev set (`--dev`, default `../shared/data/extraction-dev`):

- accuracy (the dev set's metric: 4-word shingles of `\\w+` tokens, macro P/R per page, F1
  of the averages; an empty prediction counts against recall only) of ours, trafilatura
  with default settings, trafilatura without comments and readability-lxml;
- median time per page, ours and trafilatura's defaults measured side by side, page by page;
- metadata coverage (title, language, date, …) and clean events valid against the schema;
- template invariance: the share of same-article pairs that get the same `content_hash`
  across the site templates of `benchmarks.corpus`, and colliding different articles;
- pathological pages (deep nesting, megabytes of inline script, huge tables) through the
  sandbox with its default time limit.

Exit status 0 when every target of issue 4 holds, 1 otherwise. `--quick` runs fewer bodies
and repeats.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import trafilatura
from lxml.html import fromstring

from benchmarks.corpus import SITES, Body, corpus, dev_bodies, fixture_bodies, url
from newsflow import events
from newsflow.contracts.codec import ContractError, validate
from newsflow.model import Article, Extraction
from newsflow.rejection import Rejection
from newsflow.sandbox import Sandbox, SandboxLimits
from newsflow.stages.extract import extract
from newsflow.stages.fingerprint import fingerprint
from newsflow.stages.ingest import ingest
from newsflow.stages.language import warm_up

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "extraction-dev"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
_TOKEN = re.compile(r"\w+")

TARGET_F1 = 0.975
TARGET_PRECISION = 0.96
TARGET_TIME_RATIO = 1.25
TARGET_TITLES = 0.98
TARGET_INVARIANCE = 0.99


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    truth: str


Extractor = Callable[[str, str], str]  # (html, url) -> main text


def load_pages(dev: Path) -> list[Page]:
    truth: dict[str, dict[str, str]] = json.loads((dev / "ground-truth.json").read_text())
    return [
        Page(
            page_id,
            item["url"],
            gzip.decompress((dev / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8"),
            item["articleBody"],
        )
        for page_id, item in sorted(truth.items())
    ]


def article_of(html: str, page_url: str) -> Article:
    article = ingest(orjson.dumps({"url": page_url, "html": html}), now=NOW)
    if isinstance(article, Rejection):
        raise ValueError(f"{page_url}: {article}")
    return article


def ours_full(html: str, page_url: str) -> Extraction | Rejection:
    return extract(article_of(html, page_url))


def ours(html: str, page_url: str) -> str:
    result = ours_full(html, page_url)
    return "" if isinstance(result, Rejection) else result.text


def trafilatura_defaults(html: str, page_url: str) -> str:
    return trafilatura.extract(html, url=page_url) or ""


def trafilatura_no_comments(html: str, page_url: str) -> str:
    return trafilatura.extract(html, url=page_url, include_comments=False) or ""


def readability(html: str, page_url: str) -> str:
    from readability import Document

    summary = Document(html, url=page_url).summary(html_partial=True)
    return str(fromstring(summary).text_content()) if summary.strip() else ""


SYSTEMS: dict[str, Extractor] = {
    "newsflow (ours)": ours,
    "trafilatura, defaults": trafilatura_defaults,
    "trafilatura, no comments": trafilatura_no_comments,
    "readability-lxml": readability,
}


# --- accuracy --------------------------------------------------------------------------------


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.lower())
    return Counter(tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1)))


def score(predictions: Sequence[str], truths: Sequence[str]) -> dict[str, float]:
    """Macro precision and recall over pages, F1 of the two (the dev set's metric)."""
    precisions: list[float] = []
    recalls: list[float] = []
    for predicted, truth in zip(predictions, truths, strict=True):
        sp, st = shingles(predicted), shingles(truth)
        common = sum((sp & st).values())
        if sp:
            precisions.append(common / sum(sp.values()))
        recalls.append(common / sum(st.values()) if st else 1.0)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def accuracy(pages: list[Page]) -> dict[str, dict[str, float]]:
    truths = [page.truth for page in pages]
    return {
        name: score([system(page.html, page.url) for page in pages], truths)
        for name, system in SYSTEMS.items()
    }


# --- cost ------------------------------------------------------------------------------------


def timing(pages: list[Page], *, repeats: int) -> dict[str, float]:
    """Median seconds per page, ours (`extract` on the ingested article) and trafilatura's
    defaults (`trafilatura.extract` on the HTML), alternating page by page."""
    warm_up()
    ours_times: list[float] = []
    theirs_times: list[float] = []
    for page in pages:
        article = article_of(page.html, page.url)  # ingest is a stage of its own: not timed
        mine, other = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            extract(article)
            mine.append(time.perf_counter() - started)
            started = time.perf_counter()
            trafilatura_defaults(page.html, page.url)
            other.append(time.perf_counter() - started)
        ours_times.append(statistics.median(mine))
        theirs_times.append(statistics.median(other))
    ours_median = statistics.median(ours_times)
    theirs_median = statistics.median(theirs_times)
    return {"ours": ours_median, "trafilatura": theirs_median, "ratio": ours_median / theirs_median}


# --- metadata --------------------------------------------------------------------------------


def metadata(pages: list[Page]) -> dict[str, float]:
    """Share of dev pages with each metadata field, and of clean events the schema accepts."""
    present: Counter[str] = Counter()
    quality: list[float] = []
    for page in pages:
        article = article_of(page.html, page.url)
        result = extract(article)
        if isinstance(result, Rejection):
            continue
        present["extracted"] += 1
        for name in ("title", "language", "published_at", "sitename", "description", "image"):
            present[name] += bool(getattr(result, name))
        present["authors"] += bool(result.authors)
        quality.append(result.quality)
        event = events.clean_event(
            article, result, fingerprint(result.text), extracted_at="2024-06-01T00:00:00Z"
        )
        try:
            validate("clean", event)
            present["schema"] += 1
        except ContractError:
            pass
    shares = {name: count / len(pages) for name, count in present.items()}
    shares["median_quality"] = statistics.median(quality) if quality else 0.0
    return shares


# --- template invariance ---------------------------------------------------------------------


def invariance(bodies: list[Body], systems: dict[str, Extractor]) -> dict[str, dict[str, Any]]:
    """Per system: same-hash share of same-body pairs, and bodies sharing a hash."""
    results: dict[str, dict[str, Any]] = {}
    pages = list(corpus(bodies))
    for name, system in systems.items():
        hashes: dict[str, dict[str, str]] = {}
        for site, body, html in pages:
            text = system(html, url(site, body))
            hashes.setdefault(body.slug, {})[site.template] = fingerprint(text).content_hash
        same = total = 0
        for by_site in hashes.values():
            for a, b in itertools.combinations(by_site.values(), 2):
                total += 1
                same += a == b
        owners: dict[str, set[str]] = {}
        for slug, by_site in hashes.items():
            for digest in by_site.values():
                owners.setdefault(digest, set()).add(slug)
        collisions = sum(1 for slugs in owners.values() if len(slugs) > 1)
        results[name] = {"pairs": total, "same": same / total, "collisions": collisions}
    return results


# --- pathological pages ----------------------------------------------------------------------

_PROSE = "<p>" + "The council voted on the budget after a long and heated debate. " * 6 + "</p>"


def pathological_pages() -> dict[str, str]:
    """Hostile pages, generated: each wraps a short article in something expensive."""
    depth = 5000
    nested = "<div>" * depth + _PROSE * 3 + "</div>" * depth
    script = "<script>var data = [" + "{'k': 'v', 'n': 12345}, " * 60_000 + "];</script>"
    row = "<tr>" + "<td>cell 12345</td>" * 10 + "</tr>"

    def table(chars: int) -> str:
        return "<table>" + row * (chars // len(row)) + "</table>"

    return {
        f"{depth} nested divs": f"<html><body>{nested}</body></html>",
        f"{len(script) / 1e6:.1f} MB inline script": (
            f"<html><head>{script}</head><body><article>{_PROSE * 3}</article>"
            f"{script}</body></html>"
        ),
        "4.9 MB table": f"<html><body><article>{_PROSE}{table(4_900_000)}</article></body></html>",
        "5 MB table (over the size limit)": (
            f"<html><body><article>{_PROSE}{table(5_100_000)}</article></body></html>"
        ),
        "12,000 paragraphs": "<html><body>" + _PROSE * 12_000 + "</body></html>",
    }


def pathological(limits: SandboxLimits) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with Sandbox(limits) as sandbox:
        sandbox.run(article_of(f"<html><body>{_PROSE * 3}</body></html>", "https://x.example/"))
        for n, (name, html) in enumerate(pathological_pages().items()):
            page_article = article_of(html, f"https://hostile.example/{n}")
            started = time.perf_counter()
            result = sandbox.run(page_article)
            seconds = time.perf_counter() - started
            outcome = result.reason if isinstance(result, Rejection) else "extracted"
            results[name] = {"size": len(html), "seconds": seconds, "outcome": outcome}
    return results


# --- report ----------------------------------------------------------------------------------


def report(results: dict[str, Any], *, pages: int, bodies: int) -> list[tuple[str, bool]]:
    """Print the tables; return each target with whether it holds."""
    acc = results["accuracy"]
    print(f"## Accuracy on the extraction dev set ({pages} pages)\n")
    print("| extractor | precision | recall | F1 |\n| --- | --- | --- | --- |")
    for name, row in acc.items():
        print(f"| {name} | {row['precision']:.4f} | {row['recall']:.4f} | {row['f1']:.4f} |")
    cost = results["timing"]
    print("\n## Cost (median time per page, side by side)\n")
    print("| newsflow | trafilatura, defaults | ratio |\n| --- | --- | --- |")
    print(f"| {cost['ours'] * 1000:.1f} ms | {cost['trafilatura'] * 1000:.1f} ms "
          f"| {cost['ratio']:.2f}× |")  # fmt: skip
    meta = results["metadata"]
    print(f"\n## Metadata on the dev set (share of {pages} pages)\n")
    names = ["title", "language", "published_at", "authors", "sitename", "description", "image"]
    print("| " + " | ".join([*names, "schema-valid", "median quality"]) + " |")
    print("|" + " --- |" * (len(names) + 2))
    cells = [f"{meta.get(name, 0.0):.0%}" for name in [*names, "schema"]]
    print("| " + " | ".join([*cells, f"{meta['median_quality']:.2f}"]) + " |")
    inv = results["invariance"]
    print(f"\n## Template invariance ({bodies} bodies × {len(SITES)} templates)\n")
    print("| extractor | same content_hash (pairs) | colliding hashes |\n| --- | --- | --- |")
    for name, row in inv.items():
        print(f"| {name} | {row['same']:.2%} of {row['pairs']} | {row['collisions']} |")
    print("\n## Pathological pages (sandbox, default time limit)\n")
    print("| page | size | time | outcome |\n| --- | --- | --- | --- |")
    for name, row in results["pathological"].items():
        print(f"| {name} | {row['size'] / 1e6:.1f} MB | {row['seconds']:.2f} s "
              f"| {row['outcome']} |")  # fmt: skip
    ours_acc, ours_inv = acc["newsflow (ours)"], inv["newsflow (ours)"]
    limit = results["time_limit"]
    return [
        (f"F1 {ours_acc['f1']:.4f} ≥ {TARGET_F1}", ours_acc["f1"] >= TARGET_F1),
        (
            f"precision {ours_acc['precision']:.4f} ≥ {TARGET_PRECISION}",
            ours_acc["precision"] >= TARGET_PRECISION,
        ),
        (
            f"time ratio {cost['ratio']:.2f} ≤ {TARGET_TIME_RATIO}",
            cost["ratio"] <= TARGET_TIME_RATIO,
        ),
        (
            f"titles {meta.get('title', 0):.1%} ≥ {TARGET_TITLES:.0%}",
            meta.get("title", 0) >= TARGET_TITLES,
        ),
        (
            f"language on {meta.get('language', 0):.1%} of extracted pages",
            meta.get("language", 0) >= meta.get("extracted", 0),
        ),
        (
            f"invariance {ours_inv['same']:.2%} ≥ {TARGET_INVARIANCE:.0%}, no collisions",
            ours_inv["same"] >= TARGET_INVARIANCE and ours_inv["collisions"] == 0,
        ),
        (
            f"pathological pages within {limit:g} s (+1 s to restart)",
            all(row["seconds"] <= limit + 1 for row in results["pathological"].values()),
        ),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.extraction", description=__doc__)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="extraction dev set")
    parser.add_argument("--bodies", type=int, default=None, help="dev bodies (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="timing runs per page")
    parser.add_argument("--quick", action="store_true", help="20 bodies, 1 timing run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.bodies, args.repeats = args.bodies or 20, 1
    pages = load_pages(args.dev)
    everything = [*fixture_bodies(), *dev_bodies(args.dev, count=args.bodies)]
    bodies = list({body.slug: body for body in everything}.values())  # fixtures repeat a few
    limits = SandboxLimits()
    results: dict[str, Any] = {
        "accuracy": accuracy(pages),
        "timing": timing(pages, repeats=args.repeats),
        "metadata": metadata(pages),
        "invariance": invariance(bodies, SYSTEMS),
        "pathological": pathological(limits),
        "time_limit": limits.time_limit,
    }
    targets = report(results, pages=len(pages), bodies=len(bodies))
    print("\n## Targets\n")
    for label, held in targets:
        print(f"- [{'x' if held else ' '}] {label}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(held for _, held in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
