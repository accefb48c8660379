"""Story terms: name spans, numbers, stems, function words, and the units of other scripts."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.stages.fingerprint import CJK, MARKS, fingerprint, unify_letters
from newsflow.stages.korean import counted_term, hangul_term
from newsflow.stages.story_terms import (
    ENTITY_WEIGHT,
    FUNCTION_WORDS,
    MAX_TERM_CHARS,
    STOPWORDS,
    _stem,
    terms,
    terms_and_language,
)
from newsflow.stages.syllables import SYLLABIC, run_syllables
from newsflow.stages.thai import THAI, thai_words, unify_thai
from newsflow.stages.thai import stopwords as thai_stopwords

ROOT = Path(__file__).resolve().parents[3]
SEEDS = sorted((ROOT / "samples").glob("0*.txt"))
OTHER_EVENT = ROOT / "tests" / "fixtures" / "stories" / "other-missile-event.txt"


def test_terms_weight_name_spans_and_keep_numbers_and_years() -> None:
    found = terms("Envoy Blinken visits Kyiv", "Antony Blinken said 12 missiles arrived in 2024.")
    assert found["E:antony blinken"] == ENTITY_WEIGHT
    assert found["E:blinken"] == 2 * ENTITY_WEIGHT  # in the title and in the span
    assert found["E:kyiv"] == ENTITY_WEIGHT
    assert found["N:12"] == 1.0 and found["Y:2024"] == 1.0
    assert sum(terms(None, "Missiles, missile, missiles").values()) == 3.0  # one stem
    assert "said" not in found and "the" not in found
    assert "E:the" not in found


def test_hindi_words_are_whole_terms_and_chinese_gives_character_pairs() -> None:
    hindi = terms(None, "भारत सरकार ने नई शिक्षा नीति की घोषणा की।")
    assert {"भारत", "सरकार", "शिक्षा", "नीति", "घोषणा"} <= set(hindi)
    assert set(terms(None, "外交部表示")) == {"外交", "交部", "部表", "表示"}


def test_a_capitalized_sentence_start_is_not_a_name() -> None:
    found = terms(None, "Officials met. Sanctions followed quickly.")
    assert "E:sanctions" not in found and found["sanction"] == 1.0


def test_a_name_weighs_five_times_a_word_and_years_of_both_centuries_are_years() -> None:
    """The README's ×5 for a capitalized name; 1999 is a year as 2024 is."""
    found = terms(None, "Officials met Antony Blinken in 1999 and in 2024.")
    assert found["E:blinken"] == found["E:antony blinken"] == 5.0
    assert found["Y:1999"] == found["Y:2024"] == 1.0
    assert terms(None, "In 1899 and 2100 nothing.")["N:1899"] == 1.0


def test_a_plural_or_a_past_tense_shares_its_words_stem() -> None:
    """A suffix goes when four letters or more remain: talks and talk, walked and walk;
    companies and company (ies as y)."""
    assert _stem("talks") == _stem("talk") == "talk"
    assert _stem("walked") == _stem("walk") == "walk"
    assert _stem("companies") == _stem("company") == "company"
    assert _stem("news") == "news"  # (three letters would remain)


def test_a_question_or_an_exclamation_ends_a_sentence_too() -> None:
    """So the capitalized word after it starts a sentence, and is no name."""
    found = terms(None, "Officials met! Sanctions followed. Was it true? Ministers agreed.")
    assert {"sanction", "minister"} <= set(found)
    assert not {"E:sanctions", "E:ministers"} & set(found)


def test_a_text_with_as_many_function_words_of_english_as_of_another_language_is_english() -> None:
    assert terms_and_language(None, "und the")[1] == "en"
    assert terms_and_language(None, "und der")[1] == "de"


