"""Clean a plain-text article: normalized lines, repeated headlines removed, a title found.

Plain-text messages arrive without markup, so the only structure is lines. A headline is
a short line near the top that does not end like a sentence; copies of it in the body are
removed so the same article with or without its headline repeated gives the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SENTENCE_END = re.compile(r"[.!?…:;,\"”’)]$")
_WORD = re.compile(r"\w+")
HEADLINE_MAX_WORDS = 25
HEADLINE_MIN_WORDS = 3
_TITLE_FALLBACK_WORDS = 12


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str
    title: str | None


def clean_text(text: str, *, title: str | None = None) -> CleanText:
    """Normalize a plain-text article and find its headline when `title` is not given."""
    lines = [line for line in (_SPACE.sub(" ", raw).strip() for raw in text.split("\n")) if line]
    if title is None:
        title = find_headline(lines)
    if title is not None:
        lines = drop_headline_copies(lines, title)
    if title is None and lines:
        title = first_words(lines[0], _TITLE_FALLBACK_WORDS)
    return CleanText(text="\n".join(lines), title=title)


def find_headline(lines: list[str], *, look_ahead: int = 6) -> str | None:
    """The first short, non-sentence line near the top that is followed by prose.

    Copies of the candidate directly below it are skipped (some sites print it twice).
    """
    for index, line in enumerate(lines[:look_ahead]):
        if is_headline_like(line) and _prose_follows(lines, index):
            return line
    return None


def is_headline_like(line: str) -> bool:
    words = len(_WORD.findall(line))
    return HEADLINE_MIN_WORDS <= words <= HEADLINE_MAX_WORDS and not _SENTENCE_END.search(line)


def _prose_follows(lines: list[str], index: int) -> bool:
    key = _key(lines[index])
    following = (line for line in lines[index + 1 :] if _key(line) != key)
    return len(_WORD.findall(next(following, ""))) > HEADLINE_MAX_WORDS


def drop_headline_copies(lines: list[str], title: str) -> list[str]:
    """Remove every line equal to the headline (ignoring case and spacing) and all above it."""
    key = _key(title)
    last = max((i for i, line in enumerate(lines) if _key(line) == key), default=-1)
    if last < 0:
        return lines
    return [line for line in lines[last + 1 :] if _key(line) != key] or lines


def first_words(line: str, count: int) -> str:
    words = line.split(" ")
    return line if len(words) <= count else " ".join(words[:count]) + " …"


def _key(line: str) -> str:
    return " ".join(_WORD.findall(line.casefold()))
