"""The publication date: declared, with its offset, not a placeholder, an update's or another
article's; else a day in the URL, a date line, or htmldate's."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from lxml.html import document_fromstring
from tests.metadata_pages import URL, meta

from newsflow.contracts.codec import schema
from newsflow.stages.dates import _written_day
from newsflow.stages.metadata import page_metadata


def json_ld(*objects: str) -> str:
    return "".join(f'<script type="application/ld+json">{o}</script>' for o in objects)


def test_a_declared_publication_time_is_published_in_utc() -> None:
    found = meta('<meta property="article:published_time" content="2024-05-21T14:15:00-04:00">')
    assert found.published_at == "2024-05-21T18:15:00Z"  # as every event's timestamps


def test_a_json_ld_date_is_in_utc_and_a_bare_day_stays_a_day() -> None:
    ld = json_ld('{"datePublished": "2024-03-02T08:00:00+01:00"}')
    assert meta(ld).published_at == "2024-03-02T07:00:00Z"
    day = '<meta name="Date" content="2024-03-02">'
    assert meta(day).published_at == "2024-03-02"


def test_a_time_without_an_offset_stays_as_written() -> None:
    """Nothing says which zone it is in: it is not taken for UTC."""
    found = meta(json_ld('{"@type": "NewsArticle", "datePublished": "2019-11-19T18:18:25.828"}'))
    assert found.published_at == "2019-11-19T18:18:25.828000"


def test_utc_and_gmt_suffixes_are_offsets() -> None:
    for suffix in (" UTC", " GMT", "UTC", "Z"):
        body = f'<time datetime="2019-11-19 02:24:00{suffix}">Nov. 19, 2019</time>'
        assert meta("", body).published_at == "2019-11-19T02:24:00Z"


def test_of_two_declared_times_the_one_with_an_offset_wins() -> None:
    head = '<meta property="article:published_time" content="2019-11-20T01:53:14.418">'
    ld = json_ld('{"@type": "NewsArticle", "datePublished": "2019-11-20T01:53:14.418Z"}')
    assert meta(head + ld).published_at == "2019-11-20T01:53:14.418000Z"


def test_a_time_without_offset_takes_the_offset_another_tag_gives_the_same_time() -> None:
    """`<meta itemprop=datePublished>` without offset, the `<time>` of the byline with it."""
    body = (
        '<meta itemprop="datePublished" content="2019-11-19 02:24:00">'
        '<time datetime="2019-11-19 02:24:00 UTC">Nov 19, 2019 at 2:24 am ET</time>'
    )
    assert meta("", body).published_at == "2019-11-19T02:24:00Z"


@pytest.mark.parametrize(
    "placeholder",
    [
        "0001-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "1899-12-31",
        "9999-12-31T23:59:59-05:00",  # past year 9999 in UTC: OverflowError, the page lost
    ],
)
def test_a_placeholder_date_is_skipped_for_the_next_one(placeholder: str) -> None:
    ld = json_ld(f'{{"@type": "NewsArticle", "datePublished": "{placeholder}"}}')
    body = '<time datetime="2019-11-19T22:10:00-05:00">Nov. 19, 2019</time>'
    assert meta(ld, body).published_at == "2019-11-20T03:10:00Z"


def test_a_date_after_the_fetch_is_skipped() -> None:
    head = '<meta property="article:published_time" content="2031-01-01T00:00:00Z">'
    body = '<time datetime="2024-05-30">May 30, 2024</time>'
    fetched = "2024-05-31T12:00:00Z"
    assert meta(head, body, fetched_at=fetched).published_at == "2024-05-30"
    assert meta(head, body).published_at == "2031-01-01T00:00:00Z"  # no fetch time to judge
    late = '<meta property="article:published_time" content="2024-06-01T08:00:00+02:00">'
    assert meta(late, body, fetched_at=fetched).published_at == "2024-06-01T06:00:00Z"


def test_the_article_s_date_without_offset_wins_over_a_later_box_s_date_with_one() -> None:
    """A "More stories" list's microdata date (with an offset) won over the article's own
    `article:published_time` (without one): any later candidate with an offset did."""
    head = '<meta property="article:published_time" content="2024-03-11T21:45:00">'
    listing = (
        '<ul class="more-stories"><li><time itemprop="datePublished" '
        'datetime="2024-02-21T00:00:00Z">Feb 21</time></li></ul>'
    )
    assert meta(head, listing).published_at == "2024-03-11T21:45:00"


def test_a_url_s_day_in_digits_wins_over_a_later_month_in_words() -> None:
    url = "https://news.example/2022/01/05/politics/2021-jan-6-committee-hearing/"
    assert meta("", "<p>Text.</p>", url=url).published_at == "2022-01-05"


def test_a_time_classed_published_and_updated_is_the_publication_time() -> None:
    """WordPress themes class the post's time "entry-date published updated"."""
    body = (
        '<time class="entry-date published updated" datetime="2024-03-11T09:30:00-05:00">'
        "March 11, 2024</time>"
    )
    assert meta("", body).published_at == "2024-03-11T14:30:00Z"


