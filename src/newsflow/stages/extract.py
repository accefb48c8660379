"""The extract stage: an `Article` in, main text and metadata (`Extraction`) or a `Rejection` out.

HTML goes through one trafilatura pass (`bare_extraction`, comments excluded, metadata on);
plain text goes through `textclean`. The stage is pure and may be slow on hostile pages:
the time limit is enforced by whoever runs it (see `newsflow.isolation`), which can kill it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import trafilatura

from newsflow import rejection as R
from newsflow.model import Article, Extraction
from newsflow.rejection import Rejection
from newsflow.stages.textclean import clean_text, drop_headline_copies

EXTRACTOR_NAME = "newsflow-trafilatura"
EXTRACTOR_VERSION = f"1+trafilatura.{trafilatura.__version__}"
DEFAULT_MAX_HTML_CHARS = 5_000_000
MIN_WORDS = 5
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)
_WORD = re.compile(r"\w+")
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\band\b|&)\s*")
_BY = re.compile(r"^\s*by\s+", re.I)


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Largest HTML the stage will parse, in characters."""

    max_html_chars: int = DEFAULT_MAX_HTML_CHARS


def extract(article: Article, *, limits: ExtractLimits | None = None) -> Extraction | Rejection:
    """Main text and metadata of an article; `no_main_text` when nothing usable is found."""
    limits = limits or ExtractLimits()
    if article.content_type == "text":
        return _extract_text(article)
    if len(article.body) > limits.max_html_chars:
        return Rejection(
            R.TOO_LARGE, f"HTML is {len(article.body)} chars, limit {limits.max_html_chars}"
        )
    return _extract_html(article)


def _extract_text(article: Article) -> Extraction | Rejection:
    cleaned = clean_text(article.body, title=article.title)
    if len(_WORD.findall(cleaned.text)) < MIN_WORDS:
        return Rejection(R.NO_MAIN_TEXT, f"plain text has fewer than {MIN_WORDS} words")
    return Extraction(
        text=cleaned.text,
        title=cleaned.title,
        authors=[],
        published_at=None,
        sitename=None,
        language=article.language,
        description=None,
        image=None,
        tags=[],
        extractor_name=EXTRACTOR_NAME,
        extractor_version=EXTRACTOR_VERSION,
        quality=score_quality(cleaned.text),
    )


def _extract_html(article: Article) -> Extraction | Rejection:
    document = trafilatura.bare_extraction(
        article.body,
        url=article.canonical_url if article.canonical_url.startswith("http") else None,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        deduplicate=False,
    )
    if document is None:
        return Rejection(R.NO_MAIN_TEXT, "the extractor found no main text")
    meta: dict[str, Any] = document.as_dict()
    title = _clean(meta.get("title")) or article.title
    text = (meta.get("text") or "").strip()
    if title:
        text = "\n".join(drop_headline_copies(text.split("\n"), title))
    if len(_WORD.findall(text)) < MIN_WORDS:
        return Rejection(R.NO_MAIN_TEXT, f"main text has fewer than {MIN_WORDS} words")
    return Extraction(
        text=text,
        title=title,
        authors=split_authors(meta.get("author")),
        published_at=_clean(meta.get("date")),
        sitename=_clean(meta.get("sitename")),
        language=_clean(meta.get("language")) or html_language(article.body) or article.language,
        description=_clean(meta.get("description")),
        image=_clean(meta.get("image")),
        tags=_tags(meta.get("categories"), meta.get("tags")),
        extractor_name=EXTRACTOR_NAME,
        extractor_version=EXTRACTOR_VERSION,
        quality=score_quality(text),
    )


def split_authors(value: object) -> list[str]:
    """`"By Jane Roe; John Doe"` → `["Jane Roe", "John Doe"]`."""
    if not isinstance(value, str):
        return []
    names = (_BY.sub("", part).strip(" ,") for part in _AUTHOR_SPLIT.split(value))
    return list(dict.fromkeys(name for name in names if name))


def html_language(html: str) -> str | None:
    """The primary language subtag of `<html lang=…>`, lower-cased."""
    match = _HTML_LANG.search(html[:20_000])
    return match.group(1).lower() if match else None


def score_quality(text: str) -> float:
    """A rough confidence in [0, 1]: low for texts too short to be a whole article."""
    words = len(_WORD.findall(text))
    paragraphs = text.count("\n") + 1
    length = min(1.0, words / 250)
    structure = min(1.0, paragraphs / 3)
    return round(0.75 * length + 0.25 * structure, 3)


def _tags(*values: object) -> list[str]:
    tags: list[str] = []
    for value in values:
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for item in items:
            tags.extend(part.strip() for part in str(item).split(",") if part.strip())
    return list(dict.fromkeys(tags))


def _clean(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
