"""Other articles on a page: boxes of them (asides, navigation, "related", "popular") and
teasers of them (a list item or a short `<article>` linking elsewhere by a headline).

Their dates and bylines are the other articles', not the page's: the page's date (`dates`)
and authors (`bylines`) skip the elements in them, and htmldate is given the page without
their dates.
"""

from __future__ import annotations

import itertools
from copy import deepcopy

from lxml.etree import XPath
from lxml.html import HtmlElement

from newsflow.stages.dom import WORD_OR_CHARACTER
from newsflow.stages.quality import count_words

LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
# Boxes of other articles: asides, navigation, elements classed or named related, teaser,
# recommended, trending, popular (the page's <body> and <html> classes do not count).
_BOX_WORDS = ("related", "teaser", "recommend", "trending", "popular")
IN_A_BOX = XPath(
    "boolean(ancestor-or-self::*[self::aside or self::nav or (("
    + " or ".join(
        f"contains({LOWER.format(a)}, '{w}')" for a in ("@class", "@id") for w in _BOX_WORDS
    )
    + ") and not(self::body or self::html))])"
)
_DATED = XPath(
    "//body//*[self::time or @datetime or contains({itemprop}, 'date')]".format(
        itemprop=LOWER.format("@itemprop")
    )
)
# Teasers of other articles outside any box named as one ("Meistgelesen", "Leia também"): a
# list item or an `<article>` (not the page's only one) of a few words without the page's
# `<h1>`, linking to another page by a headline (a heading that is or holds a link, or a link of
# a few words that is no byline's and not in a paragraph). Their dates and bylines are the
# other articles'.
_TEASER_CONTAINERS = ("li", "article")
TEASER_MAX_WORDS = 60
TEASER_HEADLINE_WORDS = 5
TEASER_MAX_ELEMENTS = 200  # a teaser is a few elements; a container of more is none
TEASER_MAX_LINKS = 20  # links of a teaser looked at for its headline
MAX_CANDIDATES = 100  # <time>s, bylines and dated elements looked at: a page's own come early
_HEADLINE_LINK = XPath(
    "boolean(ancestor::*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
    " or .//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6])"
)
_ARTICLES = XPath("count(//article)")
_IN_A_PARAGRAPH = XPath("boolean(ancestor::p)")
_BYLINE_LINK = XPath(
    "boolean(ancestor-or-self::*[@rel='author' or @itemprop='author'"
    " or contains(@class, 'author') or contains(@class, 'byline')])"
)


def without_other_articles_times(tree: HtmlElement) -> HtmlElement:
    """The page for htmldate: without the dates of boxes and teasers of other articles
    (`<time>`s, `datetime` and `itemprop` dates, which htmldate reads wherever they are), a
    copy when there are any."""
    if not any(IN_A_BOX(d) or in_a_teaser(d) for d in _DATED(tree)[:MAX_CANDIDATES]):
        return tree
    copy = deepcopy(tree)
    for dated in [d for d in _DATED(copy)[:MAX_CANDIDATES] if IN_A_BOX(d) or in_a_teaser(d)]:
        dated.drop_tree()
    return copy


def in_a_teaser(element: HtmlElement) -> bool:
    """Whether the element is in a teaser of another article (see `_TEASER_CONTAINERS`)."""
    container = next((a for a in element.iterancestors() if a.tag in _TEASER_CONTAINERS), None)
    if container is None or more_than(container, TEASER_MAX_ELEMENTS):
        return False  # (each candidate in it walked all its elements and links: quadratic)
    if not _few_words(container) or container.find(".//h1") is not None:
        return False
    if container.tag == "article" and _ARTICLES(container) < 2:
        return False  # the page's only <article> is its own, however short
    for link in itertools.islice(container.iter("a"), TEASER_MAX_LINKS):
        href = (link.get("href") or "").strip()
        if not href or href.startswith("#") or _BYLINE_LINK(link) or _IN_A_PARAGRAPH(link):
            continue  # (a link in a paragraph is the article's own)
        words = count_words(
            link.text_content(), up_to=TEASER_HEADLINE_WORDS, pattern=WORD_OR_CHARACTER
        )
        if words >= TEASER_HEADLINE_WORDS or _HEADLINE_LINK(link):
            return True
    return False


def more_than(element: HtmlElement, count: int) -> bool:
    """Whether the element and its descendants are more than `count` elements (only that many
    are looked at)."""
    return next(itertools.islice(element.iter(), count, None), None) is not None


def _few_words(element: HtmlElement) -> bool:
    """Whether the element's text has `TEASER_MAX_WORDS` words or fewer, read only as far as
    needed (a page's whole body may be one list item)."""
    words = 0
    for text in element.itertext():
        words += count_words(text, up_to=TEASER_MAX_WORDS + 1, pattern=WORD_OR_CHARACTER)
        if words > TEASER_MAX_WORDS:
            return False
    return True
