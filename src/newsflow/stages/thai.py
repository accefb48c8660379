"""Thai words: Thai leaves no space between the words of a clause, so a run of Thai letters
is split into dictionary words by PyThaiNLP's maximal-matching tokenizer (newmm).

Read as `\\w+`, a Thai "word" was a whole clause: two outlets' reports of one flood shared no
term but their numbers, and a changed word lost its clause's shingles. PyThaiNLP is imported
when the first Thai text arrives (its dictionary takes about 0.6 s to load, once per process);
other texts never pay for it.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

THAI = "\u0e01-\u0e5b"
"""Thai letters, vowels, tone marks, digits and signs."""
HAS_THAI = re.compile(f"[{THAI}]")
_THAI_RUN = re.compile(f"[{THAI}]+")
_DECOMPOSED_SARA_AM = "\u0e4d\u0e32"
"""NFKC writes the vowel SARA AM (ำ) as NIKHAHIT and SARA AA; the dictionary has it whole."""


MAX_RUN_CHARS = 1_000
"""A run of Thai longer than this is kept whole: no clause of news is, and splitting costs
about 5 µs a character where the worker computes features outside any time limit."""
MAX_TEXT_CHARS = 100_000
"""Thai characters split per text (about 0.5 s); the text's later runs are kept whole. Counted
in characters, not time, so every process splits a text alike. A message of 3.2 million
random Thai characters took 29 s of a worker's time, its partition stalled."""
DOUBLE_SARA_E = "\u0e40\u0e40"
"""Two SARA E typed for SARA AE (แ), a common habit: the same word to a reader."""


class ThaiSplitter:
    """Splits the Thai runs of one text's tokens into words, up to `MAX_TEXT_CHARS`."""

    def __init__(self) -> None:
        self.left = MAX_TEXT_CHARS

    def words(self, token: str) -> list[str]:
        """The token with each run of Thai split into words (the rest of it kept as it is,
        and a run past the limits whole)."""
        if self.left <= 0 or not HAS_THAI.search(token):  # (spent: "ก1" a million times)
            return [token]
        words: list[str] = []
        start = 0
        for run in _THAI_RUN.finditer(token):
            if run.start() > start:
                words.append(token[start : run.start()])
            found = run.group()
            if len(found) <= min(MAX_RUN_CHARS, self.left):
                self.left -= len(found)
                words.extend(_run_words(found))
            else:
                words.append(found)
            start = run.end()
        if start < len(token):
            words.append(token[start:])
        return words


def thai_words(token: str) -> list[str]:
    """One token's words (`ThaiSplitter.words` for a text of that token alone)."""
    return ThaiSplitter().words(token)


def unify_thai(text: str) -> str:
    """The text as the normalized text writes Thai, for what reads it unnormalized (the story
    terms, after `fingerprint.unify_letters`, which takes out invisible characters and makes
    Thai digits ASCII): SARA AE for two SARA E, SARA AM whole."""
    return text.replace(DOUBLE_SARA_E, "\u0e41").replace(_DECOMPOSED_SARA_AM, "\u0e33")


def _run_words(run: str) -> tuple[str, ...]:
    """A run's words, split as the dictionary writes ำ and given back as the run wrote it (so
    a normalized run and the same run as the page wrote it share one cache entry)."""
    if _DECOMPOSED_SARA_AM not in run:
        return _split_run(run)
    words = _split_run(run.replace(_DECOMPOSED_SARA_AM, "\u0e33"))
    return tuple(word.replace("\u0e33", _DECOMPOSED_SARA_AM) for word in words)


@lru_cache(maxsize=8192)
def _split_run(run: str) -> tuple[str, ...]:
    """A run of Thai as words. The near-duplicate shingles (of normalized text) and the story
    terms (of the text as it is) split the same clauses, so the last few thousand are kept."""
    return tuple(word for word in _tokenize(run) if word.strip())


def _tokenize(run: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize  # imported with the first Thai text

    words: list[str] = word_tokenize(run, engine="newmm-safe", keep_whitespace=False)
    return words


@cache
def stopwords() -> frozenset[str]:
    """PyThaiNLP's list of Thai function words (ที่, และ, ว่า…), less the words that tell news
    events apart: ใต้ "south" (ชายแดนใต้, the Deep South), ภาค "region", เหตุ "incident", วัน
    "day"."""
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords()) - {"ใต้", "ภาค", "เหตุ", "วัน"}
