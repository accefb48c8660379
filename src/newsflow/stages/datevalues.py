"""A date as a page declares it: read (ISO 8601, with slashes, RFC 2822), judged plausible for
an article (not a placeholder, not after the fetch), matched to a declaration of the same time
with its offset, and written as RFC 3339 in UTC or as the page wrote it (`newsflow.stages.dates`
picks which of a page's dates is its publication date).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from newsflow.stages.ingest import format_timestamp

# A zone named after a time: "2019-11-19 02:24:00 UTC", "… GMT+01:00".
_SLASHED_DAY = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?![\d/])")
# RFC 2822: a weekday maybe, then "7 Dec 2026" and a time.
_RFC_2822 = re.compile(r"^(?:[A-Za-z]{3}, )?\d{1,2} [A-Za-z]{3} \d{4} \d\d:\d\d")
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT|Z)(?:([+-]\d{2}):?(\d{2}))?$", re.I)
MIN_YEAR = 1900  # an earlier publication date is a placeholder ("0001-01-01T00:00:00Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a zero timestamp: a placeholder too


def _moment(value: str) -> date | datetime | None:
    """A declared date: a day, or a time with or without its offset; None if not ISO 8601,
    nor ISO 8601 with slashes ("2026/12/07 14:30:00"), nor RFC 2822 ("Mon, 07 Dec 2026
    14:30:00 +0700", as RSS writes dates and some sites' JSON-LD too)."""
    value = written = " ".join(value.split())[:64]  # no date is longer (spaces: quadratic)
    value = _UTC_SUFFIX.sub(lambda m: f"{m[1] or '+00'}:{m[2] or '00'}", value)
    if slashed := _SLASHED_DAY.match(value):
        year, month, day = slashed.groups()
        value = f"{year}-{int(month):02d}-{int(day):02d}{value[slashed.end() :]}"
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    if not _RFC_2822.match(written):
        return None
    try:
        return parsedate_to_datetime(written)
    except (TypeError, ValueError, IndexError):
        return None


def latest_plausible(fetched_at: str | None) -> datetime | None:
    """The latest plausible publication time: a day after the fetch, in UTC."""
    if not fetched_at:
        return None
    try:
        fetched = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=UTC)
    return fetched.astimezone(UTC) + timedelta(days=1)


def plausible(values: Iterator[str], latest: datetime | None) -> Iterator[date | datetime]:
    """The values that are dates an article can have (not placeholders, not after `latest`);
    a time without offset is compared as if in UTC, a day with `latest`'s day."""
    for value in values:
        moment = _moment(value)
        if moment is None or moment.year < MIN_YEAR:
            continue
        if isinstance(moment, datetime):
            try:
                utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
            except OverflowError:  # "9999-12-31T23:59:59-05:00" is past year 9999 in UTC
                continue
            if utc == _EPOCH or (latest is not None and utc > latest):
                continue
        elif moment == _EPOCH.date() or (latest is not None and moment > latest.date()):
            continue
        yield moment


def same_time_with_offset(moment: datetime, others: Iterator[date | datetime]) -> datetime:
    """`moment`, a time without offset, or another of the same time with one."""
    written = moment.replace(microsecond=0)
    for other in others:
        if (
            isinstance(other, datetime)
            and other.tzinfo is not None
            and other.replace(microsecond=0, tzinfo=None) == written
        ):
            return other
    return moment


def iso_moment(moment: date | datetime) -> str:
    """RFC 3339 in UTC for a time with offset, else ISO 8601 as written."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return format_timestamp(moment)
    return moment.isoformat()
