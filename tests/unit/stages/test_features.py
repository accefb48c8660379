"""Text features computed beside the extraction decide exactly as those computed at decision."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from newsflow import pipeline
from newsflow.model import Article, Extraction, Origin
from newsflow.pipeline import DecideSettings, Outcome, run_decide
from newsflow.stages import placement
from newsflow.stages.boilerplate import line_hashes
from newsflow.stages.features import TextFeatures, text_features
from newsflow.stages.fingerprint import fingerprint
from newsflow.stages.ingest import ingest
from newsflow.stages.neardup import signature
from newsflow.stages.stories import StorySettings, counted_terms
from newsflow.store.sqlite import SqliteStore

NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
SETTINGS = DecideSettings()
STORIES = SETTINGS.placement.stories
PLUG = "Sign up for the Harbour Gazette morning briefing, delivered every weekday at six."


WORDS = [
    "harbour", "council", "dredging", "ward", "residents", "engineers", "bridge", "ferry",
    "tide", "quay", "budget", "vote", "noise", "month", "week", "plan", "phase", "cost",
    "mayor", "river", "lock", "pier", "cargo", "crane", "storm", "flood", "wall", "survey",
    "permit", "fishing", "fleet", "channel", "depth", "silt", "barge", "tender", "contract",
    "inquiry", "report",
]  # fmt: skip


def report(n: int) -> str:
    """Two sentences of their own (no two reports alike) and the source's newsletter plug."""
    words = [WORDS[(n * 7 + k * k * (n + 3)) % len(WORDS)] for k in range(48)]
    return f"{' '.join(words[:24])}.\n{' '.join(words[24:])}.\n{PLUG}"


def extraction(text: str, title: str = "Harbour dredging approved") -> Extraction:
    return Extraction(
        text=text, title=title, authors=[], published_at=None, sitename=None, language="en",
        description=None, image=None, tags=[], extractor_name="x", extractor_version="1",
        quality=1.0,
    )  # fmt: skip


def article(n: int) -> Article:
    raw = orjson.dumps({"url": f"https://gazette.example/{n}", "html": f"<p>{n}</p>"})
    found = ingest(raw, now=NOW)
    assert isinstance(found, Article)
    return found


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def decide(store: SqliteStore, n: int, text: str, features: TextFeatures | None) -> Outcome:
    return run_decide(
        article(n), extraction(text), store=store, now=NOW, origin=Origin(), original=b"",
        settings=SETTINGS, features=features,
    )  # fmt: skip


def test_the_features_are_the_stages_own_results() -> None:
    title, text = "Harbour dredging approved", report(1)
    found = text_features(title, text, STORIES)
    assert found.fingerprint == fingerprint(text)
    assert found.line_hashes == line_hashes(text)
    assert found.signature == signature(text)
    assert (found.counts, found.language) == counted_terms(title, text, STORIES)


def test_features_fit_only_their_own_title_text_and_settings() -> None:
    title, text = "Harbour dredging approved", report(1)
    found = text_features(title, text, STORIES)
    assert found.fits(title, text, STORIES)
    assert not found.fits(title, report(2), STORIES)
    assert not found.fits("Another title", text, STORIES)
    assert not found.fits(title, text, StorySettings(counted_terms=10))


def test_a_run_decided_with_features_is_the_run_decided_without() -> None:
    """Ten reports of one source, three of them again: the plug line becomes learned
    boilerplate (the text changes, so the features must be recomputed), the first repeat is a
    near duplicate (its original kept the plug), the others exact duplicates, and every
    outcome is the same either way."""
    texts = [report(n) for n in range(10)] + [report(2), report(5), report(7)]
    runs: list[list[dict[str, Any]]] = []
    for with_features in (False, True):
        s = SqliteStore(":memory:")
        outcomes = []
        for n, text in enumerate(texts):
            features = text_features(extraction(text).title, text, STORIES)
            outcome = decide(s, n, text, features if with_features else None)
            outcomes.append({"kind": outcome.kind, **outcome.event})
        s.close()
        runs.append(outcomes)
    assert runs[0] == runs[1]
    found = [(o["kind"], (o.get("dedup") or {}).get("status")) for o in runs[1]]
    assert found == [("clean", "unique")] * 10 + [
        ("clean", "near_duplicate"),
        ("duplicate", None),
        ("duplicate", None),
    ]
    assert PLUG in runs[1][0]["text"] and PLUG not in runs[1][9]["text"]


