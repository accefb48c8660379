"""The stages' settings and what they build: `STAGE_SETTINGS`, read by `newsflow process` and
the extract service, and `stage_limits`, the extraction's limits and the decision's settings
from their values."""

from __future__ import annotations

from typing import Any

from newsflow.config import (
    Setting,
    boolean,
    fraction,
    non_negative_int,
    positive_float,
    positive_int,
)
from newsflow.pipeline import DecideSettings
from newsflow.sandbox import SandboxLimits
from newsflow.stages import neardup, stories
from newsflow.stages.dedup import DEFAULT_TTL_SECONDS
from newsflow.stages.extract import DEFAULT_MAX_HTML_CHARS, ExtractLimits
from newsflow.stages.neardup import NearSettings
from newsflow.stages.placement import PlacementSettings
from newsflow.stages.stories import StorySettings
from newsflow.store import line_filters
from newsflow.store.records import POSTINGS


def line_filter_mib(text: str) -> int:
    value = positive_int(text)
    if value > line_filters.MAX_MIB:
        raise ValueError(f"must be at most {line_filters.MAX_MIB} (a Redis string's size)")
    return value


STAGE_SETTINGS = (
    Setting(
        "store_url",
        "dedup store: redis://host:port/db, or an SQLite file path (none given: process uses "
        "DIR/newsflow.sqlite, extract ./newsflow-extract.sqlite)",
    ),
    Setting("store_prefix", "key prefix in a shared Redis (one per deployment)", "newsflow:"),
    Setting(
        "line_filter_mib",
        "MiB of each Redis filter of lines seen once (3 live; raise above 100,000 articles a day)",
        line_filters.DEFAULT_MIB,
        line_filter_mib,
    ),
    Setting("max_html_chars", "largest HTML extracted", DEFAULT_MAX_HTML_CHARS, positive_int),
    Setting("extract_time_limit", "seconds before an extraction is killed", 5.0, positive_float),
    Setting(
        "extract_memory_mb", "address-space cap of an extractor, 0 = none", 2048, non_negative_int
    ),
    Setting(
        "dedup_ttl_seconds",
        "how long a content hash is remembered",
        DEFAULT_TTL_SECONDS,
        positive_int,
    ),
    Setting(
        "near_dup_threshold",
        "estimated Jaccard of word 3-grams from which an article is a near duplicate",
        neardup.DEFAULT_THRESHOLD,
        fraction,
    ),
    Setting(
        "near_dup_window_hours",
        "how long an article can be matched as the original of a near duplicate",
        neardup.DEFAULT_WINDOW_SECONDS // 3600,
        positive_float,
    ),
    Setting(
        "divert_near_duplicates",
        "send near duplicates to the duplicates topic instead of clean",
        False,
        boolean,
    ),
    Setting(
        "story_threshold",
        "cosine to a story's centroid from which an article joins it",
        stories.DEFAULT_THRESHOLD,
        fraction,
    ),
    Setting(
        "story_window_hours",
        "how far apart (published, else fetched) a story's articles may be",
        stories.DEFAULT_WINDOW_SECONDS // 3600,
        positive_float,
    ),
    Setting(
        "story_postings",
        "stories the candidate search reads per index term, latest first (raise for dense streams)",
        POSTINGS,
        positive_int,
    ),
)


def stage_limits(values: dict[str, Any]) -> tuple[SandboxLimits, DecideSettings]:
    """The extraction's limits and the decision's settings from resolved settings."""
    return (
        SandboxLimits(
            time_limit=values["extract_time_limit"],
            memory_limit_mb=values["extract_memory_mb"],
            extract=ExtractLimits(max_html_chars=values["max_html_chars"]),
        ),
        DecideSettings(
            dedup_ttl_seconds=values["dedup_ttl_seconds"],
            placement=PlacementSettings(
                near=NearSettings(
                    threshold=values["near_dup_threshold"],
                    window_seconds=max(1, round(values["near_dup_window_hours"] * 3600)),
                ),
                stories=StorySettings(
                    threshold=values["story_threshold"],
                    window_seconds=max(1, round(values["story_window_hours"] * 3600)),
                    postings=values["story_postings"],
                ),
                divert_near_duplicates=values["divert_near_duplicates"],
            ),
        ),
    )
