"""Placement: near duplicate + story, decided once per article and remembered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsflow.stages.features import text_features
from newsflow.stages.neardup import NearSettings
from newsflow.stages.placement import Placement, PlacementSettings, index_request, place
from newsflow.stages.stories import StorySettings
from newsflow.store.sqlite import SqliteStore

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
ORIGINAL = (SAMPLES / "002_c29026668af7cc6b.txt").read_text()
OTHER = (SAMPLES / "001_694ca5b908b75097.txt").read_text()
REWRITE = "LONDON (AP) — " + ORIGINAL[: int(len(ORIGINAL) * 0.85)]
NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)
A, B, C = "a" * 32, "b" * 32, "c" * 32


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    s = SqliteStore(":memory:")
    yield s
    s.close()


def put(
    store: SqliteStore,
    article_id: str,
    text: str,
    minutes: int = 0,
    settings: PlacementSettings | None = None,
) -> Placement:
    return place(
        article_id,
        source="example.com",
        title=None,
        text=text,
        published_at=None,
        fetched_at=None,
        store=store,
        now=NOW + timedelta(minutes=minutes),
        settings=settings,
    )


def test_unique_articles_found_or_join_stories(store: SqliteStore) -> None:
    first = put(store, A, ORIGINAL)
    assert first == Placement("unique", story_id=A)
    assert first.dedup() == {
        "status": "unique",
        "near_duplicate_of": None,
        "similarity": None,
        "method": None,
    }
    assert put(store, B, OTHER, 1) == Placement("unique", story_id=A)


def test_a_rewrite_is_a_near_duplicate_in_its_originals_story(store: SqliteStore) -> None:
    put(store, A, ORIGINAL)
    near = put(store, B, REWRITE, 1)
    assert (near.status, near.near_duplicate_of, near.story_id) == ("near_duplicate", A, A)
    assert near.similarity is not None and 0.5 <= near.similarity <= 1
    assert near.dedup()["method"] == "minhash"
    [story] = store.top_stories(limit=1, since=0)
    assert story.size == 2


def test_a_rewrite_joins_its_originals_story_as_its_near_duplicate_not_by_similarity(
    store: SqliteStore,
) -> None:
    """With a story threshold no cosine reaches, similarity joins nothing: the rewrite is in
    A's story because it repeats A (above, similarity alone would put it there too)."""
    settings = PlacementSettings(stories=StorySettings(threshold=1.01))
    put(store, A, ORIGINAL, 0, settings)
    assert put(store, C, OTHER, 1, settings).story_id == C  # (similarity joins nothing)
    near = put(store, B, REWRITE, 2, settings)
    assert (near.status, near.near_duplicate_of, near.story_id) == ("near_duplicate", A, A)


def test_a_rewrite_after_its_originals_story_ended_is_placed_as_any_article(
    store: SqliteStore,
) -> None:
    """With a near-duplicate window longer than the story window, a rewrite joined the story of
    an original from beyond the story window: on Redis that revived the ended story in part
    (its size without the original, no centroid, nobody else could join it)."""
    settings = PlacementSettings(
        NearSettings(window_seconds=4 * 3600), StorySettings(window_seconds=3600)
    )
    put(store, A, ORIGINAL, 0, settings)
    late = put(store, B, REWRITE, 120, settings)
    assert (late.status, late.near_duplicate_of, late.story_id) == ("near_duplicate", A, B)
    later = put(store, C, "WASHINGTON — " + REWRITE, 125, settings)
    assert (later.near_duplicate_of, later.story_id) == (A, B)  # B's story, by similarity


ONLY_AS_NEAR_DUPLICATES = PlacementSettings(  # (no cosine reaches the story threshold)
    NearSettings(window_seconds=4 * 3600), StorySettings(window_seconds=3600, threshold=1.01)
)


def test_a_rewrite_one_story_window_after_its_original_still_joins_its_story(
    store: SqliteStore,
) -> None:
    put(store, A, ORIGINAL, 0, ONLY_AS_NEAR_DUPLICATES)
    near = put(store, B, REWRITE, 60, ONLY_AS_NEAR_DUPLICATES)
    assert (near.near_duplicate_of, near.story_id) == (A, A)


def test_a_rewrite_published_long_before_its_original_is_placed_as_any_article(
    store: SqliteStore,
) -> None:
    """Near duplicates are matched in index order, so the original a rewrite names can be
    published after it: further apart than the story window, before or after, the
    original's story is not the rewrite's. The event times count, not when they were placed."""
    for article_id, text, published, minutes in [
        (A, ORIGINAL, NOW, 0),
        (B, REWRITE, NOW - timedelta(hours=2), 1),
    ]:
        placed = place(
            article_id,
            source="example.com",
            title=None,
            text=text,
            published_at=published.isoformat(),
            fetched_at=None,
            store=store,
            now=NOW + timedelta(minutes=minutes),
            settings=ONLY_AS_NEAR_DUPLICATES,
        )
    assert (placed.near_duplicate_of, placed.story_id) == (A, B)


