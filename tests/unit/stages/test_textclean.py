"""Text cleaning: the article's lines without headline and byline block, and its title; the
seed articles cleaned whole."""

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.article_lines import LINES, MORE, PROSE

from newsflow.stages import textclean as tc
from newsflow.stages.linewords import HEADLINE_MAX_WORDS, word_count
from newsflow.stages.textclean import clean_text


def test_the_headline_is_found_and_taken_off_with_its_byline_block() -> None:
    raw = f"Council approves bus line\nBy Maria Delgado\nStaff Writer\nMarch 12, 2024\n{PROSE}\n"
    cleaned = clean_text(raw)
    assert cleaned.title == "Council approves bus line"
    assert cleaned.text == PROSE


def test_a_given_title_is_removed_with_everything_above_it() -> None:
    raw = f"Home | News | Sports\nCouncil approves bus line\n{PROSE}\n{MORE}"
    cleaned = clean_text(raw, title="Council approves bus line")
    assert cleaned.text == f"{PROSE}\n{MORE}"


def test_spaces_are_normalized_and_blank_lines_dropped() -> None:
    spaced = PROSE.replace(" ", "\u00a0 ", 2)
    cleaned = clean_text(f"  {spaced}  \n\n\n\t{MORE}\n")
    assert cleaned.text == f"{PROSE}\n{MORE}"


def test_short_lines_after_the_headline_stay_when_more_than_a_byline_block() -> None:
    items = ["Fulton Avenue", "Harbor Street", "Eastgate", "Ninth Street", "Main Street", "Pier"]
    raw = "\n".join(["Stations on the new line", *items])
    assert clean_text(raw, title="Stations on the new line").text == "\n".join(items)


def test_a_headline_followed_only_by_its_byline_leaves_no_text() -> None:
    raw = "Council approves bus line\nBy Maria Delgado\nMarch 12, 2024"
    assert clean_text(raw, title="Council approves bus line").text == ""


def test_an_address_above_the_headline_is_not_taken_for_it() -> None:
    headline = "US and Britain accuse Iran of supplying missiles to Russia for Ukraine"
    address = "Physical Address\n304 North Cardinal St.\nDorchester Center, MA 02124"
    raw = f"{address}\n{headline}\n{PROSE}"
    cleaned = clean_text(raw)
    assert cleaned.title == headline
    assert cleaned.text == PROSE


# --- the five seed articles: before and after ----------------------------------------------

SAMPLES = Path(__file__).resolve().parents[3] / "samples"

# Per seed: the expected title, and the lines cleaning removes (each by how it starts).
# Everything else in the file is article and must come out unchanged, in order.
SEEDS = {
    "000_affd7b27c3c3663c.txt": (
        "U.S. accuses Iran of sending ballistic missiles to Russia",
        [
            "Latest News",  # site chrome
            "U.S. accuses Iran of sending ballistic missiles to Russia",  # the headline
            "This post appeared first on washingtonpost.com",
            "You May Also Like",  # the recirculation block, and all that follows it
            "Editor's Pick",
            "Source: Ark Invest / Instagram ARK Investment Management",
            "Latest News",
            "A super PAC that has overseen much of Ron DeSantis",
            "Stock",
            "Popeyes is expanding its menu beyond chicken sandwiches",
            "Latest News",
            "WINDHAM, N.H. — It’s pouring rain Saturday morning",
            "Disclaimer: Incomeinnovatorhub.com, its managers",  # investment disclaimer
            "Copyright © 2024 incomeinnovatorhub.com",
        ],
    ),
    "001_694ca5b908b75097.txt": (
        "US and Britain accuse Iran of supplying missiles to Russia for Ukraine",
        [
            "Physical Address",  # a theme's placeholder address block
            "304 North Cardinal St.",
            "Dorchester Center, MA 02124",
            "US and Britain accuse Iran of supplying missiles to Russia for Ukraine",
            "Source: AP",
        ],
    ),
    "002_c29026668af7cc6b.txt": (
        "The US and Britain accuse Iran of sending Russia missiles to use against Ukraine",
        ["The US and Britain accuse Iran of sending Russia missiles to use against Ukraine"] * 3,
    ),
    "003_08e80ebd18848398.txt": (
        "Long having supplied drones to Russia, Iran has now transferred ballistic missiles …",
        [
            "U.S. Secretary of State Antony Blinken (L) and his British counterpart",  # caption
            "X",  # the rest of its credit ("Blinken/X")
        ],
    ),
    "004_c6c914c1a4de73fe.txt": (
        "Russia received ballistic missiles from Iran and will probably use them in …",
        ["Bonus video:"],
    ),
}
BOILERPLATE = (
    "Latest News", "You May Also Like", "Editor's Pick", "appeared first on", "Disclaimer",
    "Copyright", "Physical Address", "Cardinal St.", "Photo courtesy", "Bonus video", "Source:",
)  # fmt: skip


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_a_seed_article_keeps_its_paragraphs_and_loses_its_boilerplate(name: str) -> None:
    title, removed = SEEDS[name]
    before = [line.strip() for line in (SAMPLES / name).read_text().split("\n") if line.strip()]
    after = list(before)
    for start in removed:
        after.remove(next(line for line in after if line.startswith(start)))
    cleaned = clean_text((SAMPLES / name).read_text())
    assert cleaned.title == title
    assert cleaned.text.split("\n") == after
    for phrase in BOILERPLATE:
        assert phrase not in cleaned.text


