"""Near-duplicate benchmark: `python -m benchmarks.neardup` from the repository root.

Builds a labelled set and runs the near-duplicate stage (`newsflow.stages.neardup`, with the
store the pipeline uses) over it, printing recall per edit kind and false links:

- bases: stories dev set articles (`../shared/data/stories-dev`) and extraction dev set
  ground-truth bodies (`../shared/data/extraction-dev`) of at least 150 words, no two of them
  sharing more than 20% of their word 3-grams (the sources hold real syndicated copies);
- rewrites of every base, one per edit kind: a new headline, a dateline ("LONDON (AP) — "),
  15% of the sentences cut, 15% more sentences added (from another base), typos in 2% of the
  words, truncated to 80% of the words; each should be found as a near duplicate of its base;
- negatives: every base against the bases indexed before it, and every other stories dev
  article (same topic, often the same event, under 20% shared 3-grams with every base): any
  match among them is a false link, as is a rewrite matched to another base.

Every base is indexed first (an hour earlier than the rewrites), then the rewrites and the
negatives. Exit status 0 when recall ≥ 0.98 for every edit kind with no false link.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.stories import DEV, scratch_store
from newsflow.stages.neardup import NearSettings, decide_near, shingles

EXTRACTION_DEV = DEV.parent / "extraction-dev"
MIN_WORDS = 150
MAX_SHARED = 0.2
TARGET_RECALL = 0.98
T0 = 1_726_000_000.0
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Doc:
    doc_id: str
    text: str


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def load_bases(dev: Path, extraction_dev: Path) -> tuple[list[Doc], list[Doc]]:
    """(bases, same-topic negatives): see the module docstring."""
    rows = [json.loads(line) for line in (dev / "articles.jsonl").read_text().splitlines()]
    truth = json.loads((extraction_dev / "ground-truth.json").read_text())
    pool = [Doc(_hex(f"dev:{r['id']}"), r["text"]) for r in rows]
    pool += [Doc(_hex(f"gt:{k}"), v["articleBody"]) for k, v in sorted(truth.items())]
    grams = {d.doc_id: shingles(d.text) for d in pool}
    bases: list[Doc] = []
    for doc in pool:
        if len(doc.text.split()) < MIN_WORDS:
            continue
        if all(jaccard(grams[doc.doc_id], grams[b.doc_id]) <= MAX_SHARED for b in bases):
            bases.append(doc)
    chosen = {b.doc_id for b in bases}
    negatives = [
        d
        for d in pool[: len(rows)]
        if d.doc_id not in chosen
        and grams[d.doc_id]
        and all(jaccard(grams[d.doc_id], grams[b.doc_id]) <= MAX_SHARED for b in bases)
    ]
    return bases, negatives


def _hex(name: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, name).hex


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text.replace("\n", " ")) if s.strip()]


def new_headline(text: str, rng: random.Random, other: str) -> str:
    words = _sentences(other)[0].split()[:10]
    return " ".join(w.capitalize() for w in words) + "\n\n" + text


def dateline(text: str, rng: random.Random, other: str) -> str:
    return "LONDON (AP) — " + text


def cut_sentences(text: str, rng: random.Random, other: str) -> str:
    sentences = _sentences(text)
    cut = set(rng.sample(range(1, len(sentences)), max(1, round(0.15 * len(sentences)))))
    return " ".join(s for i, s in enumerate(sentences) if i not in cut)


def add_sentences(text: str, rng: random.Random, other: str) -> str:
    sentences = _sentences(text)
    extra = _sentences(other)
    for sentence in rng.sample(extra, min(len(extra), max(1, round(0.15 * len(sentences))))):
        sentences.insert(rng.randrange(1, len(sentences) + 1), sentence)
    return " ".join(sentences)


def typos(text: str, rng: random.Random, other: str) -> str:
    words = text.split(" ")
    eligible = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in rng.sample(eligible, min(len(eligible), max(1, round(0.02 * len(words))))):
        w, k = words[i], rng.randrange(1, len(words[i]) - 1)
        words[i] = rng.choice(
            [w[:k] + w[k + 1 :], w[:k] + w[k] + w[k:], w[: k - 1] + w[k] + w[k - 1] + w[k + 1 :]]
        )
    return " ".join(words)


def truncate(text: str, rng: random.Random, other: str) -> str:
    words = text.split(" ")
    return " ".join(words[: round(0.8 * len(words))])


EDITS: dict[str, Callable[[str, random.Random, str], str]] = {
    "new headline": new_headline,
    "dateline added": dateline,
    "sentences cut": cut_sentences,
    "sentences added": add_sentences,
    "typos": typos,
    "truncated to 80%": truncate,
}


def run(url: str | None, settings: NearSettings) -> dict[str, object]:
    bases, negatives = load_bases(DEV, EXTRACTION_DEV)
    found: Counter[str] = Counter()
    false_links: list[tuple[str, str, str]] = []
    base_ids = {b.doc_id for b in bases}
    started = time.perf_counter()
    calls = 0
    with scratch_store(url) as store:
        for base in bases:
            calls += 1
            match = decide_near(base.doc_id, base.text, store, at=T0, now=T0, settings=settings)
            if match is not None:
                false_links.append(("base", base.doc_id, match.article_id))
        for n, base in enumerate(bases):
            other = bases[(n + len(bases) // 2) % len(bases)].text
            for kind, edit in EDITS.items():
                rng = random.Random(f"{base.doc_id}:{kind}")
                variant = edit(base.text, rng, other)
                calls += 1
                match = decide_near(
                    _hex(f"{base.doc_id}:{kind}"),
                    variant,
                    store,
                    at=T0 + 3600,
                    now=T0 + 3600,
                    settings=settings,
                )
                if match is not None and match.article_id == base.doc_id:
                    found[kind] += 1
                elif match is not None and match.article_id in base_ids:
                    false_links.append((kind, base.doc_id, match.article_id))
        for doc in negatives:
            calls += 1
            match = decide_near(
                doc.doc_id, doc.text, store, at=T0 + 7200, now=T0 + 7200, settings=settings
            )
            if match is not None and match.article_id in base_ids:
                false_links.append(("negative", doc.doc_id, match.article_id))
    elapsed = time.perf_counter() - started
    return {
        "bases": len(bases),
        "negatives": len(negatives),
        "recall": {kind: found[kind] / len(bases) for kind in EDITS},
        "false_links": false_links,
        "ms_per_article": elapsed / calls * 1000,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=None, help="redis://… (default: SQLite in memory)")
    parser.add_argument("--threshold", type=float, default=NearSettings().threshold)
    args = parser.parse_args(argv)
    result = run(args.store, NearSettings(threshold=args.threshold))
    recall: dict[str, float] = result["recall"]  # type: ignore[assignment]
    false_links: list[tuple[str, str, str]] = result["false_links"]  # type: ignore[assignment]
    print(
        f"near duplicates: {result['bases']} bases × {len(EDITS)} edit kinds, "
        f"{result['negatives']} same-topic negatives, threshold {args.threshold}, "
        f"{args.store or 'sqlite :memory:'}"
    )
    print(f"{'edit kind':<20} {'recall':>7}   target")
    for kind, value in recall.items():
        print(f"{kind:<20} {value:>7.3f}   ≥ {TARGET_RECALL}")
    print(f"{'false links':<20} {len(false_links):>7}   0")
    for link in false_links[:10]:
        print("   ", *link)
    print(f"{result['ms_per_article']:.2f} ms per article (signature + index + verify)")
    ok = not false_links and all(v >= TARGET_RECALL for v in recall.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
