"""Normalize main text and hash it: the exact-dedup key.

Two texts that differ only in Unicode form, whitespace, quote and dash styles, case (Turkish
dotless ı too), the spellings their script allows (optional marks, digits, Vietnamese tone
placement) or Cyrillic and Greek look-alikes of Latin letters in Latin words normalize to
the same string and so share a `content_hash`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from newsflow.model import Fingerprint
from newsflow.stages.syllables import HAS_SYLLABIC, SYLLABIC, syllables
from newsflow.stages.thai import DOUBLE_SARA_E, HAS_THAI, THAI, ThaiSplitter


def _other_digits() -> dict[str, str]:
    """Every decimal digit but ASCII's, as the ASCII digit of its value: Arabic-Indic (٢٠٢٤),
    Persian (۲۰۲۴), Devanagari (२०२४), Bengali, Thai, Myanmar… One site writes them, another
    ASCII digits (Egyptian and Persian sites most often the first, wire services the second):
    the same report had two content hashes, and its year was no `Y:` story term.

    Those of the Basic Multilingual Plane only: with one character past it in a class,
    Python's regular expressions test every character against the class's ranges one by
    one, and the unifying search took 1.8 ms per news text instead of 0.02 (the digits past
    it are of historic scripts; NFKC makes the mathematical ones ASCII)."""
    return {
        chr(code): str(unicodedata.decimal(chr(code)))
        for code in range(0x80, 0x10000)
        if chr(code).isdecimal()
    }


_LETTERS = {
    # Arabic's elongation (tatweel) and its optional vowel marks (harakat), which one
    # site writes and another leaves out; Turkish capital dotted I, which case folding
    # would make an i with a combining dot (İstanbul against ISTANBUL).
    "\u0640": None,
    **dict.fromkeys(map(chr, range(0x064B, 0x0653))),
    # Hebrew's points (niqqud) and cantillation marks, optional like the harakat; its
    # punctuation among them (maqaf, paseq, sof pasuq, nun hafukha) is no mark and stays.
    **dict.fromkeys(c for c in map(chr, range(0x0591, 0x05C8)) if unicodedata.category(c) == "Mn"),
    "\u0130": "I",
    # Digits of other scripts (Thai's among them), which one site writes and another writes
    # as ASCII digits.
    **_other_digits(),
    # Invisible characters: soft hyphens, zero-width spaces and joiners, the byte-order mark.
    "\u00ad": None,
    "\u200b": None,
    "\u200c": None,
    "\u200d": None,
    "\u2060": None,
    "\ufeff": None,
    # Bidirectional controls: marks and embeddings around right-to-left text (Arabic,
    # Hebrew) that one site writes and another does not.
    **dict.fromkeys(
        [
            "\u200e",
            "\u200f",
            "\u061c",
            *map(chr, range(0x202A, 0x202F)),
            *map(chr, range(0x2066, 0x206A)),
        ]
    ),
}
"""What the normalization unifies in words (the story terms read text unified so too)."""
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        **_LETTERS,
    }
)
_UNIFIED = re.compile("[" + "".join(re.escape(chr(c)) for c in _TRANSLATE) + "]")
_BEFORE_NFKC = str.maketrans({"\u00b4": "'", "\u2033": '"'})
"""Quotes NFKC takes apart, unified before it: the acute accent typed for an apostrophe
("it´s") becomes a space and a combining accent, the double prime two primes ('' not ")."""
_AS_NFKC_WRITES = (
    ("\u2026", "..."),
    ("\u00bd", "1\u20442"),
    ("\u00bc", "1\u20444"),
    ("\u00be", "3\u20444"),
)
"""The characters that make most news texts other than NFKC writes them (an ellipsis: 89 of
491 texts of `benchmarks.stage_cpu`'s pages; ½ 47, ¼ 9; then nearly always these alone), as
NFKC writes them, put in before the check: such a text is then found normalized and is not
normalized whole again (0.2 ms). The same text: NFKC decomposes each character on its own,
and these decompose to what they are replaced by."""
_UNIFIED_LETTERS = re.compile("[" + "".join(re.escape(c) for c in _LETTERS) + "]")


def _mark_ranges() -> list[tuple[int, int]]:
    """The code point ranges of the combining marks of the Basic Multilingual Plane."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)) in ("Mn", "Mc"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


CJK = "\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # 々, kana, Han
"""The characters of the scripts written without spaces between words (Chinese, Japanese): a
run of them is a clause, not a word."""
MARKS = "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _mark_ranges())
"""Combining marks (Unicode categories Mn, Mc), which `\\w` leaves out: the vowel signs of
Devanagari and the other Indic scripts split every word at them ("भारत" gave "भ", "रत")."""
WORD = re.compile(f"[\\w{MARKS}]+")
"""A word: letters, digits and underscores (`\\w`) with their combining marks."""
_UNSPACED_WORD = re.compile(f"[{CJK}]|(?:[^\\W{CJK}]|[{MARKS}])+")  # CJK one by one
HAS_CJK = re.compile(f"[{CJK}]")
SPACELESS_LETTERS = f"{CJK}{THAI}{SYLLABIC}"
"""The letters of the scripts that leave no space between words (Chinese, Japanese, Thai) or
only between phrases (Myanmar, Khmer, Lao), as a character class's ranges."""
SPACELESS = re.compile(f"[{SPACELESS_LETTERS}]")
"""A character of a script written without spaces between words: one search tells most texts
apart from those that need more (`str.isascii`, constant time, tells most English ones)."""


_VIETNAMESE = (
    "\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0"  # ĂăĐđĨĩŨũƠơƯư
    "\u1ea0-\u1ebb\u1ebe-\u1ef1\u1ef4-\u1ef9"  # ẠạẢả… but ẼẽỲỳ
)
"""Letters that Vietnamese writes and the languages of Europe do not (Ă and Đ also Romanian
and Croatian, which write no oà, oé; Yoruba and Igbo write ẹ, ị, ọ, ụ too): a text with one
is taken for Vietnamese, and its open oa, oe, uy written in new style. A French text quoting
"Nguyễn" is so taken, and "Chloé" in it becomes "Chlóe": alike in every copy of that text, so
its hash still matches them. Ẽ and Ỳ are left out, and Ĩ, Ũ taken in, so that both tone
placements of a text have one or neither (khoẽ/khõe, tuỳ/tùy, luỹ/lũy)."""
_OLD_STYLE_TONE = re.compile(  # (a class first: the search skips to each o and u at once)
    "[oOuU](?:(?<=[oO])[àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸ]|(?<=[uU])(?<![qQ].)[ỳýỷỹỵỲÝỶỸỴ])"
    f"(?![\\w{MARKS}])"  # (nor a mark: a vowel with a second one is left as it is)
)
"""An open oa, oe or uy (no final consonant, not the qu of quý) with its tone on the second
vowel: Vietnamese's old style (hoà, khoẻ, thuỷ), which new style writes on the first (hòa,
khỏe, thủy). One site writes one, another the other: the same word."""
_VIETNAMESE_LETTER = re.compile(f"[{_VIETNAMESE}]")
_LOOK_ALIKES = {
    # Cyrillic
    **dict(zip("АВЕКМНОРСТУХЅІЈҮҺԚԜӀԀЁЇ", "ABEKMHOPCTYXSIJYHQWIDËÏ", strict=True)),
    **dict(zip("аеорсухѕіјүһԛԝӏԁёїᲂᲃ", "aeopcyxsijyhqwldëïoc", strict=True)),  # ᲂᲃ: о, с
    # Greek
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹͿ", "ABEZHIKMNOPTYXCJ", strict=True)),
    **dict(zip("ονϲϳ", "ovcj", strict=True)),
}
"""Cyrillic and Greek letters that look like Latin ones, as those: what content farms write
into Latin words (Presіdent with a Cyrillic і, ΕU with a Greek Ε) so that their copy escapes
dedup. No letter but these folds to one of these (α is left out: ᾶ folds to α and a mark),
so the normalization stays idempotent. Some capitals are look-alikes and their small letters
are not (В, К, М, Н, Т, Greek Κ, Μ…: в is no b), or are of another letter (Ν is N, ν is v):
such a word in capitals and the same word in small letters hash differently, where no text
writes the small ones for Latin letters."""
_LOOK_ALIKE = "".join(_LOOK_ALIKES)
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LOOK_ALIKE_BY_LATIN = re.compile(f"[{_LOOK_ALIKE}](?:(?<=[{_LATIN}].)|(?=[{_LATIN}]))")
_LATIN_BY_LOOK_ALIKE = re.compile(f"[{_LATIN}](?:(?<=[{_LOOK_ALIKE}].)|(?=[{_LOOK_ALIKE}]))")
# (From a word's start only: tried at every letter of a long word, the search was quadratic.)
_WORD_WITH_LOOK_ALIKE = re.compile(f"(?<![\\w{MARKS}])[\\w{MARKS}]*[{_LOOK_ALIKE}][\\w{MARKS}]*")
_HAS_LATIN = re.compile(f"[{_LATIN}]")
_TO_LATIN = str.maketrans(_LOOK_ALIKES)
_SCRIPTS = _VIETNAMESE + _LOOK_ALIKE
"""The letters of the scripts whose words need more than a letter-by-letter unification."""
_SCRIPT = re.compile(f"[{_SCRIPTS}]")
_DOTLESS_I = "\u0131"
"""Turkish ı, folded to i as I is: case folding knows no Turkish (KADIN gave kadin, kadın
stayed), and a name or headline in capitals gave another hash and other name terms. Its
words lose the dot only, and no two reports differ in it alone (str.replace, not the
unifying search: a callback for each of a Turkish report's many ı took half its time)."""
_LETTER_OR_SCRIPT = re.compile(
    "[" + "".join(re.escape(c) for c in _LETTERS) + _SCRIPTS + _DOTLESS_I + "]"
)


def _unify_spellings(text: str) -> str:
    """Turkish ı as i, and the words of `_SCRIPTS` as `_unify_words` writes them."""
    if _DOTLESS_I in text:
        text = _composed(text.replace(_DOTLESS_I, "i"))
    return _unify_words(text) if _SCRIPT.search(text) else text


def _composed(text: str) -> str:
    """The text in NFKC again after letters were replaced: a combining mark after a letter
    that had none precomposed (ı, or a Cyrillic о with a stress mark) composes with the
    Latin one (ì, ó), which a second normalization would otherwise do."""
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def _unify_words(text: str) -> str:
    """The words that one text writes two ways, written one way: the look-alikes in a word
    with Latin letters as Latin letters (words wholly in Cyrillic or Greek stay as they are),
    then `_OLD_STYLE_TONE`, in a Vietnamese text only (French voilà, Portuguese Noé stay)."""
    if _mixes_scripts(text):
        text = _composed(_WORD_WITH_LOOK_ALIKE.sub(_in_latin, text))
    if _VIETNAMESE_LETTER.search(text):  # (after: a look-alike o could make an oà)
        text = _OLD_STYLE_TONE.sub(_tone_on_first_vowel, text)
    return text


def _mixes_scripts(text: str) -> bool:
    """Whether a look-alike stands next to a Latin letter, as content farms write them (a text
    with none is left as it is). A search stops at every letter of the class it starts with:
    at the look-alikes, a Russian text's words took 10 µs; at the Latin letters, an English
    text's, so it starts with those of the script that ASCII shows to be the rarer."""
    mostly_latin = 2 * len(text.encode("ascii", "ignore")) > len(text)
    pattern = _LOOK_ALIKE_BY_LATIN if mostly_latin else _LATIN_BY_LOOK_ALIKE
    return pattern.search(text) is not None


def _in_latin(match: re.Match[str]) -> str:
    word = match.group()
    return word.translate(_TO_LATIN) if _HAS_LATIN.search(word) else word


def _tone_on_first_vowel(match: re.Match[str]) -> str:
    pair = match.group()
    vowel_and_tone = unicodedata.normalize("NFD", pair[1])  # (e.g. "a" and a grave accent)
    return unicodedata.normalize("NFC", pair[0] + vowel_and_tone[1]) + vowel_and_tone[0]


CACHED_TEXTS = 4
"""How many texts' normalizations are kept: the stages of one decision normalize one text, or
two when learned boilerplate drops lines. Each entry holds its text; 16 of them, of texts of
4.7 MB (the largest a page under the size limit gives), held 1.2 GB of a worker."""


@lru_cache(maxsize=CACHED_TEXTS)
def normalize_text(text: str) -> str:
    """NFKC, unified quotes and dashes, no invisible characters, one space, case-folded.

    Several stages of one decision normalize the same text, so the last few are cached. It
    is the text's normalized lines joined by single spaces, the empty ones left out (a line
    break is whitespace like any other, and case folding goes character by character), so
    the text is unified once for both.
    """
    return " ".join(filter(None, normalize_lines(text)))


@lru_cache(maxsize=CACHED_TEXTS)
def normalize_lines(text: str) -> tuple[str, ...]:
    """Each line of the text normalized as `normalize_text` normalizes the text (NFKC never
    composes across a line break, so the whole text is unified at once). Whether a text is
    Vietnamese and writes look-alikes in Latin words is the whole text's to say: a line
    normalized alone may be written otherwise ("Noé" alone stays, in a Vietnamese text it is
    "Nóe"), and a learned-boilerplate line hashed in two such texts is two lines."""
    return tuple(_collapse(line) for line in _unify(text).split("\n"))


def _unify(text: str) -> str:
    text = _unified_before_nfkc(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    # Only the few characters that change are visited (str.translate with non-ASCII keys
    # looks up every character of the text).
    text = _UNIFIED.sub(_unified_char, text)
    if DOUBLE_SARA_E in text:  # Thai: two SARA E typed for SARA AE
        text = text.replace(DOUBLE_SARA_E, "\u0e41")
    return text if text.isascii() else _unify_spellings(text)  # (most English texts are now)


def _unified_before_nfkc(text: str) -> str:
    if "\u00b4" in text or "\u2033" in text:  # (a substring search: a class costs 40 µs)
        text = text.translate(_BEFORE_NFKC)
    for char, form in _AS_NFKC_WRITES:
        if char in text:
            text = text.replace(char, form)
    return text


def _unified_char(match: re.Match[str]) -> str:
    return _TRANSLATE[ord(match.group())] or ""


def unify_letters(text: str) -> str:
    """The text in NFKC with its words written as the normalization writes them (digits of
    every script as ASCII ones, no invisible characters, bidirectional controls, tatweel,
    harakat or Hebrew points, Turkish İ as I and ı as i, Vietnamese tones in new style,
    look-alikes in Latin words as Latin letters), its punctuation and case as they were: what
    the story terms read, so that two texts with one content hash give the same terms
    (full-width digits, ２０２４年, were no year; a report with harakat shared few terms with
    one without)."""
    text = _unified_before_nfkc(text)  # "l´Europe" is "l'Europe", as in the hash
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _LETTER_OR_SCRIPT.search(text) is None:  # one scan for most texts, as before
        return text
    return _unify_spellings(_UNIFIED_LETTERS.sub(_unified_letter, text))


def _unified_letter(match: re.Match[str]) -> str:
    return _LETTERS[match.group()] or ""


def _collapse(text: str) -> str:
    """Runs of whitespace as one space, none at the ends, case-folded. `str.split()` splits
    on exactly the characters `\\s` matches, at a third of a regular expression's cost."""
    return " ".join(text.split()).casefold()


@lru_cache(maxsize=2)  # (the largest: a word is a string of its own)
def normalized_words(text: str) -> tuple[str, ...]:
    """The words (`\\w+`) of the normalized text, found once per text: the word count and the
    near-duplicate shingles both need them. A Chinese or Japanese character is a word of its
    own (those scripts leave no space between words): shingles are then character 3-grams,
    which a changed word leaves mostly as they were, where a clause taken as one word was lost
    whole. Thai is split into dictionary words (`thai.thai_words`), Myanmar, Khmer and Lao
    into syllables (`syllables.syllables`)."""
    normalized = normalize_text(text)
    if normalized.isascii() or not SPACELESS.search(normalized):
        return tuple(WORD.findall(normalized))
    words = _UNSPACED_WORD if HAS_CJK.search(normalized) else WORD  # (the first is slower)
    found = words.findall(normalized)
    if HAS_SYLLABIC.search(normalized):
        found = [part for token in found for part in syllables(token)]
    if HAS_THAI.search(normalized):
        splitter = ThaiSplitter()
        return tuple(word for token in found for word in splitter.words(token))
    return tuple(found)


@lru_cache(maxsize=CACHED_TEXTS)
def fingerprint(text: str) -> Fingerprint:
    """The content hash of the normalized text and its word count (cached like the
    normalization: learned boilerplate and exact dedup both fingerprint one text)."""
    digest = hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()
    return Fingerprint(content_hash=digest, word_count=len(normalized_words(text)))
