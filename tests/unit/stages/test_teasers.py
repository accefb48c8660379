"""Other articles' teasers: their dates and bylines are not the page's."""

from __future__ import annotations

from tests.metadata_pages import meta

# A second held-out review: sites name their boxes in their own language ("meistgelesen",
# "leia-tambem", "baca-juga"), and the first <time> or byline of the page was a teaser's.
MOST_READ = (
    '<div class="meistgelesen"><ol>'
    '<li><a href="/a1">Oktoberfest-Bilanz: Weniger Besucher als erwartet</a>'
    ' <span class="author">Von Peter Müller</span>'
    ' <time datetime="2024-04-05T10:00:00+02:00">05.04.2024</time></li>'
    '<li><a href="/a2"><h3>Stammstrecke</h3></a>'
    ' <span itemprop="datePublished" content="2024-04-18">18.04.2024</span></li>'
    "</ol></div>"
)


def test_dates_and_bylines_of_teasers_of_other_articles_are_not_the_article_s() -> None:
    own = (
        '<article><h1>Unwetterwarnung</h1><p class="autor">Von Markus Huber</p>'
        '<time datetime="2024-05-21T07:45:00+01:00">21.05.2024</time><p>Text.</p></article>'
    )
    found = meta("", MOST_READ + own)
    assert found.published_at == "2024-05-21T06:45:00Z"
    assert found.authors == ["Markus Huber"]  # (the teaser's "Peter Müller" was taken)


def test_htmldate_is_not_given_the_teasers_dates() -> None:
    """Without a declared date the page's own text date, or none; not a teaser's."""
    own = "<article><h1>Unwetterwarnung</h1><p>Text ohne Datum, nur Worte.</p></article>"
    assert meta("", own + MOST_READ).published_at is None


def test_a_byline_s_link_and_a_long_article_are_no_teaser() -> None:
    byline = (
        '<ul class="meta"><li>By <a href="/author/maria" class="author-link">Maria de la Cruz'
        ' Lopez</a> <time datetime="2024-05-21T09:00:00Z">May 21</time></li></ul>'
    )
    assert meta("", byline).published_at == "2024-05-21T09:00:00Z"
    words = " ".join(["word"] * 70)
    long = (
        f'<article><p>{words} <a href="/other">a link of five words here</a></p>'
        '<time datetime="2024-05-22T09:00:00Z">May 22</time></article>'
    )
    assert meta("", long).published_at == "2024-05-22T09:00:00Z"


def test_a_short_article_with_a_link_in_its_text_is_no_teaser() -> None:
    """A brief of 30 words, its <h1> above its <article>, with a link of five words in a
    sentence: its own date and byline were taken for a teaser's."""
    brief = (
        '<h1>Bridge closed</h1><article><div class="byline">By Jane Roe</div>'
        '<time datetime="2026-12-07T09:00:00-05:00">Dec 7</time><p>The bridge closed Monday'
        ' after a crash. <a href="/news/repairs">The bridge was repaired last year</a> after'
        " a similar crash, police said.</p></article>"
    )
    card = (
        '<article><a href="/x"><h3>Another story</h3></a>'
        '<time datetime="2026-12-01">1</time></article>'
    )
    for body in (brief, brief + card):
        found = meta("", body)
        assert (found.published_at, found.authors) == ("2026-12-07T14:00:00Z", ["Jane Roe"])
