"""An article's publication date: which of the dates a page declares or writes is its own.

The page's declarations first (`article:published_time`, JSON-LD `datePublished`, microdata,
`<meta name=date>`, `<time datetime>`), skipping placeholders, dates after the fetch, updates
and other articles' dates (`teasers`); then a day in the URL with its month in words, a date
line written in digits or with its month in words of a language htmldate does not read, and
htmldate last. Written as RFC 3339 in UTC when the offset is known, else as the page wrote it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date, datetime
from urllib.parse import urlsplit

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement

from newsflow.stages.datevalues import (
    iso_moment,
    latest_plausible,
    plausible,
    same_time_with_offset,
)
from newsflow.stages.declarations import Metas, is_article, ld_main_objects
from newsflow.stages.dom import NAME_WORD_START
from newsflow.stages.language import declared_language
from newsflow.stages.teasers import (
    IN_A_BOX,
    LOWER,
    MAX_CANDIDATES,
    in_a_teaser,
    more_than,
    without_other_articles_times,
)

_PUBLISHED_PROPERTIES = ("article:published_time", "og:published_time")
_DATE_PROPERTIES = (
    "date", "pubdate", "publishdate", "publish-date", "sailthru.date", "dc.date.issued",
    "dcterms.created",
)  # fmt: skip
# `datePublished` in microdata (`datetime` of any element, `content` of a <meta>) or a
# <meta name> (the boxes are left out afterwards: asked of these few elements only).
_MARKED_PUBLISHED = XPath(
    "//*[@itemprop][{itemprop}='datepublished']"
    "|//meta[@name or @property][{name}='datepublished' or {property}='datepublished']".format(
        itemprop=LOWER.format("@itemprop"),
        name=LOWER.format("@name"),
        property=LOWER.format("@property"),
    )
)
_TIMES = XPath("//time[@datetime]")
# Elements of a date line (`_written_day`), a date in digits in them: whole words of their
# class or id, between punctuation, spaces and camelCase humps (not "candidate", "timeline",
# "metadata", "infobox": a date in an unrelated box dated the page), and none named as an
# update's ("date updated", "modified").
_DATE_LINE_WORDS = (
    "date(?:line|time|stamp)?", "time(?:stamp)?", "datum", "fecha", "data", "publi[a-z]*",
    "byline", "authors?", "autor[a-z]?", "firma", "meta", "info",
)  # fmt: skip
_NAMED = XPath("//body//*[@class or @id]")
_DATE_LINE_NAME = re.compile(
    NAME_WORD_START + r"(?i:" + "|".join(_DATE_LINE_WORDS) + r")(?![a-z0-9])"
)
_UPDATE_NAME = re.compile(r"updat|modif|aktualisier|atualiz|actualiz", re.I)
DATE_LINE_MAX_CHARS = 120
DATE_LINE_MAX_ELEMENTS = 60  # a date line is a few elements, not a page's worth of them
_DIGIT_DATE = re.compile(
    r"(?<!\d)(?:(?P<y1>(?:19|20|25)\d\d)(?:(?P<s1>[./-])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|年\s*(?P<m1b>\d{1,2})\s*月\s*(?P<d1b>\d{1,2})\s*日)"
    r"|(?P<a2>\d{1,2})(?P<s2>[./])(?P<b2>\d{1,2})(?P=s2)(?P<y2>(?:19|20|25)\d\d))(?!\d)"
)
# Months by name in the languages htmldate does not read (it reads English, German, French,
# Dutch and Turkish ones), "day month year" as they write it: Spanish, Portuguese, Italian,
# Polish, Russian and Ukrainian (genitive), Arabic, Indonesian, Thai, Hebrew, Hindi.
_MONTH_NAMES = (
    "enero febrero marzo abril mayo junio julio agosto septiembre|setiembre octubre noviembre "
    "diciembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
    "listopada grudnia",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
    "يناير فبراير مارس أبريل|ابريل مايو يونيو|يونيه يوليو|يوليه أغسطس|اغسطس سبتمبر "
    "أكتوبر|اكتوبر نوفمبر ديسمبر",
    "januari februari maret april mei juni juli agustus september oktober november desember",
    "jan feb mar apr mei jun jul agu|agt|ags sep okt nov des",
    "มกราคม กุมภาพันธ์ มีนาคม เมษายน พฤษภาคม มิถุนายน กรกฎาคม สิงหาคม กันยายน ตุลาคม พฤศจิกายน ธันวาคม",
    "ม.ค. ก.พ. มี.ค. เม.ย. พ.ค. มิ.ย. ก.ค. ส.ค. ก.ย. ต.ค. พ.ย. ธ.ค.",
    "בינואר בפברואר במרץ|במרס באפריל במאי ביוני ביולי באוגוסט בספטמבר באוקטובר בנובמבר בדצמבר",
    "जनवरी फ़रवरी|फरवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर|सितम्बर अक्टूबर नवंबर|नवम्बर दिसंबर|दिसम्बर",
)
_MONTH_NUMBER = {
    name: number
    for months in _MONTH_NAMES
    for number, names in enumerate(months.split(" "), start=1)
    for name in names.split("|")
}
_NAMED_MONTH_DATE = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})\.?\s*(?:de\s+)?(?P<month>"
    + "|".join(re.escape(name) for name in sorted(_MONTH_NUMBER, key=len, reverse=True))
    + r")(?!\w)\.?,?\s*(?:de\s+)?(?P<year>(?:19|20|25)\d\d)(?!\d)"
    # Vietnamese: "ngày 7 tháng 12 năm 2026"
    r"|(?<!\d)(?P<vday>\d{1,2})\s+tháng\s+(?P<vmonth>\d{1,2})(?:\s+năm\s+|\s*[,/]\s*)"
    r"(?P<vyear>(?:19|20)\d\d)(?!\d)",
    re.I,
)
_DAY_FIRST_ENGLISH = frozenset(("en-gb", "en-au", "en-nz", "en-ie", "en-in", "en-za", "en-sg"))
BUDDHIST_ERA_FROM = 2400
BUDDHIST_ERA_OFFSET = 543
# A time labelled as an update: "Updated: <time>", `class="dt-updated"`, `itemprop=dateModified`.
_UPDATE_LABEL = re.compile(
    r"\b(?:(?:last )?updated?|modified|aktualisiert|mis à jour|actualizado|atualizado"
    r"|aggiornato)\b",
    re.I,
)
_UPDATE_ATTRIBUTE = re.compile(r"updat|modif", re.I)
_PUBLISHED_ATTRIBUTE = re.compile(r"publish", re.I)
_LABEL_SEPARATOR = re.compile(r"[|·•\n]")
_LINE_BLOCKS = frozenset(("p", "div", "li", "ul", "ol", "section", "header", "footer", "br"))
LABEL_CHARS = 30  # of the text before a <time> and of its own text, where a label is sought
# A day in a URL's path with its month in words, "/2019/nov/18/" (htmldate reads the ones
# in digits, "/2019/11/18/", and prefers them to what it finds in the page).
_URL_DAY_MONTH_WORD = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[/_-](jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*"
    r"[/_-](\d{1,2})(?!\d)",
    re.I,
)
_URL_DAY_DIGITS = re.compile(r"/(?:19|20)\d\d/[01]?\d/[0-3]?\d(?:/|$)")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def published_date(
    tree: HtmlElement, metas: Metas, ld: list[object], url: str, *, fetched_at: str | None = None
) -> str | None:
    """The publication date: RFC 3339 in UTC (`Z`) when the page gives its offset, else as
    written (a zone the page does not name is not guessed), or a day `YYYY-MM-DD`.

    Dates no article has are skipped: placeholders (before 1900, such as year 1, or the Unix
    epoch 1970-01-01T00:00:00) and dates later than a day after the page was fetched.

    The dates declared as the publication date (`article:published_time`, `datePublished`)
    come first, then other declared ones (`<meta name=date>`, `<time>`); of either kind the
    first. A time without offset takes the offset of another declaration of the same time
    ("2019-11-19 02:24:00" and "2019-11-19 02:24:00 UTC"); a later declaration of another time,
    with an offset, is not preferred (a list of other stories has them). Without any, a day in
    the URL with its month in words ("/2019/nov/18/") unless it has one in digits, else
    htmldate's day (it reads the URL's day in digits first, then the page and its text).
    """
    latest = latest_plausible(fetched_at)
    declared = next(plausible(_published_dates(tree, metas, ld), latest), None)
    declared = declared or next(plausible(_other_dates(tree, metas), latest), None)
    if isinstance(declared, datetime) and declared.tzinfo is None:
        every = itertools.chain(_published_dates(tree, metas, ld), _other_dates(tree, metas))
        declared = same_time_with_offset(declared, plausible(every, latest))
    if declared is not None:
        return iso_moment(declared)
    if (in_url := next(plausible(_url_day(url), latest), None)) is not None:
        return iso_moment(in_url)
    if not _URL_DAY_DIGITS.search(urlsplit(url).path) and (
        written := _written_day(tree, declared_language(tree, metas), latest)
    ):
        return written
    found = find_date(
        without_other_articles_times(tree),
        extensive_search=False,
        original_date=True,
        url=url or None,
        max_date=latest.replace(tzinfo=None) if latest else None,
    )
    return found if isinstance(found, str) else None


def _published_dates(tree: HtmlElement, metas: Metas, ld: list[object]) -> Iterator[str]:
    for name in _PUBLISHED_PROPERTIES:
        yield from metas.get(name.lower(), [])
    for element in _MARKED_PUBLISHED(tree)[:MAX_CANDIDATES]:
        if IN_A_BOX(element) or in_a_teaser(element):
            continue
        value = element.get("content") if element.tag == "meta" else element.get("datetime")
        if value:
            yield value
    if (value := _ld_published(ld)) is not None:
        yield value


def _ld_published(ld: list[object]) -> str | None:
    """`datePublished` of the page's own JSON-LD object: an article (NewsArticle,
    BlogPosting, …) at the top of a script or its `@graph`, or their `mainEntity`, else
    another object there (a WebPage). The articles an ItemList or a related link holds are
    other articles, whatever comes first."""
    objects = list(ld_main_objects(ld))
    articles = [o for o in objects if is_article(o)]
    for found in itertools.chain(articles, objects):
        value = found.get("datePublished")
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _other_dates(tree: HtmlElement, metas: Metas) -> Iterator[str]:
    for name in _DATE_PROPERTIES:
        yield from metas.get(name, [])
    times = (
        t
        for t in itertools.islice(_TIMES(tree), MAX_CANDIDATES)
        if not IN_A_BOX(t) and not in_a_teaser(t) and not _is_update(t)
    )
    yield from (str(time.get("datetime")) for time in itertools.islice(times, 3))


def _written_day(tree: HtmlElement, declared: str | None, latest: datetime | None) -> str | None:
    """The day a date line of the page writes in digits ("07.12.2026, 14:30", "Publicado em
    07/12/2026", "입력 2026.12.07 14:30", "2026年12月7日"), in an element named as one or as a
    byline (`_DATE_LINE_WORDS`) of `DATE_LINE_MAX_CHARS` or fewer, not another article's: what
    htmldate leaves undated (it reads dates in digits in English ways only, and few of them).
    Day first, except on an English page (month first in the US; a day that could be either
    is skipped when the page does not say where); a Buddhist-era year (Thai, 2569) is the
    Common Era's plus 543."""
    code = (declared or "").strip().lower().replace("_", "-")
    for element in itertools.islice(_date_lines(tree), MAX_CANDIDATES):
        text = _short_text(element, DATE_LINE_MAX_CHARS)
        if text is None or IN_A_BOX(element) or in_a_teaser(element):
            continue
        days = itertools.chain(
            (_digit_day(match, code) for match in _DIGIT_DATE.finditer(text)),
            (_named_month_day(match) for match in _NAMED_MONTH_DATE.finditer(text)),
        )
        for day in days:
            if day is not None and next(plausible(iter([day]), latest), None) is not None:
                return day
    return None


def _named_month_day(match: re.Match[str]) -> str | None:
    if match["vday"]:
        year, month, day = int(match["vyear"]), int(match["vmonth"]), int(match["vday"])
    else:
        year, day = int(match["year"]), int(match["day"])
        month = _MONTH_NUMBER[match["month"].lower()]
    return _iso_day(year, month, day)


def _iso_day(year: int, month: int, day: int) -> str | None:
    """The day in ISO 8601, a Buddhist-era year (Thai, 2569) as the Common Era's; None for
    no such day."""
    if year >= BUDDHIST_ERA_FROM:
        year -= BUDDHIST_ERA_OFFSET
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_lines(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Elements whose class or id names a date line or a byline (`_DATE_LINE_WORDS`), not an
    update's."""
    for element in _NAMED(tree):
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if _DATE_LINE_NAME.search(names) and not _UPDATE_NAME.search(names):
            yield element


def _short_text(element: HtmlElement, limit: int) -> str | None:
    """The element's text, or None when it is longer than `limit` (read only that far) or
    holds more than `DATE_LINE_MAX_ELEMENTS` elements (`itertext` walks every element, text
    or not: 100 nested date lines over 30,000 empty elements took 5 s)."""
    if more_than(element, DATE_LINE_MAX_ELEMENTS):
        return None
    parts: list[str] = []
    size = 0
    for text in element.itertext():
        parts.append(text)
        size += len(text)
        if size > limit:
            return None
    return "".join(parts)


def _digit_day(match: re.Match[str], code: str) -> str | None:
    if match["y1"]:  # year first: 2026.12.07, 2026/12/07, 2026年12月7日
        year = int(match["y1"])
        month, day = int(match["m1"] or match["m1b"]), int(match["d1"] or match["d1b"])
    else:
        year, first, second = int(match["y2"]), int(match["a2"]), int(match["b2"])
        if code == "en-us":
            month, day = first, second
        elif code == "en" or (code.startswith("en-") and code not in _DAY_FIRST_ENGLISH):
            if first <= 12 and second <= 12 and first != second:
                return None  # 05/12/2026 on a page that does not say where its English is
            month, day = (second, first) if first > 12 else (first, second)
        else:
            month, day = second, first
    return _iso_day(year, month, day)


def _is_update(time: HtmlElement) -> bool:
    """Whether a <time> is labelled as the time of an update, by its attributes, the text
    just before it or its own text's beginning."""
    attributes = " ".join(time.get(name, "") for name in ("class", "id", "itemprop"))
    if _UPDATE_ATTRIBUTE.search(attributes) and not _PUBLISHED_ATTRIBUTE.search(attributes):
        return True  # (WordPress classes the post's own time "entry-date published updated")
    parts: list[str] = []  # the text before the time in its line, backwards, LABEL_CHARS of it
    for sibling in time.itersiblings(preceding=True):
        parts.append((sibling.tail or "") + " ")
        if sibling.tag in _LINE_BLOCKS:  # another line's ("<p>Updated: <time>…</time></p>")
            break
        parts.append(sibling.text_content())
        if sum(map(len, parts)) >= LABEL_CHARS:
            break
    else:
        parent = time.getparent()
        parts.append(parent.text or "" if parent is not None else "")
    before = "".join(reversed(parts))
    before = _LABEL_SEPARATOR.split(before)[-1]  # "Updated 2h ago | Published <time>"
    label = before[-LABEL_CHARS:] + " " + time.text_content()[:LABEL_CHARS]
    return bool(_UPDATE_LABEL.search(label))


def _url_day(url: str) -> Iterator[str]:
    """The day a URL's path gives with its month in words ("/2019/nov/18/"), ISO 8601; none
    when the path gives a day in digits ("/2022/01/05/…/2021-jan-6-committee": that one)."""
    path = urlsplit(url).path
    if _URL_DAY_DIGITS.search(path):
        return
    if match := _URL_DAY_MONTH_WORD.search(path):
        month = _MONTHS.index(match[2][:3].lower()) + 1
        yield f"{match[1]}-{month:02d}-{int(match[3]):02d}"
