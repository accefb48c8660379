"""The extract stage: an `Article` in, main text and metadata (`Extraction`) or a `Rejection` out.

HTML goes through one trafilatura pass (`bare_extraction`, comments excluded, metadata on),
after the page has been prepared so that the same article in any site's template gives the
same text — exact dedup is only as good as that. `prepare_tree`, in place:

- prunes boilerplate blocks by their markup: reader comments, cookie banners and other
  dialogs, ads, newsletter, promotion and donation boxes, related-article lists, pull quotes,
  hidden elements, and paragraphs made of links ("Share", "Read more: …", "Filed under: …");
- flattens layout tables (old sites lay whole pages out in `<table>`s) into plain blocks, so
  they are not taken for data; data tables stay;
- on pages without `<article>` or `<main>`, marks the block whose paragraphs hold the most
  text as the article, so headings and lists between its paragraphs are kept.

A page where no block holds `MIN_PROSE_WORDS` words of running text has no main text, and
is rejected rather than having its navigation or footer returned as the article. The text
then goes through `textclean`, like plain-text messages: the headline with everything above
it and the byline block below it, ad labels and the closing copyright notice are dropped.
The title loses a site-name prefix or suffix ("Headline | Site").

The stage is pure and may be slow on hostile pages: the time limit is enforced by whoever
runs it (see `newsflow.sandbox`), which can kill it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml.etree import XPath
from lxml.html import HtmlElement

from newsflow import rejection as R
from newsflow.model import Article, Extraction
from newsflow.rejection import Rejection
from newsflow.stages.textclean import clean_text

EXTRACTOR_NAME = "newsflow-trafilatura"
EXTRACTOR_VERSION = f"2+trafilatura.{trafilatura.__version__}"
DEFAULT_MAX_HTML_CHARS = 5_000_000
MIN_WORDS = 5
_HTML_LANG = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I
)
_WORD = re.compile(r"\w+")
# Words for scripts written without spaces count one per character (kana, CJK ideographs, Thai).
_SPACELESS = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_OR_CHARACTER = re.compile(f"[{_SPACELESS}]|[^\\W{_SPACELESS}]+")
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\band\b|&)\s*")
_BY = re.compile(r"^\s*by\s+", re.I)
_TITLE_SEPARATOR = re.compile(r"\s+[|–—·•»:-]\s+|:\s+")
_NOT_ALNUM = re.compile(r"\W+|_")

# Class and id words (whole words between spaces, "-" and "_") naming boilerplate blocks.
_BOILERPLATE_WORDS = (
    "comments?|disqus|"  # reader comments
    "cookies?|consent|gdpr|"  # cookie banners
    "ads?|advert\\w*|gpt|dfp|sponsor\\w*|outbrain|taboola|"  # advertising
    "newsletters?|signup|subscribe|promo\\w*|donat\\w*|"  # sign-up, promotion, appeals
    "related|recirc\\w*|"  # links to other articles
    "pull-?quotes?"  # sentences of the article repeated large
)
_BOILERPLATE = XPath(
    f"""//body//*[not(.//h1)][
    @hidden or @role='dialog' or @role='alertdialog' or
    re:test(concat(' ', @id, ' ', @class, ' '), '[\\s_-]({_BOILERPLATE_WORDS})[\\s_-]', 'i')]""",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)
_LINK_LABEL = re.compile(r"^\W*(?:\w+\W+){0,2}\w+\s*:[\W_]*$")
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "big", "br", "center", "cite", "code", "em", "font", "i", "mark", "q", "s",
     "small", "span", "strong", "sub", "sup", "time", "u"}
)  # fmt: skip
_MIN_PARAGRAPH_CHARS = 25
MIN_PROSE_WORDS = 20
MAX_PRUNED_SHARE = 0.5
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Largest HTML the stage will parse, in characters."""

    max_html_chars: int = DEFAULT_MAX_HTML_CHARS


def extract(article: Article, *, limits: ExtractLimits | None = None) -> Extraction | Rejection:
    """Main text and metadata of an article; `no_main_text` when nothing usable is found."""
    limits = limits or ExtractLimits()
    if article.content_type == "text":
        return _extract_text(article)
    if len(article.body) > limits.max_html_chars:
        return Rejection(
            R.TOO_LARGE, f"HTML is {len(article.body)} chars, limit {limits.max_html_chars}"
        )
    return _extract_html(article)


