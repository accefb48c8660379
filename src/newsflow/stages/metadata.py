"""An article's metadata from its page: what the page declares, gathered in one record.

It reads what the page declares (Open Graph, Twitter cards, JSON-LD, `<meta>`, microdata)
rather than running trafilatura's metadata pass, which costs as much as the text extraction;
htmldate is asked for the date only when the page declares none.

- **title**: the page's declared headline (`og:title`, `twitter:title`, JSON-LD `headline`,
  `<title>`); an `<h1>` that the declared title merely wraps ("Headline | Section | Site")
  wins; a site-name prefix or suffix is taken off;
- **published date** (`dates`): the time the page declares (`article:published_time`, JSON-LD
  `datePublished`, `<meta name=date>`, `<time datetime>`): RFC 3339 in UTC with a `Z` when it
  has an offset, as written without one, a day `YYYY-MM-DD` when only a day; else htmldate's
  day;
- **authors** (`bylines`): a list of names, without "By" and without the site's own name;
- **language** (`language`): the page's declaration, or detected from the text (py3langid,
  offline, its model ships in the wheel) when the page does not say or a long text clearly
  says otherwise.

The `<meta>` tags and JSON-LD are read once, by `declarations`, and handed to each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.html import HtmlElement

from newsflow.stages.bylines import find_authors
from newsflow.stages.dates import published_date
from newsflow.stages.declarations import (
    Metas,
    find_key,
    first_string,
    json_ld_objects,
    meta_content,
    meta_tags,
    site_names,
    squash,
)
from newsflow.stages.fingerprint import WORD
from newsflow.stages.language import declared_language

_TITLE_SEPARATOR = re.compile(r"\s+[|–—·•»:-]\s+|:\s+")


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
    ld = json_ld_objects(tree)
    metas = meta_tags(tree)
    sitename = page_sitename(metas, ld)
    title = page_title(tree, metas, ld)
    return PageMetadata(
        title=strip_site_name(title, sitename, url) if title else None,
        sitename=sitename,
        authors=find_authors(tree, metas, ld, sitename=sitename, url=url),
        published_at=published_date(tree, metas, ld, url, fetched_at=fetched_at),
        description=meta_content(metas, "og:description", "twitter:description", "description")
        or first_string(ld, "description"),
        image=_absolute(
            meta_content(metas, "og:image", "twitter:image", "og:image:url") or _ld_image(ld), url
        ),
        language=declared_language(tree, metas),
        tags=tags(metas.get("article:tag", []), first_string(ld, "keywords")),
    )


def page_title(tree: HtmlElement, metas: Metas, ld: list[object]) -> str | None:
    """The page's headline: declared in its metadata, else `<title>`, else its first `<h1>`;
    a declared title that merely wraps the `<h1>` gives way to it."""
    declared = meta_content(metas, "og:title", "twitter:title") or first_string(ld, "headline")
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
    names = site_names(sitename, url)
    if squash(parts[0]) in names:
        return title[title.index(parts[1], len(parts[0])) :].strip()
    if squash(parts[-1]) in names:
        return title[: title.rindex(parts[-1])].rstrip(" |–—·•»:-").strip()
    return title


def page_sitename(metas: Metas, ld: list[object]) -> str | None:
    """The site's name as it declares it (`og:site_name`, JSON-LD publisher)."""
    declared = meta_content(metas, "og:site_name", "application-name")
    if declared is None:
        for publisher in find_key(ld, "publisher"):
            name = publisher.get("name") if isinstance(publisher, dict) else None
            if isinstance(name, str) and name.strip():
                return " ".join(name.split())
    return declared


def tags(*values: object) -> list[str]:
    found: list[str] = []
    for value in values:
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for item in items:
            found.extend(part.strip() for part in str(item).split(",") if part.strip())
    return list(dict.fromkeys(found))


def _absolute(link: str | None, url: str) -> str | None:
    """A link the page gives relative to itself (`/content/photo.jpg`), made absolute."""
    if not link or not url:
        return link
    try:
        return urljoin(url, link)
    except ValueError:  # "http://[oops/photo.jpg": as the page gives it
        return link


def _ld_image(ld: list[object]) -> str | None:
    for found in find_key(ld, "image"):
        candidate = found[0] if isinstance(found, list) and found else found
        if isinstance(candidate, dict):
            candidate = candidate.get("url")
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def _text(element: HtmlElement | None) -> str | None:
    if element is None:
        return None
    return " ".join(element.text_content().split()) or None


def _key(line: str) -> str:
    return " ".join(WORD.findall(line.casefold()))