def test_a_text_with_no_function_words_known_is_told_by_its_script() -> None:
    """For the language at large (`newsflow.stages.background`): Korean, Japanese, Chinese;
    other scripts without a word list, and no words, English."""
    assert terms_and_language(None, "서울 도봉구 아파트 화재")[1] == "ko"
    assert terms_and_language(None, "能登半島で地震があった")[1] == "ja"
    assert terms_and_language(None, "台风登陆广东")[1] == "zh"
    assert terms_and_language(None, "ไฟไหม้ตลาด")[1] == "en"
    assert terms_and_language(None, "42")[1] == "en"


def test_a_korean_japanese_or_chinese_text_is_its_language_despite_an_english_name_in_it() -> None:
    """An English name in brackets (Bank of Korea) gave "of" a vote, and the whole text was
    English: no Korean term had its share of the language at large. The English words of a
    text in these scripts are fewer than its words in them; a text mostly English stays so."""
    korean = "한국은행(Bank of Korea)은 25일 기준금리를 연 3.5%로 동결했다고 밝혔다."
    assert terms_and_language(None, korean)[1] == "ko"
    japanese = "日本銀行(Bank of Japan)は25日、政策金利を据え置いた。"
    assert terms_and_language(None, japanese)[1] == "ja"
    assert terms_and_language(None, "中国人民银行(People's Bank of China)宣布降息")[1] == "zh"
    assert terms_and_language(None, "The fire in 서울 was put out by the police")[1] == "en"


def test_a_chinese_text_with_the_katakana_middle_dot_in_a_name_is_chinese() -> None:
    """Some Chinese sites write a foreign name's dot as the katakana one (唐纳德・特朗普, for
    唐纳德·特朗普): it was kana, the text Japanese, and its words had no share of Japanese at
    large (总统 "president", 白宫 "White House"). Japanese is told by its kana letters."""
    assert terms_and_language(None, "美国总统唐纳德・特朗普周二在白宫表示")[1] == "zh"
    assert terms_and_language(None, "ドナルド・トランプ大統領は")[1] == "ja"


def reference_terms(title: str | None, text: str) -> dict[str, float]:
    """`terms` as first written: sentence by sentence, token by token (what the faster
    `terms` must equal)."""
    counts: dict[str, float] = {}

    def count_units(pairs: list[str], others: list[str]) -> None:
        """An unspaced token's pairs, and its other words as plain words."""
        rest = [reference_plain(word.lower()) for word in others if word]
        for term in pairs + rest:
            if term:
                counts[term] = counts.get(term, 0.0) + 1.0

    whole = unify_letters(f"{title or ''}\n{text}")  # as the content hash reads it
    if re.search(f"[{THAI}]", whole):
        whole = unify_thai(whole)
    language = reference_language(whole)
    stop = STOPWORDS | FUNCTION_WORDS.get(language, frozenset())
    for sentence in re.split(r"(?<=[.!?])\s+|\n", whole):
        tokens = re.findall(
            f"[^\\W\\d_][\\w'’\\-{MARKS}]*|\\d+(?:[.,]\\d+)*(?:[가-힣]+)?", sentence
        )
        tokens = [reference_apostrophe(token, language) for token in tokens]
        i = 0
        while i < len(tokens):
            token, lowered = tokens[i], tokens[i].lower()
            if unspaced(token):  # Chinese, Japanese: character pairs, and the rest as a word
                runs = re.findall(f"[{CJK}]+", token)
                pairs = [run[k : k + 2] for run in runs for k in range(max(1, len(run) - 1))]
                pairs = [pair for pair in pairs if not re.fullmatch("[ぁ-ゟ]{2}", pair)]
                count_units(pairs, re.split(f"[{CJK}]+", token))
                i += 1
                continue
            if re.search(f"[{SYLLABIC}]", token):  # Myanmar, Khmer, Lao: syllable pairs
                units = [run_syllables(run) for run in re.findall(f"[{SYLLABIC}]+", token)]
                pairs = [u[k] + u[k + 1] if len(u) > 1 else u[0] for u in units
                         for k in range(max(1, len(u) - 1))]  # fmt: skip
                count_units(pairs, re.split(f"[{SYLLABIC}]+", token))
                i += 1
                continue
            if re.search(f"[{THAI}]", token):  # Thai: its dictionary words, no function words
                for word in thai_words(token):
                    if not re.search(f"[{THAI}]", word):
                        term = reference_plain(word.lower())
                    else:
                        term = word if len(word) > 1 and word not in thai_stopwords() else ""
                    if term:
                        counts[term] = counts.get(term, 0.0) + 1.0
                i += 1
                continue
            if token[0].isupper() and lowered not in stop:
                j = i + 1
                while (
                    j < len(tokens)
                    and tokens[j][0].isupper()
                    and not unspaced(tokens[j])
                    and not re.search(f"[{THAI}]", tokens[j])
                    and not re.search(f"[{SYLLABIC}]", tokens[j])
                ):
                    if tokens[j].lower() in stop:
                        break
                    j += 1
                span = [t.lower().removesuffix("'s").removesuffix("’s") for t in tokens[i:j]]
                if i == 0 and len(span) == 1:
                    counts[_stem(span[0])] = counts.get(_stem(span[0]), 0.0) + 1.0
                else:
                    for term in ["E:" + w for w in span] + ["E:" + " ".join(span)] * (j > i + 1):
                        counts[term] = counts.get(term, 0.0) + ENTITY_WEIGHT
                i = j
                continue
            if (term := reference_plain(token)) and lowered not in stop:
                counts[term] = counts.get(term, 0.0) + 1.0
            i += 1
    return {term: n for term, n in counts.items() if len(term) <= MAX_TERM_CHARS}


