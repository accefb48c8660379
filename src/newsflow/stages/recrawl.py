"""Re-crawls decided before extraction: a byte-identical body that was decided before.

A crawler fetching a page again gets the same bytes; extraction would give the same text, and
exact dedup would call it a duplicate of that text's owner. So when an article's text claims
its content hash (clean, or a duplicate), the same store call stores `article_id target
content_hash` under its raw body hash (`mark`), and `recognize` answers the same decision for
a later article with the same body, with no extraction. The first article of a body, and its
redeliveries, always go the whole way; an article whose extraction failed claims nothing, and
one whose decision failed gives its claim and mark back (`DedupStore.release_claim`), so their
re-crawls are extracted again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from newsflow.model import Article
from newsflow.store.base import DedupStore
from newsflow.store.records import Mark

KEY = "raw:"


@dataclass(frozen=True, slots=True)
class Recrawl:
    """A re-crawl's decision: an exact duplicate of `duplicate_of`, whose text hashes to
    `content_hash`."""

    duplicate_of: str
    content_hash: str


def recognize(article: Article, store: DedupStore, *, now: float) -> Recrawl | None:
    """The decision for a body decided before under another article, else None."""
    return _recognized(article, store.peek(KEY + article.body_hash, now=now))


def recognize_many(
    articles: list[Article], store: DedupStore, *, now: float
) -> list[Recrawl | None]:
    """`recognize` for each article, with one store call."""
    values = store.peek_many([KEY + article.body_hash for article in articles], now=now)
    return [_recognized(article, value) for article, value in zip(articles, values, strict=True)]


def _recognized(article: Article, value: str | None) -> Recrawl | None:
    if value is None:
        return None
    owner, target, content_hash, *_ = value.split(" ")
    if article.article_id in (owner, target):
        return None  # the article itself, redelivered: decide it the whole way again
    return Recrawl(duplicate_of=target, content_hash=content_hash)


@dataclass(frozen=True, slots=True)
class FirstText:
    """What a redelivered article's first decision claimed: its text's hash, and which lines
    of the extracted text it dropped as learned boilerplate."""

    content_hash: str
    dropped: frozenset[int]


def first_text(article: Article, marked: str | None, lines: str | None) -> FirstText | None:
    """From the marker's value and its lines (`Begun.marked`, `Begun.marked_lines`), what this
    article's first decision kept, when it was this article that set the marker; else None."""
    if marked is None:
        return None
    owner, _, content_hash, *_ = marked.split(" ")
    if owner != article.article_id:
        return None
    dropped = frozenset(int(i) for i in lines.split(",")) if lines else frozenset()
    return FirstText(content_hash, dropped)


def mark(article: Article, content_hash: str, dropped: Iterable[int] = ()) -> Mark:
    """The marker that makes later copies of this body re-crawls: set with the exact-dedup
    claim of `content_hash` (`dedup.exact_claim`), as `article_id target content_hash`, the
    target being the claim's owner (the article itself, or the article it duplicates); with
    it, under a key of their own, the lines of the extracted text that learned boilerplate
    dropped, if any (`3,7`): the article keeps that text at a redelivery, when more lines may
    have recurred since. (In the marker's value they made the previous release fail on it,
    during a rolling upgrade or after a rollback.) The first one wins."""
    lines = ",".join(map(str, sorted(dropped)))
    return Mark(KEY + article.body_hash, f"{article.article_id} ", f" {content_hash}", lines)
