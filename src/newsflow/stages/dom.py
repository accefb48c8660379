"""Prepare a page's DOM so that the same article in any site's template gives the same text.

`prepare_tree`, in place:

- prunes boilerplate boxes by their markup: reader comments, cookie banners and other
  dialogs, ads, newsletter, promotion and donation boxes, related-article lists, pull quotes,
  hidden elements (class, id and `data-*` names, camelCase and CSS-module names included),
  and paragraphs made of links ("Share", "Read more: …", "Filed under: …");
- prunes pop-ups (hover cards, tooltips, popovers) after the name or term that shows them,
  which the text would otherwise splice into the sentence;
- flattens layout tables (old sites lay whole pages out in `<table>`s) into plain blocks, so
  they are not taken for data; data tables stay;
- on pages without `<article>` or `<main>`, marks the block whose paragraphs hold the most
  text as the article, so headings and lists between its paragraphs are kept.

`has_prose` tells a page with running text from one of navigation and link lists only.
"""

from __future__ import annotations

import re
from itertools import chain

from lxml.html import HtmlElement

from newsflow.stages.fingerprint import MARKS, SPACELESS_LETTERS
from newsflow.stages.linewords import PROSE_END

_WORD = re.compile(r"\w+")
# Words for scripts written without spaces count one per character (kana, CJK ideographs, Thai,
# Lao, Khmer, Myanmar).
_SPACELESS = SPACELESS_LETTERS
WORD_OR_CHARACTER = re.compile(f"[{_SPACELESS}]|(?:[^\\W{_SPACELESS}]|[{MARKS}])+")

NAME_WORD_START = r"(?:(?<![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z]))"
"""Where a word of a class or id name starts: after punctuation or a space, or at a camelCase
hump ("InlineNewsletter_root")."""
# Words of class, id and data attributes naming boilerplate boxes: whole words between
# punctuation, spaces and camelCase humps ("comments", "ad-slot", "InlineNewsletter_root").
_BOILERPLATE_WORDS = re.compile(
    NAME_WORD_START + r"(?i:"
    r"comments?|disqus|discussion|"  # reader comments
    r"cookies?|consent|gdpr|"  # cookie banners
    r"ads?|advert[a-z]*|gpt|dfp|sponsor[a-z]*|outbrain|taboola|"  # advertising
    r"newsletters?|signup|subscribe|promo[a-z]*|donat[a-z]*|cta|"  # sign-up, promotion, appeals
    r"related|recirc[a-z]*|recommend[a-z]*|trending|"  # links to other articles
    r"pull[ _-]?quotes?|"  # sentences of the article repeated large
    # The same boxes named in other languages: reader comments (plurals: a German
    # "Kommentar" or a Spanish "comentario" is an opinion article), "related", "read also".
    r"kommentare|comentarios|commenti|reacties|yorumlar|komentarze|"
    r"relacionad[ao]s|correlati|gerelateerd|verwandte|powiazane|terkait|"
    r"(?:leia|veja)[ _-]?tambem|lees[ _-]?ook|(?:a[ _-]?)?lire[ _-]?aussi|leggi[ _-]?anche|"
    r"czytaj[ _-]?(?:takze|tez)|baca[ _-]?juga|mehr[ _-]?zum[ _-]?thema|"
    r"lesen[ _-]?sie[ _-]?auch|ver[ _-]?tambien|te[ _-]?puede[ _-]?interesar"
    r")(?![a-z0-9])"
)
# Words of class and id names for pop-ups: hover cards, tooltips, popovers ("rollover-block",
# "tooltiptext", "HoverCard_body"). The site's CSS hides them until the pointer is on the name
# or term before them, so in the text they are spliced into the sentence.
_POPUP_WORDS = re.compile(NAME_WORD_START + r"(?i:rollover|tool-?tip|hover-?card|pop-?over)")
_POPUP_TAGS = ("span", "div", "aside", "section")
TRIGGER_MAX_WORDS = 8
_NAMING_ATTRIBUTES = ("class", "id", "data-testid", "data-component", "data-module")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Boxes are blocks: links, spans and the like inside them go with them, or are left to the
# text rules (an "Advertisement" label), which is much cheaper than testing every element.
_BOX_TAGS = (
    "div", "section", "aside", "ul", "ol", "table", "form", "figure", "p", "header", "footer",
    "nav", "iframe", "ins", "dl", "blockquote",
)  # fmt: skip
_BOX_ATTRIBUTES = frozenset((*_NAMING_ATTRIBUTES, "hidden", "style", "role"))
_LINK_LABEL = re.compile(r"^\W*(?:\w+\W+){0,2}\w+\s*:[\W_]*$")
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "big", "br", "center", "cite", "code", "em", "font", "i", "mark", "q", "s",
     "small", "span", "strong", "sub", "sup", "time", "u"}
)  # fmt: skip
_MIN_PARAGRAPH_CHARS = 25
MIN_PROSE_WORDS = 20
_TEXT_BLOCKS = ("p", "li", "blockquote", "td", "dd", "figcaption")
SENTENCE_MIN_WORDS = 8
MAX_PRUNED_SHARE = 0.5
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
)  # fmt: skip
_BLOCK_TAGS_BUT_P = tuple(tag for tag in _BLOCK_TAGS if tag != "p")


