"""Exact dedup: first article to claim a content hash owns it; later ones are its duplicates."""

from __future__ import annotations

from newsflow.model import Decision, Fingerprint
from newsflow.store.base import DedupStore
from newsflow.store.records import Mark

DEFAULT_TTL_SECONDS = 30 * 24 * 3600
EXACT = "exact"
NEAR = "near"


def decide_exact(
    article_id: str,
    fp: Fingerprint,
    store: DedupStore,
    *,
    now: float,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    mark: Mark | None = None,
) -> Decision:
    """Unique if this article owns the hash (also on redelivery), else a duplicate of the owner.

    `mark` is set with the claim, naming the owner (the re-crawl marker)."""
    key = f"hash:{fp.content_hash}"
    owner = store.claim(key, article_id, ttl_seconds=ttl_seconds, now=now, mark=mark)
    if owner == article_id:
        return Decision(status="unique")
    return Decision(status="duplicate", duplicate_of=owner, method=EXACT)
