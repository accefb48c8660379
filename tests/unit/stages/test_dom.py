"""DOM preparation: which blocks are candidates for boilerplate boxes."""

from __future__ import annotations

import gzip
from itertools import product
from pathlib import Path

import pytest
from benchmarks.corpus import SITES, fixture_bodies, page
from lxml.etree import XPath
from lxml.html import HtmlElement, document_fromstring

from newsflow.stages.dom import box_candidates

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
