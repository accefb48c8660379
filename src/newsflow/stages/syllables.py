"""Myanmar, Khmer and Lao syllables: those scripts leave no space between the words of a
phrase, so a run of them is split into orthographic syllables, by rules, no dictionary.

Read as `\\w+`, a "word" of these scripts was a phrase: two outlets' reports of one Yangon
market fire founded two stories, and a rewrite changing two words of a Lao report was no near
duplicate (`tests/fixtures/unspaced/`). Syllables stand in for words as Chinese characters do:
the near-duplicate shingles are syllable 3-grams and the story terms syllable pairs (most
words of these languages are of one to three syllables). Where a syllable ends is sometimes
not where a reader would end it, and a Khmer or Lao consonant after a vowel, with no vowel of
its own after it, is taken for the final of the syllable before: so a word that opens with
such a consonant splits one way after a vowel and another after a consonant (កម្ពុជា is
ក|ម្ពុ|ជា, but នៅកម្ពុជា is នៅក|ម្ពុ|ជា). Taking every such consonant for a syllable of its
own splits every word alike, but its pairs are syllable fragments that other reports share:
two reports of one Khmer boat sinking went from a cosine of 0.48 to 0.56, a report of another
sinking from none to 0.31 (it joined their story), and an unrelated Lao report joined a
landslide's (`tests/fixtures/sea/`, 2026-12-07).

A syllable begins at a letter that starts one, and takes every sign after it:
- Myanmar: a consonant, unless stacked under the one before (after U+1039 virama) or killed
  (before U+103A asat or U+1039, a dot below before them, as the final consonant of the
  syllable before); an independent vowel, a digit or a sign of punctuation.
- Khmer: a consonant or an independent vowel, unless subscript (after U+17D2 coeng) or final
  (after a vowel or a sign, before no vowel or sign of its own); a digit or a sign of
  punctuation.
- Lao: a vowel written before its consonant (U+0EC0–U+0EC4), or a consonant neither after
  one nor final (after a vowel or tone mark, before no vowel of its own); ໆ; a digit.
The splitting is one regular expression pass, linear in the text. Word segmenters exist
for each language (khmer-nltk, LaoNLP, pyidaungsu), each with a model and dependencies of its
own; syllables need neither, and consistency, not word boundaries, is what matching needs.
"""

from __future__ import annotations

import re

from newsflow.stages.shortcache import cache_short

MYANMAR = "\u1000-\u109f"
KHMER = "\u1780-\u17ff\u19e0-\u19ff"
LAO = "\u0e80-\u0eff"
SYLLABIC = MYANMAR + KHMER + LAO
"""The scripts split into syllables."""
HAS_SYLLABIC = re.compile(f"[{SYLLABIC}]")
_KHMER_LETTER = "\u1780-\u17b3"  # consonants and independent vowels
_KHMER_SIGN = "\u17b6-\u17d1"  # dependent vowels and signs (bantoc, nikahit…)
_LAO_CONSONANT = "\u0e81-\u0eae\u0edc-\u0edf"
_LAO_LEADING = "\u0ec0-\u0ec4"  # vowels written before their consonant
_LAO_VOWEL = "\u0eb1\u0eb2\u0eb4-\u0eb9\u0ebb\u0ebd\u0ec8-\u0ecd"  # vowel signs, ຽ, tone marks
_KHMER_ONSET_SIGN = "\u17b4-\u17ca\u17d2\u17dd"  # what follows a consonant it does not end
_LAO_ONSET_SIGN = f"{_LAO_VOWEL}\u0eb3\u0ebc"
_BEFORE_SYLLABLE = re.compile(
    # Myanmar: a consonant, not stacked (after virama) nor killed (before asat or virama, a
    # dot below before them: NFC writes the creaky tone's dot before the asat, as in ့်)
    "(?<!\u1039)(?=[\u1000-\u1021](?!\u1037?[\u103a\u1039]))"
    "|(?=[\u1023-\u102a\u103f\u1040-\u104f])"
    # Khmer: a letter, not subscript (after coeng) nor final (after a vowel, before anything
    # but a vowel or a sign of its own: a letter, a sign such as bantoc, ៗ, the end)
    f"|(?<!\u17d2)(?=[{_KHMER_LETTER}])"
    f"(?!(?<=[{_KHMER_SIGN}])[{_KHMER_LETTER}](?![{_KHMER_ONSET_SIGN}]))"
    "|(?=[\u17d4-\u17dc\u17e0-\u17f9\u19e0-\u19ff])"
    # Lao: a leading vowel, or a consonant not after one nor final (after a vowel, before
    # anything but a vowel or a tone mark of its own: a consonant, a leading vowel, ໆ, the end)
    f"|(?<![{_LAO_LEADING}])(?=[{_LAO_CONSONANT}])"
    f"(?!(?:(?<=[{_LAO_VOWEL}])|(?<=[{_LAO_LEADING}][{_LAO_CONSONANT}]))"
    f"[{_LAO_CONSONANT}](?![{_LAO_ONSET_SIGN}]))"
    f"|(?=[{_LAO_LEADING}\u0ec6\u0ed0-\u0ed9])"
)
SYLLABIC_RUN = re.compile(f"[{SYLLABIC}]+")
"""A run of those scripts: a phrase."""


def syllables(token: str) -> list[str]:
    """The token with each run of Myanmar, Khmer or Lao split into syllables (the rest of it
    kept as it is)."""
    parts: list[str] = []
    start = 0
    for run in SYLLABIC_RUN.finditer(token):
        if run.start() > start:
            parts.append(token[start : run.start()])
        parts.extend(run_syllables(run.group()))
        start = run.end()
    if start < len(token):
        parts.append(token[start:])
    return parts


CACHED_RUN_CHARS = 256
"""The longest run whose syllables are kept in memory: a phrase is shorter; runs of junk
letters a megabyte long would have had the cache hold gigabytes of a worker."""


@cache_short(maxsize=8192, max_chars=CACHED_RUN_CHARS)
def run_syllables(run: str) -> tuple[str, ...]:
    """A run's syllables. The shingles (of the normalized text) and the story terms (of the
    text as it is) split the same phrases, so the last few thousand are kept."""
    return tuple(filter(None, _BEFORE_SYLLABLE.split(run)))
