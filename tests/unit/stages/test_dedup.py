"""Exact dedup through `run_decide`: how long a content hash is owned, with and without the
lines a source's learned boilerplate drops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from newsflow.model import Article, Origin
from newsflow.pipeline import DecideSettings, run_decide, run_recrawl
from newsflow.stages.boilerplate import BoilerplateSettings
from newsflow.stages.extract import extract
from newsflow.stages.ingest import ingest
from newsflow.store.sqlite import SqliteStore

NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TEXT = "\n\n".join(
    f"Paragraph {n}: the council met on day {n} and approved {n * 11} new bus routes for the "
    "northern districts after a long public consultation with residents and drivers."
    for n in range(1, 7)
)
PLUG = "The Example Gazette has served the valley towns and their people since the year 1921."
ONE_HOUR = DecideSettings(dedup_ttl_seconds=3600)
PLUG_LEARNED = DecideSettings(
    dedup_ttl_seconds=3600, boilerplate=BoilerplateSettings(min_documents=2)
)


def article(url: str, text: str = TEXT, at: datetime = NOW) -> Article:
    raw = orjson.dumps({"url": url, "text": text, "fetched_at": at.isoformat()})
    result = ingest(raw, now=at)
    assert isinstance(result, Article)
    return result


def decide(
    store: SqliteStore, a: Article, at: datetime, settings: DecideSettings | None = None
) -> tuple[str, str | None]:
    outcome = run_decide(
        a, extract(a), store=store, now=at, origin=Origin(), original=b"", settings=settings
    )
    return outcome.kind, outcome.event.get("duplicate_of")


def learn_the_plug(store: SqliteStore) -> None:
    """Two articles of example.com carry the plug line: from now on it is its boilerplate."""
    for n in (1, 2):
        own = f"{PLUG}\n\nStory {n}: " + TEXT.replace("council", f"council of town {n}")
        assert decide(store, article(f"https://example.com/{n}", own), NOW, PLUG_LEARNED)[0] == (
            "clean"
        )


def test_a_content_hash_is_owned_for_the_configured_ttl_then_won_again() -> None:
    store = SqliteStore(":memory:")
    first = article("https://example.com/a")
    assert decide(store, first, NOW, ONE_HOUR) == ("clean", None)
    within = article("https://mirror.example.net/a", at=NOW + HOUR / 2)
    assert decide(store, within, NOW + HOUR / 2, ONE_HOUR) == ("duplicate", first.article_id)
    after = article("https://other.example.org/a", at=NOW + 2 * HOUR)
    assert decide(store, after, NOW + 2 * HOUR, ONE_HOUR) == ("clean", None)


def test_by_default_a_content_hash_is_owned_for_30_days() -> None:
    """The README's default for `NEWSFLOW_DEDUP_TTL_SECONDS` (2592000)."""
    store = SqliteStore(":memory:")
    first = article("https://example.com/a")
    assert decide(store, first, NOW) == ("clean", None)
    day_29, day_31 = NOW + timedelta(days=29, hours=23), NOW + timedelta(days=30, hours=1)
    assert decide(store, article("https://mirror.example.net/a", at=day_29), day_29) == (
        "duplicate",
        first.article_id,
    )
    assert decide(store, article("https://other.example.org/a", at=day_31), day_31) == (
        "clean",
        None,
    )


def test_a_text_claimed_without_its_learned_boilerplate_is_owned_for_the_ttl_too() -> None:
    """The claim made on the text without the plug (a second store call) is held, from the
    decision's time, for the configured TTL, as the first claim is."""
    store = SqliteStore(":memory:")
    learn_the_plug(store)
    first = article("https://example.com/3", f"{PLUG}\n\n{TEXT}")
    assert decide(store, first, NOW, PLUG_LEARNED) == ("clean", None)
    within = article("https://mirror.example.net/3", at=NOW + HOUR / 2)  # no plug: same text
    assert decide(store, within, NOW + HOUR / 2, PLUG_LEARNED) == ("duplicate", first.article_id)
    after = article("https://other.example.org/3", at=NOW + 2 * HOUR)
    assert decide(store, after, NOW + 2 * HOUR, PLUG_LEARNED) == ("clean", None)


def test_a_re_crawl_of_an_article_that_lost_boilerplate_skips_extraction() -> None:
    """The claim on the text without the plug marks the raw body, as the first claim does."""
    store = SqliteStore(":memory:")
    learn_the_plug(store)
    first = article("https://example.com/3", f"{PLUG}\n\n{TEXT}")
    assert decide(store, first, NOW, PLUG_LEARNED) == ("clean", None)
    again = article("https://example.com/3", f"{PLUG}\n\n{TEXT}", at=NOW + HOUR / 2)
    shortcut = run_recrawl(again, store=store, now=NOW + HOUR / 2, settings=PLUG_LEARNED)
    assert shortcut is not None
    assert (shortcut.kind, shortcut.event["duplicate_of"]) == ("duplicate", first.article_id)
