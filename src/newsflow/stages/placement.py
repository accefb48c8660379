"""Where a unique article goes beyond exact dedup: near duplicate of an earlier article, and
which story it belongs to. Decided once per article and remembered in the store.

The first decision stored for an article (`DedupStore.commit_decision`) is the one every
redelivery gets back, so downstream never sees two different answers for one article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from newsflow.stages.neardup import METHOD, NearSettings, decide_near
from newsflow.stages.stories import StorySettings, event_time, plan_story
from newsflow.store.base import DedupStore
from newsflow.store.records import StoryUpdate

NearStatus = Literal["unique", "near_duplicate"]


@dataclass(frozen=True, slots=True)
class PlacementSettings:
    """Near-duplicate and story settings, and whether near duplicates leave the clean stream."""

    near: NearSettings = field(default_factory=NearSettings)
    stories: StorySettings = field(default_factory=StorySettings)
    divert_near_duplicates: bool = False

    @property
    def memory_seconds(self) -> int:
        """How long a decision is remembered for redeliveries: the longer window."""
        return max(self.near.window_seconds, self.stories.window_seconds)


@dataclass(frozen=True, slots=True)
class Placement:
    """An article's near-duplicate status, its story, and whether it is diverted."""

    status: NearStatus
    near_duplicate_of: str | None = None
    similarity: float | None = None
    story_id: str | None = None
    diverted: bool = False

    def as_record(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "near_duplicate_of": self.near_duplicate_of,
            "similarity": self.similarity,
            "story_id": self.story_id,
            "diverted": self.diverted,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Placement:
        return cls(
            status=record["status"],
            near_duplicate_of=record.get("near_duplicate_of"),
            similarity=record.get("similarity"),
            story_id=record.get("story_id"),
            diverted=bool(record.get("diverted")),
        )

    def dedup(self) -> dict[str, Any]:
        """The clean event's `dedup` object."""
        near = self.status == "near_duplicate"
        return {
            "status": self.status,
            "near_duplicate_of": self.near_duplicate_of,
            "similarity": self.similarity,
            "method": METHOD if near else None,
        }


def place(
    article_id: str,
    *,
    source: str,
    title: str | None,
    text: str,
    published_at: str | None,
    fetched_at: str | None,
    store: DedupStore,
    now: datetime,
    settings: PlacementSettings | None = None,
) -> Placement:
    """Decide (or recall) the article's near-duplicate status and story.

    A near duplicate joins the story of the article it repeats; diverted near duplicates get
    no story. Under redelivery the work is redone against the current state, but the commit
    returns the first stored decision, and the store counts the article in a story once.
    """
    settings = settings or PlacementSettings()
    stamp = now.timestamp()
    at = event_time(published_at, fetched_at, now)
    match = decide_near(article_id, text, store, at=at, now=stamp, settings=settings.near)
    if match is not None and settings.divert_near_duplicates:
        placement = Placement("near_duplicate", match.article_id, match.similarity, None, True)
        return _commit(store, article_id, placement, None, settings, stamp)
    story_of_original = None
    if match is not None:
        original = store.recall_decision(match.article_id, now=stamp)
        story_of_original = original.get("story_id") if original else None
    plan = plan_story(
        article_id,
        title,
        text,
        store,
        source=source,
        at=at,
        settings=settings.stories,
        story_of_original=story_of_original,
    )
    if match is None:
        placement = Placement("unique", story_id=plan.story_id)
    else:
        placement = Placement("near_duplicate", match.article_id, match.similarity, plan.story_id)
    return _commit(store, article_id, placement, plan.update, settings, stamp)


def _commit(
    store: DedupStore,
    article_id: str,
    placement: Placement,
    update: StoryUpdate | None,
    settings: PlacementSettings,
    now: float,
) -> Placement:
    stored = store.commit_decision(
        article_id,
        placement.as_record(),
        story=update,
        ttl_seconds=settings.memory_seconds,
        now=now,
    )
    return Placement.from_record(stored)
