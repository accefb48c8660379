"""DOM preparation: which blocks are candidates for boilerplate boxes; pop-ups are pruned."""

from __future__ import annotations

import gzip
from itertools import product
from pathlib import Path

import pytest
import trafilatura
from benchmarks.corpus import SITES, fixture_bodies, page
from lxml import etree
from lxml.etree import XPath
from lxml.html import HtmlElement, document_fromstring

from newsflow.stages.dom import box_candidates, has_prose, is_boilerplate_box, prepare_tree

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
# The candidates as first written: an XPath over every element of the body.
REFERENCE = XPath(
    "//body//*[self::div or self::section or self::aside or self::ul or self::ol"
    " or self::table or self::form or self::figure or self::p or self::header or self::footer"
    " or self::nav or self::iframe or self::ins or self::dl or self::blockquote]"
    "[@class or @id or @data-testid or @data-component or @data-module or @hidden"
    " or @style or @role]"
)


def pages() -> list[tuple[str, str]]:
    templated = [
        (f"{site.template}-{body.slug}", page(site, body))
        for site, body in product(SITES, fixture_bodies()[:2])
    ]
    golden = [(p.name, gzip.decompress(p.read_bytes()).decode()) for p in GOLDEN.glob("*.gz")]
    return templated + golden


@pytest.mark.parametrize(("name", "html"), pages(), ids=[name for name, _ in pages()])
def test_box_candidates_are_the_blocks_the_xpath_selects(name: str, html: str) -> None:
    tree = document_fromstring(html)
    expected = REFERENCE(tree)
    assert len(expected) > 0
    assert box_candidates(tree) == expected


def test_box_candidates_are_named_styled_or_roled_blocks_in_document_order() -> None:
    tree: HtmlElement = document_fromstring(
        "<html><head><title>t</title></head><body>"
        "<div id='a'><p class='b'>one</p><span class='c'>two</span></div>"
        "<section hidden>three</section><div>four</div><aside role='note'>five</aside>"
        "</body></html>"
    )
    assert [e.get("id") or e.get("class") or e.tag for e in box_candidates(tree)] == [
        "a",
        "b",
        "section",
        "aside",
    ]


def prepared_paragraph(paragraph: str) -> str:
    tree: HtmlElement = document_fromstring(
        f"<html><head><title>t</title></head><body><article><p>{paragraph}</p>"
        "<p>The council voted 6-1 on Tuesday night to build the line.</p></article></body></html>"
    )
    prepare_tree(tree)
    return str(tree.find(".//p").text_content())


# A pop-up (hover card, tooltip, popover) sits in the sentence after the name or term that
# shows it, hidden by the site's CSS; the text has the name and not the card.
@pytest.mark.parametrize(
    "mention",
    [
        # A person's hover card: their name, then their latest headlines.
        "<span class='rollover-people'><a class='rollover-people-link' href='/people/jane-roe'>"
        "Jane Roe</a><span class='rollover-people-block'><span class='rollover-block'>"
        "<img src='roe.jpg'><a class='name' href='/people/jane-roe'>Jane Roe</a>"
        "<a href='/news/1'>Council approves bus line | Bridge closes for repairs</a> MORE"
        "</span></span></span>",
        # A tooltip whose text follows its term.
        "<span class='tooltip'>Jane Roe<span class='tooltiptext'>Member of the council since "
        "2016</span></span>",
        # A popover with its own trigger element.
        "<span class='popover-wrapper'><span class='popover-trigger'>Jane Roe</span>"
        "<span class='popover-content'>Member of the council since 2016</span></span>",
        # A hover card named in camelCase.
        "<span class='PersonHoverCard'><b>Jane Roe</b><span class='HoverCard_body'>Member of "
        "the council</span></span>",
    ],
)
def test_a_pop_up_inside_a_sentence_is_pruned_and_its_name_kept(mention: str) -> None:
    paragraph = f"Police said Rep. {mention} (D-Minn.) was not hurt."
    assert prepared_paragraph(paragraph) == "Police said Rep. Jane Roe (D-Minn.) was not hurt."


