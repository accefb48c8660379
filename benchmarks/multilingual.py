"""Stories in other languages: `python -m benchmarks.multilingual`.

Places the test fixtures' reports written in other languages as one stream, each order
shuffled, into an empty store, and prints B-cubed precision, recall and F1 against their
events (mean of the orders, and the worst):

- `tests/fixtures/multilingual/`: 12 languages, two reports of one event, another event of
  its kind, and for three languages an unrelated report (39 reports);
- with `--unspaced`: Myanmar, Khmer and Lao too, `tests/fixtures/unspaced/` (a fire, a flood,
  a crash: two reports each, another event of each kind) and `tests/fixtures/sea/` (a
  reviewer's set: an earthquake, a boat sinking, a landslide, another event of each kind,
  an unrelated report): 60 reports;
- with `--korean`: `tests/fixtures/korean/` too (a quake, a bus crash, a flood, a warehouse
  fire: two reports each, another event of each kind; written for the Korean story terms).

The reports are short and the store starts empty, where every term is as rare as any other:
harder than a stream whose store holds the window's articles.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsflow.stages.placement import place
from newsflow.store.sqlite import SqliteStore

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)
_EVENTS = {
    "unspaced": {
        "fire_a_1": "my-fire", "fire_a_2": "my-fire", "fire_b": "my-fire-b",
        "storm_a_1": "km-flood", "storm_a_2": "km-flood", "storm_b": "km-flood-b",
        "crash_a_1": "lo-crash", "crash_a_2": "lo-crash", "crash_b": "lo-crash-b",
    },
    "sea": {
        "quake_a_1": "my-quake", "quake_a_2": "my-quake", "quake_b": "my-quake-b",
        "books_my": "my-books", "boat_a_1": "km-boat", "boat_a_2": "km-boat",
        "boat_b": "km-boat-b", "rice_km": "km-rice", "slide_a_1": "lo-slide",
        "slide_a_2": "lo-slide", "slide_b": "lo-slide-b", "railway_lo": "lo-railway",
    },
}  # fmt: skip


Report = tuple[str, str, str]  # name, event, text


def reports(*, unspaced: bool, korean: bool = False) -> list[Report]:
    """The reports with their events: `<lang>_a1`/`_a2` one event, `_b` and `_u` others (and
    so the Korean set's `<kind>_a1`/`_a2`/`_b`, named `ko-<kind>_…`)."""
    found = []
    for path in sorted((FIXTURES / "multilingual").glob("*.txt")):
        language, kind = path.stem.split("_")
        found.append((path.stem, f"{language}-{kind[0]}", path.read_text(encoding="utf-8")))
    for path in sorted((FIXTURES / "korean").glob("*.txt")) if korean else []:
        topic, kind = path.stem.split("_")
        text = path.read_text(encoding="utf-8")
        found.append((f"ko-{path.stem}", f"ko-{topic}-{kind[0]}", text))
    if unspaced:
        for folder, events in _EVENTS.items():
            for name, event in events.items():
                text = (FIXTURES / folder / f"{name}.txt").read_text(encoding="utf-8")
                found.append((name, event, text))
    return found


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering against the gold one."""
    precision = recall = 0.0
    for item in predicted:
        same_predicted = {other for other in predicted if predicted[other] == predicted[item]}
        same_gold = {other for other in gold if gold[other] == gold[item]}
        shared = len(same_predicted & same_gold)
        precision += shared / len(same_predicted)
        recall += shared / len(same_gold)
    precision, recall = precision / len(predicted), recall / len(predicted)
    return precision, recall, 2 * precision * recall / (precision + recall)


def stream(order: Sequence[Report]) -> dict[str, str]:
    """Each report's story, placed one minute after the one before, in an empty store."""
    store = SqliteStore(":memory:")
    stories = {}
    for index, (name, _, text) in enumerate(order):
        placement = place(
            f"{index:032x}",
            source=f"outlet{index}.example",
            title=None,
            text=text,
            published_at=None,
            fetched_at=None,
            store=store,
            now=NOW + timedelta(minutes=index),
        )
        assert placement.story_id is not None  # every text with words is placed
        stories[name] = placement.story_id
    return stories


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5, help="shuffled orders (default 5)")
    parser.add_argument("--unspaced", action="store_true", help="Myanmar, Khmer, Lao too")
    parser.add_argument("--korean", action="store_true", help="the Korean set too")
    args = parser.parse_args(argv)
    found = reports(unspaced=args.unspaced, korean=args.korean)
    gold = {name: event for name, event, _ in found}
    scores = []
    for seed in range(args.orders):
        order = found[:]
        random.Random(seed).shuffle(order)
        scores.append(bcubed(stream(order), gold))
    mean = [sum(score[i] for score in scores) / len(scores) for i in range(3)]
    worst = min(scores, key=lambda score: score[2])
    print(f"{len(found)} reports of {len(set(gold.values()))} events, {args.orders} orders")
    print(f"B-cubed mean: P {mean[0]:.3f}  R {mean[1]:.3f}  F1 {mean[2]:.3f}")
    print(f"worst order:  P {worst[0]:.3f}  R {worst[1]:.3f}  F1 {worst[2]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