def _extract_text(article: Article) -> Extraction | Rejection:
    cleaned = clean_text(article.body, title=article.title)
    if len(_WORD.findall(cleaned.text)) < MIN_WORDS:
        return Rejection(R.NO_MAIN_TEXT, f"plain text has fewer than {MIN_WORDS} words")
    return Extraction(
        text=cleaned.text,
        title=cleaned.title,
        authors=[],
        published_at=None,
        sitename=None,
        language=article.language,
        description=None,
        image=None,
        tags=[],
        extractor_name=EXTRACTOR_NAME,
        extractor_version=EXTRACTOR_VERSION,
        quality=score_quality(cleaned.text),
    )


def _extract_html(article: Article) -> Extraction | Rejection:
    tree = trafilatura.load_html(article.body)
    if tree is None:
        return Rejection(R.NO_MAIN_TEXT, "the page does not parse as HTML")
    prepare_tree(tree)
    if not has_prose(tree):
        return Rejection(
            R.NO_MAIN_TEXT, f"no block of the page has {MIN_PROSE_WORDS} words of running text"
        )
    document = trafilatura.bare_extraction(
        tree,
        url=article.canonical_url if article.canonical_url.startswith("http") else None,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        deduplicate=False,
    )
    if document is None:
        return Rejection(R.NO_MAIN_TEXT, "the extractor found no main text")
    meta: dict[str, Any] = document if isinstance(document, dict) else document.as_dict()
    sitename = _clean(meta.get("sitename"))
    title = _clean(meta.get("title"))
    title = strip_site_name(title, sitename, article.canonical_url) if title else article.title
    cleaned = clean_text(meta.get("text") or "", title=title)
    if len(_WORD_OR_CHARACTER.findall(cleaned.text)) < MIN_PROSE_WORDS:
        return Rejection(R.NO_MAIN_TEXT, f"main text has fewer than {MIN_PROSE_WORDS} words")
    return Extraction(
        text=cleaned.text,
        title=cleaned.title,
        authors=split_authors(meta.get("author")),
        published_at=_clean(meta.get("date")),
        sitename=sitename,
        language=_clean(meta.get("language")) or html_language(article.body) or article.language,
        description=_clean(meta.get("description")),
        image=_clean(meta.get("image")),
        tags=_tags(meta.get("categories"), meta.get("tags")),
        extractor_name=EXTRACTOR_NAME,
        extractor_version=EXTRACTOR_VERSION,
        quality=score_quality(cleaned.text),
    )


def prepare_tree(tree: HtmlElement) -> None:
    """Prune boilerplate, flatten layout tables and mark the main block, in place."""
    _prune_boilerplate(tree)
    for table in [table for table in tree.iter("table") if is_layout_table(table)]:
        _flatten_table(table)
    if not tree.xpath("//article|//main"):
        _mark_main_block(tree)


def _prune_boilerplate(tree: HtmlElement) -> None:
    # A match holding most of the page is a wrapper ("page has-ads"), not a box: kept.
    most = MAX_PRUNED_SHARE * len(tree.text_content())
    dropped: set[HtmlElement] = set()
    for element in _BOILERPLATE(tree):  # document order: a box before the boxes inside it
        inside_dropped = any(ancestor in dropped for ancestor in element.iterancestors())
        if not inside_dropped and len(element.text_content()) <= most:
            element.drop_tree()
            dropped.add(element)
    for paragraph in list(tree.iter("p")):
        if is_link_list(paragraph):
            paragraph.drop_tree()


def is_link_list(paragraph: HtmlElement) -> bool:
    """Whether a paragraph is only links (share and print tools), or a label and links
    ("Read more: …", "Filed under: …")."""
    links = paragraph.findall(".//a")
    if not links:
        return False
    link_words = sum(len(_WORD.findall(link.text_content())) for link in links)
    other = " ".join(paragraph.xpath(".//text()[not(ancestor::a)]")).strip()
    other_words = len(_WORD.findall(other))
    if other_words == 0:
        return len(links) >= 2
    return bool(_LINK_LABEL.match(other)) and link_words > other_words


def is_layout_table(table: HtmlElement) -> bool:
    """Whether a `<table>` lays out the page rather than holding data (after readability).

    Captions, header cells and column groups mean data; nested tables, block content in
    cells, a single row or a single column mean layout; otherwise small tables are layout.
    """
    if table.get("role") == "presentation":
        return True
    if table.xpath("./caption|./colgroup|./col|./thead|./tr/th|./tbody/tr/th"):
        return False
    if table.xpath(".//table|.//td//p|.//td//div|.//td//ul|.//td//ol|.//td//h1|.//td//h2"):
        return True
    rows = _rows(table)
    columns = max((sum(_span(cell) for cell in _cells(row)) for row in rows), default=0)
    if len(rows) <= 1 or columns <= 1:
        return True
    return len(rows) < 10 and columns <= 4 and len(rows) * columns <= 10