def test_an_update_label_before_a_separator_does_not_label_the_next_time() -> None:
    body = (
        '<p class="meta">Updated <span>2h ago</span> | Published '
        '<time datetime="2024-03-11T09:30:00Z">March 11, 2024</time></p>'
    )
    assert meta("", body).published_at == "2024-03-11T09:30:00Z"


def test_the_article_s_own_json_ld_date_wins_over_a_list_before_it() -> None:
    listing = (
        '{"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "item":'
        ' {"@type": "NewsArticle", "headline": "Older", "datePublished": "2017-04-01"}}]}'
    )
    article = '{"@type": "NewsArticle", "headline": "Pier reopens", "datePublished": "2024-05-21"}'
    assert meta(json_ld(listing, article)).published_at == "2024-05-21"
    graph = (
        '{"@graph": [{"@type": "WebPage", "datePublished": "2024-01-01"},'
        f' {{"@type": ["ReportageNewsArticle"], "datePublished": "2024-05-21",'
        f' "relatedLink": {listing}}}]}}'
    )
    assert meta(json_ld(graph)).published_at == "2024-05-21"


def test_dates_in_related_boxes_or_labelled_updated_are_not_the_article_s() -> None:
    related = (
        '<aside><time datetime="2024-05-25">May 25</time></aside>'
        '<nav><time datetime="2024-05-26">May 26</time></nav>'
        '<div class="related-stories"><time datetime="2024-05-27">May 27</time>'
        '<span itemprop="datePublished" datetime="2024-05-27">May 27</span></div>'
        '<ul class="Teaser-list"><li><time datetime="2024-05-28">May 28</time></li></ul>'
    )
    updated = (
        '<p>Updated: <time datetime="2024-05-29T10:00:00Z">May 29</time></p>'
        '<time class="dt-updated" datetime="2024-05-29T11:00:00Z">May 29</time>'
    )
    own = '<time datetime="2024-05-21T09:00:00Z">May 21</time>'
    assert meta("", related + updated + own).published_at == "2024-05-21T09:00:00Z"


def test_a_full_date_in_the_url_beats_a_date_quoted_in_the_text() -> None:
    url = "https://www.factcheck.example/statements/2019/nov/18/jane-roe/what-value/"
    body = "<p>On Oct. 13, 2019, the senator said the bill would pass.</p>"
    assert meta("", body, url=url).published_at == "2019-11-18"


