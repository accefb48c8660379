"""The placement-cost benchmark's stage timer: every stage of place() timed once per article,
and nothing left wrapped afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks.placement_cost import StageTimes

from newsflow.stages import placement
from newsflow.stages.placement import place
from newsflow.store.sqlite import SqliteStore

TEXT = "Iran fired missiles at Israel on Tuesday night, officials in Jerusalem said. " * 5


def test_each_stage_of_place_is_timed_once_per_article_and_unwrapped_afterwards() -> None:
    store = SqliteStore(":memory:")
    originals = [getattr(placement, name) for name in StageTimes.FUNCTIONS]
    try:
        with StageTimes(store) as stages:
            for n in range(3):
                place(
                    f"{n:032x}",
                    source="example.com",
                    title="Missiles",
                    text=TEXT,
                    published_at=None,
                    fetched_at=None,
                    store=store,
                    now=datetime(2024, 9, 10, tzinfo=UTC),
                )
        assert {name: len(times) for name, times in stages.seconds.items()} == dict.fromkeys(
            StageTimes.FUNCTIONS + StageTimes.STORE_CALLS, 3
        )
        assert "commit_decision" in stages.summary()
        assert [getattr(placement, name) for name in StageTimes.FUNCTIONS] == originals
        assert "commit_decision" not in vars(store)
    finally:
        store.close()
