"""Normalization makes cosmetic differences vanish; the hash tells real differences apart."""

import re
import time
import tracemalloc
import unicodedata
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.stages.fingerprint import (
    _collapse,
    _unified_before_nfkc,
    _unify,
    fingerprint,
    normalize_text,
    normalized_words,
    unify_letters,
)
from newsflow.stages.story_terms import terms
from newsflow.stages.thai import MAX_RUN_CHARS, MAX_TEXT_CHARS, ThaiSplitter


def test_cosmetic_differences_share_a_hash() -> None:
    a = "“Russia has now received shipments,” Blinken said — at 10\u00a0a.m."
    b = '"RUSSIA has now received   shipments," blinken said - at 10 a.m.\n'
    assert fingerprint(a).content_hash == fingerprint(b).content_hash


def test_a_changed_word_changes_the_hash() -> None:
    missiles, drones = fingerprint("Iran sent missiles"), fingerprint("Iran sent drones")
    assert missiles.content_hash != drones.content_hash


def test_word_count() -> None:
    assert fingerprint("Blinken said: it's a 'dangerous escalation'.").word_count == 7


def test_a_chinese_or_japanese_character_is_a_word_of_its_own() -> None:
    assert normalized_words("外交部表示，iPhone 2024年 销量") == (
        "外", "交", "部", "表", "示", "iphone", "2024", "年", "销", "量"
    )  # fmt: skip
    assert normalized_words("東京都は新しい計画を発表した")[:4] == ("東", "京", "都", "は")
    assert fingerprint("外交部表示关注").word_count == 7


def test_thai_is_split_into_dictionary_words() -> None:
    """Thai leaves no space between the words of a clause; NFKC also splits its vowel ำ in
    two, which the dictionary would not know."""
    words = normalized_words("ประชาชนกำลังอพยพ COVIDระบาดหนัก")
    assert words == (
        "ประชาชน",
        unicodedata.normalize("NFKC", "กำลัง"),
        "อพยพ",
        "covid",
        "ระบาด",
        "หนัก",
    )
    assert fingerprint("น้ำท่วมเชียงใหม่").word_count == 2  # "flood", "Chiang Mai"


def test_a_word_keeps_its_combining_marks() -> None:
    """`\\w` leaves out combining marks, and Devanagari's vowel signs are marks."""
    assert normalized_words("भारत सरकार ने घोषणा की") == ("भारत", "सरकार", "ने", "घोषणा", "की")


def test_bidirectional_controls_around_right_to_left_text_do_not_change_the_hash() -> None:
    plain = "ضرب زلزال بقوة 6 درجات مدينة"
    marked = "\u200fضرب زلزال\u200f بقوة \u202b6\u202c درجات \u2067مدينة\u2069"
    assert fingerprint(marked).content_hash == fingerprint(plain).content_hash


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("زلـزال قوي يضرب المدينة", "زلزال قوي يضرب المدينة"),  # tatweel
        ("قُتِلَ شخصاً في الحادث", "قتل شخصا في الحادث"),  # harakat
        ("İstanbul'da yağmur", "ISTANBUL'DA yağmur"),
    ],
)
def test_optional_marks_of_arabic_and_turkish_capitals_do_not_change_the_hash(
    one: str, other: str
) -> None:
    assert fingerprint(one).content_hash == fingerprint(other).content_hash


@pytest.mark.parametrize(
    "invisible",
    ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"],
    ids=["soft hyphen", "zero-width space", "non-joiner", "joiner", "word joiner", "BOM"],
)
def test_invisible_characters_are_dropped(invisible: str) -> None:
    assert normalize_text(f"co{invisible}op{invisible}eration") == "cooperation"


