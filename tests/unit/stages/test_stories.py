"""Story grouping: vectors, event time, and online assignment against a store."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from itertools import permutations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.stages.background import BACKGROUND_DOCUMENTS, background_share
from newsflow.stages.stories import (
    StorySettings,
    _most_frequent,
    counted_terms,
    event_time,
    plan_story,
    vectorize,
)
from newsflow.stages.story_terms import terms
from newsflow.store.records import StoryChoice
from newsflow.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[3]
SEEDS = sorted((ROOT / "samples").glob("0*.txt"))
OTHER_EVENT = ROOT / "tests" / "fixtures" / "stories" / "other-missile-event.txt"
NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)
T0 = NOW.timestamp()


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def join(store: SqliteStore, article_id: str, text: str, at: float, **kw: object) -> str:
    """Plan and commit, as `placement.place` does; return the story id the store chose."""
    plan = plan_story(article_id, None, text, store, source="s", at=at, **kw)  # type: ignore[arg-type]
    stored = store.commit_decision(
        article_id,
        {"story_id": plan.update.story_id},
        story=plan.update,
        choice=plan.choice,
        ttl_seconds=3600,
        now=at,
    )
    return str(stored["story_id"])


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcE:", min_size=1, max_size=4),
        st.sampled_from([1.0, 2.0, 3.0, 5.0, 6.0, 10.0]),
        max_size=120,
    ),
    st.integers(min_value=1, max_value=60),
)
def test_the_counted_terms_are_the_first_k_of_all_terms_sorted(
    counts: dict[str, float], k: int
) -> None:
    by_sorting_all = dict(sorted(counts.items(), key=lambda i: (-i[1], i[0]))[:k])
    found = _most_frequent(counts, k)
    assert list(found.items()) == list(by_sorting_all.items())


def test_vectors_are_unit_length_and_keep_the_heaviest_terms() -> None:
    counts = {"zorblat": 3.0, "quimbly": 3.0, "frendex": 1.0}  # no words of the language
    vector = vectorize(counts, 1000, [0, 900, 5], size=2, language="en")
    assert list(vector) == ["zorblat", "frendex"]
    assert sum(w * w for w in vector.values()) == pytest.approx(1.0)


def test_a_term_weighs_its_sublinear_count_times_its_smoothed_idf() -> None:
    """(1 + ln tf) × ln((N + 2 + B) / (df + 1.5)) for a language without a background list:
    the article itself is counted in, and B documents of the language at large."""
    counts = {"zorblat": 10.0, "quimbly": 1.0, "frendex": 1.0}
    vector = vectorize(counts, 3, [0, 0, 3], size=3, language="xx")
    documents = 3 + 2 + BACKGROUND_DOCUMENTS
    assert vector["zorblat"] / vector["quimbly"] == pytest.approx(1 + math.log(10))
    assert vector["quimbly"] / vector["frendex"] == pytest.approx(
        math.log(documents / 1.5) / math.log(documents / 4.5)
    )


def test_of_terms_that_weigh_alike_the_vector_keeps_the_alphabetically_first() -> None:
    vector = vectorize({"cobalt": 1.0, "amber": 1.0, "bronze": 1.0}, 9, [0, 0, 0], size=2,
                       language="xx")  # fmt: skip
    assert list(vector) == ["amber", "bronze"]


def test_a_name_common_in_the_language_weighs_less_than_a_rare_one_in_a_new_window() -> None:
    # Nothing seen yet: the window cannot tell them apart, the language at large can.
    counts = {"E:monday": 5.0, "E:klitschko": 5.0, "E:police": 5.0, "E:kurpiewski": 5.0}
    vector = vectorize(counts, 0, [0, 0, 0, 0], size=4, language="en")
    assert vector["E:klitschko"] == vector["E:kurpiewski"]
    assert vector["E:monday"] < vector["E:klitschko"]
    assert vector["E:police"] < vector["E:monday"]  # (police is the commoner word)


def test_the_window_still_counts_over_the_language_at_large() -> None:
    # A rare name every article of the window holds weighs less than a common word none does.
    counts = {"E:klitschko": 5.0, "E:police": 5.0}
    vector = vectorize(counts, 5000, [5000, 0], size=2, language="en")
    assert vector["E:klitschko"] < vector["E:police"]


def test_the_language_at_large_is_the_texts_own() -> None:
    assert background_share("E:polizei", "de") > 0.01
    assert background_share("E:polizei", "en") == 0.0
    assert background_share("police", "en") > background_share("monday", "en") > 0.0


def test_numbers_years_and_languages_without_a_list_have_no_background() -> None:
    assert background_share("N:2", "en") == background_share("Y:2008", "en") == 0.0
    assert background_share("police", "xx") == 0.0
    assert background_share("E:police", "th") == 0.0  # (Thai: wordfreq has no list)


def test_japanese_korean_and_chinese_terms_have_their_language_s_background() -> None:
    """They were read as English, and none of their terms had a share: 地震 "earthquake"
    weighed as much as the town it struck."""
    assert background_share("地震", "ja") > 10 * background_share("輪島", "ja")
    assert background_share("地震", "zh") > 0.01
    assert background_share("화재", "ko") > 0.01  # "fire"


def test_a_name_span_is_as_common_as_its_rarest_word() -> None:
    assert background_share("E:police klitschko", "en") == background_share("E:klitschko", "en")
    assert background_share("E:los angeles", "en") == min(
        background_share("E:los", "en"), background_share("E:angeles", "en")
    )


def test_the_counted_terms_come_with_the_language_whose_words_they_are() -> None:
    german = "Die Polizei hat am Montag in der Stadt einen Mann festgenommen, der mit dem Auto"
    assert counted_terms(None, german, StorySettings())[1] == "de"
    assert counted_terms(None, SEEDS[0].read_text(), StorySettings())[1] == "en"


def test_an_article_counts_its_50_most_frequent_terms_and_keeps_50_in_its_vector(
    store: SqliteStore,
) -> None:
    text = SEEDS[0].read_text()
    assert len(terms(None, text)) > 50
    plan = plan_story("a" * 32, None, text, store, source="s", at=T0)
    assert len(plan.update.counted_terms) == StorySettings().counted_terms == 50
    assert len(plan.update.centroid) == StorySettings().vector_terms == 50
    assert len(plan.update.index_terms) == StorySettings().index_terms


def test_event_time_prefers_published_then_fetched_then_now() -> None:
    assert (
        event_time("2024-09-09", "2024-09-10T08:00:00Z", NOW)
        == datetime(2024, 9, 9, tzinfo=UTC).timestamp()
    )
    assert (
        event_time(None, "2024-09-10T08:00:00Z", NOW)
        == datetime(2024, 9, 10, 8, tzinfo=UTC).timestamp()
    )
    assert event_time(None, None, NOW) == T0
    # A publication date after the fetch is a parsing accident; so is garbage.
    assert event_time("2030-01-01", None, NOW) == T0
    assert event_time("yesterday", None, NOW) == T0


def test_a_publication_more_than_a_day_after_the_fetch_is_a_parsing_accident() -> None:
    """Up to a day after the fetch is a time zone or a clock off; later, before now, is not."""
    fetched = "2024-09-08T08:00:00Z"
    fetch_time = datetime(2024, 9, 8, 8, tzinfo=UTC).timestamp()
    assert event_time("2024-09-09T08:00:00Z", fetched, NOW) == fetch_time + 86_400
    assert event_time("2024-09-09T08:00:01Z", fetched, NOW) == fetch_time
    assert event_time("2024-09-10T08:00:00Z", fetched, NOW) == fetch_time


@pytest.fixture
def local_time_is_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time 5 h 45 min ahead of UTC (a POSIX rule: no time zone files)."""
    monkeypatch.setenv("TZ", "NPT-5:45")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_is_not_utc")