def reference_language(text: str) -> str:
    """The language with most function words among the text's distinct tokens as written
    (ties: English, then by name), English when there are none or when more tokens hold
    Hangul or CJK characters than are function words (a language without a list here)."""
    tokens = set(re.findall(f"[^\\W\\d_][\\w'’\\-{MARKS}]*|\\d+(?:[.,]\\d+)*(?:[가-힣]+)?", text))
    lists = {"en": STOPWORDS, **FUNCTION_WORDS}
    hits = {language: len(tokens & words) for language, words in lists.items()}
    east_asian = {token for token in tokens if re.search(f"[가-힣{CJK}]", token)}
    if len(east_asian) > len(tokens & set().union(*lists.values())):
        return "en"
    best = sorted(lists, key=lambda language: (-hits[language], language != "en", language))[0]
    return best if hits[best] else "en"


def reference_apostrophe(token: str, language: str) -> str:
    """French and Italian: the word after an elided article or pronoun; Turkish: a name
    without the suffix after its apostrophe."""
    found = re.fullmatch(r"([^'’]*)['’](.*)", token, re.DOTALL)
    if found is None or language not in ("fr", "it", "tr"):
        return token
    head, tail = found.groups()
    if language == "tr":
        return head if head[:1].isupper() else token
    elided = {"c", "d", "j", "l", "m", "n", "qu", "s", "t", "all", "coll", "dall", "dell",
              "nell", "quell", "sull", "un"}  # fmt: skip
    return tail if head.lower() in elided and tail[:1].isalpha() else token


def unspaced(token: str) -> bool:
    return re.search(f"[{CJK}]", token) is not None


def reference_plain(token: str) -> str:
    if token[0].isdigit() and re.fullmatch("[가-힣]", token[-1]):  # a Korean counter
        return counted_term(token)
    if token[0].isdigit():
        return ("Y:" if re.fullmatch(r"(?:19|20)\d\d", token) else "N:") + token
    if re.fullmatch("[가-힣]+", token):  # Korean: the word's noun (`test_korean`)
        return hangul_term(token)
    lowered = token.lower()
    if lowered not in STOPWORDS and len(lowered) > 2:
        return _stem(lowered)
    return ""


