"""The language: declared, or detected when the page does not say or a long text overrules
it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from tests.metadata_pages import ENGLISH, GERMAN

from newsflow.contracts.codec import schema
from newsflow.stages.language import detect_language, language


def test_language_is_detected_when_the_page_does_not_say() -> None:
    assert detect_language(GERMAN)[0] == "de"
    assert language(None, GERMAN) == "de"
    assert language("en-US", ENGLISH) == "en"


def test_a_long_text_overrides_a_wrong_declaration() -> None:
    assert language("en", " ".join([GERMAN] * 3)) == "de"


INDONESIAN = (
    "Pemerintah kota mengumumkan bahwa jembatan di atas sungai akan ditutup selama dua minggu "
    "mulai hari Senin untuk perbaikan. Warga diminta menggunakan jalan alternatif melalui pusat "
    "kota, sementara bus tambahan akan disediakan pada jam sibuk pagi dan sore. Wali kota "
    "mengatakan pekerjaan itu tidak dapat ditunda lagi karena kerusakan pada tiang penyangga."
)


def test_a_declaration_the_text_rules_out_gives_way_to_a_likely_language() -> None:
    """A template's lang="en-US" over Indonesian (0.90 Indonesian, 1e-19 English) stayed "en":
    only a detection above 0.999 overrode a declaration. A close language (Malay, 0.10)
    keeps its declaration."""
    assert language("en-US", INDONESIAN) == "id"
    assert language("ms", INDONESIAN) == "ms"


JAPANESE = (
    "政府は7日、来年度から全国の公立小学校でプログラミング教育の授業時間を倍増させる方針を正式に"
    "決定した。文部科学省によると、教員向けの研修も大幅に拡充する予定だという。"
)


def test_a_template_s_lang_gives_way_to_a_long_text_in_a_script_without_spaces() -> None:
    """A second held-out review: a Japanese article under a template's `lang="en"` stayed
    English, its 90 characters counted as 3 words, short of the 50 an override needs."""
    assert language("en", JAPANESE) == "ja"
    assert language("ja", JAPANESE) == "ja"
    assert language("en", JAPANESE[:30]) == "en"  # too short to overrule the page


FRENCH_QUOTE = (
    "« Nous ne laisserons personne derrière nous, ni dans les villes ni dans les campagnes, et "
    "nous reconstruirons chaque pont, chaque école et chaque hôpital que la tempête a détruits, "
    "quel qu'en soit le prix et quelle que soit la durée des travaux », a déclaré le président "
    "devant une foule rassemblée sur la place principale de la ville, où des centaines de "
    "familles attendaient depuis l'aube des nouvelles de leurs proches disparus. « La "
    "solidarité nationale n'est pas un slogan, c'est une promesse que nous tiendrons jusqu'au "
    "bout », a-t-il ajouté sous les applaudissements."
)


def test_a_report_opening_with_a_long_quote_in_another_language_keeps_its_own() -> None:
    """Only the text's first 600 characters were read: an English report opening with 574
    characters of French was French, with certainty, over the page's own declaration."""
    text = "\n".join([FRENCH_QUOTE, *[ENGLISH] * 8])  # 574 characters of 1,974
    assert language(None, text) == "en"
    assert language("en", text) == "en"
    assert language(None, FRENCH_QUOTE) == "fr"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.from_regex(r"[A-Za-z]{1,4}([-_][A-Za-z0-9]{1,8}){0,2}"), st.text()),
    st.sampled_from([ENGLISH, GERMAN, "", "12 34", "東京で会議が開かれた"]),
)
def test_every_language_found_is_one_the_clean_schema_allows(
    declared: str | None, text: str
) -> None:
    """A clean event is checked against its schema before it is sent: a language the schema
    refused would dead-letter the article."""
    found = language(declared, text)
    assert LANGUAGE.is_valid(found), (declared, found)


LANGUAGE = Draft202012Validator(schema("clean")["properties"]["language"])
