"""Text cleaning: the article's lines without headline, byline, ad labels and closing notice."""

from newsflow.stages.textclean import clean_text

PROSE = (
    "The council voted 6-1 on Tuesday night to build a bus rapid transit line along Fulton "
    "Avenue, ending nearly three years of debate over the future of the corridor."
)
MORE = "Construction is scheduled to begin next spring and last about eighteen months in all."


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


def test_ad_labels_and_the_closing_copyright_notice_are_dropped() -> None:
    raw = f"{PROSE}\nADVERTISEMENT\n{MORE}\nCopyright 2024 The Harbor Gazette. All rights reserved."
    assert clean_text(raw, title="Bus line").text == f"{PROSE}\n{MORE}"


def test_a_copyright_line_inside_the_article_stays() -> None:
    raw = f"{PROSE}\nCopyright law was not part of the debate.\n{MORE}"
    assert clean_text(raw, title="Bus line").text == raw


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
