"""Expected failures as values: a stage returns a `Rejection` instead of raising."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# The fixed reason vocabulary. Metrics label rejections by these values, so the set is closed.
INVALID_JSON: Final = "invalid_json"
NOT_AN_OBJECT: Final = "not_an_object"
MISSING_FIELD: Final = "missing_field"
WRONG_TYPE: Final = "wrong_type"
CONFLICTING_FIELDS: Final = "conflicting_fields"
BAD_URL: Final = "bad_url"
BAD_TIMESTAMP: Final = "bad_timestamp"
TOO_LARGE: Final = "too_large"
BAD_ENCODING: Final = "bad_encoding"
EMPTY_BODY: Final = "empty_body"
NOT_HTML: Final = "not_html"
NO_MAIN_TEXT: Final = "no_main_text"
EXTRACTION_TIMEOUT: Final = "extraction_timeout"
EXTRACTOR_CRASHED: Final = "extractor_crashed"
EXTRACTION_FAILED: Final = "extraction_failed"
RETRIES_EXHAUSTED: Final = "retries_exhausted"
BAD_EVENT: Final = "bad_event"

REASONS: Final = frozenset(
    {
        INVALID_JSON,
        NOT_AN_OBJECT,
        MISSING_FIELD,
        WRONG_TYPE,
        CONFLICTING_FIELDS,
        BAD_URL,
        BAD_TIMESTAMP,
        TOO_LARGE,
        BAD_ENCODING,
        EMPTY_BODY,
        NOT_HTML,
        NO_MAIN_TEXT,
        EXTRACTION_TIMEOUT,
        EXTRACTOR_CRASHED,
        EXTRACTION_FAILED,
        RETRIES_EXHAUSTED,
        BAD_EVENT,
    }
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message cannot go on: `reason` from the fixed vocabulary, `detail` for humans."""

    reason: str
    detail: str

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown rejection reason {self.reason!r}")