def prepare_tree(tree: HtmlElement) -> None:
    """Prune boilerplate and pop-ups, flatten layout tables and mark the main block, in place."""
    _prune_boilerplate(tree)
    _prune_popups(tree)
    _keep_times_in_sentences(tree)
    for table in [table for table in tree.iter("table") if is_layout_table(table)]:
        _flatten_table(table)
    if not tree.xpath("//article|//main"):
        _mark_main_block(tree)


def _prune_boilerplate(tree: HtmlElement) -> None:
    # A match holding most of the page is a wrapper ("page has-ads"), not a box: kept.
    most = MAX_PRUNED_SHARE * len(tree.text_content())
    boxes = [element for element in box_candidates(tree) if is_boilerplate_box(element)]
    dropped: set[HtmlElement] = set()
    for element in boxes:  # document order: a box before the boxes inside it
        inside_dropped = any(ancestor in dropped for ancestor in element.iterancestors())
        if inside_dropped or (element.find(".//h1") is not None and not is_hidden(element)):
            continue
        if len(element.text_content()) <= most:
            element.drop_tree()
            dropped.add(element)
    for paragraph in list(tree.iter("p")):
        if is_link_list(paragraph):
            paragraph.drop_tree()


def _keep_times_in_sentences(tree: HtmlElement) -> None:
    """trafilatura removes every `<time>` with its text ("hearings will run from to , the
    clerk said"): one inside a sentence, whose block holds `SENTENCE_MIN_WORDS` words besides
    it, becomes its text. A byline's date ("By Jane Roe <time>…</time>") stays a `<time>`."""
    words: dict[HtmlElement, int] = {}  # per block, counted once (unwrapping keeps it)
    for time in list(tree.iter("time")):
        block = next((a for a in time.iterancestors() if a.tag in _TEXT_BLOCKS), None)
        if block is None:
            continue
        if block not in words:
            words[block] = len(_WORD.findall(block.text_content()))
        if words[block] - len(_WORD.findall(time.text_content())) >= SENTENCE_MIN_WORDS:
            time.drop_tag()


def _prune_popups(tree: HtmlElement) -> None:
    """Remove the pop-ups that follow the name or term showing them (`is_popup`)."""
    popups = [element for element in tree.iter(*_POPUP_TAGS) if _names_popup(element)]
    dropped: set[HtmlElement] = set()
    for element in popups:  # document order: a pop-up before the pop-ups inside it
        if any(ancestor in dropped for ancestor in element.iterancestors()):
            continue
        if is_popup(element):
            element.drop_tree()
            dropped.add(element)


def is_popup(element: HtmlElement) -> bool:
    """Whether an element named as a pop-up (hover card, tooltip, popover) follows its trigger.

    The trigger is what comes before it inside the nearest element also named so (the
    widget): a name or term of 1 to `TRIGGER_MAX_WORDS` words. A term merely marked as
    having a tooltip ("has-tooltip"), with nothing before it, is the trigger and stays."""
    if not _names_popup(element):
        return False
    widget = next((a for a in element.iterancestors() if _names_popup(a)), None)
    if widget is None:
        return False
    words = len(_WORD.findall(_text_before(element, widget)))
    return 0 < words <= TRIGGER_MAX_WORDS