@pytest.mark.parametrize(
    ("styled", "plain"),
    [
        *((f"it{quote}s", "it's") for quote in "\u2018\u2019\u201a\u201b\u2032`\u00b4"),
        *(
            (f"{quote}yes{quote}", '"yes"')
            for quote in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033"
        ),
        *((f"6{dash}1", "6-1") for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"),
        ("wait\u2026", "wait..."),
    ],
)
def test_every_quote_dash_and_ellipsis_style_hashes_as_its_ascii_one(
    styled: str, plain: str
) -> None:
    """One site writes typographic quotes, dashes (the minus sign among them) and ellipses,
    another ASCII ones: the same text."""
    assert normalize_text(styled) == plain
    assert fingerprint(styled).content_hash == fingerprint(plain).content_hash


@settings(max_examples=500)
@given(st.one_of(st.text(), st.text(alphabet="aAoOuUqyPpeхЕеоОΕΟᲂᾶàÀýẢạđжΣ\u0345-' \n")))
def test_normalization_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


WHITESPACE_HEAVY = st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000aB"))


@settings(max_examples=500)
@given(st.one_of(st.text(), WHITESPACE_HEAVY))
def test_whitespace_collapses_as_the_regular_expression_defines_it(text: str) -> None:
    assert _collapse(text) == re.sub(r"\s+", " ", text).strip().casefold()


@settings(max_examples=1000)
@given(st.one_of(st.text(), WHITESPACE_HEAVY, st.text(alphabet="ΣσςßİıſﬁＡ\u0345\n ǅ")))
def test_the_text_normalized_from_its_lines_is_the_whole_text_normalized(text: str) -> None:
    assert normalize_text(text) == _collapse(_unify(text))


def test_case_folding_goes_character_by_character() -> None:
    """What joining the lines' foldings relies on, checked over every code point and next to
    the characters whose lowercase depends on their neighbours (final sigma)."""
    for code in range(0x110000):
        char = chr(code)
        for pair in (char + "Σ", "Σ" + char, "a" + char):
            assert pair.casefold() == "".join(c.casefold() for c in pair)


def test_thai_written_differently_hashes_alike_and_gives_the_same_story_terms() -> None:
    """Zero-width spaces between words, Thai digits, two SARA E for SARA AE and a decomposed
    SARA AM: one text to a reader, two content hashes and other story terms before."""
    text = "กระทรวงสาธารณสุขแถลงว่ามีผู้ป่วย 12,345 คน ในจังหวัดเชียงใหม่และจำนวนนี้เพิ่มขึ้น"
    variant = (
        text.replace("กระทรวง", "กระทรวง\u200b")
        .replace("12,345", "๑๒,๓๔๕")
        .replace("แ", "เเ")
        .replace("ำ", "\u0e4d\u0e32")
    )
    assert variant != text
    assert fingerprint(variant).content_hash == fingerprint(text).content_hash
    assert terms(None, variant) == terms(None, text)
    assert "N:12,345" in terms(None, text)


def test_thai_is_split_only_up_to_a_budget_of_characters_per_text() -> None:
    """A message of 3.2 million random Thai characters took 29 s of a worker's time: a run
    longer than any clause, and the runs past `MAX_TEXT_CHARS`, are kept whole."""
    assert ThaiSplitter().words("ก" * (MAX_RUN_CHARS + 1)) == ["ก" * (MAX_RUN_CHARS + 1)]
    clause = "ประชาชนอพยพ" * (MAX_RUN_CHARS // 11)  # "people evacuate", 990 characters
    splitter = ThaiSplitter()
    for _ in range(MAX_TEXT_CHARS // len(clause)):
        assert len(splitter.words(clause)) > 1
    assert splitter.words(clause) == [clause]  # the budget is spent


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("قتل ١٢ شخصا في عام ٢٠٢٤", "قتل 12 شخصا في عام 2024"),  # Arabic-Indic
        ("۱۲ نفر در سال ۱۴۰۳ کشته شدند", "12 نفر در سال 1403 کشته شدند"),  # Persian
        ("२०२४ में १२ लोगों की मौत", "2024 में 12 लोगों की मौत"),  # Devanagari
        ("২০২৪ সালে ১২ জন নিহত", "2024 সালে 12 জন নিহত"),  # Bengali
    ],
)
def test_digits_of_every_script_hash_as_ascii_digits(one: str, other: str) -> None:
    """Egyptian, Persian and Hindi sites write their own digits, wire copies ASCII ones (Thai's
    were unified already): one report had two content hashes."""
    assert fingerprint(one).content_hash == fingerprint(other).content_hash


def test_what_the_normalization_unifies_stays_in_the_basic_multilingual_plane() -> None:
    """One character past it in the unifying search's class (the digits of historic scripts)
    made Python's regular expressions test each character against every range of the class:
    1.8 ms per news text instead of 0.02, on every article's critical path."""
    from newsflow.stages import fingerprint as module

    assert max(map(ord, module._LETTERS)) < 0x10000
    assert max(map(ord, module._LOOK_ALIKES)) < 0x10000


def test_an_acute_accent_typed_for_an_apostrophe_changes_neither_hash_nor_story_terms() -> None:
    typed = "Aujourd´hui, l´Europe répond à ″l´urgence″ climatique à Bruxelles."
    plain = "Aujourd'hui, l'Europe répond à \"l'urgence\" climatique à Bruxelles."
    assert fingerprint(typed).content_hash == fingerprint(plain).content_hash
    assert terms(None, typed) == terms(None, plain)


def test_hebrew_points_do_not_change_the_hash_or_the_story_terms() -> None:
    """Niqqud and cantillation marks, which one site writes (often on a few words only) and
    another leaves out, like Arabic's harakat; Hebrew punctuation (maqaf, sof pasuq) stays."""
    plain = "ראש הממשלה הודיע על בחירות בירושלים־המזרחית בשנת 2025׃"
    pointed = "רֹאשׁ הַמֶּמְשָׁלָה הוֹדִיעַ עַל בְּחִירוֹת בִּירוּשָׁלַיִם־הַמִּזְרָחִית בשנת 2025׃"
    assert fingerprint(pointed).content_hash == fingerprint(plain).content_hash
    assert terms("הַבְּחִירוֹת", pointed) == terms("הבחירות", plain)
    assert normalize_text("א־ב׃ג׀ד׆") == "א־ב׃ג׀ד׆"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "Ông Hoà nói sức khoẻ của thuỷ thủ đã ổn, tuỳ tình hình",
            "Ông Hòa nói sức khỏe của thủy thủ đã ổn, tùy tình hình",
        ),
        ("HOÀ BÌNH, KHOẺ MẠNH, THUỶ ĐIỆN, HOÁ CHẤT", "HÒA BÌNH, KHỎE MẠNH, THỦY ĐIỆN, HÓA CHẤT"),
        ("Nói về hoạ sĩ, luỹ tre, sự huỷ bỏ", "Nói về họa sĩ, lũy tre, sự hủy bỏ"),
    ],
)
def test_vietnamese_tone_placement_does_not_change_the_hash_or_the_story_terms(
    old: str, new: str
) -> None:
    """Old style puts the tone of an open oa, oe, uy on its second vowel (hoà, khoẻ, thuỷ),
    new style on the first (hòa, khỏe, thủy): one word, two content hashes before."""
    assert fingerprint(new).content_hash == fingerprint(old).content_hash
    assert terms(None, new) == terms(None, old)
    assert unify_letters(old) == new