PIECES = ["Iran", "The", "missile", "missiles", "U.S.", "Kyiv's", "ǅemal", "2024", "1,000.5",
          "said", "of", "É", "ébène", "3rd", "x_y", "-", "’", ".", ". ", "! ", "?\n", "\n", " ",
          ", ", "\t", "(", "²", "٣", "台风", "海", "燕。", "A股", "東京都は", "2024年",
          "भारत", "सरकार", "\u0301", "ก0", "น้ำท่วม", "เชียงใหม่", "ที่", "Die", "die", "und",
          "Les", "des", "War", "war", "В", "что", "l'Élysée", "d’Israël", "dell'Ucraina",
          "qu'il", "İzmir'de", "Ankara’nın", "ve", "bir", "için", "les", "et", "서울", "화재가",
          "불이", "서울에서", "경찰", "의", "2명이", "3층", "4.6의", "によると", "した", "地震が",
          "ရန်ကုန်မြို့", "၁၂၀", "2017년", "발생했다", "ខ្លាំង", "ភ្នំពេញ", "ឆ្នាំ២០២៤",
          "ລົດເມ", "ວຽງຈັນ", "Yangon"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), st.text(max_size=40)),
    st.text(max_size=300) | st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
)
def test_terms_are_what_the_sentence_by_sentence_definition_gives(
    title: str | None, text: str
) -> None:
    assert terms(title, text) == reference_terms(title, text)


def test_terms_of_real_articles_are_what_the_definition_gives() -> None:
    for path in [*SEEDS, OTHER_EVENT]:
        assert terms("A Title Line", path.read_text()) == reference_terms(
            "A Title Line", path.read_text()
        )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("قُتِلَ ١٢ شخصاً في زلـزال عام ٢٠٢٤", "قتل 12 شخصا في زلزال عام 2024"),  # harakat, tatweel
        ("２０２４年に震度７の地震", "2024年に震度7の地震"),  # full-width digits
        ("वर्ष २०२४ में १२ लोगों", "वर्ष 2024 में 12 लोगों"),  # Devanagari digits
        ("co\u00adoperation in İstanbul", "cooperation in Istanbul"),  # soft hyphen, İ
    ],
)
def test_texts_with_one_content_hash_give_the_same_story_terms(one: str, other: str) -> None:
    """The story terms read the text as the content hash does: a year in full-width or
    Arabic-Indic digits was an `N:` number of its own, and a report written with harakat
    shared few words with the same report without."""
    assert fingerprint(one).content_hash == fingerprint(other).content_hash
    assert terms(None, one) == terms(None, other)
    assert "Y:2024" in terms(None, one) or "Y:2024" not in terms(None, other)


def test_function_words_of_the_texts_language_are_no_terms_nor_names() -> None:
    """German, French, Spanish… function words were content words, and a capitalized one that
    begins a sentence began a name span weighted ×5 ("Die Bundesregierung": E:die)."""
    german = terms(
        None,
        "Die Bundesregierung hat am Montag beschlossen, dass der Streik und die Tarifrunde enden.",
    )
    assert {"E:bundesregierung", "E:streik", "beschlossen"} <= set(german)
    assert not {"E:die", "E:die bundesregierung", "der", "und", "dass"} & set(german)
    french = terms(
        None,
        "Les inondations ont touché 200 communes. Selon Météo-France, des pluies sont attendues.",
    )
    assert {"inondation", "E:météo-france", "touché"} <= set(french)
    assert not {"E:les", "E:selon", "des", "ont", "sont"} & set(french)
    english = terms(None, "At least 12 people die in Sudan as the war goes on, and aid is at risk.")
    assert {"die", "war"} <= set(english)  # German and French function words, English words


