"""The store interface the stages depend on, and the one place that picks an implementation."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from newsflow.errors import ConfigError
from newsflow.store.line_filters import DEFAULT_MIB
from newsflow.store.records import (
    LINES_SUFFIX,
    POSTINGS,
    Begun,
    Claim,
    IndexedSignature,
    IndexRequest,
    Mark,
    StoryChoice,
    StoryMatch,
    StorySummary,
    StoryUpdate,
    TermStatistics,
)


class DedupStore(Protocol):
    """Atomic first-writer-wins claims on keys, forgotten after a TTL.

    `claim` is the whole exact-dedup protocol: the first caller for a key becomes its owner
    and every later caller (any process, any replica) is told who the owner is. Because the
    owner is an `article_id`, a redelivered article recognizes its own claim.

    The near-duplicate index (`index_signature`) and the story state (`term_statistics`,
    `story_candidates`, `commit_decision`, `recall_decision`, `top_stories`) follow the same
    rules: shared by every replica, atomic where two articles could race, bounded by a window.
    """

    def claim(
        self, key: str, owner: str, *, ttl_seconds: int, now: float, mark: Mark | None = None
    ) -> str:
        """Set `key` to `owner` unless it is held; return the owner that holds it now.

        With `mark`, also set `mark.key` (unless it is held) to `mark.value(<that owner>)`,
        with the same TTL, in the same atomic step (one round trip on a server store).

        `now` (seconds since the epoch) is used by stores that expire entries themselves;
        a server-side TTL store may ignore it.
        """
        ...

    def peek(self, key: str, *, now: float) -> str | None:
        """The live value of a claimed `key`, or None; reads only (no claim is made)."""
        ...

    def peek_many(self, keys: Sequence[str], *, now: float) -> list[str | None]:
        """`peek` for each of `keys`, in one round trip where the store is a server."""
        ...

    def observe_lines(
        self,
        source: str,
        document: str,
        line_hashes: Sequence[str],
        *,
        ttl_seconds: int,
        now: float,
    ) -> list[int]:
        """Count `document` (a hash of its text) as having each of `line_hashes`, once per
        source and document; return, per line, how many documents of `source` had it.

        The per-source line statistics behind boilerplate learning: a line many articles of
        one source share is chrome. A document seen again (redelivery, a re-crawl with the
        same text) is not counted twice. Counts are forgotten `ttl_seconds` after a line was
        last seen.

        A store may remember first sightings approximately, as Redis does (`LineFilters`:
        there a line seen once is a few bits in a Bloom filter, and is remembered for one to
        one and a half `ttl_seconds`): a false positive, rare by the filter's size, counts a
        new line 2 for its first document, or takes a new document for one seen before.
        """
        ...

    def begin_decision(
        self,
        source: str,
        document: str,
        line_hashes: Sequence[str],
        *,
        lines_ttl_seconds: int,
        recurring_at: int,
        claim: Claim,
        index: IndexRequest | None,
        now: float,
    ) -> Begun:
        """The first store steps of deciding an article, in one round trip where the store is
        a server: `observe_lines`; then, unless a line's count reaches `recurring_at` (learned
        boilerplate would drop it, changing the text and so what is claimed), `claim`; then,
        if the article holds the claim and `index` is given, `index_and_term_statistics`.
        The same as those calls one after the other (`begin_decision_in_steps`).

        An article that already holds the claim goes on to it whatever the counts: it was
        decided on its whole text when it came first, and a line that has recurred since (other
        articles of the source counted it) must not change its text at a redelivery (it
        claimed another hash then, or was taken for a copy of a later article). When a line
        recurs, the value under the claim's mark key comes back too (`Begun.marked`): there a
        redelivered article that dropped lines finds which it dropped."""
        ...

    def release_claim(self, claim: Claim, *, now: float) -> bool:
        """Give back what `claim` (or `begin_decision` with it) wrote for an article whose
        decision then failed, so that the article, dead-lettered, owns nothing: the claim's
        key if `claim.owner` still holds it, the mark's key (and its lines key) if it still
        holds `claim.mark.value(claim.owner)`, and the near-duplicate index entry of the
        article `claim.owner`. Nothing is released when a decision is stored for the article
        (`commit_decision`): a redelivered article decided before keeps what it was decided
        with. One atomic compare-and-delete; True when the claim's key was released.

        A later copy of the text is then decided as if the article had never come, and the
        article itself, tried again or replayed, claims anew."""
        ...

    def recall_decision(self, article_id: str, *, now: float) -> dict[str, Any] | None:
        """The near-duplicate/story decision `commit_decision` stored for `article_id`, if any
        and not expired at `now`: a redelivered article gets its first decision back."""
        ...

    def index_signature(
        self,
        article_id: str,
        bands: Sequence[str],
        signature: bytes,
        *,
        at: float,
        window_seconds: int,
        now: float,
    ) -> list[IndexedSignature]:
        """Add an article's MinHash to the near-duplicate index under its LSH `bands` and return
        the articles indexed before it that share a band and lie within `window_seconds` of
        `at`. Atomic: of two near duplicates indexed at once, the second sees the first.

        Idempotent: a redelivered article keeps its place and never sees itself. Entries are
        forgotten `window_seconds` after they were written (the index is bounded by the window).
        """
        ...

    def term_statistics(
        self, terms: Sequence[str], *, at: float, window_seconds: int
    ) -> TermStatistics:
        """Documents counted by `commit_decision` within `window_seconds` before `at`, and
        each term's document frequency among them (the IDF of story vectors)."""
        ...

    def index_and_term_statistics(
        self,
        article_id: str,
        bands: Sequence[str],
        signature: bytes,
        terms: Sequence[str],
        *,
        at: float,
        near_window_seconds: int,
        story_window_seconds: int,
        now: float,
    ) -> tuple[list[IndexedSignature], TermStatistics]:
        """`index_signature` and `term_statistics` together, as one round trip where the
        store is a server: what `place` needs before it can decide anything."""
        ...

    def story_candidates(
        self,
        vector: dict[str, float],
        index_terms: Sequence[str],
        *,
        at: float,
        window_seconds: int,
        limit: int,
        postings: int = POSTINGS,
    ) -> list[StoryMatch]:
        """Up to `limit` stories indexed under any of `index_terms` and joined within
        `window_seconds` of `at` (most shared terms first; of each term, only the `postings`
        stories joined last, ties by id, highest first), each with the cosine of `vector`
        (unit length) to its centroid."""
        ...

    def commit_decision(
        self,
        article_id: str,
        decision: dict[str, Any],
        *,
        story: StoryUpdate | None,
        choice: StoryChoice | None = None,
        ttl_seconds: int,
        now: float,
    ) -> dict[str, Any]:
        """Store `decision` for `article_id` and apply `story` (term counts, centroid, index)
        unless a decision is already stored; return the stored one. Atomic, so a story counts
        an article once however often it is delivered.

        With `choice`, the store first chooses the story `story` joins: the best of the
        candidates `story_candidates` finds for its centroid and index terms (see
        `StoryChoice`), else `story.story_id`; the stored decision's `story_id` names it.
        Choosing and joining are one atomic step, so of two articles of a new story
        committed at once the second joins the story the first founded."""
        ...

    def top_stories(self, *, limit: int, since: float) -> list[StorySummary]:
        """The largest stories joined at or after `since`, for `newsflow stories`."""
        ...

    def grouped(self) -> AbstractContextManager[Callable[[], None]]:
        """A block whose writes may be committed together, by the function it gives (and at its
        end; rolled back when it raises): a caller that says what it decided only once that
        function has returned (`newsflow process` writing outcome lines) loses no decision it
        said. Each call stays atomic and first-writer-wins for every process meanwhile.

        The embedded store makes the block's writes one transaction, holding the file's write
        lock until the commit: a page several articles change is written to disk once, where
        a transaction per call wrote it each time. A server store applies each call as it is
        made, and the function does nothing."""
        ...

    def ping(self) -> bool:
        """True when the store answers; used by readiness checks."""
        ...

    def reach(self) -> None:
        """Raise what keeps the store from being used now (`StoreUnavailable`, `ConfigError`);
        a command calls it before it writes anything. An embedded store is there once open."""
        ...

    def close(self) -> None: ...