def test_a_decision_is_remembered_for_the_longer_of_the_two_windows(store: SqliteStore) -> None:
    """Redelivered after its story window, within the near-duplicate window, an article gets
    its first decision (decided again, the rewrite would found a story of its own)."""
    assert ONLY_AS_NEAR_DUPLICATES.memory_seconds == 4 * 3600
    put(store, A, ORIGINAL, 0, ONLY_AS_NEAR_DUPLICATES)
    first = put(store, B, REWRITE, 1, ONLY_AS_NEAR_DUPLICATES)
    assert first.story_id == A
    assert put(store, B, REWRITE, 180, ONLY_AS_NEAR_DUPLICATES) == first


def test_features_of_another_text_are_not_used(store: SqliteStore) -> None:
    other = text_features(None, OTHER, StorySettings())
    assert place(A, source="example.com", title=None, text=ORIGINAL, published_at=None,
                 fetched_at=None, store=store, now=NOW, features=other).story_id == A  # fmt: skip
    assert put(store, B, REWRITE, 1).near_duplicate_of == A


class Counting(SqliteStore):
    """A store that counts the index requests it answers."""

    asked = 0

    def index_and_term_statistics(self, *args: Any, **kwargs: Any) -> Any:
        self.asked += 1
        return super().index_and_term_statistics(*args, **kwargs)


def test_an_index_answer_given_is_not_asked_for_again() -> None:
    """`run_decide` asks for it with the claim (one round trip); the placement uses it."""
    store = Counting(":memory:")
    settings = PlacementSettings()
    features = text_features(None, ORIGINAL, settings.stories)
    published = (NOW - timedelta(hours=5)).isoformat()
    request = index_request(
        A, features, published_at=published, fetched_at=None, now=NOW, settings=settings
    )
    assert request is not None and request.at == (NOW - timedelta(hours=5)).timestamp()
    entries, stats = store.index_and_term_statistics(
        A,
        request.bands,
        request.signature,
        request.terms,
        at=request.at,
        near_window_seconds=request.near_window_seconds,
        story_window_seconds=request.story_window_seconds,
        now=NOW.timestamp(),
    )
    placed = place(A, source="example.com", title=None, text=ORIGINAL, published_at=published,
                   fetched_at=None, store=store, now=NOW, features=features,
                   indexed=(entries, stats))  # fmt: skip
    assert (store.asked, placed) == (1, Placement("unique", story_id=A))


def test_diverted_near_duplicates_get_no_story(store: SqliteStore) -> None:
    divert = PlacementSettings(divert_near_duplicates=True)
    put(store, A, ORIGINAL, settings=divert)
    near = put(store, B, REWRITE, 1, settings=divert)
    assert (near.status, near.diverted, near.story_id) == ("near_duplicate", True, None)


def test_a_redelivered_article_keeps_its_first_decision(store: SqliteStore) -> None:
    first = put(store, A, ORIGINAL)
    put(store, B, REWRITE, 1)
    put(store, C, OTHER, 2)
    assert put(store, A, ORIGINAL, 3) == first
    assert put(store, B, REWRITE, 4).near_duplicate_of == A
    # Redelivery under a changed setting still gets the first decision.
    assert not put(store, B, REWRITE, 5, PlacementSettings(divert_near_duplicates=True)).diverted
    [story] = store.top_stories(limit=1, since=0)
    assert story.size == 3  # each article counted once


def test_a_record_round_trips() -> None:
    placement = Placement("near_duplicate", A, 0.8, B, False)
    assert Placement.from_record(placement.as_record()) == placement


UNSPACED = Path(__file__).resolve().parents[2] / "fixtures" / "unspaced"


