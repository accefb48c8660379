"""The plain data that flows between stages. No I/O here, only values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ContentType = Literal["html", "text"]
DedupStatus = Literal["unique", "duplicate"]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an input message came from: a topic position, or a file and line in batch mode."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in _fields(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class Article:
    """A validated raw message: decoded body, canonical URL and a deterministic id."""

    article_id: str
    source_id: str | None
    url: str
    canonical_url: str
    source: str
    content_type: ContentType
    body: str
    body_hash: str
    fetched_at: str | None
    ingested_at: str
    language: str | None = None
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Extraction:
    """Main text and metadata of one article, as the extract stage found them."""

    text: str
    title: str | None
    authors: list[str]
    published_at: str | None
    sitename: str | None
    language: str | None
    description: str | None
    image: str | None
    tags: list[str]
    extractor_name: str
    extractor_version: str
    quality: float


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The normalized text's hash (exact dedup key) and its size in words."""

    content_hash: str
    word_count: int


@dataclass(frozen=True, slots=True)
class Decision:
    """Unique, or a duplicate of an earlier article (`duplicate_of`, found by `method`)."""

    status: DedupStatus
    duplicate_of: str | None = None
    method: str | None = None


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}
