"""An article's metadata from its page, and a confidence score for its extraction.

It reads what the page declares (Open Graph, Twitter cards, JSON-LD, `<meta>`, microdata)
rather than running trafilatura's metadata pass, which costs as much as the text extraction;
htmldate is asked for the date only when the page declares none.

- **title**: the page's declared headline (`og:title`, `twitter:title`, JSON-LD `headline`,
  `<title>`); an `<h1>` that the declared title merely wraps ("Headline | Section | Site")
  wins; a site-name prefix or suffix is taken off;
- **published date**: the time the page declares (`article:published_time`, JSON-LD
  `datePublished`, `<meta name=date>`, `<time datetime>`): RFC 3339 in UTC with a `Z` when it
  has an offset, as written without one, a day `YYYY-MM-DD` when only a day; else htmldate's
  day;
- **authors**: a list of names, without "By" and without the site's own name;
- **language**: the page's declaration, or detected from the text (py3langid, offline, its
  model ships in the wheel) when the page does not say or a long text clearly says otherwise.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement

from newsflow.stages.dom import NAME_WORD_START, WORD_OR_CHARACTER
from newsflow.stages.fingerprint import HAS_CJK, SPACELESS, WORD
from newsflow.stages.ingest import format_timestamp
from newsflow.stages.textclean import (
    OTHER_SCRIPTS_ENDS,
    PHRASE_SPACED,
    PHRASE_SPACED_CHARS_PER_WORD,
)

_HTML_LANG = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I
)
_LANGUAGE_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*$")
# Between people: ";", "and", "&", "|", "•", "·". Between a name and what follows it (an
# affiliation, a credential, a job title: "Jane Roe, CNN", "Jane Roe. Sputnik International",
# "Jane Roe - Reuters"): a comma, a full stop after a word (not after an initial, "Jane E. Roe",
# nor a title, "Sen. Maria Cantwell"), a spaced dash, "/". "Roe, Jane" may be one name.
# "And" in English, German, French, Indonesian; and before two words at least (a compound
# surname has one: "Ana Souza e Silva", "José Ortega y Gasset") in Portuguese and Italian,
# Spanish, Polish, Dutch, Turkish, Russian and Ukrainian, the Nordic languages, Romanian,
# Vietnamese; in lower case only ("Jane E. Roe" is one name).
_PEOPLE_SPLIT = re.compile(
    r"\s*(?:;|\b(?:and|und|et|dan)\b"
    r"|\b(?:e|y|i|en|ve|og|och|și|và|и|і|та)\b(?=\s+\S+\s+\S)|&)\s*"
)
_TITLE_ABBREVIATIONS = (
    "Sen", "Rep", "Gov", "Gen", "Col", "Sgt", "Capt", "Cmdr", "Adm", "Amb", "Det", "Pres",
    "Supt", "Msgr", "Insp", "Cpl", "Pvt",
)  # fmt: skip
_AFTER_NAME_SPLIT = re.compile(
    r"\s*(?:,|\s[-–—]\s|/|／|\||•|·|"
    + "".join(f"(?<!\\b{t})" for t in (*_TITLE_ABBREVIATIONS, "Maj", "Prof", "Rev", "Hon", "Mrs"))
    + r"(?<=[a-z]{2})\.\s)\s*"
)
# A title before a name: "Sen. Maria Cantwell", "Lt. Col. Jane Roe", "Dr. Jane Roe".
_TITLE = re.compile(
    r"^(?:(?:" + "|".join(_TITLE_ABBREVIATIONS) + r"|Lt|Maj|Dr|Prof|Rev|Hon|Mr|Mrs|Ms)\.\s+)+"
)
_BY = re.compile(
    r"^\s*(?:(?:(?:posted|written|words|reported|compiled|story|text)\s+)?"
    r"(?:by|von|par|por|di|oleh|door|av|af|بقلم|كتب|كتبت|מאת)(?:\s*:\s*|\s+)"
    r"|(?:author|autor|autora|texto|penulis|reporter|автор|текст|yazan|haber|muhabir|लेखक|ผู้เขียน)\s*:\s*"
    r"|(?:記者|记者)\s*)",  # labels: "Texto: Ana Souza", "Автор: Иван Петров"; "記者陳怡君"
    re.I,
)
# "Reporter" after a name in Korean, Japanese and Chinese ("홍길동 기자", "山田太郎記者"), and a
# Chinese dispatch credit after it ("記者陳怡君／台北報導": reporting from Taipei): no names.
_REPORTER_AFTER = re.compile(r"(?:기자|특파원|記者|记者|特派員|特派员)$")
_DISPATCH = re.compile(r"(?:報導|报道|報道)$")
# An e-mail address after a byline ("홍길동 기자 hong@example.co.kr"), from a word's start.
_EMAIL = re.compile(r"(?<!\S)[^\s@]+@\S*")
_NOT_A_NAME = re.compile(r"\d|@|_|https?:|www\.", re.I)
_URL = re.compile(r"(?:https?:|www\.)\S*", re.I)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# Where the date or time after a byline begins: "By Jane RoeNovember 15, 2019" (text glued
# from two elements), "Jane Roe Published 2:16 AM", "by Jane Roe — 2019-04-10", "1 day ago".
_BYLINE_DATE = re.compile(
    r"(?:\bon\s+|published\s*:?\s*|updated\s*:?\s*)?"
    rf"(?:(?:\b|(?-i:(?<=[a-z])(?=[A-Z]))){_MONTH}\.?\s+\d|\d)",  # not the "mar" of "Omar"
    re.I,
)
# A relative time after a byline ("3 hours ago", "5 min read"), cut first: a surname that is
# a month ("Sarah May 2 hours ago") would be taken for the date's start.
_RELATIVE_TIME = re.compile(
    r"\b\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\b",
    re.I,
)
# A part that is a role, not a person: a job title, a staff or newsroom credit, an account.
_ROLE = re.compile(
    r"\b(?:staff(?:ers?)?|reports?|writers?|editors?|editorial|reporters?|correspondents?"
    r"|columnists?|contributors?|contributing|desk|bureau|newsroom|team|wires?"
    r"|admin(?:istrator)?|webmaster|redaktion|redacci[oó]n|reda[cç][aã]o|r[ée]daction"
    r"|redazione|special\s+(?:to|for))\b",
    re.I,
)
# Words of an outlet's or agency's name ("CNN Business", "Associated Press").
_OUTLET = re.compile(
    r"\b(?:press|presse|news|business|international|media|times|post|agency|network"
    r"|magazine|journal|today|daily|tribune|herald|gazette|reuters|bloomberg)\b",
    re.I,
)
# A degree or credential ("MS", "RDN", "PhD"), or an acronym such as an outlet's ("CNN").
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,6}|PhD|MSc|BSc|MEd|MPhil|DPhil|DrPH|Esq|Jr|Sr)$")
# A company's legal form after its name ("Acme Robotics, Inc."): no second author.
_LEGAL_FORM = re.compile(
    r"^(?:Inc|Ltd|Corp|Co|GmbH|Pty|SpA|Srl|Sarl|Oy|AB|AS|SA|AG|LLC|PLC)$", re.I
)
_HONORIFIC = re.compile(r"^(?:mrs?|ms|dr|prof|rev|hon)\.?$", re.I)
_BYLINE_PUNCTUATION = " ,.:;|-–—·•("
_TITLE_SEPARATOR = re.compile(r"\s+[|–—·•»:-]\s+|:\s+")
_NOT_ALNUM = re.compile(r"\W+|_")
_SENTENCE_END = re.compile(f"[.!?。！？{OTHER_SCRIPTS_ENDS}]['\"”’)]?$")
_TRUNCATED_END = re.compile(
    r"(?:\.\.\.|…|\bread more|\bcontinue reading|\bsubscribe to (?:read|continue)\b.*)$", re.I
)
_PUBLISHED_PROPERTIES = ("article:published_time", "og:published_time")
_DATE_PROPERTIES = (
    "date", "pubdate", "publishdate", "publish-date", "sailthru.date", "dc.date.issued",
    "dcterms.created",
)  # fmt: skip
_LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
# Boxes of other articles: asides, navigation, elements classed or named related, teaser,
# recommended, trending, popular (the page's <body> and <html> classes do not count).
_BOX_WORDS = ("related", "teaser", "recommend", "trending", "popular")
_IN_A_BOX = XPath(
    "boolean(ancestor-or-self::*[self::aside or self::nav or (("
    + " or ".join(
        f"contains({_LOWER.format(a)}, '{w}')" for a in ("@class", "@id") for w in _BOX_WORDS
    )
    + ") and not(self::body or self::html))])"
)
# `datePublished` in microdata (`datetime` of any element, `content` of a <meta>) or a
# <meta name> (the boxes are left out afterwards: asked of these few elements only).
_MARKED_PUBLISHED = XPath(
    "//*[@itemprop][{itemprop}='datepublished']"
    "|//meta[@name or @property][{name}='datepublished' or {property}='datepublished']".format(
        itemprop=_LOWER.format("@itemprop"),
        name=_LOWER.format("@name"),
        property=_LOWER.format("@property"),
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
_DATED = XPath(
    "//body//*[self::time or @datetime or contains({itemprop}, 'date')]".format(
        itemprop=_LOWER.format("@itemprop")
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
# A zone named after a time: "2019-11-19 02:24:00 UTC", "… GMT+01:00".
_SLASHED_DAY = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?![\d/])")
# RFC 2822: a weekday maybe, then "7 Dec 2026" and a time.
_RFC_2822 = re.compile(r"^(?:[A-Za-z]{3}, )?\d{1,2} [A-Za-z]{3} \d{4} \d\d:\d\d")
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT|Z)(?:([+-]\d{2}):?(\d{2}))?$", re.I)
# schema.org's Article and its kinds: NewsArticle, ReportageNewsArticle, BlogPosting,
# LiveBlogPosting, SocialMediaPosting, Report, … (also as "https://schema.org/NewsArticle").
_ARTICLE_TYPE = re.compile(r"(?:Article|Posting|Report)$")
_LD_SCRIPTS = XPath("//script[@type='application/ld+json']")
# Bylines in the page: microdata, rel=author links, elements classed "byline" or "author", or
# with a word of `_BYLINE_CLASS` in their class (not in reader comments), first found first.
_BYLINE_WORDS = ("firma", "signature", "writer")
"""Other words for a byline in class names: "firma" (Spanish and Italian for a signature, on
their pages only: `_firma_is_a_signature`), "signature", "writer"."""
FIRMA_SIGNS_IN = frozenset({"es", "it", "ca", "gl"})
"""The languages in which "firma" is a signature, the byline; in German, Polish, Czech,
Slovak, Portuguese, Romanian, Dutch and the Nordic languages it is a company (a box of the
publisher's or an advertiser's name and address)."""
# A byline's opening in Spanish, Italian and English ("Por …", "di …", "A cura di …", "By …"):
# a box classed "firma" that opens so signs the article whatever the page's language.
_SIGNED = re.compile(r"^(?:por|di|a cura di|by)\s", re.I)
_PARAGRAPH_TEXT = XPath("//body//p//text()")
FIRMA_LANGUAGE_MIN_WORDS = 20  # too few words of an undeclared page to tell its language
_DOM_AUTHORS = XPath(
    "//body//*[@itemprop='author' or @rel='author' or contains(@class, 'byline')"
    " or contains(@class, 'author') or contains(@class, 'autor')"
    # Their words less the first letter ("storyWriter", "Firma"), and in capitals; whether
    # the word is one of the class's is `_BYLINE_CLASS`'s to say (lower-casing every class of
    # the page here cost 0.45 ms a page).
    + "".join(
        f" or contains(@class, '{stem}') or contains(@class, '{stem.upper()}')"
        for stem in (word[1:] for word in _BYLINE_WORDS)
    )
    + "][not(ancestor-or-self::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
)
# Other words for a byline, as a word of a class name, not a part of one ("autoresize",
# "typewriter"): "autor" as sites in German, Spanish, Portuguese, Italian ("autore"), Polish
# and Czech class it, and `_BYLINE_WORDS`.
_BYLINE_CLASS = re.compile(
    NAME_WORD_START + rf"(?i:autor(?:e|a|i|es|ka|zy)?|{'|'.join(_BYLINE_WORDS)})(?![a-z0-9])"
)
# An outlet's "signature" newsletter, an e-mail's signature: a box of a sign-up form or one
# classed so, whose title is no author.
_SIGN_UP_BOX = XPath(
    "boolean(ancestor-or-self::*[self::form or "
    + " or ".join(
        f"contains({_LOWER.format('@class')}, '{word}')"
        for word in ("newsletter", "mail", "subscri", "signup", "sign-up", "promo")
    )
    + "])"
)

BYLINE_MAX_WORDS = 12
Metas = dict[str, list[str]]
MAX_AUTHOR_WORDS = 5
LANGUAGE_OVERRIDE_WORDS = 50
LANGUAGE_SAMPLE_CHARS = 600
LANGUAGE_OVERRIDE_PROBABILITY = 0.999
LANGUAGE_LIKELY_PROBABILITY = 0.5
LANGUAGE_RULED_OUT_PROBABILITY = 1e-6
FULL_LENGTH_WORDS = 250  # a text this long has the full length score
MIN_YEAR = 1900  # an earlier publication date is a placeholder ("0001-01-01T00:00:00Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a zero timestamp: a placeholder too


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What a page declares about its article."""

    title: str | None
    sitename: str | None
    authors: list[str]
    published_at: str | None
    description: str | None
    image: str | None
    language: str | None
    tags: list[str]


