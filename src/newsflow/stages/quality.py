"""A confidence score for an extraction (`score_quality`), and the word count it rests on.

The score is low for tiny texts, texts made mostly of link lines, and truncated texts. Words
are counted only as far as a threshold needs (`count_words`), which the extract stage and the
readers of a page's metadata share.
"""

from __future__ import annotations

import itertools
import re

from newsflow.stages.dom import WORD_OR_CHARACTER
from newsflow.stages.fingerprint import HAS_CJK, SPACELESS, WORD
from newsflow.stages.linewords import (
    OTHER_SCRIPTS_ENDS,
    PHRASE_SPACED,
    PHRASE_SPACED_CHARS_PER_WORD,
)

_SENTENCE_END = re.compile(f"[.!?。！？{OTHER_SCRIPTS_ENDS}]['\"”’)]?$")
_TRUNCATED_END = re.compile(
    r"(?:\.\.\.|…|\bread more|\bcontinue reading|\bsubscribe to (?:read|continue)\b.*)$", re.I
)
FULL_LENGTH_WORDS = 250  # a text this long has the full length score


def score_quality(text: str, *, link_lines: int = 0) -> float:
    """Confidence in an extraction, in [0, 1]: low for tiny texts, texts made mostly of link
    lines (`link_lines`: lines equal to a link's text on the page), and truncated texts."""
    words = _word_equivalents(text, up_to=FULL_LENGTH_WORDS)
    lines = [line for line in text.split("\n") if line.strip()]
    if not words or not lines:
        return 0.0
    length = words / FULL_LENGTH_WORDS
    structure = min(1.0, len(lines) / 3)
    last = lines[-1].rstrip()
    truncated = bool(_TRUNCATED_END.search(last)) or not _SENTENCE_END.search(last)
    score = (0.75 * length + 0.25 * structure) * (1 - link_lines / len(lines))
    return round(score * (0.6 if truncated else 1.0), 3)


def _word_equivalents(text: str, *, up_to: int) -> float:
    """The text's words, counted up to `up_to`, where a script written without spaces counts
    by its characters: two Chinese or Japanese characters, or `PHRASE_SPACED_CHARS_PER_WORD`
    Thai, Lao, Khmer or Myanmar letters, about their words' length, make a word. Counted as
    space-separated words, a Chinese, Japanese or Thai report was a few dozen "words" long and
    scored 0.13–0.29 where its English equal scored 0.5 (a review of pages in other
    languages)."""
    if text.isascii() or not SPACELESS.search(text):
        return count_words(text, up_to=up_to)
    total = 0.0
    for match in WORD_OR_CHARACTER.finditer(text):
        found = match.group()
        if PHRASE_SPACED.match(found):
            total += _PHRASE_WORD
        else:
            total += _CJK_WORD if HAS_CJK.match(found) else 1
        if total >= up_to:
            break
    return total


_CJK_WORD = 0.5
_PHRASE_WORD = 1 / PHRASE_SPACED_CHARS_PER_WORD


def count_words(text: str, *, up_to: int, pattern: re.Pattern[str] = WORD) -> int:
    """The text's words (`pattern`), counted up to `up_to`: what a threshold needs, without
    going through the rest of a long text."""
    return sum(1 for _ in itertools.islice(pattern.finditer(text), up_to))