@pytest.mark.parametrize(
    ("reports", "dateline", "corrections", "similarity"),
    [
        pytest.param(
            ("typhoon_a_1.txt", "typhoon_a_2.txt", "typhoon_b.txt"),
            "新华社广州9月10日电 ",
            {"周二晚间": "周二夜间"},
            0.7,
            id="chinese",
        ),
        pytest.param(
            ("flood_a_1.txt", "flood_a_2.txt", "flood_b.txt"),
            "เชียงใหม่ (สำนักข่าว) — ",
            {
                "ผู้ว่าราชการจังหวัดเชียงใหม่เปิดเผยว่า": "ผู้ว่าราชการจังหวัดเชียงใหม่กล่าวว่า",
                "บ้านเรือนเสียหายกว่า": "บ้านเรือนได้รับความเสียหายกว่า",
            },
            0.6,
            id="thai",
        ),
        pytest.param(
            ("fire_a_1.txt", "fire_a_2.txt"),  # fire_b: below
            "ရန်ကုန်၊ ဒီဇင်ဘာ ၈ (သတင်းဌာန) — ",
            {"ပြောကြားသည်": "ပြောဆိုသည်", "ပို့ဆောင်ခဲ့သည်": "ပို့ခဲ့သည်"},
            0.6,
            id="myanmar",
        ),
        pytest.param(
            ("storm_a_1.txt", "storm_a_2.txt", "storm_b.txt"),
            "ភ្នំពេញ (ព័ត៌មាន) — ",
            {"បានឱ្យដឹងថា": "បានប្រាប់ថា", "ក្បែរនោះ": "នៅក្បែរនោះ"},
            0.6,
            id="khmer",
        ),
        pytest.param(
            ("crash_a_1.txt", "crash_a_2.txt", "crash_b.txt"),
            "ວຽງຈັນ (ຂ່າວ) — ",
            {"ກ່າວວ່າ": "ໃຫ້ຮູ້ວ່າ", "ນຳສົ່ງ": "ສົ່ງ"},
            0.6,
            id="lao",
        ),
        # A second set, written by a reviewer to check that the rules were not fitted to the
        # first (`tests/fixtures/sea/`): an unrelated report, or another event of the kind.
        pytest.param(
            ("../sea/quake_a_1.txt", "../sea/quake_a_2.txt", "../sea/books_my.txt"),
            "စစ်ကိုင်း၊ ဒီဇင်ဘာ ၁၁ (သတင်းဌာန) — ",
            {"ထုတ်ပြန်သည်": "ကြေညာသည်", "ဒဏ်ရာရရှိကာ": "ဒဏ်ရာရကာ"},
            0.6,
            id="myanmar-2",
        ),
        pytest.param(
            ("../sea/boat_a_1.txt", "../sea/boat_a_2.txt", "../sea/boat_b.txt"),
            "កំពង់ឆ្នាំង (ព័ត៌មាន) — ",
            {"បានឱ្យដឹងថា": "បាននិយាយថា", "អ្នកនេសាទ": "អ្នកស្ទូចត្រី"},
            0.6,
            id="khmer-2",
        ),
        pytest.param(
            ("../sea/slide_a_1.txt", "../sea/slide_a_2.txt", "../sea/railway_lo.txt"),
            "ຫຼວງນ້ຳທາ (ຂ່າວ) — ",
            {"ກ່າວວ່າ": "ໃຫ້ຮູ້ວ່າ", "ລົດຂຸດ": "ເຄື່ອງຈັກ"},
            0.6,
            id="lao-2",
        ),
    ],
)
def test_reports_without_spaces_between_words_share_a_story_and_a_rewrite_is_a_near_duplicate(
    store: SqliteStore,
    reports: tuple[str, ...],
    dateline: str,
    corrections: dict[str, str],
    similarity: float,
) -> None:
    """Chinese puts no space between words; Thai, Myanmar, Khmer and Lao none between the
    words of a phrase: read by `\\w+`, a phrase was one word, so two outlets' reports of one
    event (a typhoon, a flood, a market fire, a storm, a bus crash) shared no term but their
    numbers, and a changed word lost a whole phrase's shingles. A third report, of another
    event of the same kind or of something else, founds a story of its own."""
    first, second, *others = ((UNSPACED / name).read_text() for name in reports)
    rewrite = dateline + "\n".join(first.splitlines()[:-1])  # a dateline added, the end cut
    for wrong, right in corrections.items():
        rewrite = rewrite.replace(wrong, right)
    assert put(store, A, first).story_id == A
    assert put(store, B, second, 1) == Placement("unique", story_id=A)
    for other in others:
        assert put(store, C, other, 2) == Placement("unique", story_id=C)
    near = put(store, "d" * 32, rewrite, 3)
    assert (near.status, near.near_duplicate_of, near.story_id) == ("near_duplicate", A, A)
    assert near.similarity is not None and near.similarity >= similarity


@pytest.mark.xfail(strict=True, reason="one story's vocabulary in an empty store: IDF is flat")
def test_a_burmese_report_of_another_market_fire_founds_its_own_story(store: SqliteStore) -> None:
    """Known wrong: a fire in Mandalay's Zegyo market joins the story of a fire in Yangon's
    central market, on their shared words (market, stalls, fire engines, put out, injured)
    and the cities' names, which weigh no more than they do: Burmese has no capitals to tell
    names by, and in an empty store every term is as rare as any other (cosine 0.33 to the
    first report)."""
    first, other = ((UNSPACED / name).read_text() for name in ("fire_a_1.txt", "fire_b.txt"))
    assert put(store, A, first).story_id == A
    assert put(store, C, other, 1) == Placement("unique", story_id=C)
