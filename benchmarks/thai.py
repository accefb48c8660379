"""What Thai word splitting costs: `python -m benchmarks.thai`.

Prints the dictionary's load time and resident memory, the cost per Thai character of the
text features (shingles, signature, story terms) on news text (the test fixtures' Thai
reports, no run split from memory), and on hostile messages: one
run of random Thai letters, the same in runs of 500, and random characters of the whole Thai
block (its signs break the text into many short tokens). The splitting itself is bounded per
text (`newsflow.stages.thai.MAX_RUN_CHARS`, `MAX_TEXT_CHARS`); what remains grows with the
text, as for any text.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from newsflow.stages.features import text_features
from newsflow.stages.fingerprint import normalize_lines, normalize_text, normalized_words
from newsflow.stages.stories import StorySettings
from newsflow.stages.thai import _split_run, thai_words

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "unspaced"
LETTERS = "กขคงจฉชซญดตถทนบปผพฟมยรลวศสหอฮะาิีึืุูเแโใไ่้๊๋็์ั"
BLOCK = "".join(map(chr, range(0x0E01, 0x0E5C)))
REPEATS = 21


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def seconds(work: Callable[[], object]) -> float:
    """The work's time, every cache of words emptied first (no run is split from memory)."""
    for cache in (normalize_text, normalize_lines, normalized_words, _split_run):
        cache.cache_clear()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def news() -> str:
    """The fixtures' three Thai reports, one after the other."""
    return "\n".join(
        (FIXTURES / name).read_text() for name in ("flood_a_1.txt", "flood_a_2.txt", "flood_b.txt")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hostile", type=int, default=3_200_000, help="characters (3.2 M)")
    args = parser.parse_args(argv)
    stories = StorySettings()
    before = resident_mb()
    load = seconds(lambda: thai_words("ประชาชนอพยพ"))
    print(f"dictionary: loaded in {load:.2f} s, +{resident_mb() - before:.0f} MB resident")
    text = news()
    runs = [seconds(partial(text_features, None, text, stories)) for _ in range(REPEATS)]
    each = sorted(runs)[REPEATS // 2] / len(text) * 1e6
    print(f"news text, {len(text):,} characters: {each:.1f} µs a character (median of {REPEATS})")
    rng = random.Random(1)
    run = "".join(rng.choice(LETTERS) for _ in range(args.hostile))
    spaced = " ".join(run[i : i + 500] for i in range(0, len(run), 500))
    block = "".join(rng.choice(BLOCK) for _ in range(args.hostile))
    for name, hostile in (
        ("one run of random letters", run),
        ("random letters in runs of 500", spaced),
        ("random characters of the Thai block", block),
    ):
        spent = seconds(partial(text_features, None, hostile, stories))
        print(f"{name}, {len(hostile):,} characters: {spent:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