def begin_decision_in_steps(
    store: DedupStore,
    source: str,
    document: str,
    line_hashes: Sequence[str],
    *,
    lines_ttl_seconds: int,
    recurring_at: int,
    claim: Claim,
    index: IndexRequest | None,
    now: float,
) -> Begun:
    """`DedupStore.begin_decision` as separate calls: what it means, and the embedded store's
    way of doing it."""
    counts = store.observe_lines(
        source, document, line_hashes, ttl_seconds=lines_ttl_seconds, now=now
    )
    if any(count >= recurring_at for count in counts) and (
        store.peek(claim.key, now=now) != claim.owner
    ):
        if claim.mark is None:
            return Begun(counts)
        marked, lines = (
            store.peek(claim.mark.key + suffix, now=now) for suffix in ("", LINES_SUFFIX)
        )
        return Begun(counts, marked=marked, marked_lines=lines)
    owner = store.claim(
        claim.key, claim.owner, ttl_seconds=claim.ttl_seconds, now=now, mark=claim.mark
    )
    if owner != claim.owner or index is None:
        return Begun(counts, owner)
    indexed, statistics = store.index_and_term_statistics(
        index.article_id,
        index.bands,
        index.signature,
        index.terms,
        at=index.at,
        near_window_seconds=index.near_window_seconds,
        story_window_seconds=index.story_window_seconds,
        now=now,
    )
    return Begun(counts, owner, indexed, statistics)


