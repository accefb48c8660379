"""`run_decide` when a step after the exact-dedup claim raises: a dead-lettered article owns
nothing in the store, unless the failure is one that is tried again as it stands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from newsflow import pipeline
from newsflow.errors import StoreUnavailable
from newsflow.model import Article, Origin
from newsflow.pipeline import DecideSettings, run_decide, run_recrawl
from newsflow.stages.boilerplate import BoilerplateSettings
from newsflow.stages.extract import extract
from newsflow.stages.ingest import ingest
from newsflow.store.records import Claim
from newsflow.store.sqlite import SqliteStore

NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)
TEXT = "\n\n".join(
    f"Paragraph {n}: the council met on day {n} and approved {n * 11} new bus routes for the "
    "northern districts after a long public consultation with residents and drivers."
    for n in range(1, 7)
)
PLUG = "The Example Gazette has served the valley towns and their people since the year 1921."


def article(url: str, text: str = TEXT) -> Article:
    raw = orjson.dumps({"url": url, "text": text, "fetched_at": NOW.isoformat()})
    result = ingest(raw, now=NOW)
    assert isinstance(result, Article)
    return result


def decide(
    store: SqliteStore, a: Article, settings: DecideSettings | None = None
) -> tuple[str, str | None]:
    """The outcome a shell gives: a re-crawl of a body decided before, else the full path."""
    outcome = run_recrawl(a, store=store, now=NOW) or run_decide(
        a, extract(a), store=store, now=NOW, origin=Origin(), original=b"", settings=settings
    )
    return outcome.kind, outcome.event.get("duplicate_of")


@pytest.fixture
def failing_place(monkeypatch: pytest.MonkeyPatch) -> Callable[[BaseException | None], None]:
    """`fail(error)`: the story placement, after the claim, raises `error` (None: works)."""
    place = pipeline.place

    def fail(error: BaseException | None) -> None:
        def placed(*args: Any, **kwargs: Any) -> Any:
            if error is not None:
                raise error
            return place(*args, **kwargs)

        monkeypatch.setattr(pipeline, "place", placed)

    return fail


def test_an_article_whose_decision_raises_after_the_claim_owns_nothing(
    failing_place: Callable[[BaseException | None], None],
) -> None:
    """It is dead-lettered; a copy under another URL (same bytes: the body's mark; spaced
    otherwise: the claim) is then the text's first clean article, and the dead letter
    replayed is a duplicate of the copy. It was the copies that were reported duplicates
    of an article that never reached the clean stream."""
    store = SqliteStore(":memory:")
    first, copy = article("https://example.com/a"), article("https://mirror.example.net/a")
    respaced = article("https://other.example.org/a", TEXT.replace(": ", ":  "))
    failing_place(RuntimeError("a defect this page triggers"))
    with pytest.raises(RuntimeError, match="a defect"):
        decide(store, first)
    failing_place(None)
    assert decide(store, copy) == ("clean", None)
    assert decide(store, first) == ("duplicate", copy.article_id)  # the replay
    assert decide(store, respaced) == ("duplicate", copy.article_id)


def test_a_copy_of_a_dead_lettered_article_is_not_its_near_duplicate(
    failing_place: Callable[[BaseException | None], None],
) -> None:
    store = SqliteStore(":memory:")
    failing_place(RuntimeError("a defect this page triggers"))
    with pytest.raises(RuntimeError):
        decide(store, article("https://example.com/a"))
    failing_place(None)
    rewrite = article("https://other.example.org/a", TEXT.replace("day 3", "the third day"))
    outcome = run_decide(
        rewrite, extract(rewrite), store=store, now=NOW, origin=Origin(), original=b""
    )
    assert outcome.kind == "clean"
    assert outcome.event["dedup"]["status"] == "unique"


def test_a_claim_made_on_the_text_without_learned_boilerplate_is_given_back_too(
    failing_place: Callable[[BaseException | None], None],
) -> None:
    """The plug line recurs in the source: the article claims its text without it."""
    store = SqliteStore(":memory:")
    settings = DecideSettings(boilerplate=BoilerplateSettings(min_documents=2))
    for n in (1, 2):
        own = f"{PLUG}\n\nStory {n}: " + TEXT.replace("council", f"council of town {n}")
        assert decide(store, article(f"https://example.com/{n}", own), settings)[0] == "clean"
    first = article("https://example.com/3", f"{PLUG}\n\n{TEXT}")
    failing_place(RuntimeError("a defect this page triggers"))
    with pytest.raises(RuntimeError):
        decide(store, first, settings)
    failing_place(None)
    copy = article("https://mirror.example.net/3")
    assert decide(store, copy, settings) == ("clean", None)
    assert decide(store, first, settings) == ("duplicate", copy.article_id)  # without the plug


def test_a_retriable_failure_keeps_the_claim_and_is_raised_as_it_is(
    failing_place: Callable[[BaseException | None], None],
) -> None:
    """The store away: the decision is tried again as it stands, and finds its claim."""
    store = SqliteStore(":memory:")
    first, copy = article("https://example.com/a"), article("https://mirror.example.net/a")
    away = StoreUnavailable("Redis is away")
    failing_place(away)
    with pytest.raises(StoreUnavailable) as raised:
        decide(store, first)
    assert raised.value is away
    failing_place(None)
    assert decide(store, first) == ("clean", None)
    assert decide(store, copy) == ("duplicate", first.article_id)


def test_a_redelivered_article_decided_before_keeps_its_claim(
    failing_place: Callable[[BaseException | None], None],
) -> None:
    """Its first delivery was published clean: a failure at a redelivery takes nothing back."""
    store = SqliteStore(":memory:")
    first, copy = article("https://example.com/a"), article("https://mirror.example.net/a")
    assert decide(store, first) == ("clean", None)
    failing_place(RuntimeError("a defect this delivery triggers"))
    with pytest.raises(RuntimeError):
        decide(store, first)
    failing_place(None)
    assert decide(store, copy) == ("duplicate", first.article_id)


class ReleaseRefused(SqliteStore):
    """A store that cannot make the first release: unreachable just then."""

    refused = 0

    def release_claim(self, claim: Claim, *, now: float) -> bool:
        if not self.refused:
            self.refused += 1
            raise StoreUnavailable("Redis went away")
        return super().release_claim(claim, now=now)


def test_a_release_the_store_cannot_make_now_is_raised_retriable(
    failing_place: Callable[[BaseException | None], None],
) -> None:
    """Tried again, the decision fails again and gives the claim back then; the article was
    not dead-lettered holding it."""
    store = ReleaseRefused(":memory:")
    first, copy = article("https://example.com/a"), article("https://mirror.example.net/a")
    failing_place(RuntimeError("a defect this page triggers"))
    with pytest.raises(StoreUnavailable) as raised:
        decide(store, first)
    assert isinstance(raised.value.__cause__, RuntimeError)
    with pytest.raises(RuntimeError):
        decide(store, first)
    failing_place(None)
    assert decide(store, copy) == ("clean", None)