def test_vietnamese_tones_stay_where_both_styles_agree_and_other_languages_are_untouched() -> None:
    """A closed syllable (hoàng, toán), quý (qu is a consonant) and ngoài are written alike
    in both styles; French, Portuguese and Catalan words end in oà, oé too, and only a text
    with letters that only Vietnamese writes (ơ, ư, đ, ạ, ả…) is Vietnamese."""
    vietnamese = "Hoàng đế, toán học, quý vị, bên ngoài"
    assert unify_letters(vietnamese) == vietnamese
    # The last quotes a Russian name: a text with a look-alike letter (у, т) is searched for
    # both look-alikes and old-style tones, and only a Vietnamese one has its tones moved.
    others = ("Voilà, dit Noé à Lisboa", "O Noé e a canoá", "Joà i Noè", "Noé a vu Путин")
    for other in others:
        assert unify_letters(other) == other
        assert normalize_text(other) == other.casefold()


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("The Presіdent met Аpple's board", "The President met Apple's board"),
        ("ΕU leaders agreed, the NАTΟ chief said", "EU leaders agreed, the NATO chief said"),
        ("Wаshingtоn rеjеcted thе Kremlin's offer", "Washington rejected the Kremlin's offer"),
    ],
)
def test_cyrillic_and_greek_look_alikes_in_latin_words_do_not_change_the_hash_or_terms(
    disguised: str, plain: str
) -> None:
    """Content farms write a Cyrillic і or А, a Greek Ε into Latin words to dodge dedup."""
    assert disguised != plain
    assert fingerprint(disguised).content_hash == fingerprint(plain).content_hash
    assert terms(None, disguised) == terms(None, plain)


def test_words_wholly_in_cyrillic_or_greek_keep_their_letters() -> None:
    """Only a word that mixes Latin letters with Cyrillic or Greek ones is written in Latin."""
    for text in ("Президент России Владимир Путин заявил о СССР", "Η ΕΕ και ο ΟΗΕ", "ΑΤΜ СОР"):
        assert unify_letters(text) == text
        assert normalize_text(text) == text.casefold()
    assert unify_letters("iPhone-а и Windowsе") == "iPhone-а и Windowse"


