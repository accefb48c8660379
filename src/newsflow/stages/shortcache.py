"""Caches for a function of one string that keep only short strings: an LRU cache
(`cache_short`), and a dictionary memo for lookups from C (`ShortMemo`).

The stages cache what they compute per word or phrase (a term, a stem, a run's syllables):
the same words come back in every text. A cache of tens of thousands of entries also kept
runs of junk letters a megabyte long, in the worker's memory, where the text features are
computed outside the extractor's memory cap; a longer string is computed each time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

T = TypeVar("T")


def cache_short(
    *, maxsize: int, max_chars: int
) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Cache the last `maxsize` results for strings of at most `max_chars` characters."""

    def decorate(function: Callable[[str], T]) -> Callable[[str], T]:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def call(text: str) -> T:
            return cached(text) if len(text) <= max_chars else function(text)

        return call

    return decorate


class ShortMemo(dict[str, T]):
    """A function's results for short strings, looked up as a dictionary's items: from C
    (`map(memo.__getitem__, words)`), with no Python call per hit. A string longer than
    `max_chars` is computed each time; once `maxsize` are kept, the older half is forgotten
    (by insertion: no lookup moves a string up). Safe to share between threads."""

    def __init__(self, function: Callable[[str], T], *, maxsize: int, max_chars: int) -> None:
        super().__init__()
        self.function = function
        self.maxsize = maxsize
        self.max_chars = max_chars

    def __missing__(self, text: str) -> T:
        found = self.function(text)
        if len(text) <= self.max_chars:
            if len(self) >= self.maxsize:
                for older in list(self)[: self.maxsize // 2]:
                    self.pop(older, None)  # (another thread may have forgotten it first)
            self[text] = found
        return found
