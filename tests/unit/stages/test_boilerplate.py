"""Boilerplate learned per source: lines many of a source's articles share are dropped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsflow.model import Extraction
from newsflow.stages.boilerplate import (
    MAX_COUNTED_LINES,
    BoilerplateSettings,
    drop_lines,
    line_hash,
    line_hashes,
    strip_learned_boilerplate,
)
from newsflow.store.sqlite import SqliteStore

NOW = 1_700_000_000.0
PLUG = "Get our free morning briefing, the five stories you need, every weekday at six."
SETTINGS = BoilerplateSettings(min_documents=3, ttl_seconds=3600)


def paragraph(n: int) -> str:
    return (
        f"Story number {n} reports that the council met on day {n} and voted on measure {n}, "
        f"which residents of ward {n} had asked for since the spring."
    )


def extraction(text: str) -> Extraction:
    return Extraction(
        text=text, title="t", authors=[], published_at=None, sitename=None, language="en",
        description=None, image=None, tags=[], extractor_name="x", extractor_version="1",
        quality=1.0,
    )  # fmt: skip


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def article(n: int) -> Extraction:
    return extraction(f"{paragraph(n)}\n{paragraph(n + 100)}\n{PLUG}")


def test_a_line_every_article_of_a_source_has_is_dropped_once_learned(
    store: SqliteStore,
) -> None:
    texts = [
        strip_learned_boilerplate("a.example", article(n), store, now=NOW, settings=SETTINGS).text
        for n in range(5)
    ]
    assert [PLUG in text for text in texts] == [True, True, False, False, False]
    assert texts[4] == f"{paragraph(4)}\n{paragraph(104)}"


def test_another_source_has_not_learned_it(store: SqliteStore) -> None:
    for n in range(5):
        strip_learned_boilerplate("a.example", article(n), store, now=NOW, settings=SETTINGS)
    other = strip_learned_boilerplate("b.example", article(9), store, now=NOW, settings=SETTINGS)
    assert PLUG in other.text


def test_the_same_article_again_is_left_whole_for_dedup(store: SqliteStore) -> None:
    results = [
        strip_learned_boilerplate("a.example", article(1), store, now=NOW + n, settings=SETTINGS)
        for n in range(5)
    ]
    assert {result.text for result in results} == {article(1).text}


def test_a_text_mostly_of_known_lines_is_left_whole() -> None:
    text = f"{paragraph(1)}\n{paragraph(2)}\n{paragraph(3)}"
    assert drop_lines(extraction(text), {0, 1}).text == text
    assert drop_lines(extraction(text), {1}).text == f"{paragraph(1)}\n{paragraph(3)}"


def test_line_hashes_ignore_case_spacing_and_quote_style() -> None:
    assert line_hash("It’s  the LATEST") == line_hash("it's the latest")
    assert line_hash("one line") != line_hash("another line")


def test_the_lines_of_a_text_hash_as_each_line_alone() -> None:
    text = "It’s  the LATEST\nﬁne print — here\n\n  Café\u0301 "
    assert line_hashes(text) == [line_hash(line) for line in text.split("\n")]


def test_only_the_first_thousand_lines_are_counted() -> None:
    """A text of 250,000 lines sent every line to the store in one call, past its timeout."""
    lines = [f"Item {n} rose {n % 7} points." for n in range(5000)]
    assert line_hashes("\n".join(lines)) == [line_hash(line) for line in lines[:MAX_COUNTED_LINES]]