def test_a_term_named_like_a_pop_up_with_nothing_before_it_stays() -> None:
    paragraph = (
        "The <span class='has-tooltip'>bus rapid transit</span> line opens in "
        "<span class='tooltip'>spring</span>."
    )
    assert prepared_paragraph(paragraph) == "The bus rapid transit line opens in spring."


def test_a_time_inside_a_sentence_becomes_its_text_and_a_byline_s_date_stays_a_time() -> None:
    """trafilatura drops `<time>` with its text: "hearings will run from to , the clerk said"."""
    sentence = (
        '<p>Public hearings will run from <time datetime="2024-03-01">March 1</time> to '
        '<time datetime="2024-03-15">March 15</time>, the clerk said on Tuesday.</p>'
    )
    byline = '<p class="byline">By Jane Roe <time>Nov. 19, 2019</time></p>'
    tree = document_fromstring(f"<html><body><article>{sentence}{byline}</article></body></html>")
    prepare_tree(tree)
    assert tree.xpath("//time/text()") == ["Nov. 19, 2019"]  # only the byline's
    assert tree.find(".//p").text_content() == (
        "Public hearings will run from March 1 to March 15, the clerk said on Tuesday."
    )
    text = trafilatura.extract(etree.tostring(tree, encoding="unicode"))
    assert text is not None and "from March 1 to March 15" in text


@pytest.mark.parametrize(
    ("attributes", "boilerplate"),
    [
        ('class="relacionadas"', True),
        ('class="noticias-relacionados"', True),
        ('class="veja-tambem"', True),
        ('class="leia_tambem"', True),
        ('class="a-lire-aussi"', True),
        ('class="mehr-zum-thema"', True),
        ('class="box-baca-juga"', True),
        ('id="comentarios"', True),
        ('id="kommentare"', True),
        ('class="reacties"', True),
        ('class="kommentar"', False),  # a German opinion article
        ('class="comentario-editorial"', False),
        ('class="tambem"', False),
    ],
)
def test_boxes_named_in_other_languages_are_boilerplate(attributes: str, boilerplate: bool) -> None:
    """A second held-out review: "related" and "read also" lists and reader comments named in
    the site's language were read into the text on pages without <article>."""
    element = document_fromstring(f"<html><body><div {attributes}>x</div></body></html>")
    assert is_boilerplate_box(element.find(".//div")) is boilerplate


SENTENCE = "The council approved the harbour plan on Tuesday after a debate."  # 11 words
PROSE_CASES = {
    "a paragraph of 20 words": (f"<p>{SENTENCE} {SENTENCE}</p>", True),
    "links only": ("<ul>" + f"<li><a href='/a'>{SENTENCE}</a></li>" * 3 + "</ul>", False),
    "a div's own text after short paragraphs": (
        "<p>Home</p><p>News</p>" + f"<div>{SENTENCE} {SENTENCE}</div>",
        True,
    ),
    "a paragraph and a quote, sentences of one block": (
        f"<div><p>{SENTENCE}</p><blockquote>{SENTENCE}</blockquote></div>",
        True,
    ),
    "sentences of two blocks": (
        f"<div><p>{SENTENCE}</p></div><div><blockquote>{SENTENCE}</blockquote></div>",
        False,
    ),
    "no sentence's end": (f"<div><p>{SENTENCE[:-1]}</p><p>{SENTENCE[:-1]}</p></div>", False),
}


@pytest.mark.parametrize(("body", "prose"), PROSE_CASES.values(), ids=PROSE_CASES)
def test_a_page_has_prose_when_a_block_or_a_block_s_sentences_hold_20_words(
    body: str, prose: bool
) -> None:
    assert has_prose(document_fromstring(f"<html><body>{body}</body></html>")) is prose
