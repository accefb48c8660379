"""Boilerplate learned per source: lines many of a source's articles share are dropped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

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
from newsflow.stages.quality import score_quality
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


def words(n: int, word: str = "council") -> str:
    return " ".join([word] * n)


def test_by_default_a_line_four_articles_of_a_source_had_is_boilerplate(
    store: SqliteStore,
) -> None:
    """(The README's "4 or more articles"; the article being decided is one of them.)"""
    texts = [
        strip_learned_boilerplate("a.example", article(n), store, now=NOW).text for n in range(5)
    ]
    assert [PLUG in text for text in texts] == [True, True, True, False, False]


def test_dropping_lines_may_leave_20_words_and_half_of_them_no_fewer() -> None:
    def kept(*lines: str) -> str:
        return drop_lines(extraction("\n".join(lines)), {1}).text

    assert kept(words(20), words(10, "plug")) == words(20)
    assert kept(words(19), words(10, "plug")) == f"{words(19)}\n{words(10, 'plug')}"
    assert kept(words(30), words(30, "plug")) == words(30)  # half the words
    assert kept(words(30), words(32, "plug")) == f"{words(30)}\n{words(32, 'plug')}"


def test_dropping_lines_can_lower_the_quality_never_raise_it() -> None:
    """The quality is the lower of the extraction's and the remaining text's scores."""
    whole = f"{paragraph(1)}\n{paragraph(2)}\n{paragraph(3)}"
    modest = replace(extraction(whole), quality=0.05)
    assert drop_lines(modest, {2}).quality == 0.05
    dropped = drop_lines(extraction(whole), {2})
    assert dropped.quality == score_quality(dropped.text) < 1.0


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
    assert MAX_COUNTED_LINES == 1000