def page_metadata(tree: HtmlElement, url: str, fetched_at: str | None = None) -> PageMetadata:
    """The article's metadata as its page declares it (see the module docstring);
    `fetched_at` (RFC 3339), when known, bounds the publication date."""
    ld = _json_ld(tree)
    metas = _meta_tags(tree)
    sitename = page_sitename(metas, ld)
    title = page_title(tree, metas, ld)
    return PageMetadata(
        title=strip_site_name(title, sitename, url) if title else None,
        sitename=sitename,
        authors=_authors(tree, metas, ld, sitename=sitename, url=url),
        published_at=published_date(tree, metas, ld, url, fetched_at=fetched_at),
        description=_meta(metas, "og:description", "twitter:description", "description")
        or _first_string(ld, "description"),
        image=_absolute(
            _meta(metas, "og:image", "twitter:image", "og:image:url") or _ld_image(ld), url
        ),
        language=_declared_language(tree, metas),
        tags=tags(metas.get("article:tag", []), _first_string(ld, "keywords")),
    )


def page_title(tree: HtmlElement, metas: Metas, ld: list[object]) -> str | None:
    """The page's headline: declared in its metadata, else `<title>`, else its first `<h1>`;
    a declared title that merely wraps the `<h1>` gives way to it."""
    declared = _meta(metas, "og:title", "twitter:title") or _first_string(ld, "headline")
    declared = declared or _text(tree.find(".//title"))
    headings = [text for h1 in tree.iter("h1") if (text := _text(h1))]
    if declared and headings:
        heading, whole = _key(headings[0]), _key(declared)
        if heading and heading != whole and heading in whole:
            return headings[0]
    if declared:
        return declared
    return headings[0] if headings else None


