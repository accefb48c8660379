"""Re-crawls (byte-identical bodies) are decided before extraction, with the same outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from newsflow.model import Article, Origin
from newsflow.pipeline import run_decide, run_recrawl
from newsflow.rejection import Rejection
from newsflow.stages import recrawl
from newsflow.stages.extract import extract
from newsflow.stages.ingest import ingest
from newsflow.store.sqlite import SqliteStore

NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)
BODY = (
    "<html><body><article>"
    + "".join(
        f"<p>Paragraph {n}: the council met on day {n} and approved {n * 11} new bus routes for "
        "the northern districts after a long public consultation.</p>"
        for n in range(1, 8)
    )
    + "</article></body></html>"
)


def article(url: str, html: str = BODY, minute: int = 0) -> Article:
    fetched = (NOW + timedelta(minutes=minute)).isoformat()
    raw = orjson.dumps({"url": url, "html": html, "fetched_at": fetched})
    result = ingest(raw, now=NOW)
    assert isinstance(result, Article)
    return result


def decide(store: SqliteStore, a: Article) -> tuple[str, str | None]:
    """The outcome the full path gives (extraction included)."""
    outcome = run_decide(a, extract(a), store=store, now=NOW, origin=Origin(), original=b"")
    return outcome.kind, outcome.event.get("duplicate_of")


def test_a_recrawl_is_a_duplicate_of_the_first_copy_without_extraction() -> None:
    store = SqliteStore(":memory:")
    first = article("https://example.com/a")
    assert decide(store, first) == ("clean", None)
    again = article("https://example.com/a", minute=30)  # re-crawl: new fetched_at, new id
    shortcut = run_recrawl(again, store=store, now=NOW)
    assert shortcut is not None
    assert (shortcut.kind, shortcut.event["duplicate_of"]) == ("duplicate", first.article_id)
    assert shortcut.event["method"] == "exact"
    clean_hash = run_decide(first, extract(first), store=store, now=NOW, origin=Origin(),
                            original=b"").event["content_hash"]  # fmt: skip
    assert shortcut.event["content_hash"] == clean_hash


def test_the_shortcut_gives_what_extraction_would_have_given() -> None:
    fast, slow = SqliteStore(":memory:"), SqliteStore(":memory:")
    stream = [
        article("https://example.com/a"),
        article("https://mirror.example.net/a"),  # same body elsewhere: exact duplicate of a
        article("https://example.com/a", minute=5),  # re-crawl of a
        article("https://mirror.example.net/a", minute=5),  # re-crawl of the duplicate
        article("https://example.com/b", BODY.replace("council", "assembly")),
    ]
    with_shortcut = []
    for a in stream:
        shortcut = run_recrawl(a, store=fast, now=NOW)
        if shortcut is None:
            with_shortcut.append(decide(fast, a))
        else:
            with_shortcut.append((shortcut.kind, shortcut.event["duplicate_of"]))
    without = [decide(slow, a) for a in stream]
    assert with_shortcut == without
    assert run_recrawl(stream[3], store=fast, now=NOW) is not None  # it did take the shortcut


def test_a_redelivered_first_copy_is_decided_the_whole_way() -> None:
    store = SqliteStore(":memory:")
    first = article("https://example.com/a")
    decide(store, first)
    assert run_recrawl(first, store=store, now=NOW) is None
    assert decide(store, first) == ("clean", None)  # never a duplicate of itself


def test_a_body_whose_extraction_failed_is_not_remembered() -> None:
    store = SqliteStore(":memory:")
    first = article("https://example.com/a")
    failed = run_decide(first, Rejection("extraction_timeout", "slow"), store=store, now=NOW,
                        origin=Origin(), original=b"")  # fmt: skip
    assert failed.kind == "dlq"
    assert run_recrawl(article("https://example.com/a", minute=9), store=store, now=NOW) is None


def test_a_marker_naming_the_lines_its_text_lost_still_decides_re_crawls() -> None:
    """The lines a body's text lost as learned boilerplate are kept beside its marker, under a
    key of their own: in the marker's value they made the previous release fail on it (three
    fields expected), in a rolling upgrade or after a rollback. Re-crawls read the marker as
    before, and only the article that set it reads the lines."""
    store = SqliteStore(":memory:")
    first = article("https://example.com/a")
    later = article("https://example.com/a", minute=5)
    mark = recrawl.mark(first, "h1", {7, 2})
    store.claim("hash:h1", first.article_id, ttl_seconds=60, now=NOW.timestamp(), mark=mark)
    marked = store.peek(mark.key, now=NOW.timestamp())
    lines = store.peek(mark.key + ":lines", now=NOW.timestamp())
    assert marked is not None and len(marked.split(" ")) == 3
    assert (marked, lines) == (f"{first.article_id} {first.article_id} h1", "2,7")
    assert recrawl.recognize(later, store, now=NOW.timestamp()) == recrawl.Recrawl(
        first.article_id, "h1"
    )
    found = recrawl.first_text(first, marked, lines)
    assert found == recrawl.FirstText("h1", frozenset({2, 7}))
    assert recrawl.first_text(later, marked, lines) is None


def test_a_recrawl_of_a_duplicate_is_a_duplicate_of_the_texts_owner() -> None:
    """The mirror's page differs (its body was never seen) but its text is the first's: its
    re-crawl names the first article, as extracting it would, not the mirror; the mirror
    itself redelivered is decided the whole way, as a first article is."""
    store = SqliteStore(":memory:")
    first = article("https://example.com/a")
    mirrored = BODY.replace("<body>", "<body><!-- mirrored -->")
    copy = article("https://mirror.example.net/a", mirrored)
    assert decide(store, first) == ("clean", None)
    assert decide(store, copy) == ("duplicate", first.article_id)
    assert run_recrawl(copy, store=store, now=NOW) is None  # redelivered: the whole way
    shortcut = run_recrawl(article("https://mirror.example.net/a", mirrored, 30), store=store,
                           now=NOW)  # fmt: skip
    assert shortcut is not None and shortcut.event["duplicate_of"] == first.article_id
