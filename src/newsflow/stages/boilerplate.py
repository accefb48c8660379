"""Boilerplate learned per source: a line that many articles of one source share is chrome.

`textclean` removes what general rules recognize. What they miss is site-specific: a
newsletter plug, a standing disclaimer, a section's teaser line that one outlet prints under
every article. Those lines recur across the source's articles, which real paragraphs do not.
So after extraction every line of an article is counted in the store (per source, once per
distinct text, forgotten after a TTL), and a line that `min_documents` or more of the
source's articles had is dropped. The extract stage stays pure: this runs where the store is,
on the extraction's result, before fingerprinting.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from newsflow.model import Extraction
from newsflow.stages.fingerprint import fingerprint, normalize_lines, normalize_text
from newsflow.stages.quality import score_quality
from newsflow.store.base import DedupStore

DEFAULT_TTL_SECONDS = 30 * 24 * 3600
DEFAULT_MIN_DOCUMENTS = 4
MIN_KEPT_WORDS = 20
MAX_REMOVED_SHARE = 0.5
MAX_COUNTED_LINES = 1000
"""Lines of a text counted for learned boilerplate: its first thousand. A text of 250,000
short lines (7 MB, under the message limit) sent them all to the store in one script call,
which ran past the client's timeout (2 s) on every retry, its partition stopped."""
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class BoilerplateSettings:
    """How many of a source's articles make a line boilerplate, and how long counts last."""

    min_documents: int = DEFAULT_MIN_DOCUMENTS
    ttl_seconds: int = DEFAULT_TTL_SECONDS


def line_hash(line: str) -> str:
    """A short, stable key for a line: its normalized text, hashed."""
    return _short_hash(normalize_text(line))


def line_hashes(text: str) -> list[str]:
    """`line_hash` of each of the text's first `MAX_COUNTED_LINES` lines, normalizing the
    text once (later lines are never taken for boilerplate)."""
    return [_short_hash(line) for line in normalize_lines(text)[:MAX_COUNTED_LINES]]


def _short_hash(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:20]


def strip_learned_boilerplate(
    source: str,
    extraction: Extraction,
    store: DedupStore,
    *,
    now: float,
    settings: BoilerplateSettings | None = None,
) -> Extraction:
    """Count the extraction's lines for `source` and drop those that are boilerplate there.

    (The pipeline makes the count in one store call with the next steps,
    `DedupStore.begin_decision`, and then calls `drop_recurring`.)"""
    settings = settings or BoilerplateSettings()
    counts = store.observe_lines(
        source,
        fingerprint(extraction.text).content_hash,
        line_hashes(extraction.text),
        ttl_seconds=settings.ttl_seconds,
        now=now,
    )
    return drop_recurring(extraction, counts, settings)


def drop_recurring(
    extraction: Extraction, counts: list[int], settings: BoilerplateSettings
) -> Extraction:
    """The extraction without the lines that `counts` (per line, the source's documents that
    had it) make boilerplate."""
    return drop_lines(extraction, recurring_lines(counts, settings))


def recurring_lines(counts: list[int], settings: BoilerplateSettings) -> set[int]:
    """The indexes of the lines that `counts` make boilerplate."""
    return {i for i, n in enumerate(counts) if n >= settings.min_documents}


def drop_lines(extraction: Extraction, indexes: set[int]) -> Extraction:
    """The extraction without the lines at `indexes`.

    Unchanged when that would leave fewer than `MIN_KEPT_WORDS` words or remove more than
    `MAX_REMOVED_SHARE` of them: a text that is mostly lines seen before is a copy of an
    earlier article (for dedup to find), not an article wrapped in boilerplate.
    """
    if not indexes:
        return extraction
    lines = extraction.text.split("\n")
    kept = [line for i, line in enumerate(lines) if i not in indexes]
    text = "\n".join(kept)
    words, total = len(_WORD.findall(text)), len(_WORD.findall(extraction.text))
    if words < MIN_KEPT_WORDS or words < (1 - MAX_REMOVED_SHARE) * total:
        return extraction
    quality = min(extraction.quality, score_quality(text))
    return replace(extraction, text=text, quality=quality)
