"""An article's authors: a list of people's names, from the page's declarations or bylines.

`<meta name=author>` first, then JSON-LD's `author`, then the first short byline in the page
(microdata, `rel=author`, elements classed "byline", "author", "autor", "writer", …) that is
not another article's. A byline is split into names without "By", the date after it, the
site's own name, job titles, staff credits, credentials and the outlet (`split_authors`).
"""

from __future__ import annotations

import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from newsflow.stages.declarations import Metas, find_key, ld_nodes, meta_content, site_names, squash
from newsflow.stages.dom import NAME_WORD_START
from newsflow.stages.fingerprint import WORD
from newsflow.stages.language import declared_language, language
from newsflow.stages.quality import count_words
from newsflow.stages.teasers import IN_A_BOX, LOWER, MAX_CANDIDATES, in_a_teaser

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
# Bylines in the page: microdata, rel=author links, elements classed "byline" or "author", or
# with a word of `_BYLINE_CLASS` in their class (not in reader comments), first found first.
_BYLINE_WORDS = ("firma", "signature", "writer")
"""Other words for a byline in class names: "firma" (Spanish and Italian for a signature; not
on pages in languages where it is a company: `_firma_is_a_signature`), "signature", "writer"."""
FIRMA_IS_A_COMPANY_IN = frozenset(
    {"de", "pl", "cs", "sk", "pt", "ro", "nl", "sv", "da", "nb", "no", "fi", "hr", "sl", "sr"}
    | {"bs", "tr"}
)
"""The languages in which "firma" is a company (a box of the publisher's or an advertiser's
name and address), not a signature, the byline, as in Spanish and Italian (`firma` boxes on
pages of other languages come from those sites' templates)."""
# A byline's opening in Spanish, Italian and English ("Por …", "di …", "A cura di …", "By …"):
# a box classed "firma" that opens so signs the article whatever the page's language.
_SIGNED = re.compile(r"^(?:por|di|a cura di|by)\s", re.I)
_PARAGRAPH_TEXT = XPath("//body//p//text()")
_BODY_TEXT = XPath("//body//text()[not(ancestor::script or ancestor::style)]")
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
        f"contains({LOWER.format('@class')}, '{word}')"
        for word in ("newsletter", "mail", "subscri", "signup", "sign-up", "promo")
    )
    + "])"
)

BYLINE_MAX_WORDS = 12
MAX_AUTHOR_WORDS = 5


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
    value = _EMAIL.sub(" ", _URL.sub(" ", " ".join(value.split())))
    # Runs of spaces made the splits below quadratic: those written, and those left where the
    # addresses were (16,000 characters of "a@b.c " took 7.6 s).
    value = " ".join(_without_date(value).split())
    site = site_names(sitename, url)
    names: list[str] = []
    for group in _PEOPLE_SPLIT.split(value):
        parts = [
            _REPORTER_AFTER.sub("", _BY.sub("", part).strip(_BYLINE_PUNCTUATION)).rstrip()
            for part in _AFTER_NAME_SPLIT.split(group)
        ]
        parts = [_TITLE.sub("", part) for part in parts if part and squash(part) not in site]
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
    if squash(name) in site or _ROLE.search(name) or _DISPATCH.search(name):
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
        if squash(tail) in site or changes_case or outlet:
            return " ".join(head)
    return name


def find_authors(
    tree: HtmlElement, metas: Metas, ld: list[object], *, sitename: str | None, url: str
) -> list[str]:
    """The authors the page names: from `<meta name=author>`, else JSON-LD, else the first
    short byline in the page (`split_authors`). A source that names nobody (a URL, the site,
    "Staff Reports", a date alone) gives way to the next."""
    declared = meta_content(
        metas, "author", "article:author", "byl", "parsely-author", "sailthru.author"
    )
    if declared and (names := split_authors(declared, sitename=sitename, url=url)):
        return names
    found: list[str] = []
    nodes = ld_nodes(ld)
    for author in find_key(ld, "author"):
        for item in author if isinstance(author, list) else [author]:
            if isinstance(item, dict) and "name" not in item:
                item = nodes.get(str(item.get("@id")), item)  # {"@id": …} of a Person node
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str) and name.strip():
                found.append(name.strip())
    if found and (names := split_authors("; ".join(found), sitename=sitename, url=url)):
        return names
    for element in _DOM_AUTHORS(tree)[:MAX_CANDIDATES]:
        if IN_A_BOX(element) or in_a_teaser(element):  # a "Most Read" box's, another article's
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
    the page is in none of the languages where the word is a company (`FIRMA_IS_A_COMPANY_IN`),
    declared or read from its paragraphs (else its body's text). A German or Polish page's
    "firma" is a company: "Muster GmbH, Hauptstraße 1, Berlin" was the author of a page that
    named nobody else."""
    if _SIGNED.match(_byline_text(element)):
        return True
    declared = declared_language(tree, metas)
    text = _words_of(_PARAGRAPH_TEXT(tree))
    if count_words(text, up_to=FIRMA_LANGUAGE_MIN_WORDS) < FIRMA_LANGUAGE_MIN_WORDS:
        text = _words_of(_BODY_TEXT(tree))  # a page whose text is not in paragraphs
    if declared is None and count_words(text, up_to=FIRMA_LANGUAGE_MIN_WORDS) < (
        FIRMA_LANGUAGE_MIN_WORDS
    ):
        return True  # too little to tell: a signature, as the class says in Spanish and Italian
    return language(declared, text) not in FIRMA_IS_A_COMPANY_IN


def _words_of(texts: list[str]) -> str:
    return " ".join(" ".join(texts).split())


def _byline_text(element: HtmlElement) -> str:
    """The element's text, a space between its elements' texts: `<div>By JANE ROE</div>
    <div>Associated Press</div>` is not "JANE ROEAssociated Press"."""
    return " ".join(" ".join(element.itertext()).split())