def _flatten_table(table: HtmlElement) -> None:
    for row in _rows(table):
        for cell in _cells(row):
            cell.tag = "div"
        row.tag = "div"
    for section in table.xpath("./tbody|./tfoot"):
        section.tag = "div"
    table.tag = "div"


def _rows(table: HtmlElement) -> list[HtmlElement]:
    rows: list[HtmlElement] = table.xpath("./tr|./tbody/tr|./tfoot/tr")
    return rows


def _cells(row: HtmlElement) -> list[HtmlElement]:
    cells: list[HtmlElement] = row.xpath("./td|./th")
    return cells


def _span(cell: HtmlElement) -> int:
    span = cell.get("colspan", "1").strip()
    return int(span) if span.isdigit() and 0 < int(span) < 100 else 1


def _mark_main_block(tree: HtmlElement) -> None:
    """Turn the block whose paragraphs hold the most text into the page's `<article>`."""
    scores: dict[HtmlElement, int] = {}
    for paragraph in tree.iter("p"):
        length = len(paragraph.text_content().strip())
        block = paragraph.getparent()
        while block is not None and block.tag in _INLINE_TAGS:
            block = block.getparent()
        if length >= _MIN_PARAGRAPH_CHARS and block is not None:
            scores[block] = scores.get(block, 0) + length
    if scores:
        best = max(scores, key=scores.__getitem__)
        if best.tag not in ("body", "html"):
            best.tag = "article"


def has_prose(tree: HtmlElement) -> bool:
    """Whether some block holds `MIN_PROSE_WORDS` words of its own text outside links.

    Navigation, link lists, captions and bylines never do; the extractor would otherwise
    return them as the "main text" of a page that has none.
    """
    for block in tree.iter("body", *_BLOCK_TAGS):
        parts = [block.text or ""]
        for child in block:
            if child.tag in _INLINE_TAGS and child.tag != "a":
                parts.extend(child.xpath(".//text()[not(ancestor::a)]"))
            parts.append(child.tail or "")
        if len(_WORD_OR_CHARACTER.findall(" ".join(parts))) >= MIN_PROSE_WORDS:
            return True
    return False


def strip_site_name(title: str, sitename: str | None, url: str) -> str:
    """`"Site: Headline"` or `"Headline | Site"` → `"Headline"`, when that part names the site.

    The site is named by the sitename or by a label of the host ("harborgazette" in
    `www.harborgazette.com`); a part names it when equal to it, letters and digits only.
    """
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    labels = urlsplit(url).hostname or ""
    names = {_squash(label) for label in labels.split(".")[:-1] if len(label) >= 3}
    names |= {_squash(sitename)} if sitename else set()
    names -= {"", "www"}
    if _squash(parts[0]) in names:
        return title[title.index(parts[1], len(parts[0])) :].strip()
    if _squash(parts[-1]) in names:
        return title[: title.rindex(parts[-1])].rstrip(" |–—·•»:-").strip()
    return title


def _squash(name: str) -> str:
    return _NOT_ALNUM.sub("", name.casefold()).removeprefix("the")


def split_authors(value: object) -> list[str]:
    """`"By Jane Roe; John Doe"` → `["Jane Roe", "John Doe"]`."""
    if not isinstance(value, str):
        return []
    names = (_BY.sub("", part).strip(" ,") for part in _AUTHOR_SPLIT.split(value))
    return list(dict.fromkeys(name for name in names if name))


def html_language(html: str) -> str | None:
    """The primary language subtag of `<html lang=…>`, lower-cased."""
    match = _HTML_LANG.search(html[:20_000])
    return match.group(1).lower() if match else None


def score_quality(text: str) -> float:
    """A rough confidence in [0, 1]: low for texts too short to be a whole article."""
    words = len(_WORD.findall(text))
    paragraphs = text.count("\n") + 1
    length = min(1.0, words / 250)
    structure = min(1.0, paragraphs / 3)
    return round(0.75 * length + 0.25 * structure, 3)


def _tags(*values: object) -> list[str]:
    tags: list[str] = []
    for value in values:
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for item in items:
            tags.extend(part.strip() for part in str(item).split(",") if part.strip())
    return list(dict.fromkeys(tags))


def _clean(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
