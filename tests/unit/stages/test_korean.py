"""Korean story terms (`newsflow.stages.korean`); how they join a text's terms is in
`test_story_terms.py`."""

from __future__ import annotations

from newsflow.stages.korean import hangul_term


def test_a_noun_ending_in_a_particle_s_syllable_is_kept_when_that_form_cannot_follow() -> None:
    """우크라이나 "Ukraine" gave 우크라, as if 이나 "or" followed 우크라, and 전문가 "expert"
    gave 전문, as if 가 followed 전문; yet 이나 follows a final consonant and 가 a vowel, and
    with a particle (우크라이나의, 전문가가) each was the whole noun: one noun, two terms."""
    assert hangul_term("우크라이나") == hangul_term("우크라이나의") == "우크라이나"
    assert hangul_term("전문가") == hangul_term("전문가가") == "전문가"
    assert hangul_term("역효과") == hangul_term("역효과를") == "역효과"  # 과 after a consonant
    assert hangul_term("시골마을") == "시골마을"  # 을 after a consonant


def test_a_particle_in_the_form_its_noun_takes_still_goes() -> None:
    """And the copula 이다 "to be", whose forms follow a vowel too (바다이며 "is the sea
    and", 사고이다 "is an accident")."""
    words = ("경찰이", "버스가", "서울로", "주민들은", "정부와", "바다이며", "사고이다")
    assert [hangul_term(word) for word in words] == [
        "경찰",
        "버스",
        "서울",
        "주민",
        "정부",
        "바다",
        "사고",
    ]


def test_a_noun_ending_in_a_syllable_of_hada_is_no_verb_without_its_ending() -> None:
    """노동조합 "labour union" gave 노동조, as if it were 노동조 with 합(니다) "does", while
    노동조합은 gave the whole noun; 합, 됩, 하, 되, 했, 됐 end no word of a verb."""
    assert hangul_term("노동조합") == hangul_term("노동조합은") == "노동조합"
    assert hangul_term("국제연합") == "국제연합"
    verbs = ("발생합니다", "시작됩니다", "조사하고", "발생했다", "붕괴됐고", "발생한", "시작된")
    assert {hangul_term(verb) for verb in verbs} == {"발생", "시작", "조사", "붕괴"}


def test_a_verb_in_the_past_ending_like_the_copula_is_no_noun() -> None:
    """받아들였다 "accepted" gave 받아들, read as 받아들 with 였다 "was"; 였다 follows a vowel
    (사고였다 "was an accident"), 이었다 a consonant (누전이었다 "was a short circuit")."""
    assert hangul_term("받아들였다") == hangul_term("기울였다") == ""
    assert (hangul_term("사고였다"), hangul_term("누전이었다")) == ("사고", "누전")


def test_two_particles_one_after_the_other_leave_the_noun() -> None:
    """북한과의 "with North Korea (of)" gave 북한과, 현장에서의 현장에서, 대통령께서는
    대통령께서: the first particle stayed on the noun, and the report shared no term with one
    that wrote 북한과, 현장에서 or 대통령께서 alone."""
    words = ("북한과의", "정부와의", "현장에서의", "대통령께서는", "경찰에게는", "서울까지는")
    nouns = ["북한", "정부", "현장", "대통령", "경찰", "서울"]
    assert [hangul_term(word) for word in words] == nouns
    as_a = ("대표로서", "경찰로서", "시민으로서", "서울에선")
    assert [hangul_term(word) for word in as_a] == ["대표", "경찰", "시민", "서울"]
