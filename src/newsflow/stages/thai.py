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


def thai_words(token: str) -> list[str]:
    """The token with each run of Thai split into words (the rest of it kept as it is)."""
    if not HAS_THAI.search(token):
        return [token]
    words: list[str] = []
    start = 0
    for run in _THAI_RUN.finditer(token):
        if run.start() > start:
            words.append(token[start : run.start()])
        words.extend(_run_words(run.group()))
        start = run.end()
    if start < len(token):
        words.append(token[start:])
    return words


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
    """PyThaiNLP's list of Thai function words (ที่, และ, ว่า…)."""
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())