def strip_site_name(title: str, sitename: str | None, url: str) -> str:
    """`"Site: Headline"` or `"Headline | Site"` → `"Headline"`, when that part names the site.

    The site is named by the sitename or by a label of the host ("harborgazette" in
    `www.harborgazette.com`); a part names it when equal to it, letters and digits only.
    """
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    names = _site_names(sitename, url)
    if _squash(parts[0]) in names:
        return title[title.index(parts[1], len(parts[0])) :].strip()
    if _squash(parts[-1]) in names:
        return title[: title.rindex(parts[-1])].rstrip(" |–—·•»:-").strip()
    return title


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
    latest = _latest(fetched_at)
    declared = next(_plausible(_published_dates(tree, metas, ld), latest), None)
    declared = declared or next(_plausible(_other_dates(tree, metas), latest), None)
    if isinstance(declared, datetime) and declared.tzinfo is None:
        every = itertools.chain(_published_dates(tree, metas, ld), _other_dates(tree, metas))
        declared = _same_time_with_offset(declared, _plausible(every, latest))
    if declared is not None:
        return _iso(declared)
    if (in_url := next(_plausible(_url_day(url), latest), None)) is not None:
        return _iso(in_url)
    if not _URL_DAY_DIGITS.search(urlsplit(url).path) and (
        written := _written_day(tree, _declared_language(tree, metas), latest)
    ):
        return written
    found = find_date(
        _without_other_articles_times(tree),
        extensive_search=False,
        original_date=True,
        url=url or None,
        max_date=latest.replace(tzinfo=None) if latest else None,
    )
    return found if isinstance(found, str) else None