@pytest.mark.parametrize(
    ("lang", "line", "expected"),
    [
        ("pt-BR", '<div class="data">Publicado em 07/12/2026 às 10:20</div>', "2026-12-07"),
        ("es", '<p class="firma">Por Carmen Ruiz | 05/12/2026 13:45</p>', "2026-12-05"),
        ("de", '<span class="datum">Montag, 07.12.2026, 14:30 Uhr</span>', "2026-12-07"),
        (
            "ko",
            '<div class="info">입력 2026.12.06 10:20 | 수정 2026.12.07 09:00</div>',
            "2026-12-06",
        ),
        ("zh", '<div class="info">2026年12月7日 14:30 来源：城市日报</div>', "2026-12-07"),
        ("th", '<div class="date">07/12/2569 14:30 น.</div>', "2026-12-07"),  # Buddhist era
        ("en-US", '<div class="date">12/05/2026</div>', "2026-12-05"),
        ("en-GB", '<div class="date">12/05/2026</div>', "2026-05-12"),
        ("en", '<div class="date">25/12/2025</div>', "2025-12-25"),
        ("de", '<div class="datum">07.12.2027</div>', None),  # after the fetch
    ],
)
def test_a_date_line_in_digits_dates_a_page_that_declares_none(
    lang: str, line: str, expected: str | None
) -> None:
    """A second held-out review: a page without a declared date whose date line is in
    digits ("07/12/2026", "2026.12.06") had none, htmldate reading such lines in English
    ways only."""
    html = (
        f'<html lang="{lang}"><head></head><body><article><h1>T</h1>{line}</article></body></html>'
    )
    found = page_metadata(document_fromstring(html), URL, fetched_at="2026-12-08T00:00:00Z")
    assert found.published_at == expected


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", '<div class="date">05/12/2026</div>'),  # either, and the page says not where
        ("de", '<div class="datum">31.02.2026</div>'),  # no such day
    ],
)
def test_a_date_line_that_names_no_day_for_certain_is_not_read(lang: str, line: str) -> None:
    html = f'<html lang="{lang}"><body><article><h1>T</h1>{line}</article></body></html>'
    assert _written_day(document_fromstring(html), lang, None) is None  # (htmldate is asked)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('<div class="candidate-box">Elected 03/05/2025</div>', None),  # "date" inside a word
        ('<div class="timeline">14.02.2024 founded</div>', None),
        ('<div class="metadata">14.02.2024</div>', None),
        ('<span class="date updated">06.12.2026</span>', None),  # an update's
        ('<span class="postDate">06.12.2026</span>', "2026-12-06"),  # a camelCase hump
        ('<p class="entry-date">06.12.2026</p>', "2026-12-06"),
    ],
)
def test_a_date_line_is_named_by_whole_words_not_an_update_s(
    line: str, expected: str | None
) -> None:
    """A code review: "date" inside "candidate", "time" inside "timeline", "data" inside
    "metadata" named date lines, and an unrelated box's date dated a page that has none."""
    html = f'<html lang="de"><body><article><h1>T</h1>{line}</article></body></html>'
    assert _written_day(document_fromstring(html), "de", None) == expected


def test_a_teaser_s_date_line_dates_no_page() -> None:
    teaser = (
        '<ul><li><a href="/other">Vacinação contra a gripe é prorrogada</a>'
        ' <span class="data">28/11/2026</span></li></ul>'
    )
    html = (
        f'<html lang="pt-BR"><body><article><h1>T</h1><p>Texto.</p></article>{teaser}</body></html>'
    )
    assert page_metadata(document_fromstring(html), URL).published_at is None


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("Mon, 07 Dec 2026 14:30:00 +0700", "2026-12-07T07:30:00Z"),  # RFC 2822
        ("07 Dec 2026 14:30:00 GMT", "2026-12-07T14:30:00Z"),
        ("2026/12/07 14:30:00", "2026-12-07T14:30:00"),  # ISO 8601 with slashes
        ("2026/12/7", "2026-12-07"),
        ("Mon, 31 Feb 2026 14:30:00 +0700", None),
    ],
)
def test_a_declared_date_in_rfc_2822_or_with_slashes_is_read(
    declared: str, expected: str | None
) -> None:
    """A second held-out review: `datePublished` and `<meta name=publishdate>` as some sites
    write them were skipped, and the page had no date or a teaser's."""
    ld = json_ld(json.dumps({"@type": "NewsArticle", "datePublished": declared}))
    assert meta(ld, fetched_at="2026-12-08T00:00:00Z").published_at == expected


