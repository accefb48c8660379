"""Exact dedup: first article to claim a content hash owns it; later ones are its duplicates."""

from __future__ import annotations

from newsflow.model import Decision, Fingerprint
from newsflow.store.base import DedupStore
from newsflow.store.records import Claim, Mark

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
    claim = exact_claim(article_id, fp, ttl_seconds=ttl_seconds, mark=mark)
    owner = store.claim(claim.key, article_id, ttl_seconds=ttl_seconds, now=now, mark=mark)
    return decision_of(article_id, owner)


def exact_claim(
    article_id: str, fp: Fingerprint, *, ttl_seconds: int, mark: Mark | None = None
) -> Claim:
    """The claim that makes `article_id` the owner of its text's hash, unless one holds it."""
    return Claim(f"hash:{fp.content_hash}", article_id, ttl_seconds, mark)


def decision_of(article_id: str, owner: str) -> Decision:
    """The exact-dedup decision once the hash's owner is known."""
    if owner == article_id:
        return Decision(status="unique")
    return Decision(status="duplicate", duplicate_of=owner, method=EXACT)