def test_features_that_fit_are_used_instead_of_computed(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = report(1)
    features = text_features(extraction(text).title, text, STORIES)

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("computed again")

    for module, name in [
        (pipeline, "text_features"),
        (placement, "signature"),
        (placement, "counted_terms"),
    ]:
        monkeypatch.setattr(module, name, computed)
    assert decide(store, 1, text, features).kind == "clean"


def test_features_of_another_text_are_not_used(store: SqliteStore) -> None:
    wrong = text_features("Harbour dredging approved", report(2), STORIES)
    outcome = decide(store, 1, report(1), wrong)
    assert outcome.event["content_hash"] == fingerprint(report(1)).content_hash


def test_a_text_with_no_words_once_normalized_is_no_main_text(store: SqliteStore) -> None:
    """Runs of Arabic's elongation (tatweel) count as words where the text is extracted, but
    normalization drops them: such texts were clean and duplicates of one another, all with
    the hash of the empty string."""
    elongations = " ".join(["ــــ"] * 40)
    for n in (1, 2):
        outcome = decide(store, n, elongations, None)
        assert outcome.kind == "dlq"
        assert outcome.event["reason"] == "no_main_text"
    assert decide(store, 3, report(3), None).kind == "clean"


def test_a_redelivered_article_keeps_its_decision_when_its_plug_line_was_learned_since(
    store: SqliteStore,
) -> None:
    """Report 2 came third, its plug line not yet learned (4 articles of a source); the
    fourth taught it. Then a copy of report 2 without the plug arrived. At its
    redelivery report 2 lost the plug, and became a duplicate of that copy of itself."""
    first = [decide(store, n, report(n), None) for n in range(4)]
    assert first[2].kind == "clean" and PLUG in first[2].event["text"]
    assert PLUG not in decide(store, 4, report(4), None).event["text"]  # learned
    plugless = report(2).replace(f"\n{PLUG}", "")
    copy = decide(store, 9, plugless, None)
    assert copy.event["dedup"]["near_duplicate_of"] == first[2].event["article_id"]
    again = decide(store, 2, report(2), None)
    assert again.kind == "clean"
    assert again.event["content_hash"] == first[2].event["content_hash"]
    assert again.event["dedup"] == first[2].event["dedup"]


FOLLOW = "Follow the Harbour Gazette for live updates from the quay, the council and the courts."


def test_a_redelivered_article_keeps_the_text_it_was_decided_on_when_more_lines_recur(
    store: SqliteStore,
) -> None:
    """Reports 4 and 5 came once the plug was learned, and before the follow line was: they
    lost the plug and kept the follow line, 5 a duplicate of 4. Once the follow line was
    learned too, their redeliveries lost it as well: their texts changed, and 5 became
    unique (its new text was nobody's yet)."""
    for n in range(4):
        decide(store, n, report(n), None)  # the plug is learned
    text = f"{report(4)}\n{FOLLOW}"
    first = decide(store, 4, text, None)
    copy = decide(store, 5, text, None)
    assert first.kind == "clean" and FOLLOW in first.event["text"]
    assert PLUG not in first.event["text"]
    assert copy.kind == "duplicate" and copy.event["duplicate_of"] == first.event["article_id"]
    for n in range(6, 10):
        decide(store, n, f"{report(n)}\n{FOLLOW}", None)
    assert FOLLOW not in decide(store, 10, f"{report(10)}\n{FOLLOW}", None).event["text"]
    assert decide(store, 5, text, None).event == copy.event  # redelivered first
    again = decide(store, 4, text, None)
    assert again.event["text"] == first.event["text"]
    assert again.event["content_hash"] == first.event["content_hash"]


def test_a_redelivered_article_whose_text_comes_out_otherwise_drops_the_lines_recurring_now(
    store: SqliteStore,
) -> None:
    """Its first decision dropped the plug, its third line. Extracted again otherwise (another
    extractor version: a heading first, the plug fourth), its third line is a sentence: the
    lines that recur now are dropped, not the first decision's line numbers."""
    for n in range(4):
        decide(store, n, report(n), None)  # the plug is learned
    assert PLUG not in decide(store, 4, report(4), None).event["text"]
    headed = f"Harbour news\n{report(4)}"
    again = decide(store, 4, headed, None)
    assert again.event["text"] == headed.replace(f"\n{PLUG}", "")