def test_a_credit_above_a_subheading_and_its_text_is_dropped() -> None:
    raw = f"By Maria Delgado\nWhere the new line runs\n{PROSE}"
    assert clean_text(raw, title="Bus").text == f"Where the new line runs\n{PROSE}"


def test_a_title_from_the_lead_is_its_first_sentence_cut_after_twelve_words() -> None:
    twelve = "Officials in the harbor city said on Tuesday that buses run late."
    assert clean_text(f"{twelve} More follows.\n{PROSE}").title == twelve
    thirteen = "Officials in the harbor city said on Tuesday that the buses run late."
    expected = "Officials in the harbor city said on Tuesday that the buses run …"
    assert clean_text(f"{thirteen}\n{PROSE}").title == expected


def test_a_seed_without_a_headline_gets_its_title_from_the_lead() -> None:
    lead = "Sept. 10 (UPI) — Long having supplied drones to Russia, Iran has now sent missiles."
    expected = "Long having supplied drones to Russia, Iran has now sent missiles."
    assert clean_text(f"{lead}\n{PROSE}").title == expected


# "a.m." and "p.m." end a time, not a sentence: a dated credit line that ends with one is a
# credit like any other, so a text version with its byline block cleans to the same text as
# the page without one.
@pytest.mark.parametrize(
    "stamp", ["September 10, 2024 8:30 a.m.", "Updated Sept. 10, 2024 8:30 P.M."]
)
def test_a_credit_ending_in_a_clock_time_is_dropped_with_the_byline_block(stamp: str) -> None:
    cleaned = clean_text(f"Council approves bus line\nBy Maria Delgado\n{stamp}\n{PROSE}\n{MORE}")
    assert cleaned.title == "Council approves bus line"
    assert cleaned.text == f"{PROSE}\n{MORE}"
    assert clean_text(f"By Maria Delgado\n{stamp}\n{PROSE}").text == PROSE


def test_an_update_time_closing_the_text_is_dropped_but_a_sentence_ending_in_a_time_stays() -> None:
    assert (
        clean_text(f"{PROSE}\n{MORE}\nUpdated at 1:23 p.m.", title="Bus").text == f"{PROSE}\n{MORE}"
    )
    raw = f"{PROSE}\n{MORE}\nThe first bus leaves Harbor Street at 5:30 a.m."
    assert clean_text(raw, title="Bus").text == raw


@pytest.mark.parametrize(
    "sentence",
    [
        "Services will be held Saturday, Jan. 6, 2024, at 11 a.m.",
        "The hearing is set for Jan. 14 at 9 a.m.",
        "Polls open on Nov. 5, 2024 at 7 a.m.",
        "By law, polls must close at 8 p.m.",
        "Updated voter rolls are due Friday at 5 p.m.",
        "Posted notices say the park closes at 9 p.m.",
    ],
)
def test_a_sentence_giving_a_date_and_a_time_is_a_sentence_first_or_last(sentence: str) -> None:
    """Any line holding a date took its closing "a.m." for a credit's: a closing sentence was
    dropped as a trailing heading, an opening one as a leading credit (a held-out review)."""
    closing = f"{PROSE}\n{MORE}\n{sentence}"
    assert clean_text(closing, title="Bus").text == closing
    opening = f"{sentence}\n{PROSE}\n{MORE}"
    assert clean_text(opening, title="Bus").text == opening


def test_a_closing_list_of_teaser_headings_is_dropped_but_a_list_stays() -> None:
    teasers = "Story Timeline\nCouncil weighs new fares\nBridge closes for repairs"
    assert clean_text(f"{PROSE}\n{MORE}\n{teasers}", title="Bus").text == f"{PROSE}\n{MORE}"
    # More than three short lines are a list of the article's: they stay.
    stations = "Fulton Avenue\nHarbor Street\nEastgate\nNinth Street"
    listed = f"{PROSE}\n{MORE}\n{stations}"
    assert clean_text(listed, title="Bus").text == listed