def _names_popup(element: HtmlElement) -> bool:
    names = " ".join(value for name in ("class", "id") if (value := element.get(name)))
    return bool(names) and bool(_POPUP_WORDS.search(names))


def _text_before(element: HtmlElement, container: HtmlElement) -> str:
    """The text of `container` that comes before `element`, one of its descendants (read only
    until it holds more than `TRIGGER_MAX_WORDS` words: enough to tell a trigger)."""
    ancestors = set(element.iterancestors())
    parts = [container.text or ""]
    words = len(_WORD.findall(parts[0]))
    for node in container.iterdescendants():
        if node is element or words > TRIGGER_MAX_WORDS:
            break
        found = []
        if isinstance(node.tag, str):  # not a comment's text
            found.append(node.text or "")
        if node not in ancestors:  # its tail precedes the element too
            found.append(node.tail or "")
        parts.extend(found)
        words += sum(len(_WORD.findall(part)) for part in found)
    return " ".join(parts)


def box_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """The blocks inside `<body>` that carry a name, a style or a role (a box may be named by
    them), in document order. lxml walks the tags in C; the XPath saying the same took 12-14
    times as long (1.6-2.2 ms against 0.13-0.19 ms per performance-corpus page)."""
    found: dict[HtmlElement, None] = {}  # a malformed page may nest bodies: each block once
    for body in tree.iter("body"):
        for element in body.iter(*_BOX_TAGS):
            if not _BOX_ATTRIBUTES.isdisjoint(element.keys()):
                found[element] = None
    return list(found)


def is_boilerplate_box(element: HtmlElement) -> bool:
    """Whether an element is hidden, a dialog, or named (class, id, data attributes) like a
    box that is not article: comments, cookie banner, ad, sign-up, related links, pull quote."""
    if not isinstance(element.tag, str):
        return False  # comments and processing instructions
    get = element.get
    if is_hidden(element) or get("role") in ("dialog", "alertdialog"):
        return True
    names = " ".join(value for name in _NAMING_ATTRIBUTES if (value := get(name)))
    return bool(names) and bool(_BOILERPLATE_WORDS.search(names))


def is_hidden(element: HtmlElement) -> bool:
    """Whether an element is hidden by its own markup (`hidden`, `display: none`)."""
    style = element.get("style")
    return element.get("hidden") is not None or (
        style is not None and bool(_HIDDEN_STYLE.search(style))
    )


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
    """Whether some block holds `MIN_PROSE_WORDS` words of its own text outside links, or
    the paragraphs of one block that are sentences (`SENTENCE_MIN_WORDS` words or more, and
    a sentence's end) do together.

    Navigation, link lists, captions and bylines never do; the extractor would otherwise
    return them as the "main text" of a page that has none. Counting sentences together
    keeps the short paragraphs of languages whose words are long (Korean, Hebrew, Turkish:
    a news paragraph of 10 to 15 words), which one by one never reach the count.

    The answer does not depend on the order in which the blocks are read, so the paragraphs,
    where prose most often is, are read first: in document order, after the header and
    navigation, 44 blocks of a performance-corpus page were read (median 31), now 2.7 (1).
    """
    in_sentences: dict[HtmlElement, int] = {}
    for block in chain(tree.iter("p"), tree.iter("body", *_BLOCK_TAGS_BUT_P)):
        parts = [block.text or ""]
        for child in block:
            if child.tag in _INLINE_TAGS and child.tag != "a":
                parts.extend(child.xpath(".//text()[not(ancestor::a)]"))
            parts.append(child.tail or "")
        text = " ".join(parts)
        words = len(WORD_OR_CHARACTER.findall(text))
        if words >= MIN_PROSE_WORDS:
            return True
        if words >= SENTENCE_MIN_WORDS and text.rstrip()[-1:] in PROSE_END:
            parent = block.getparent()
            in_sentences[parent] = in_sentences.get(parent, 0) + words
            if in_sentences[parent] >= MIN_PROSE_WORDS:
                return True
    return False