def test_case_folding_makes_no_look_alike_of_a_letter_that_is_none() -> None:
    """Else a word would be written in Latin only once folded: no idempotent normalization."""
    from newsflow.stages import fingerprint as module

    for code in range(0x110000):
        char = unicodedata.normalize("NFKC", chr(code))
        if not set(char) & set(module._LOOK_ALIKES):
            assert not set(char.casefold()) & set(module._LOOK_ALIKES), hex(code)


def test_turkish_dotless_i_folds_like_the_capital_i_it_goes_with() -> None:
    """Case folding knows no Turkish: KADIN folds to kadin and kadın stays, so a name or a
    headline in capitals (ANKARA (AA) - …, as wire copies write them) gave another hash and
    other name terms. Dotless ı is folded to i as I is (and İ too, through I): a Turkish
    text's words lose the dot, never a letter, and no report differs only in it."""
    title_case = "İstanbul'da Kadın Hakları Derneği açıklama yaptı. Başkanı konuştu."
    capitals = "İstanbul'da KADIN HAKLARI DERNEĞİ açıklama yaptı. Başkanı konuştu."
    assert fingerprint(capitals).content_hash == fingerprint(title_case).content_hash
    assert terms(None, capitals) == terms(None, title_case)
    assert normalize_text("ılık ILIK İLİK") == "ilik ilik ilik"


def test_the_normalizations_kept_are_those_of_a_few_texts() -> None:
    """The normalizations are cached for the stages of one decision; each entry holds its
    text, its lines and its words. Sixteen were kept: of texts of 4.7 MB, the largest a page
    under the size limit gives, 1.2 GB of a worker's memory."""
    paragraph = "The council voted on Tuesday to build a new bus line along the avenue. "
    texts = [f"{paragraph * 4000}{n}" for n in range(9)]  # 290 kB each
    tracemalloc.start()
    try:
        fingerprint(texts[0])
        one, _ = tracemalloc.get_traced_memory()
        for text in texts[1:]:
            fingerprint(text)
        nine, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert nine < 4 * one


def test_a_long_word_is_searched_for_look_alikes_in_linear_time() -> None:
    """A word was searched for a look-alike from each of its letters: a text with one
    disguised word and a run of 40,000 letters (a token without spaces) took 6 s."""
    text = "Аpple " + "x" * 30_000
    started = time.process_time()
    assert normalize_text(text).startswith("apple x")
    assert time.process_time() - started < 1.0  # (quadratic: 3 s; linear: 1 ms)


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("Cafе\u0301 Rоsе\u0301", "Café Rosé"),
        ("ı\u0302le", "île"),
        ("Đà hoà\u0301", "Đà hoà\u0301"),
    ],
)
def test_a_letter_replaced_before_a_mark_composes_with_it(written: str, plain: str) -> None:
    """A Cyrillic о with a stress mark in a Latin word, a dotless ı with a circumflex: as
    Latin letters they compose with the mark (ó, î), which only a second normalization did;
    a vowel with a second tone mark is no old-style tone and stays as it is."""
    once = normalize_text(written)
    assert normalize_text(once) == once == normalize_text(plain)
    assert unify_letters(unify_letters(written)) == unify_letters(written)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["…", "½", "¼", "¾", "a", "e", ".", " ", "\u0301", "\u0308", "\u00b4", "ﬁ", "２", "é"]
        ),
        max_size=30,
    ).map("".join)
)
def test_an_ellipsis_or_a_fraction_written_as_nfkc_writes_it_changes_no_normalization(
    text: str,
) -> None:
    """They are replaced before the NFKC check; NFKC of the text is what it was."""
    plain = text.replace("\u00b4", "'")
    assert unify_letters(text) == unify_letters(plain)
    nfkc = unicodedata.normalize("NFKC", plain)
    assert unicodedata.normalize("NFKC", _unified_before_nfkc(text)) == nfkc
    assert _unify(text) == _unify(nfkc)


def test_a_text_whose_only_compatibility_characters_are_ellipses_and_halves_is_not_renormalized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = unicodedata.normalize

    def counting(form: Literal["NFC", "NFD", "NFKC", "NFKD"], text: str) -> str:
        calls.append(text)
        return real(form, text)

    monkeypatch.setattr("newsflow.stages.fingerprint.unicodedata.normalize", counting)
    text = "Prices rose by 1½ points… and then ¼ more."
    assert _unify(text) == "Prices rose by 11⁄2 points... and then 1⁄4 more."
    assert unify_letters(text) == "Prices rose by 11⁄2 points... and then 1⁄4 more."
    assert calls == []