def test_a_short_closing_list_a_sentence_introduces_stays_and_teasers_under_a_label_go() -> None:
    stops = "Fulton Avenue\nHarbor Street\nEastgate"
    introduced = f"{PROSE}\nFrom March the line will stop at three new places along the harbor:"
    assert clean_text(f"{introduced}\n{stops}", title="Bus").text == f"{introduced}\n{stops}"
    teasers = "Read more:\nCouncil weighs new fares\nBridge closes for repairs"
    assert clean_text(f"{PROSE}\n{MORE}\n{teasers}", title="Bus").text == f"{PROSE}\n{MORE}"


@pytest.mark.parametrize(
    "intro",
    ["The stops are:", "They include:", "Here are the stops:", "The new stops will be:"],
)
def test_a_short_closing_list_a_very_short_clause_introduces_stays(intro: str) -> None:
    """A clause of a few words ending in a colon ("The stops are:") was taken for a label,
    itself as short as a heading, and the list it introduces was dropped."""
    text = f"{PROSE}\n{MORE}\n{intro}\nFulton Avenue\nHarbor Street\nEastgate"
    assert clean_text(text, title="Bus").text == text


@pytest.mark.parametrize(
    "label",
    [
        "Also read:",
        "Further reading:",
        "More on this story:",
        "More from the Harbor Gazette:",
        "Must read:",
        "Stories you might have missed:",
        "What we're reading:",
    ],
)
def test_teasers_under_a_label_furniture_does_not_know_go_too(label: str) -> None:
    """A short label ending in a colon introduces no list of the article's: the teasers under
    it went before the 'introduced' rule, and go still (the label, not known as furniture,
    stays, as it did)."""
    teasers = "Council weighs new fares\nBridge closes for repairs"
    text = f"{PROSE}\n{MORE}\n{label}\n{teasers}"
    assert clean_text(text, title="Bus").text == f"{PROSE}\n{MORE}\n{label}"


@pytest.mark.parametrize(
    "closing",
    [
        "- Fulton Avenue\n- Harbor Street",
        "* Fulton Avenue\n* Harbor Street",
        "• Fulton Avenue\n• Harbor Street",
        "Route | Stops | Minutes\nBRT 1 | 14 | 32",
    ],
    ids=["dashes", "asterisks", "bullets", "a table"],
)
def test_a_closing_bulleted_list_or_table_is_the_article_s_not_headings(closing: str) -> None:
    raw = f"{PROSE}\n{MORE}\n{closing}"
    assert clean_text(raw, title="Bus").text == raw


# --- the faster rules say what the plain definitions say ---------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.lists(LINES, max_size=14),
    st.sampled_from(["Council approves bus line", "A", "—", "x\u00ady"]),
)
def test_headline_copies_go_as_the_plain_definition_says(lines: list[str], title: str) -> None:
    lines = [line for line in lines if line] + ["Council\u00ad approves BUS line", title]
    key = tc._key(title)
    last = max((i for i, line in enumerate(lines[:10]) if tc._key(line) == key), default=-1)
    rest = [line for line in lines[last + 1 :] if tc._key(line) != key]
    expected = tc.drop_byline_block(rest) if last >= 0 else rest
    assert tc.drop_headline_copies(lines, title) == expected


@pytest.mark.parametrize(
    "closing",
    [
        "स्कूल और कॉलेज बंद रहेंगे।",  # Hindi: the danda
        "کیا حکومت مزید اقدامات کرے گی؟",  # Urdu: the Arabic question mark
        "Θα κλείσουν τα σχολεία;",  # Greek: its question mark (U+037E; NFC makes it ";")
    ],
)
def test_a_closing_sentence_in_another_script_is_kept(closing: str) -> None:
    body = (
        "भारत सरकार ने नई शिक्षा नीति की घोषणा की है जो अगले वर्ष से लागू होगी और सभी राज्यों में प्रभावी होगी।"
    )
    text = clean_text(f"{body}\n{body}\n{closing}").text
    assert text.splitlines()[-1] == unicodedata.normalize("NFC", closing)


def test_decomposed_text_comes_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Hà Nội công bố kế hoạch phòng chống lũ lụt mới.")
    assert clean_text(decomposed).text == unicodedata.normalize("NFC", decomposed)