def test_what_an_apostrophe_joins_to_a_name_is_not_part_of_it() -> None:
    """French and Italian elide an article before a name (l'Élysée, d'Israël), Turkish puts a
    case suffix after it (İzmir'de, İzmir'in): the name was a lowercase word, or a name of its
    own for every article or suffix."""
    french = terms(
        None,
        "Selon l'Élysée, le président d'Israël est arrivé. Il a rencontré les représentants "
        "d'Israël et de l'armée.",
    )
    assert {"E:élysée", "E:israël", "armée"} <= set(french)
    assert not {"l'élysée", "d'israël", "l'armée"} & set(french)
    turkish = terms(
        None,
        "Deprem İzmir'de büyük hasara yol açtı. Bakan, İzmir'in Bayraklı ilçesinde ve İzmir'e "
        "bağlı köylerde inceleme yaptı.",
    )
    assert turkish["E:izmir"] == 3 * ENTITY_WEIGHT
    english = terms(None, "Officials said that it's what O'Brien's team didn't expect.")
    assert "E:o'brien" in english and "didn't" in english


def test_an_elided_article_goes_whatever_its_case_and_apostrophe_only_before_a_word() -> None:
    """Typographic apostrophes (l’Élysée) as typewriter ones; a sentence's capital L' too;
    an apostrophe before a digit or a space elides nothing. In Turkish only a name loses
    what follows its apostrophe."""
    typographic = terms(None, "Selon l’Élysée, le président d’Israël est arrivé.")
    assert {"E:élysée", "E:israël"} <= set(typographic)
    assert not {"l’élysée", "E:l’élysée", "d’israël"} & set(typographic)
    french = terms(
        None, "Selon le président, L'Élysée a confirmé que l' armée et d'1 avion sont là."
    )
    assert {"E:élysée", "armée", "d'1"} <= set(french)
    assert not {"E:l'élysée", "N:1"} & set(french)
    turkish = terms(None, "Deprem İzmir'de oldu ve bir rock'n'roll konseri iptal edildi.")
    assert {"E:izmir", "rock'n'roll"} <= set(turkish)


def test_korean_nouns_of_two_syllables_are_terms_without_their_particles() -> None:
    """A term needed three letters, and a Korean syllable is one: 서울 (Seoul), 화재 (fire) and
    경찰 (police) were no terms, and 화재가, 화재를 two others: two reports of one Seoul fire
    shared little but their particles' forms."""
    found = terms(None, "서울 아파트에서 화재가 발생했다. 경찰은 서울 화재 원인을 조사 중이다.")
    assert {"서울", "아파트", "화재", "경찰", "원인", "조사"} <= set(found)
    assert found["서울"] == found["화재"] == 2
    assert not {"아파트에서", "화재가", "경찰은", "원인을"} & set(found)
    assert set(terms(None, "서울에서는 화재가 발생했다")) == {"서울", "화재", "발생"}  # 에서는


def test_a_korean_noun_of_one_syllable_with_its_particle_is_no_term() -> None:
    """명이 "people", 불을 "the fire", 대를 "vehicles" were terms, and 것으로 "as (a thing)"
    gave 것으: the heaviest terms two reports of different fires shared. The particle is the
    form the syllable before it takes (이 after a consonant, 가 after a vowel): nouns of two
    syllables whose second is a particle's keep it (평가, 나이), and before 도 and 의, which
    follow any syllable, the word is kept whole (인도 "India", 속도 "speed", 회의 "meeting")."""
    found = terms(
        None, "주민 2 명이 숨지고 장비 60 대를 투입해 3시간 만에 불을 껐다. 것으로 불이 불은"
    )
    assert not {"명이", "대를", "불을", "불이", "것으", "것으로", "만에"} & set(found)
    kept = terms(None, "평가 나이 차이 마을 인도 제도 속도 회의 합의")
    assert set(kept) == {"평가", "나이", "차이", "마을", "인도", "제도", "속도", "회의", "합의"}


