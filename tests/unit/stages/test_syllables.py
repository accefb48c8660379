"""Myanmar, Khmer and Lao runs are split into orthographic syllables by rule."""

from __future__ import annotations

import pytest

from newsflow.stages.fingerprint import normalized_words
from newsflow.stages.syllables import syllables


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # Myanmar: a killed consonant (before asat) ends the syllable before it; a stacked
        # one (after virama, here kinzi's) belongs to it.
        pytest.param("ရန်ကုန်မြို့", ["ရန်", "ကုန်", "မြို့"], id="myanmar"),
        pytest.param("တနင်္လာနေ့", ["တ", "နင်္လာ", "နေ့"], id="myanmar-stacked"),
        # ...also with the creaky tone's dot below, which NFC writes before the asat (့်).
        pytest.param("ခန့်ကြောင့်", ["ခန့်", "ကြောင့်"], id="myanmar-creaky"),
        # Khmer: a subscript consonant (after coeng) and a final one (after a vowel, before
        # a consonant, a sign or the end) belong to the syllable before them.
        pytest.param("ភ្លៀងធ្លាក់ខ្លាំង", ["ភ្លៀង", "ធ្លាក់", "ខ្លាំង"], id="khmer"),
        pytest.param("កម្ពុជា", ["ក", "ម្ពុ", "ជា"], id="khmer-subscript"),
        # The repetition mark follows a whole word, which splits as it does without it.
        pytest.param("ផ្សេងៗ", ["ផ្សេង", "ៗ"], id="khmer-repeated"),
        # Lao: a vowel written before its consonant starts the syllable; a final consonant
        # (after a vowel, before a consonant, a leading vowel or the end) ends it.
        pytest.param("ລົດເມໂດຍສານຄັນ", ["ລົດ", "ເມ", "ໂດຍ", "ສານ", "ຄັນ"], id="lao"),
        pytest.param("ເຈົ້າໜ້າທີ່", ["ເຈົ້າ", "ໜ້າ", "ທີ່"], id="lao-tones"),
        pytest.param("ຕ່າງໆ", ["ຕ່າງ", "ໆ"], id="lao-repeated"),
        pytest.param("ວຽງຈັນ", ["ວຽງ", "ຈັນ"], id="lao-semivowel"),  # ຽ is a vowel
        # What is not of those scripts is kept as it is.
        pytest.param("COVID-ရန်ကုန်2024", ["COVID-", "ရန်", "ကုန်", "2024"], id="mixed"),
        pytest.param("Yangon", ["Yangon"], id="latin"),
    ],
)
def test_a_run_splits_into_its_syllables(token: str, expected: list[str]) -> None:
    assert syllables(token) == expected


def test_the_shingles_read_syllables_as_words() -> None:
    """Burmese leaves spaces between phrases only: a phrase is many syllables, each a word
    of the near-duplicate shingles (as a Chinese character is)."""
    assert normalized_words("ရန်ကုန်မြို့ ဗဟိုဈေး") == ("ရန်", "ကုန်", "မြို့", "ဗ", "ဟို", "ဈေး")