THAI_PARAGRAPHS = [
    "กรุงเทพมหานครประกาศเมื่อวันจันทร์ว่าจะขยายเวลาให้บริการรถโดยสารสาธารณะในช่วงเทศกาลปีใหม่"
    " เพื่อรองรับประชาชนที่เดินทางกลับภูมิลำเนาและนักท่องเที่ยวที่เพิ่มขึ้นอย่างมาก",
    "ผู้ว่าราชการกรุงเทพมหานครกล่าวว่า จะมีการเพิ่มรถโดยสารอีกกว่าสองร้อยคันในเส้นทางหลัก"
    " และจะจัดเจ้าหน้าที่ดูแลความปลอดภัยที่สถานีขนส่งทุกแห่งตลอดยี่สิบสี่ชั่วโมง",
    "ประชาชนจำนวนมากแสดงความพอใจต่อมาตรการนี้ แต่ก็ขอให้มีการประชาสัมพันธ์ตารางเวลาเดินรถ"
    "ให้ชัดเจนมากขึ้นเพื่อไม่ให้เกิดความสับสน",
]


def test_thai_paragraphs_are_prose_not_headings() -> None:
    """A second held-out review: Thai has no spaces between words and no full stop, so its
    paragraphs were read as three-word lines ending no sentence, trailing headings, and a
    Thai article was dropped whole (rejected `no_main_text`)."""
    title = "กทม.ขยายเวลารถโดยสารช่วงปีใหม่"
    cleaned = clean_text("\n".join([title, "14:30 น", *THAI_PARAGRAPHS]), title=title)
    assert cleaned.text == "\n".join(THAI_PARAGRAPHS)
    assert word_count(THAI_PARAGRAPHS[0]) > HEADLINE_MAX_WORDS
    assert word_count(title) <= HEADLINE_MAX_WORDS  # a headline is still one


LEIPZIG = [
    "Der Stadtrat von Leipzig hat am Montagabend nach einer langen Debatte beschlossen, die "
    "Straßenbahnlinie 16 bis zum neuen Wohngebiet im Norden der Stadt zu verlängern.",
    "Die Kosten werden auf rund 84 Millionen Euro geschätzt, wovon der Freistaat Sachsen etwa "
    "zwei Drittel übernehmen soll.",
]


@pytest.mark.parametrize(
    "credits",
    [
        ["Von Anna Schmidt und Jonas Weber", "Montag, 7. Dezember 2026, 14:30 Uhr"],
        ["Par Sophie Bernard"],
        ["Por María García y Pedro López"],
        ["Door Jan de Vries en Sanne Bakker"],
        ["Автор: Иван Петров"],
        ["بقلم: أحمد علي"],
        ["Haber: Elif Şahin"],
        ["Publicado em 07/12/2026 às 18h32", "Atualizado há 2 horas"],
        ["Thứ hai, 7/12/2026, 14:30 (GMT+7)"],
        ["7 ธันวาคม 2569 14:30 น."],
    ],
)
def test_bylines_and_date_lines_of_other_languages_are_credits(credits: list[str]) -> None:
    """A second held-out review: a byline below the headline in another language than
    English ("Von Anna Schmidt", "Por María García") opened the article's text, with the date
    line when a zone in parentheses or the Thai "น." ended it like a sentence."""
    title = "Straßenbahnlinie 16 wird verlängert"
    cleaned = clean_text("\n".join([title, *credits, *LEIPZIG]), title=title)
    assert cleaned.text == "\n".join(LEIPZIG)


@pytest.mark.parametrize(
    "line",
    [
        "Von der Leyen warnt vor einem Handelskrieg",
        "Por qué importa",
        "Par ailleurs la mairie proteste",
        "Von / der Redaktion heute",  # a separator, then no name at all
    ],
)
def test_a_line_opening_with_the_word_for_by_before_no_name_is_no_byline(line: str) -> None:
    title = "Straßenbahnlinie 16 wird verlängert"
    cleaned = clean_text("\n".join([title, line, *LEIPZIG]), title=title)
    assert cleaned.text.split("\n")[0] == line


@pytest.mark.parametrize(
    "line",
    [
        "Di Maio says negotiations will resume on Monday",
        "Door County Wildfire Forces Evacuations Across The Peninsula",
        "Von Miller Signs Six-Year Deal With Buffalo",
        "Par Five Holes Decide the Masters",
    ],
)
def test_an_english_line_opening_with_a_foreign_word_for_by_is_no_byline(line: str) -> None:
    """A code review: decks and headlines opening with Di, Von, Door or Par before a
    capitalized word were dropped as bylines in other languages (and the headline lost)."""
    assert not tc._is_credit(line)


@pytest.mark.parametrize(
    "line",
    ["Von Anna Schmidt", "Por María García y Pedro López", "Door Jan de Vries, 7 december 2026",
     "Oleh Siti Rahma | Editor: Budi", "Par Jean Dupont — Le Monde"],
)  # fmt: skip
def test_a_foreign_word_for_by_before_a_name_is_a_byline(line: str) -> None:
    assert tc._is_credit(line)