def page_sitename(metas: Metas, ld: list[object]) -> str | None:
    """The site's name as it declares it (`og:site_name`, JSON-LD publisher)."""
    declared = _meta(metas, "og:site_name", "application-name")
    if declared is None:
        for publisher in _find_key(ld, "publisher"):
            name = publisher.get("name") if isinstance(publisher, dict) else None
            if isinstance(name, str) and name.strip():
                return " ".join(name.split())
    return declared


def split_authors(value: object, *, sitename: str | None = None, url: str = "") -> list[str]:
    """`"By Jane Roe; John Doe, Site"` → `["Jane Roe", "John Doe"]`: people's names.

    Not names: "By", "Posted by", "By:"; a date or time after the byline; the site's name; a
    job title, staff credit or account ("AP Auto Writer", "Staff Reports", "admin"); a
    credential or the outlet after a name ("Jane Roe, MS, RD", "Jane Roe, CNN Business").
    "Roe, Jane" is one name, "Jane Roe". An agency alone ("Associated Press") is kept: it is
    the byline's credit.
    """
    if not isinstance(value, str):
        return []
    value = " ".join(value.split())  # (runs of spaces made the patterns below quadratic)
    site = _site_names(sitename, url)
    names: list[str] = []
    for group in _PEOPLE_SPLIT.split(_without_date(_EMAIL.sub(" ", _URL.sub(" ", value)))):
        parts = [
            _REPORTER_AFTER.sub("", _BY.sub("", part).strip(_BYLINE_PUNCTUATION)).rstrip()
            for part in _AFTER_NAME_SPLIT.split(group)
        ]
        parts = [_TITLE.sub("", part) for part in parts if part and _squash(part) not in site]
        if (
            len(parts) == 2
            and "," in group
            and all(len(WORD.findall(part)) == 1 for part in parts)
            and all(_is_name(part, site, first=True) for part in parts)
        ):
            parts = [f"{parts[1]} {parts[0]}"]  # "Roe, Jane"
        for index, part in enumerate(parts):
            name = _without_outlet(part, site)
            if _is_name(name, site, first=not names, after_a_name=index > 0):
                names.append(name)
    return list(dict.fromkeys(names))


def _without_date(byline: str) -> str:
    """The byline before its date or time."""
    if relative := _RELATIVE_TIME.search(byline):
        byline = byline[: relative.start()]
    match = _BYLINE_DATE.search(byline)
    return byline[: match.start()].rstrip(_BYLINE_PUNCTUATION) if match else byline


