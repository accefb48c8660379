"""Burmese written in Zawgyi, delivered in Unicode.

Zawgyi is a font encoding of Burmese: it puts glyphs, not letters, on the Myanmar block's code
points, so a text in it reads right only in the Zawgyi font, and its letters — hence its
content hash, shingles and story terms — differ from the same text in Unicode. Burmese sites
wrote it until Myanmar's move to Unicode in 2019, and reposts and older pages still carry it.
An extraction whose text is Zawgyi (Google's `myanmartools` detector, a Markov model of both
encodings) has its text, title, description and authors converted (`python-myanmar`'s
converter), so a Zawgyi copy of a Unicode article is an exact duplicate of it, and consumers
get text their fonts show. The converter is no identity on Unicode ("ရန်ကုန်" becomes
"ရနျကုနျ"), so each line of the text and each field is converted only unless it reads as
Unicode by itself: a page's Unicode title over a Zawgyi text, or the Unicode copy of a post
that carries its report in both encodings, stays as it is.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from dataclasses import replace
from functools import cache
from typing import Any

from newsflow.model import Extraction
from newsflow.stages.syllables import MYANMAR

ZAWGYI_PROBABILITY = 0.95
"""From which probability of Zawgyi a text is converted (Unicode texts score about 0)."""
SAMPLE_CHARS = 1_000
"""Myanmar characters the detector reads: its time grows with the text (11 ms for 13,000)."""
UNICODE_BELOW = 0.05
"""Below which probability of Zawgyi a line or a field of a Zawgyi text reads as Unicode and is
left as it is (a Unicode line of 20 letters scores below it 99 times in 100)."""
PIECE_SAMPLE_CHARS = 200
"""Myanmar characters the detector reads of each line or field of a Zawgyi text."""
_MYANMAR_RUN = re.compile(f"[{MYANMAR}]+")
_COMMON_BURMESE = "\u1031\u102c\u1039\u103a\u1004"
"""ေ ာ ္ ် င: any Burmese text, in either encoding, has some. Looking for them is a substring
search in C (1 µs for an English report, where the runs' pattern takes 55 µs)."""


def in_unicode(extraction: Extraction) -> Extraction:
    """The extraction, its Burmese converted from Zawgyi when its text is written in it."""
    if not is_zawgyi(extraction.text):
        return extraction
    return replace(
        extraction,
        text="\n".join(map(_unless_unicode, extraction.text.split("\n"))),
        title=_unless_unicode(extraction.title) if extraction.title else extraction.title,
        description=(
            _unless_unicode(extraction.description)
            if extraction.description
            else extraction.description
        ),
        authors=[_unless_unicode(author) for author in extraction.authors],
    )


def is_zawgyi(text: str) -> bool:
    """Whether the text's Burmese is Zawgyi (False for a text without Burmese)."""
    if not any(letter in text for letter in _COMMON_BURMESE):
        return False
    runs = _MYANMAR_RUN.findall(text)
    if not runs:
        return False
    sample = " ".join(runs)[:SAMPLE_CHARS]
    return bool(_detector().get_zawgyi_probability(sample) >= ZAWGYI_PROBABILITY)


def _unless_unicode(piece: str) -> str:
    """A line or a field of a Zawgyi text, converted unless it reads as Unicode by itself (or
    has no Burmese)."""
    sample = " ".join(_MYANMAR_RUN.findall(piece))[:PIECE_SAMPLE_CHARS]
    if not sample or _detector().get_zawgyi_probability(sample) < UNICODE_BELOW:
        return piece
    return _converted(piece)


def _converted(text: str) -> str:
    """The Zawgyi text in Unicode; as it is when the converter cannot read one of its
    syllables (it then prints the syllable and drops part of it: "ဃႉဳ" became "ဃ")."""
    from myanmar import converter  # only for a Zawgyi text

    with redirect_stdout(io.StringIO()) as complaints:
        converted = str(converter.convert(text, "zawgyi", "unicode"))
    return text if complaints.getvalue() else converted


@cache
def _detector() -> Any:
    from myanmartools import ZawgyiDetector  # loads its model: only once Burmese turns up

    return ZawgyiDetector()
