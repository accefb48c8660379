"""Online story grouping: which earlier story, if any, an article reports on.

Single pass, incremental, no re-clustering: an article's terms (`newsflow.stages.story_terms`:
content words, capitalized name spans weighted up, numbers and years) are weighted by TF-IDF
with document frequencies counted in the store over the window (and over a background of
the language at large, `newsflow.stages.background`); when the article is
committed, the store scores the stories indexed under its leading terms by the cosine to
their centroids, and the article joins the most similar one when the cosine reaches the
threshold, else founds a story named after itself. Choosing and joining are one atomic step
in the store, so of two articles of a new story committed at once the second joins the
first's story. A story's id never changes; it is forgotten once nobody joined it for the
window. All state is in the store (`DedupStore.term_statistics`, `commit_decision`), shared
by every replica.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from newsflow.stages.background import BACKGROUND_DOCUMENTS, background_share
from newsflow.stages.story_terms import terms_and_language
from newsflow.store.base import DedupStore
from newsflow.store.records import POSTINGS, StoryChoice, StoryUpdate, TermStatistics

DEFAULT_WINDOW_SECONDS = 72 * 3600
DEFAULT_THRESHOLD = 0.22


@dataclass(frozen=True, slots=True)
class StorySettings:
    """How similar an article must be to join a story, within which window, and how much of
    each article and story is kept.

    An article counts (and is weighed by) its `counted_terms` most frequent terms and keeps the
    `vector_terms` heaviest, and the `candidates` stories sharing most of its `index_terms` (of
    each term, the `postings` stories joined last) are scored. On the stories dev set (B-cubed
    F1 over 20 orders, before the background prior) 50 terms and 4 candidates decide as well
    (0.865) as 60 (0.864), 100 and 8 (0.860) or 250/150 terms did; 40 terms (0.862) begin to
    lose the worst order, and 12 index terms instead of 20 lose recall (0.862 over 5 orders,
    against 0.873). A story's centroid keeps its `centroid_terms` heaviest terms: 200 decide as
    300 did (0.865 over 20 orders, 0.878 over 5) for a tenth less Redis time per placement; 150
    begin to lose (0.864).
    """

    threshold: float = DEFAULT_THRESHOLD
    window_seconds: int = DEFAULT_WINDOW_SECONDS
    vector_terms: int = 50
    centroid_terms: int = 200
    index_terms: int = 20
    candidates: int = 4
    counted_terms: int = 50
    postings: int = POSTINGS


@dataclass(frozen=True, slots=True)
class StoryPlan:
    """What committing the article writes to its story (`update`), and how the store chooses
    that story (`choice`; None when the story is already known: a near duplicate's)."""

    update: StoryUpdate
    choice: StoryChoice | None


def vectorize(
    counts: dict[str, float],
    documents: int,
    frequencies: list[int],
    *,
    size: int,
    language: str,
) -> dict[str, float]:
    """The `size` heaviest terms by sublinear TF × IDF, L2-normalized.

    `documents` and `frequencies` are the window's counts before this article; the article
    itself is counted in, so a term nobody else used has the highest IDF, and so are
    `BACKGROUND_DOCUMENTS` of the text's `language` at large (`background_share`), so that
    while the window has seen few articles a common word or name weighs less than a rare one.
    """
    background = BACKGROUND_DOCUMENTS
    weights = {
        term: (1.0 + math.log(tf))
        * math.log(
            (documents + 2 + background)
            / (df + background * background_share(term, language) + 1.5)
        )
        for (term, tf), df in zip(counts.items(), frequencies, strict=True)
        if tf >= 1
    }
    top = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:size]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {term: w / norm for term, w in top}


def event_time(published_at: str | None, fetched_at: str | None, now: datetime) -> float:
    """When the article happened, for the windows: published, else fetched, else now.

    A publication date later than the fetch (or than now) is a parsing accident: ignored.
    """
    latest = _parse(fetched_at) or now.timestamp()
    published = _parse(published_at)
    if published is not None and published <= latest + 86_400:
        return published
    return latest


def _parse(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def counted_terms(
    title: str | None, text: str, settings: StorySettings
) -> tuple[dict[str, float], str]:
    """The article's `counted_terms` most frequent terms with their counts, most frequent
    first (ties: alphabetical): the terms whose document frequencies the store keeps; and
    the language they are words of."""
    counts, language = terms_and_language(title, text)
    return _most_frequent(counts, settings.counted_terms), language


def _most_frequent(counts: dict[str, float], k: int) -> dict[str, float]:
    """The `k` most frequent terms, most frequent first (ties: alphabetical): what sorting
    them all gives, but only the terms counted more than the k-th count (fewer than k) are
    sorted by a key, and of those counted as often as it, the terms alone, as strings (an
    article has hundreds of terms, and many share the k-th count: most often 5, a name's)."""
    if len(counts) <= k or k < 1:
        return dict(sorted(counts.items(), key=_by_count_then_term)[:k])
    kth = sorted(counts.values(), reverse=True)[k - 1]
    above = [(term, n) for term, n in counts.items() if n > kth]
    above.sort(key=_by_count_then_term)
    at_kth = sorted([term for term, n in counts.items() if n == kth])[: k - len(above)]
    return dict(above) | dict.fromkeys(at_kth, kth)


def _by_count_then_term(item: tuple[str, float]) -> tuple[float, str]:
    return -item[1], item[0]


def plan_story(
    article_id: str,
    title: str | None,
    text: str,
    store: DedupStore,
    *,
    source: str,
    at: float,
    settings: StorySettings | None = None,
    story_of_original: str | None = None,
) -> StoryPlan:
    """The article's story update and how to choose its story, from the store's term
    statistics; nothing is written yet (`DedupStore.commit_decision` chooses and joins).

    `story_of_original`: a near duplicate goes where the article it repeats went (it still
    counts in that story's size and sources, but does not move its centroid).
    """
    settings = settings or StorySettings()
    counts, language = counted_terms(title, text, settings)
    stats = store.term_statistics(list(counts), at=at, window_seconds=settings.window_seconds)
    return plan_with_statistics(
        article_id,
        title,
        counts,
        stats,
        language=language,
        source=source,
        at=at,
        settings=settings,
        story_of_original=story_of_original,
    )


def plan_with_statistics(
    article_id: str,
    title: str | None,
    counts: dict[str, float],
    stats: TermStatistics,
    *,
    language: str,
    source: str,
    at: float,
    settings: StorySettings,
    story_of_original: str | None = None,
) -> StoryPlan:
    """`plan_story` once the article's `counted_terms` (and their `language`) and their
    statistics are known."""
    vector = vectorize(
        counts, stats.documents, stats.frequencies, size=settings.vector_terms, language=language
    )
    known = story_of_original is not None
    update = StoryUpdate(
        story_id=article_id if story_of_original is None else story_of_original,
        at=at,
        source=source,
        title=title,
        counted_terms=list(counts),
        centroid={} if known else vector,
        index_terms=[] if known else list(vector)[: settings.index_terms],
        centroid_terms=settings.centroid_terms,
        ttl_seconds=settings.window_seconds,
    )
    if known:
        return StoryPlan(update, None)
    choice = StoryChoice(
        settings.threshold, settings.candidates, settings.window_seconds, settings.postings
    )
    return StoryPlan(update, choice)
