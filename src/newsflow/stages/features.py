"""The features of an extracted text that deciding it needs, computed in one place.

Deciding an article needs four pure functions of its title and text: the fingerprint (exact
dedup), the lines' hashes (learned boilerplate), the MinHash signature (near duplicates) and
the counted story terms. `newsflow process` decides in input order on one thread, so that
thread caps the run however many extraction processes feed it; it has these computed in the
extraction processes, beside the extraction, and its own thread is left with the store's work.

A decision uses them only for the title and text they were computed from, with the same story
settings: learned boilerplate may drop lines, and then they are computed again.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsflow.model import Fingerprint
from newsflow.stages.boilerplate import line_hashes
from newsflow.stages.fingerprint import fingerprint
from newsflow.stages.neardup import signature
from newsflow.stages.stories import StorySettings, counted_terms


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """An extracted text's features, and what they were computed from."""

    title: str | None
    text: str
    stories: StorySettings
    fingerprint: Fingerprint
    line_hashes: list[str]
    signature: bytes | None
    counts: dict[str, float]
    language: str  # of the counted terms' words

    def fits(self, title: str | None, text: str, stories: StorySettings) -> bool:
        """Whether these are the features of that title and text under those settings."""
        return self.text == text and self.title == title and self.stories == stories


def text_features(title: str | None, text: str, stories: StorySettings) -> TextFeatures:
    """Every feature of the title and text that a decision needs."""
    counts, language = counted_terms(title, text, stories)
    return TextFeatures(
        title=title,
        text=text,
        stories=stories,
        fingerprint=fingerprint(text),
        line_hashes=line_hashes(text),
        signature=signature(text),
        counts=counts,
        language=language,
    )