def _is_name(name: str, site: set[str], *, first: bool, after_a_name: bool = False) -> bool:
    """Whether a part of a byline names a person (or, alone, the agency credited). A part
    `after_a_name` ("Jane Roe, CNN Business") may be the outlet she writes for; a person named
    beside another ("Jane Roe and Emily Post") is a person whatever the words of the name."""
    words = WORD.findall(name)
    if not 0 < len(words) <= MAX_AUTHOR_WORDS or _NOT_A_NAME.search(name):
        return False
    if _squash(name) in site or _ROLE.search(name) or _DISPATCH.search(name):
        return False
    if len(words) == 1 and name.islower():
        return False  # an account: "admin", "jdadmin"
    if _HONORIFIC.match(name) or _LEGAL_FORM.match(name.replace(".", "")):
        return False
    if _CREDENTIAL.match(name.replace(".", "")):
        return first  # "PTI" credited alone; "Jane Roe, MS" is not two people
    if after_a_name and name[0].islower():
        return False  # "Pedro Lima, da Folha": where she writes, not who
    if after_a_name and len(words) == 1 and name[0].isupper():
        # "Laura Martín | Madrid", "Jane Roe, Reuters": where, or for whom. A name in a
        # script without case or spaces is one word (Korean "김민지·박지훈 기자"): a person.
        return False
    return first or not after_a_name or not _is_outlet(name)


def _is_outlet(name: str) -> bool:
    words = name.split()
    acronym_first = (
        len(words) > 1 and len(words[0]) > 2 and words[0].isupper() and not name.isupper()
    )
    return acronym_first or bool(_OUTLET.search(name))


def _without_outlet(name: str, site: set[str]) -> str:
    """`"JANE ROE Associated Press"`, `"Jane Roe Harbor Gazette"` → the name before the
    outlet (text from two elements, or a byline without a separator)."""
    words = name.split()
    if len(words) > 2 * MAX_AUTHOR_WORDS:  # no name: `_is_name` refuses it whatever is cut
        return name
    for start in range(2, len(words)):
        head, tail = words[:start], " ".join(words[start:])
        changes_case = (
            all(word.isupper() and len(word.strip(".")) > 1 for word in head)  # not "A. O."
            and words[start].istitle()
        )
        outlet = len(words) - start > 1 and _OUTLET.search(tail)
        if _squash(tail) in site or changes_case or outlet:
            return " ".join(head)
    return name


def html_language(html: str) -> str | None:
    """The primary language subtag of `<html lang=…>`, lower-cased."""
    match = _HTML_LANG.search(html[:20_000])
    return match.group(1).lower() if match else None


def language(declared: str | None, text: str) -> str | None:
    """The declared language's primary subtag, or the text's detected language when nothing
    is declared or a long text is in another language: detected almost certainly, or the
    declared one all but ruled out (a template's `lang="en-US"` over an Indonesian text, which
    the model finds 0.90 Indonesian and 1e-19 English; a close language, Malay at 0.10, keeps
    its declaration)."""
    match = _LANGUAGE_CODE.match(declared.strip()) if declared else None
    code = match.group(1).lower() if match else None
    if (
        code is not None
        and count_words(text, up_to=LANGUAGE_OVERRIDE_WORDS, pattern=WORD_OR_CHARACTER)
        < LANGUAGE_OVERRIDE_WORDS
    ):
        return code
    ranked = _ranked_languages(text)
    detected, probability = ranked[0] if ranked else (None, 0.0)
    if code is None or detected is None:
        return detected or code
    ruled_out = dict(ranked).get(code, 1.0) < LANGUAGE_RULED_OUT_PROBABILITY
    if detected != code and (
        probability >= LANGUAGE_OVERRIDE_PROBABILITY
        or (ruled_out and probability >= LANGUAGE_LIKELY_PROBABILITY)
    ):
        return detected
    return code


def detect_language(text: str) -> tuple[str | None, float]:
    """The most likely language of `text` (ISO 639-1) and its probability."""
    ranked = _ranked_languages(text)
    return ranked[0] if ranked else (None, 0.0)


def _ranked_languages(text: str) -> list[tuple[str, float]]:
    """Every language the model knows with its probability for `text`, likeliest first."""
    sample = _language_sample(text)
    if not WORD.search(sample):
        return []
    return [(str(code), float(p)) for code, p in _identifier().rank(sample)]


