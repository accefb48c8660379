"""Re-crawls decided before extraction: a byte-identical body that was decided before.

A crawler fetching a page again gets the same bytes; extraction would give the same text, and
exact dedup would call it a duplicate of that text's owner. So once an article is decided
(clean, or a duplicate), `remember` stores `article_id target content_hash` under its raw body
hash, and `recognize` answers the same decision for a later article with the same body, with
no extraction. The first article of a body, and its redeliveries, always go the whole way; an
article whose extraction failed is not remembered, so its re-crawls are extracted again.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsflow.model import Article
from newsflow.store.base import DedupStore

KEY = "raw:"


@dataclass(frozen=True, slots=True)
class Recrawl:
    """A re-crawl's decision: an exact duplicate of `duplicate_of`, whose text hashes to
    `content_hash`."""

    duplicate_of: str
    content_hash: str


def recognize(article: Article, store: DedupStore, *, now: float) -> Recrawl | None:
    """The decision for a body decided before under another article, else None."""
    value = store.peek(KEY + article.body_hash, now=now)
    if value is None:
        return None
    owner, target, content_hash = value.split(" ")
    if article.article_id in (owner, target):
        return None  # the article itself, redelivered: decide it the whole way again
    return Recrawl(duplicate_of=target, content_hash=content_hash)


def remember(
    article: Article,
    *,
    target: str,
    content_hash: str,
    store: DedupStore,
    ttl_seconds: int,
    now: float,
) -> None:
    """Record that re-crawls of this body are exact duplicates of `target` (first one wins)."""
    value = f"{article.article_id} {target} {content_hash}"
    store.claim(KEY + article.body_hash, value, ttl_seconds=ttl_seconds, now=now)
