"""What a page declares, read: its `<meta>` tags by name, its JSON-LD, and the site's names.

The page's metadata (`metadata`), its date (`dates`) and its authors (`bylines`) are all read
from these declarations; the page's `<meta>` tags and JSON-LD scripts are parsed once and
handed to each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

_NOT_ALNUM = re.compile(r"\W+|_")
# schema.org's Article and its kinds: NewsArticle, ReportageNewsArticle, BlogPosting,
# LiveBlogPosting, SocialMediaPosting, Report, … (also as "https://schema.org/NewsArticle").
_ARTICLE_TYPE = re.compile(r"(?:Article|Posting|Report)$")
_LD_SCRIPTS = XPath("//script[@type='application/ld+json']")
Metas = dict[str, list[str]]


def ld_main_objects(data: object) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from ld_main_objects(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            yield from ld_main_objects(data.get(key))


def is_article(found: dict[str, Any]) -> bool:
    types = found.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(isinstance(n, str) and _ARTICLE_TYPE.search(n) for n in names)


def json_ld_objects(tree: HtmlElement) -> list[object]:
    return [_json(script.text) for script in _LD_SCRIPTS(tree)]


def _json(text: str | None) -> object:
    """The script's JSON, or None: not JSON, or nested deeper than the decoder recurses (a
    page's JSON-LD of 1,000 nested arrays raised RecursionError, and its article was
    dead-lettered `extraction_failed` instead of extracted)."""
    try:
        data = json.loads(text or "")
        if _SURROGATE_ESCAPE.search(text or ""):  # (only then written out and read again)
            written = json.dumps(data, ensure_ascii=False)
            data = json.loads(_LONE_SURROGATE.sub("\ufffd", written))
    except (ValueError, RecursionError):
        return None
    return data


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # (json.loads joins those of a pair)
"""JSON lets a surrogate's escape stand alone ("\\ud800"), and json.loads keeps it: a
character no UTF-8 can hold. A title or author carrying it made the decision raise (the
store's encoding, and the event's), and its article ended in the DLQ after every try; it
is U+FFFD now, as an invalid byte of the page is."""


def first_string(ld: list[object], key: str) -> str | None:
    for found in find_key(ld, key):
        if isinstance(found, str) and found.strip():
            return " ".join(found.split())
    return None


def ld_nodes(data: object) -> dict[str, dict[str, object]]:
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


def find_key(data: object, key: str) -> Iterator[object]:
    if isinstance(data, dict):
        if key in data:
            yield data[key]
        for value in data.values():
            if isinstance(value, dict | list):
                yield from find_key(value, key)
    elif isinstance(data, list):
        for item in data:
            yield from find_key(item, key)


def meta_tags(tree: HtmlElement) -> Metas:
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


def meta_content(metas: Metas, *names: str) -> str | None:
    for name in names:
        if values := metas.get(name):
            return values[0]
    return None


def site_names(sitename: str | None, url: str) -> set[str]:
    labels = urlsplit(url).hostname or ""
    names = {squash(label) for label in labels.split(".")[:-1] if len(label) >= 3}
    names |= {squash(sitename)} if sitename else set()
    return names - {"", "www"}


def squash(name: str) -> str:
    return _NOT_ALNUM.sub("", name.casefold()).removeprefix("the")