def _language_sample(text: str) -> str:
    """`LANGUAGE_SAMPLE_CHARS` of the text, read where it starts, a third in and two thirds in:
    the model's time grows with the sample, and the text's first 600 characters were all it
    read, so an English report opening with a long quote in French was French, whatever the
    page declared (the detection was certain)."""
    if len(text) <= LANGUAGE_SAMPLE_CHARS:
        return text
    size = LANGUAGE_SAMPLE_CHARS // 3
    starts = (0, len(text) // 3, 2 * len(text) // 3)
    return "\n".join(text[start : start + size] for start in starts)


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def warm_up() -> None:
    """Load the language model now, not during the first article's time limit."""
    detect_language("warm up")


def score_quality(text: str, *, link_lines: int = 0) -> float:
    """Confidence in an extraction, in [0, 1]: low for tiny texts, texts made mostly of link
    lines (`link_lines`: lines equal to a link's text on the page), and truncated texts."""
    words = _word_equivalents(text, up_to=FULL_LENGTH_WORDS)
    lines = [line for line in text.split("\n") if line.strip()]
    if not words or not lines:
        return 0.0
    length = words / FULL_LENGTH_WORDS
    structure = min(1.0, len(lines) / 3)
    last = lines[-1].rstrip()
    truncated = bool(_TRUNCATED_END.search(last)) or not _SENTENCE_END.search(last)
    score = (0.75 * length + 0.25 * structure) * (1 - link_lines / len(lines))
    return round(score * (0.6 if truncated else 1.0), 3)


def _word_equivalents(text: str, *, up_to: int) -> float:
    """The text's words, counted up to `up_to`, where a script written without spaces counts
    by its characters: two Chinese or Japanese characters, or `PHRASE_SPACED_CHARS_PER_WORD`
    Thai, Lao, Khmer or Myanmar letters, about their words' length, make a word. Counted as
    space-separated words, a Chinese, Japanese or Thai report was a few dozen "words" long and
    scored 0.13–0.29 where its English equal scored 0.5 (a review of pages in other
    languages)."""
    if text.isascii() or not SPACELESS.search(text):
        return count_words(text, up_to=up_to)
    total = 0.0
    for match in WORD_OR_CHARACTER.finditer(text):
        found = match.group()
        if PHRASE_SPACED.match(found):
            total += _PHRASE_WORD
        else:
            total += _CJK_WORD if HAS_CJK.match(found) else 1
        if total >= up_to:
            break
    return total


_CJK_WORD = 0.5
_PHRASE_WORD = 1 / PHRASE_SPACED_CHARS_PER_WORD


def count_words(text: str, *, up_to: int, pattern: re.Pattern[str] = WORD) -> int:
    """The text's words (`pattern`), counted up to `up_to`: what a threshold needs, without
    going through the rest of a long text."""
    return sum(1 for _ in itertools.islice(pattern.finditer(text), up_to))


def tags(*values: object) -> list[str]:
    found: list[str] = []
    for value in values:
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for item in items:
            found.extend(part.strip() for part in str(item).split(",") if part.strip())
    return list(dict.fromkeys(found))


def _published_dates(tree: HtmlElement, metas: Metas, ld: list[object]) -> Iterator[str]:
    for name in _PUBLISHED_PROPERTIES:
        yield from metas.get(name.lower(), [])
    for element in _MARKED_PUBLISHED(tree)[:MAX_CANDIDATES]:
        if _IN_A_BOX(element) or _in_a_teaser(element):
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
    objects = list(_ld_main_objects(ld))
    articles = [o for o in objects if _is_article(o)]
    for found in itertools.chain(articles, objects):
        value = found.get("datePublished")
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _ld_main_objects(data: object) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_main_objects(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            yield from _ld_main_objects(data.get(key))


def _is_article(found: dict[str, Any]) -> bool:
    types = found.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(isinstance(n, str) and _ARTICLE_TYPE.search(n) for n in names)


def _other_dates(tree: HtmlElement, metas: Metas) -> Iterator[str]:
    for name in _DATE_PROPERTIES:
        yield from metas.get(name, [])
    times = (
        t
        for t in itertools.islice(_TIMES(tree), MAX_CANDIDATES)
        if not _IN_A_BOX(t) and not _in_a_teaser(t) and not _is_update(t)
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
        if text is None or _IN_A_BOX(element) or _in_a_teaser(element):
            continue
        days = itertools.chain(
            (_digit_day(match, code) for match in _DIGIT_DATE.finditer(text)),
            (_named_month_day(match) for match in _NAMED_MONTH_DATE.finditer(text)),
        )
        for day in days:
            if day is not None and next(_plausible(iter([day]), latest), None) is not None:
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
    if _more_than(element, DATE_LINE_MAX_ELEMENTS):
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


def _without_other_articles_times(tree: HtmlElement) -> HtmlElement:
    """The page for htmldate: without the dates of boxes and teasers of other articles
    (`<time>`s, `datetime` and `itemprop` dates, which htmldate reads wherever they are), a
    copy when there are any."""
    if not any(_IN_A_BOX(d) or _in_a_teaser(d) for d in _DATED(tree)[:MAX_CANDIDATES]):
        return tree
    copy = deepcopy(tree)
    for dated in [d for d in _DATED(copy)[:MAX_CANDIDATES] if _IN_A_BOX(d) or _in_a_teaser(d)]:
        dated.drop_tree()
    return copy


def _in_a_teaser(element: HtmlElement) -> bool:
    """Whether the element is in a teaser of another article (see `_TEASER_CONTAINERS`)."""
    container = next((a for a in element.iterancestors() if a.tag in _TEASER_CONTAINERS), None)
    if container is None or _more_than(container, TEASER_MAX_ELEMENTS):
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


def _more_than(element: HtmlElement, count: int) -> bool:
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


def _moment(value: str) -> date | datetime | None:
    """A declared date: a day, or a time with or without its offset; None if not ISO 8601,
    nor ISO 8601 with slashes ("2026/12/07 14:30:00"), nor RFC 2822 ("Mon, 07 Dec 2026
    14:30:00 +0700", as RSS writes dates and some sites' JSON-LD too)."""
    value = written = " ".join(value.split())[:64]  # no date is longer (spaces: quadratic)
    value = _UTC_SUFFIX.sub(lambda m: f"{m[1] or '+00'}:{m[2] or '00'}", value)
    if slashed := _SLASHED_DAY.match(value):
        year, month, day = slashed.groups()
        value = f"{year}-{int(month):02d}-{int(day):02d}{value[slashed.end() :]}"
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    if not _RFC_2822.match(written):
        return None
    try:
        return parsedate_to_datetime(written)
    except (TypeError, ValueError, IndexError):
        return None


def _url_day(url: str) -> Iterator[str]:
    """The day a URL's path gives with its month in words ("/2019/nov/18/"), ISO 8601; none
    when the path gives a day in digits ("/2022/01/05/…/2021-jan-6-committee": that one)."""
    path = urlsplit(url).path
    if _URL_DAY_DIGITS.search(path):
        return
    if match := _URL_DAY_MONTH_WORD.search(path):
        month = _MONTHS.index(match[2][:3].lower()) + 1
        yield f"{match[1]}-{month:02d}-{int(match[3]):02d}"


def _latest(fetched_at: str | None) -> datetime | None:
    """The latest plausible publication time: a day after the fetch, in UTC."""
    if not fetched_at:
        return None
    try:
        fetched = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=UTC)
    return fetched.astimezone(UTC) + timedelta(days=1)


def _plausible(values: Iterator[str], latest: datetime | None) -> Iterator[date | datetime]:
    """The values that are dates an article can have (not placeholders, not after `latest`);
    a time without offset is compared as if in UTC, a day with `latest`'s day."""
    for value in values:
        moment = _moment(value)
        if moment is None or moment.year < MIN_YEAR:
            continue
        if isinstance(moment, datetime):
            try:
                utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
            except OverflowError:  # "9999-12-31T23:59:59-05:00" is past year 9999 in UTC
                continue
            if utc == _EPOCH or (latest is not None and utc > latest):
                continue
        elif moment == _EPOCH.date() or (latest is not None and moment > latest.date()):
            continue
        yield moment


def _same_time_with_offset(moment: datetime, others: Iterator[date | datetime]) -> datetime:
    """`moment`, a time without offset, or another of the same time with one."""
    written = moment.replace(microsecond=0)
    for other in others:
        if (
            isinstance(other, datetime)
            and other.tzinfo is not None
            and other.replace(microsecond=0, tzinfo=None) == written
        ):
            return other
    return moment


def _iso(moment: date | datetime) -> str:
    """RFC 3339 in UTC for a time with offset, else ISO 8601 as written."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return format_timestamp(moment)
    return moment.isoformat()


def _absolute(link: str | None, url: str) -> str | None:
    """A link the page gives relative to itself (`/content/photo.jpg`), made absolute."""
    if not link or not url:
        return link
    try:
        return urljoin(url, link)
    except ValueError:  # "http://[oops/photo.jpg": as the page gives it
        return link


def _json_ld(tree: HtmlElement) -> list[object]:
    return [_json(script.text) for script in _LD_SCRIPTS(tree)]


def _json(text: str | None) -> object:
    try:
        return json.loads(text or "")
    except ValueError:
        return None


def _first_string(ld: list[object], key: str) -> str | None:
    for found in _find_key(ld, key):
        if isinstance(found, str) and found.strip():
            return " ".join(found.split())
    return None


def _ld_image(ld: list[object]) -> str | None:
    for found in _find_key(ld, "image"):
        candidate = found[0] if isinstance(found, list) and found else found
        if isinstance(candidate, dict):
            candidate = candidate.get("url")
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def _authors(
    tree: HtmlElement, metas: Metas, ld: list[object], *, sitename: str | None, url: str
) -> list[str]:
    """The authors the page names: from `<meta name=author>`, else JSON-LD, else the first
    short byline in the page (`split_authors`). A source that names nobody (a URL, the site,
    "Staff Reports", a date alone) gives way to the next."""
    declared = _meta(metas, "author", "article:author", "byl", "parsely-author", "sailthru.author")
    if declared and (names := split_authors(declared, sitename=sitename, url=url)):
        return names
    found: list[str] = []
    nodes = _ld_nodes(ld)
    for author in _find_key(ld, "author"):
        for item in author if isinstance(author, list) else [author]:
            if isinstance(item, dict) and "name" not in item:
                item = nodes.get(str(item.get("@id")), item)  # {"@id": …} of a Person node
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str) and name.strip():
                found.append(name.strip())
    if found and (names := split_authors("; ".join(found), sitename=sitename, url=url)):
        return names
    for element in _DOM_AUTHORS(tree)[:MAX_CANDIDATES]:
        if _IN_A_BOX(element) or _in_a_teaser(element):  # a "Most Read" box's, another article's
            continue
        if not _is_byline_element(element, tree, metas):
            continue
        named = element.find(".//*[@itemprop='name']")
        text = _byline_text(named if named is not None else element)
        if (
            text
            and len(WORD.findall(_without_date(text))) <= BYLINE_MAX_WORDS
            and (names := split_authors(text, sitename=sitename, url=url))
        ):
            return names
    return []


def _is_byline_element(element: HtmlElement, tree: HtmlElement, metas: Metas) -> bool:
    """Whether an element `_DOM_AUTHORS` found is a byline: its microdata, rel or class
    ("byline", "author") says so, or its class has a word of `_BYLINE_CLASS` and it is in no
    sign-up box; "firma" alone, only as a signature (`_firma_is_a_signature`)."""
    classes = element.get("class", "")
    if element.get("itemprop") == "author" or element.get("rel") == "author":
        return True
    if "byline" in classes or "author" in classes:
        return True
    words = {match[0].lower() for match in _BYLINE_CLASS.finditer(classes)}
    if not words or _SIGN_UP_BOX(element):
        return False
    return words != {"firma"} or _firma_is_a_signature(element, tree, metas)


def _firma_is_a_signature(element: HtmlElement, tree: HtmlElement, metas: Metas) -> bool:
    """Whether a box classed "firma" is the byline: it opens as one ("Por Laura Martín"), or
    the page is in a language where the word is a signature (`FIRMA_SIGNS_IN`), declared or
    read from its paragraphs. A German or Polish page's "firma" is a company: "Muster GmbH,
    Hauptstraße 1, Berlin" was the author of a page that named nobody else."""
    if _SIGNED.match(_byline_text(element)):
        return True
    declared = _declared_language(tree, metas)
    text = " ".join(" ".join(_PARAGRAPH_TEXT(tree)).split())
    if declared is None and count_words(text, up_to=FIRMA_LANGUAGE_MIN_WORDS) < (
        FIRMA_LANGUAGE_MIN_WORDS
    ):
        return False
    return language(declared, text) in FIRMA_SIGNS_IN


def _ld_nodes(data: object) -> dict[str, dict[str, object]]:
    """The JSON-LD nodes that have an `@id` and say more than it, by their `@id`."""
    nodes: dict[str, dict[str, object]] = {}
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(node_id := item.get("@id"), str) and len(item) > 1:
                nodes.setdefault(node_id, item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return nodes


def _byline_text(element: HtmlElement) -> str:
    """The element's text, a space between its elements' texts: `<div>By JANE ROE</div>
    <div>Associated Press</div>` is not "JANE ROEAssociated Press"."""
    return " ".join(" ".join(element.itertext()).split())


def _declared_language(tree: HtmlElement, metas: Metas) -> str | None:
    values = tree.xpath("/html/@lang|/html/@xml:lang")
    values = values or metas.get("content-language") or metas.get("og:locale") or []
    return str(values[0]).strip() or None if values else None


def _find_key(data: object, key: str) -> Iterator[object]:
    if isinstance(data, dict):
        if key in data:
            yield data[key]
        for value in data.values():
            if isinstance(value, dict | list):
                yield from _find_key(value, key)
    elif isinstance(data, list):
        for item in data:
            yield from _find_key(item, key)


def _meta_tags(tree: HtmlElement) -> Metas:
    """Every `<meta>` content by its lower-cased name, property, itemprop or http-equiv."""
    metas: Metas = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content is None or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            if (key := meta.get(attribute)) is not None:
                metas.setdefault(key.strip().lower(), []).append(" ".join(content.split()))
    return metas


def _meta(metas: Metas, *names: str) -> str | None:
    for name in names:
        if values := metas.get(name):
            return values[0]
    return None


def _text(element: HtmlElement | None) -> str | None:
    if element is None:
        return None
    return " ".join(element.text_content().split()) or None


def _site_names(sitename: str | None, url: str) -> set[str]:
    labels = urlsplit(url).hostname or ""
    names = {_squash(label) for label in labels.split(".")[:-1] if len(label) >= 3}
    names |= {_squash(sitename)} if sitename else set()
    return names - {"", "www"}


def _squash(name: str) -> str:
    return _NOT_ALNUM.sub("", name.casefold()).removeprefix("the")


def _key(line: str) -> str:
    return " ".join(WORD.findall(line.casefold()))
