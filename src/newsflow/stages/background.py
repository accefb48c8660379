"""How common a story term is in its language at large: the prior of the story IDF.

The story IDF counts the window's documents (`newsflow.stages.stories.vectorize`). Before it
has seen many reports of a kind it cannot tell a common word from a rare one, and a
capitalized word weighs as a name (×5) whether it is "Monday", "Police" or "American", which
every report of a kind shares, or the boxer's opponent and the town the quake hit, which tell
one event from another. So the IDF also counts `BACKGROUND_DOCUMENTS` documents of the
language at large, of which a word of frequency f (wordfreq's "small" list: words of
frequency 1e-6 and more in its mix of news, books, subtitles and the web) is in a share
1 − e^(−f·`DOCUMENT_WORDS`). A word the list lacks (a rare name, a number) is in none of
them, as every term was before.

Pure: the lists ship in the wordfreq wheel; each language's is read once per process, when
its first text comes (about 5 MB in memory each; the import itself 17 MB).
"""

from __future__ import annotations

import math
from functools import cache

from newsflow.stages.story_terms import FUNCTION_WORDS

BACKGROUND_DOCUMENTS = 1000
"""Documents of the language at large counted before the window's: on the stories dev set
(B-cubed F1 over 20 orders) 500, 1,000, 2,000 and 5,000 decide alike (0.879–0.881), against
0.864 with 200 documents holding no term."""
DOCUMENT_WORDS = 400
"""Words of an assumed document of the language at large, for the share holding a word."""
LANGUAGES = frozenset({"en", "ja", "ko", "zh", *FUNCTION_WORDS})
"""The languages whose function words `newsflow.stages.story_terms` knows, and so names, and
the three it tells by their scripts (Japanese, Korean, Chinese: until 2026-12-08 they were
English there, and no term of theirs had a share); each has a wordfreq list. A Chinese or
Japanese story term is a character pair: it has the share of the word it spells, if the list
holds it as one (地震 "earthquake", 東京), else none."""


def background_share(term: str, language: str) -> float:
    """The share of the documents of `language` at large holding `term` (a story term: a
    stemmed word, an `E:` name, whose span counts as its rarest word, `N:`/`Y:` numbers,
    which no list holds); 0 for a language without a list."""
    if language not in LANGUAGES:
        return 0.0
    shares = _shares(language)
    if not term.startswith("E:"):
        return shares.get(term, 0.0)
    name = term[2:]
    if " " not in name:
        return shares.get(name, 0.0)
    return min(shares.get(word, 0.0) for word in name.split(" "))


@cache
def _shares(language: str) -> dict[str, float]:
    from wordfreq import get_frequency_dict, get_frequency_list  # with the first text: 17 MB

    frequencies = get_frequency_dict(language, wordlist="small")
    get_frequency_dict.cache_clear()  # its copies, which the shares replace
    get_frequency_list.cache_clear()
    return {
        word: -math.expm1(-frequency * DOCUMENT_WORDS) for word, frequency in frequencies.items()
    }
