"""A story update like the ones `place` writes, for the store tests of both stores."""

from __future__ import annotations

from newsflow.store.records import StoryUpdate

T0 = 1_726_000_000.0
WINDOW = 3 * 86_400


def update(story_id: str, at: float = T0, **kw: object) -> StoryUpdate:
    """A two-term story update at `at` (fields overridden by `kw`)."""
    fields: dict[str, object] = {
        "story_id": story_id,
        "at": at,
        "source": "example.com",
        "title": "A title",
        "counted_terms": ["iran", "missile"],
        "centroid": {"iran": 0.8, "missile": 0.6},
        "index_terms": ["iran", "missile"],
        "centroid_terms": 300,
        "ttl_seconds": WINDOW,
    }
    fields.update(kw)
    return StoryUpdate(**fields)  # type: ignore[arg-type]