@pytest.mark.parametrize(
    ("lang", "line", "expected"),
    [
        ("es", "Publicado el 7 de diciembre de 2026", "2026-12-07"),
        ("pt", "7 de dezembro de 2026 às 18h32", "2026-12-07"),
        ("it", "Lunedì 7 dicembre 2026", "2026-12-07"),
        ("pl", "7 grudnia 2026, 14:30", "2026-12-07"),
        ("ru", "7 декабря 2026, 14:30", "2026-12-07"),
        ("uk", "7 грудня 2026, 14:30", "2026-12-07"),
        ("ar", "الأحد، 06 ديسمبر 2026 09:15 م", "2026-12-06"),
        ("id", "Senin, 07 Des 2026 14:30 WIB", "2026-12-07"),
        ("vi", "Thứ hai, ngày 7 tháng 12 năm 2026", "2026-12-07"),
        ("th", "7 ธันวาคม 2569 14:30 น.", "2026-12-07"),  # Buddhist era
        ("he", "7 בדצמבר 2026", "2026-12-07"),
        ("hi", "7 दिसंबर 2026", "2026-12-07"),
        ("es", "31 de febrero de 2026", None),
    ],
)
def test_a_date_line_with_its_month_in_words_of_other_languages_dates_the_page(
    lang: str, line: str, expected: str | None
) -> None:
    """A second held-out review: htmldate reads months in English, German, French, Dutch and
    Turkish only; a Spanish, Russian, Arabic or Thai page without a declared date had none."""
    html = (
        f'<html lang="{lang}"><body><article><h1>T</h1><div class="date">{line}</div>'
        "<p>Text.</p></article></body></html>"
    )
    found = page_metadata(document_fromstring(html), URL, fetched_at="2026-12-08T00:00:00Z")
    assert found.published_at == expected


@st.composite
def declared_dates(draw: st.DrawFn) -> str:
    """A date as pages write it: a day, maybe a time, maybe a fraction, maybe a zone."""
    year = draw(st.integers(1890, 2030))  # (before 1900: a placeholder, skipped)
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    text = draw(st.sampled_from(["{}-{:02d}-{:02d}", "{}/{}/{}"])).format(year, month, day)
    if draw(st.booleans()):
        hour, minute, second = (draw(st.integers(0, n)) for n in (23, 59, 59))
        text += draw(st.sampled_from(["T", " "])) + f"{hour:02d}:{minute:02d}:{second:02d}"
        text += draw(st.sampled_from(["", ".5", ".828", ".123456789"]))
        text += draw(st.sampled_from(["", "Z", " UTC", " GMT", "+02:00", "-0430", "+00:00"]))
    return text


DECLARED = st.one_of(
    declared_dates(),
    st.from_regex(r"([A-Z][a-z]{2}, )?\d{1,2} (Jan|Dec) 20\d\d \d\d:\d\d(:\d\d)?( [+-]\d{4})?"),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(DECLARED, st.sampled_from(["article:published_time", "date"]))
def test_every_publication_date_found_is_one_the_clean_schema_allows(
    declared: str, name: str
) -> None:
    """A clean event is checked against its schema before it is sent: a publication date
    the schema refused would dead-letter the article."""
    kind = "property" if ":" in name else "name"
    content = declared.replace('"', "&quot;").replace("<", "&lt;")
    found = meta(f'<meta {kind}="{name}" content="{content}">').published_at
    assert PUBLISHED_AT.is_valid(found), found


PUBLISHED_AT = Draft202012Validator(schema("clean")["properties"]["published_at"])