REDIS_SCHEMES = ("redis", "rediss", "unix")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def url_scheme(url: str) -> str | None:
    """The URL's scheme in lower case (schemes ignore case: REDIS:// is redis://), or None for
    a plain path."""
    found = _SCHEME.match(url)
    return found[1].lower() if found else None


def open_store(
    url: str,
    *,
    prefix: str = "newsflow:",
    line_filter_mib: int = DEFAULT_MIB,
    existing: bool = False,
) -> DedupStore:
    """`redis://…` / `rediss://…` → Redis (keys under `prefix`, filters of lines seen once of
    `line_filter_mib` MiB); `sqlite:///path`, a plain path or `:memory:` → SQLite (which counts
    every line exactly). `existing`: an embedded store file must be there already (a command
    that only reads one would create an empty one at a mistyped path, and find nothing)."""
    scheme = url_scheme(url)
    if scheme in REDIS_SCHEMES:
        from newsflow.store.redis import RedisStore

        lowered = scheme + url[len(scheme) :]  # redis-py reads the scheme as written
        return RedisStore.from_url(lowered, prefix=prefix, line_filter_mib=line_filter_mib)
    if scheme not in (None, "sqlite"):  # "redis+sentinel://…" was opened as an SQLite path
        raise ConfigError(
            f"store URLs of the scheme {scheme!r} are not supported: give redis://, rediss://,"
            " unix:// or an SQLite file path"
        )
    import sqlite3

    from newsflow.store.sqlite import SqliteStore

    path = _SCHEME.sub("", url, count=1) or ":memory:"
    if existing and path != ":memory:" and not Path(path).is_file():
        inside = Path(path) / "newsflow.sqlite"
        hint = f"; the one in that directory is {str(inside)!r}" if inside.is_file() else ""
        raise ConfigError(f"no embedded store at {path!r} (`newsflow process` writes one{hint})")
    try:
        return SqliteStore(path)
    except sqlite3.Error as exc:  # a directory that is not there or not writable
        raise ConfigError(
            f"cannot open the embedded store {path!r}: {exc} (give a writable path or a "
            "redis:// URL with --store-url or NEWSFLOW_STORE_URL)"
        ) from exc
