"""How many words a line has (`word_count`), as the rules on the shape of a line count
them, the most words a headline has (`HEADLINE_MAX_WORDS`), which a teaser link to another
article does not exceed either, and the marks that end a sentence in every script
(`OTHER_SCRIPTS_ENDS`, `PROSE_END`).

Both the page furniture rules (`newsflow.stages.furniture`) and the headline and byline rules
(`newsflow.stages.textclean`) measure lines so. Thai, Lao, Khmer and Myanmar leave spaces
between phrases, not between words (`PHRASE_SPACED`): a run of their letters counts by its
length, here and in the quality score's word count (`newsflow.stages.quality`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from newsflow.stages.fingerprint import WORD
from newsflow.stages.syllables import SYLLABIC
from newsflow.stages.thai import THAI

HEADLINE_MAX_WORDS = 25
# Sentence ends beyond Latin and CJK: the danda (Hindi), the Urdu full stop, the Arabic
# question mark and semicolon, the Greek question mark, the Ethiopic, Myanmar and Khmer stops.
OTHER_SCRIPTS_ENDS = "।॥۔؟؛\u037e።။។"
PROSE_END = frozenset('.!?…"”’)。！？」』' + OTHER_SCRIPTS_ENDS)
PHRASE_SPACED = re.compile(f"[{THAI}{SYLLABIC}]")
"""A letter of Thai, Lao, Khmer or Myanmar: scripts that leave spaces between phrases, not
between words."""
PHRASE_SPACED_CHARS_PER_WORD = 4
"""About the length of a word of those scripts, in characters."""


@lru_cache(maxsize=1024)
def word_count(line: str) -> int:
    """The line's words (`\\w+`), counted once: most rules ask, several per line.

    Thai leaves no space between words, and ends no sentence with a stop: read as `\\w+`, a
    paragraph of Thai was a few "words" that ended no sentence, a byline's or a heading's
    shape, and the text of a Thai article was dropped whole (a second held-out review); Lao,
    Khmer and Myanmar leave spaces between phrases only, too. A run of their letters counts
    one word per `PHRASE_SPACED_CHARS_PER_WORD` characters, about the length of a word, so
    that a paragraph counts as one and a heading as the other.
    """
    words = WORD.findall(line)
    if not PHRASE_SPACED.search(line):
        return len(words)
    return sum(
        -(-len(word) // PHRASE_SPACED_CHARS_PER_WORD) if PHRASE_SPACED.search(word) else 1
        for word in words
    )