def test_a_korean_verb_gives_the_noun_it_is_made_of_and_a_past_form_none() -> None:
    """조사하고 "investigating and", 시작된 "that began", 발생했다 "broke out" are the nouns
    조사, 시작, 발생 with 하다 "do" or 되다 "become"; a word in the past tense (다쳤다
    "were hurt", 밝혔다 "said") or of 있다 "to be" has no noun in it."""
    found = terms(None, "경찰이 원인을 조사하고 있다. 불은 3층에서 시작된 것으로 추정된다.")
    assert {"경찰", "원인", "조사", "시작", "추정"} <= set(found)
    assert not {"조사하고", "시작된", "추정된다", "있다"} & set(found)
    past = terms(None, "화재가 발생했다고 밝혔다. 주민 5명이 다쳤다. 원인은 누전이었다.")
    assert set(past) == {"화재", "발생", "주민", "N:5명", "원인", "누전"}
    assert terms(None, "지난해 자연재해 주민들이") == {"지난해": 1, "자연재해": 1, "주민": 1}


def test_a_number_with_a_korean_counter_is_one_term() -> None:
    """2명 "two people", 2시간 "two hours", 2층 "the second floor" were all N:2, the heaviest
    term two reports of different fires shared; the counter tells them apart. A year with 년
    is a year; a particle alone (4.6의 "of 4.6") and "about" (57분쯤, 300여) are no counter."""
    found = terms(None, "2명이 숨지고 2층에서 2시간 만에 꺼졌다. 2017년 규모 4.6의 지진")
    assert {"N:2명", "N:2층", "N:2시간", "Y:2017", "N:4.6"} <= set(found)
    assert "N:2" not in found
    assert set(terms(None, "4시 57분쯤 300여 명")) == {"N:4시", "N:57분", "N:300"}
    assert terms(None, "3rd of 12 in 2024")["N:12"] == 1  # English numbers as before


def test_japanese_pairs_of_hiragana_are_no_terms() -> None:
    """Pairs of hiragana are inflections and particles (した, による, される): they were among a
    quake report's heaviest terms, shared with any other report."""
    found = terms(None, "気象庁によると、能登半島で地震が発生した。")
    assert {"気象", "能登", "地震"} <= set(found)
    assert not {"によ", "よる", "ると", "した"} & set(found)


def test_runs_of_junk_letters_are_not_kept_in_memory() -> None:
    """The terms and stems of the stream's last 65,536 words are cached: distinct runs of
    junk letters, each 100,000 long, were kept too (70 MB here), in the worker's memory."""
    terms(None, "a. b")  # the sentence breaks' terms (none) are cached once
    tracemalloc.start()
    try:
        for letter, burmese in zip("abcdefgh", "ကခဂဃငစဆဇ", strict=True):
            junk = letter * 100_000
            terms(None, f"{junk}. {junk} {junk.upper()} {burmese * 100_000}")
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000  # the last run of junk itself, 100 kB, is still in hand


def test_no_term_is_longer_than_the_limit_however_long_the_words() -> None:
    """Terms are stored as written: a page of long capitalized words, one name span, gave
    terms of 750,000 characters, 60 times the store's memory of a report of its size."""
    long_words = " ".join(f"Zq{i}" + "x" * 400 for i in range(250))
    counts, _ = terms_and_language("Budget talks", f"{long_words}\nThe council voted today.")
    assert max(map(len, counts)) <= MAX_TERM_CHARS
    assert {"council", "voted", "budget"} <= set(counts)  # the other words' terms stay


def test_a_term_of_exactly_the_limit_is_kept() -> None:
    counts, _ = terms_and_language(None, f"{'q' * MAX_TERM_CHARS} {'z' * (MAX_TERM_CHARS + 1)}")
    assert set(counts) == {"q" * MAX_TERM_CHARS}


def test_a_thai_word_of_two_letters_is_a_term() -> None:
    assert "ฝน" in terms(None, "ฝนตกหนักในกรุงเทพ")  # "rain"