def test_a_date_without_an_offset_is_utc_whatever_the_local_time() -> None:
    midnight = datetime(2024, 9, 9, tzinfo=UTC).timestamp()
    assert event_time("2024-09-09", None, NOW) == midnight
    assert event_time(None, "2024-09-09T00:00:00", NOW) == midnight
    assert event_time("2024-09-09T05:45:00+05:45", None, NOW) == midnight


def test_the_five_seed_reports_share_a_story_the_other_missile_event_does_not(
    store: SqliteStore,
) -> None:
    ids = [join(store, f"{n:032x}", path.read_text(), T0 + n) for n, path in enumerate(SEEDS)]
    assert ids == [f"{0:032x}"] * 5  # named after its first article
    assert join(store, "f" * 32, OTHER_EVENT.read_text(), T0 + 10) == "f" * 32


def test_a_story_id_is_stable_once_assigned(store: SqliteStore) -> None:
    first = join(store, "a" * 32, SEEDS[0].read_text(), T0)
    for n, path in enumerate(SEEDS[1:], start=1):
        assert join(store, f"{n:032x}", path.read_text(), T0 + n) == first
    [summary] = store.top_stories(limit=5, since=T0 - 1)
    assert (summary.story_id, summary.size) == (first, 5)


def test_articles_further_apart_than_the_window_found_new_stories(store: SqliteStore) -> None:
    window = StorySettings(window_seconds=3600)
    first = join(store, "a" * 32, SEEDS[0].read_text(), T0, settings=window)
    later = join(store, "b" * 32, SEEDS[1].read_text(), T0 + 7200, settings=window)
    assert later != first


def test_a_near_duplicate_joins_the_story_of_its_original(store: SqliteStore) -> None:
    join(store, "a" * 32, SEEDS[0].read_text(), T0)
    plan = plan_story(
        "b" * 32, None, "unrelated words", store, source="s", at=T0, story_of_original="a" * 32
    )
    assert (plan.update.story_id, plan.choice, plan.update.centroid) == ("a" * 32, None, {})
    assert plan.update.index_terms == []  # nor is the story found by its terms


MULTILINGUAL = ROOT / "tests" / "fixtures" / "multilingual"


