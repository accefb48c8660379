"""Build outcome events from stage results, and read the ingested event back into an `Article`.

Pure: timestamps come in as arguments. Field names follow the schemas in `contracts/schemas/`.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from newsflow.contracts.codec import SCHEMA_VERSION
from newsflow.model import Article, Decision, Extraction, Fingerprint, Origin
from newsflow.rejection import Rejection

ORIGINAL_LIMIT = 512 * 1024  # bytes of JSON a rejection's original may take


def ingested_event(article: Article) -> dict[str, Any]:
    """The `articles.ingested` event of a validated article."""
    return {
        "schema_version": SCHEMA_VERSION,
        **_ids(article),
        "content_type": article.content_type,
        "body": article.body,
        "body_hash": article.body_hash,
        "fetched_at": article.fetched_at,
        "ingested_at": article.ingested_at,
        "language": article.language,
        "title": article.title,
        "metadata": article.metadata,
    }


def article_from_event(event: dict[str, Any]) -> Article:
    """The inverse of `ingested_event` (the event must already be validated)."""
    return Article(
        article_id=event["article_id"],
        source_id=event["source_id"],
        url=event["url"],
        canonical_url=event["canonical_url"],
        source=event["source"],
        content_type=event["content_type"],
        body=event["body"],
        body_hash=event["body_hash"],
        fetched_at=event["fetched_at"],
        ingested_at=event["ingested_at"],
        language=event["language"],
        title=event["title"],
        metadata=event["metadata"],
    )


def clean_event(
    article: Article,
    extraction: Extraction,
    fp: Fingerprint,
    *,
    extracted_at: str,
    dedup: dict[str, Any] | None = None,
    story_id: str | None = None,
) -> dict[str, Any]:
    """The `articles.clean` event: main text, metadata, fingerprint, dedup provenance (`dedup`:
    status, near_duplicate_of, similarity, method; unique by default) and story."""
    return {
        "schema_version": SCHEMA_VERSION,
        **_ids(article),
        "sitename": extraction.sitename,
        "title": extraction.title,
        "authors": extraction.authors,
        "published_at": extraction.published_at,
        "language": extraction.language,
        "description": extraction.description,
        "image": extraction.image,
        "tags": extraction.tags,
        "text": extraction.text,
        "word_count": fp.word_count,
        "content_hash": fp.content_hash,
        "fetched_at": article.fetched_at,
        "ingested_at": article.ingested_at,
        "extracted_at": extracted_at,
        "extractor": {"name": extraction.extractor_name, "version": extraction.extractor_version},
        "quality": extraction.quality,
        "dedup": dedup
        or {"status": "unique", "near_duplicate_of": None, "similarity": None, "method": None},
        "story_id": story_id,
    }


def duplicate_event(
    article: Article,
    fp: Fingerprint,
    decision: Decision,
    *,
    decided_at: str,
    similarity: float | None = 1.0,
) -> dict[str, Any]:
    """The `articles.duplicates` event: which earlier article this one repeats, how (`exact`,
    or `near` with the estimated similarity)."""
    return {
        "schema_version": SCHEMA_VERSION,
        **_ids(article),
        "content_hash": fp.content_hash,
        "duplicate_of": decision.duplicate_of,
        "method": decision.method,
        "similarity": similarity,
        "fetched_at": article.fetched_at,
        "ingested_at": article.ingested_at,
        "decided_at": decided_at,
    }


def rejection_event(
    rejection: Rejection,
    *,
    stage: str,
    original: bytes,
    origin: Origin,
    rejected_at: str,
    article: Article | None = None,
    source_id: str | None = None,
    url: str | None = None,
    attempts: int | None = None,
) -> dict[str, Any]:
    """A rejected (ingest) or dead-lettered (extract) message with its original, for replay.

    An original whose JSON would take more than `ORIGINAL_LIMIT` bytes is cut to fit (its
    beginning, `original_truncated`, and its size in `original_bytes`): a rejection must fit
    in one produce request and one broker message, and a message's JSON can be 6 times its
    size (a control byte is written `\\u0001`). Its `origin` still points at the whole."""
    text, encoding = _as_text(original)
    # JSON writes a character in at most 6 bytes, and 2 quotes: only a long one is measured.
    cut = len(text) * 6 + 2 > ORIGINAL_LIMIT and len(orjson.dumps(text)) > ORIGINAL_LIMIT
    if cut:
        text = _beginning(original, encoding)
    event: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "stage": stage,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "origin": origin.as_dict(),
        "source_id": article.source_id if article else source_id,
        "article_id": article.article_id if article else None,
        "url": article.url if article else url,
        "original": text,
        "original_encoding": encoding,
        "rejected_at": rejected_at,
    }
    if cut:
        event["original_truncated"] = True
        event["original_bytes"] = len(original)
    if attempts is not None:
        event["attempts"] = attempts
    return event


def original_bytes(event: dict[str, Any]) -> bytes:
    """The original message of a rejection event, as it was received (for `replay`)."""
    if event["original_encoding"] == "base64":
        return base64.b64decode(event["original"])
    return str(event["original"]).encode("utf-8")


def _as_text(original: bytes) -> tuple[str, str]:
    try:
        return original.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(original).decode("ascii"), "base64"


def _beginning(original: bytes, encoding: str) -> str:
    """The text, in `encoding`, of the longest beginning of `original` found whose JSON takes
    at most `ORIGINAL_LIMIT` bytes (each try shorter in proportion, and by a tenth at least)."""
    size = len(original)
    while size:
        part = original[:size]
        if encoding == "utf-8":  # a character cut at the end is left out
            text = part.decode("utf-8", "ignore")
        else:
            text = base64.b64encode(part).decode("ascii")
        used = len(orjson.dumps(text))
        if used <= ORIGINAL_LIMIT:
            return text
        size = min(size * ORIGINAL_LIMIT // used, size * 9 // 10)
    return ""


def _ids(article: Article) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "source_id": article.source_id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
    }
