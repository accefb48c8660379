"""Clean an article's text: normalized lines, headline and page furniture removed, a title found.

Both paths end here: plain-text messages as they arrive, HTML after the extractor has turned
the main content into lines. A headline is a short line near the top that does not end like a
sentence. Copies of it are removed, with everything above the last one and the byline block
right below it, so the same article with or without its headline and byline repeated in the
body gives the same text. Advertisement labels and the copyright notice closing a page are
page furniture, not article, and are dropped too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SENTENCE_END = re.compile(r"[.!?…:;,\"”’)。！？」』]$")
_WORD = re.compile(r"\w+")
_CREDIT = re.compile(r"^by\s|\b(?:1[89]|20)\d\d\b|\b\d{1,2}:\d\d\b", re.I)  # byline, date, time
_AD_LABEL = re.compile(
    r"^(?:advertisement|advertising|sponsored|anzeige|werbung|publicité|publicidad|pubblicità)$",
    re.I,
)
_NOTICE = re.compile(
    r"^(?:©|\(c\)|copyright\b)|all rights reserved|may not be (?:re)?published", re.I
)
HEADLINE_MAX_WORDS = 25
HEADLINE_MIN_WORDS = 3
BYLINE_MAX_WORDS = 12
BYLINE_MAX_LINES = 5
NOTICE_MAX_WORDS = 40
_TITLE_FALLBACK_WORDS = 12


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str
    title: str | None


def clean_text(text: str, *, title: str | None = None) -> CleanText:
    """Normalize an article's text and find its headline when `title` is not given."""
    lines = [line for line in (_SPACE.sub(" ", raw).strip() for raw in text.split("\n")) if line]
    lines = drop_trailing_notices([line for line in lines if not _AD_LABEL.match(line)])
    if title is None:
        title = find_headline(lines)
    if title is not None:
        lines = drop_headline_copies(lines, title)
    if title is None and lines:
        title = first_words(lines[0], _TITLE_FALLBACK_WORDS)
    return CleanText(text="\n".join(lines), title=title)


def find_headline(lines: list[str], *, look_ahead: int = 6) -> str | None:
    """The first short, non-sentence line near the top that is followed by prose.

    Copies of the candidate below it (some sites print it twice) and credit lines between it
    and the prose ("By Jane Roe", "Staff Writer", "12 March 2024") are skipped.
    """
    for index, line in enumerate(lines[:look_ahead]):
        if is_headline_like(line) and not _is_credit(line) and _prose_follows(lines, index):
            return line
    return None


def is_headline_like(line: str) -> bool:
    words = len(_WORD.findall(line))
    return HEADLINE_MIN_WORDS <= words <= HEADLINE_MAX_WORDS and not _SENTENCE_END.search(line)


def _prose_follows(lines: list[str], index: int) -> bool:
    key = _key(lines[index])
    following = (line for line in lines[index + 1 :] if _key(line) != key)
    line = next(following, "")
    while _is_credit(line):
        line = next(following, "")
    return _is_prose(line)


def drop_headline_copies(lines: list[str], title: str) -> list[str]:
    """Remove every line equal to the headline, all above the last one and the byline below it.

    A text that is nothing but a headline and its byline block comes back empty.
    """
    key = _key(title)
    last = max((i for i, line in enumerate(lines) if _key(line) == key), default=-1)
    if last < 0:
        return lines
    return drop_byline_block([line for line in lines[last + 1 :] if _key(line) != key])


def drop_byline_block(lines: list[str]) -> list[str]:
    """Remove the short lines (byline, credit, date, notice) between a headline and the prose.

    Left unchanged when a line in that block is neither, or when more than
    `BYLINE_MAX_LINES` lines come before the prose; empty when nothing else follows.
    """
    for index, line in enumerate(lines[: BYLINE_MAX_LINES + 1]):
        if _is_prose(line):
            return lines[index:]
        if not (_is_byline_like(line) or _is_notice(line)):
            return lines
    return [] if len(lines) <= BYLINE_MAX_LINES else lines


def drop_trailing_notices(lines: list[str]) -> list[str]:
    """Remove copyright and rights notices from the end ("© 2024 …", "All rights reserved")."""
    end = len(lines)
    while end > 1 and _is_notice(lines[end - 1]):
        end -= 1
    return lines[:end]


def first_words(line: str, count: int) -> str:
    words = line.split(" ")
    return line if len(words) <= count else " ".join(words[:count]) + " …"


def _is_prose(line: str) -> bool:
    return len(_WORD.findall(line)) > HEADLINE_MAX_WORDS


def _is_byline_like(line: str) -> bool:
    return len(_WORD.findall(line)) <= BYLINE_MAX_WORDS and not _SENTENCE_END.search(line)


def _is_credit(line: str) -> bool:
    """A byline, date or time line, or a line too short for a headline ("Staff Writer")."""
    if _SENTENCE_END.search(line):
        return False
    words = len(_WORD.findall(line))
    return 0 < words < HEADLINE_MIN_WORDS or (
        words <= BYLINE_MAX_WORDS and bool(_CREDIT.search(line))
    )


def _is_notice(line: str) -> bool:
    return len(_WORD.findall(line)) <= NOTICE_MAX_WORDS and bool(_NOTICE.search(line))


def _key(line: str) -> str:
    return " ".join(_WORD.findall(line.casefold()))