@pytest.mark.parametrize("language", ["de", "es", "fr"])
def test_reports_of_one_event_share_a_story_another_event_of_its_kind_does_not(
    store: SqliteStore, language: str
) -> None:
    """Two outlets' reports of one event in one language, another event of the same kind and an
    unrelated report: the French floods of the Gard joined those of the Pas-de-Calais, their
    heaviest shared terms des, ont, plus, dans."""
    a1, a2, b, u = (
        (MULTILINGUAL / f"{language}_{k}.txt").read_text() for k in ("a1", "a2", "b", "u")
    )
    first = join(store, "a" * 32, a1, T0)
    assert join(store, "b" * 32, a2, T0 + 60) == first
    assert join(store, "c" * 32, b, T0 + 120) != first
    assert join(store, "d" * 32, u, T0 + 180) not in (first, "c" * 32)


def test_another_japanese_quake_founds_its_own_story(store: SqliteStore) -> None:
    """Two reports of the Noto quake, then one of a quake elsewhere: it joined their story, on
    the quake vocabulary (地震, 震度, 気象庁) that weighed as much as the places while every
    Japanese term was as rare as any other."""
    a1, a2, b = ((MULTILINGUAL / f"ja_{k}.txt").read_text() for k in ("a1", "a2", "b"))
    first = join(store, "a" * 32, a1, T0)
    assert join(store, "b" * 32, a2, T0 + 60) == first
    assert join(store, "c" * 32, b, T0 + 120) != first


KOREAN = ROOT / "tests" / "fixtures" / "korean"


@pytest.mark.parametrize(
    "reports",
    [
        [MULTILINGUAL / f"ko_{k}.txt" for k in ("a1", "a2", "b")],  # Seoul, Busan fires
        *([KOREAN / f"{kind}_{k}.txt" for k in ("a1", "a2", "b")]
          for kind in ("quake", "bus", "rain", "warehouse")),
    ],
    ids=["fires", "quakes", "bus-crashes", "floods", "warehouse-fires"],
)  # fmt: skip
def test_two_korean_reports_of_one_event_share_a_story_and_another_event_founds_its_own(
    reports: list[Path],
) -> None:
    """In every order, in an empty store. A Busan factory fire joined the story of a Seoul
    apartment fire in all six orders: their heaviest shared terms were particles' forms (명이,
    불을, 것으로) and bare numbers (2 dead in Seoul, 2 hours in Busan); and the Pohang quake's
    two reports founded two stories (`newsflow.stages.korean`)."""
    texts = {path.stem.rsplit("_", 1)[1]: path.read_text() for path in reports}
    for order in permutations(["a1", "a2", "b"]):
        with closing(SqliteStore(":memory:")) as fresh:
            story = {
                k: join(fresh, f"{i:032x}", texts[k], T0 + 60 * i) for i, k in enumerate(order)
            }
        assert story["a1"] == story["a2"], order
        assert story["b"] not in (story["a1"], story["a2"]), order


def test_the_store_chooses_and_keeps_a_story_with_the_settings_given(store: SqliteStore) -> None:
    own = StorySettings(threshold=0.3, window_seconds=3600, candidates=2, postings=7)
    plan = plan_story("a" * 32, None, SEEDS[0].read_text(), store, source="s", at=T0,
                      settings=own)  # fmt: skip
    assert plan.choice == StoryChoice(threshold=0.3, candidates=2, window_seconds=3600, postings=7)
    assert plan.update.ttl_seconds == 3600


def test_an_article_counts_keeps_and_indexes_as_many_terms_as_the_settings_say(
    store: SqliteStore,
) -> None:
    own = StorySettings(counted_terms=10, vector_terms=5, index_terms=3, centroid_terms=30)
    plan = plan_story("a" * 32, None, SEEDS[0].read_text(), store, source="s", at=T0,
                      settings=own)  # fmt: skip
    update = plan.update
    assert (len(update.counted_terms), len(update.centroid), len(update.index_terms)) == (10, 5, 3)
    assert update.centroid_terms == 30


def test_document_frequencies_count_only_the_days_of_the_story_window(
    store: SqliteStore,
) -> None:
    """An article further back than the window (kept by day) weighs no term of a later one."""
    day = StorySettings(window_seconds=86_400)
    join(store, "a" * 32, SEEDS[0].read_text(), T0, settings=day)
    later = plan_story("b" * 32, None, SEEDS[1].read_text(), store, source="s",
                       at=T0 + 2 * 86_400, settings=day)  # fmt: skip
    with closing(SqliteStore(":memory:")) as empty:
        alone = plan_story("b" * 32, None, SEEDS[1].read_text(), empty, source="s",
                           at=T0 + 2 * 86_400, settings=day)  # fmt: skip
    assert later.update.centroid == alone.update.centroid
    near = plan_story("b" * 32, None, SEEDS[1].read_text(), store, source="s",
                      at=T0 + 3600, settings=day)  # fmt: skip
    assert near.update.centroid != alone.update.centroid  # (within it, the first counts)
