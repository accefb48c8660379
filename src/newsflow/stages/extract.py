"""The extract stage: an `Article` in, main text and metadata (`Extraction`) or a `Rejection` out.

HTML goes through one trafilatura pass (`bare_extraction`, comments excluded, its metadata
off: `newsflow.stages.metadata` reads the page's; a second pass for a short brief that it
would return as one line, see `BRIEF_MIN_EXTRACTED_CHARS`),
after the page has been prepared (`newsflow.stages.dom.prepare_tree`: boilerplate boxes
pruned, layout tables flattened, the main block marked) so that the same article in any
site's template gives the same text — exact dedup is only as good as that. A page where no
block holds `MIN_PROSE_WORDS` words of running text has no main text, and is rejected rather
than having its navigation or footer returned as the article.

Both paths then go through `textclean` (headline and byline dropped, and with `furniture`
chrome lines, captions, notices and disclaimers), `metadata` (declared title without the site
name, published date in UTC when its offset is declared: `dates`, authors: `bylines`),
`language` (detected when not declared) and `quality` (a confidence score).

The stage is pure and may be slow on hostile pages: the time limit is enforced by whoever
runs it (see `newsflow.sandbox`), which can kill it.
"""

from __future__ import annotations

import re
from configparser import ConfigParser
from copy import deepcopy
from dataclasses import dataclass
from functools import cache
from typing import Any

import trafilatura
from lxml import etree
from lxml.html import HtmlElement, HTMLParser, fromstring
from trafilatura.settings import DEFAULT_CONFIG
from trafilatura.utils import fromstring_bytes, is_dubious_html, repair_faulty_html

from newsflow import rejection as R
from newsflow.model import Article, Extraction
from newsflow.rejection import Rejection
from newsflow.stages import language, metadata, quality, zawgyi
from newsflow.stages.dom import MIN_PROSE_WORDS, WORD_OR_CHARACTER, has_prose, prepare_tree
from newsflow.stages.fingerprint import CJK
from newsflow.stages.ingest import repair_text
from newsflow.stages.textclean import CleanText, clean_text

EXTRACTOR_NAME = "newsflow-trafilatura"
EXTRACTOR_VERSION = f"3+trafilatura.{trafilatura.__version__}"
DEFAULT_MAX_HTML_CHARS = 5_000_000
MIN_WORDS = 5
_WORD = re.compile(r"\w+")
_LINK_MIN_WORDS = 3
_NO_MEMORY = etree.ErrorTypes.ERR_NO_MEMORY
_TOO_DEEP = "Excessive depth"  # libxml2's message when it drops what lies deeper
# trafilatura's parser (`trafilatura.utils.HTML_PARSER`), except that elements nested up to
# 2,048 deep are parsed (`huge_tree`), not 256: a page of unclosed inline tags goes that deep.
HTML_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    huge_tree=True,
)
_REPAIRED_HEAD = 4096  # trafilatura's repairs look at the first lines within these characters
# trafilatura measures its extraction in characters: one under `min_extracted_size` (250) is
# "rescued" by its baseline, which returns the whole <article> as one line, headline and byline
# included. 250 characters are some 40 words of English, and a whole short report in Chinese or
# Japanese: a page whose paragraphs are mostly CJK characters gets the same words' worth.
CJK_MIN_EXTRACTED_CHARS = 80
# Elsewhere, the same rescue took a brief of 20 to 40 words (at least `MIN_PROSE_WORDS`, all
# a main text needs here). A minimum lowered for the whole extraction would also lower the one
# under which trafilatura reads the <div>s of a block (three times it, in paragraphs' text):
# a short article's closing <div> paragraph was lost. So a text of one line, what a rescue
# returns, is extracted again with this minimum, and that extraction is taken when it holds
# a main text that the default would have rescued.
BRIEF_MIN_EXTRACTED_CHARS = 6 * MIN_PROSE_WORDS  # some 6 characters a word, with its space
_DEFAULT_MIN_EXTRACTED_CHARS = DEFAULT_CONFIG.getint("DEFAULT", "min_extracted_size")
# A rescued brief is its <article> in a line, a few hundred characters: a longer line is no
# brief's, and a page of one huge paragraph is not extracted twice.
RESCUED_BRIEF_MAX_CHARS = 20 * _DEFAULT_MIN_EXTRACTED_CHARS
_CJK_CHARACTER = re.compile(f"[{CJK}]")
# A sentence ends at its mark, or after the quotes and brackets that close on it ("… win.”").
_SENTENCE_END = re.compile(
    r"(?:(?<=[a-zß-ÿα-ωа-яё]{4})|(?<=\d))[.!?][\"'”’»)\]」』]*(?:\s|$)|[。！？]"
)
"""A sentence's end: its mark after four small letters or a number, with the quotes and
brackets that close it; not after "Dr", "Sept", "p.m", "U.S" (a byline or a dateline before
a brief: "By Jane Roe | Sept. 9, 2024" was taken for a lost sentence)."""
_CLOSING_PUNCTUATION = " .!?。！？\"'”’»)]"
_LETTER = re.compile(r"[^\W\d_]")
_SCRIPT_SAMPLE_CHARS = 4000


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Largest HTML the stage will parse, in characters."""

    max_html_chars: int = DEFAULT_MAX_HTML_CHARS


def extract(article: Article, *, limits: ExtractLimits | None = None) -> Extraction | Rejection:
    """Main text and metadata of an article; `no_main_text` when nothing usable is found."""
    limits = limits or ExtractLimits()
    if article.content_type == "text":
        found = _extract_text(article)
    elif len(article.body) > limits.max_html_chars:
        return Rejection(
            R.TOO_LARGE, f"HTML is {len(article.body)} chars, limit {limits.max_html_chars}"
        )
    else:
        found = _extract_html(article)
    return zawgyi.in_unicode(found) if isinstance(found, Extraction) else found


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
        language=language.language(article.language, cleaned.text),
        description=None,
        image=None,
        tags=[],
        extractor_name=EXTRACTOR_NAME,
        extractor_version=EXTRACTOR_VERSION,
        quality=quality.score_quality(cleaned.text),
    )


def _extract_html(article: Article) -> Extraction | Rejection:
    tree = load_html(article.body)
    if _parser_ran_out_of_memory():
        raise MemoryError("the HTML parser ran out of memory")
    if tree is None:
        return Rejection(R.NO_MAIN_TEXT, "the page does not parse as HTML")
    url = article.canonical_url
    meta = metadata.page_metadata(tree, url, fetched_at=article.fetched_at)
    too_deep = any(_TOO_DEEP in entry.message for entry in HTML_PARSER.error_log)
    prepare_tree(tree)
    if not has_prose(tree):
        lost = " (what it nests more than 2,048 elements deep is not parsed)" if too_deep else ""
        return Rejection(
            R.NO_MAIN_TEXT,
            f"no block of the page has {MIN_PROSE_WORDS} words of running text{lost}",
        )
    links = _link_texts(tree)
    cjk = _written_in_cjk(tree)
    found = _main_text(tree, url, _config(CJK_MIN_EXTRACTED_CHARS) if cjk else DEFAULT_CONFIG)
    if found is None:
        return Rejection(R.NO_MAIN_TEXT, "the extractor found no main text")
    cleaned = clean_text(found, title=meta.title or article.title)
    if not cjk and len(found) <= RESCUED_BRIEF_MAX_CHARS and "\n" not in found.strip():
        cleaned = _cleaned_brief(tree, url, found, meta.title or article.title) or cleaned
    if (
        quality.count_words(cleaned.text, up_to=MIN_PROSE_WORDS, pattern=WORD_OR_CHARACTER)
        < MIN_PROSE_WORDS
    ):
        return Rejection(R.NO_MAIN_TEXT, f"main text has fewer than {MIN_PROSE_WORDS} words")
    link_lines = sum(_key(line) in links for line in cleaned.text.split("\n"))
    return Extraction(
        text=cleaned.text,
        title=cleaned.title,
        authors=meta.authors,
        published_at=meta.published_at,
        sitename=meta.sitename,
        language=language.language(meta.language or article.language, cleaned.text),
        description=meta.description,
        image=meta.image,
        tags=meta.tags,
        extractor_name=EXTRACTOR_NAME,
        extractor_version=EXTRACTOR_VERSION,
        quality=quality.score_quality(cleaned.text, link_lines=link_lines),
    )


def _written_in_cjk(tree: HtmlElement) -> bool:
    """Whether the page's paragraphs (their first `_SCRIPT_SAMPLE_CHARS` characters) are
    mostly Chinese or Japanese characters."""
    sample: list[str] = []
    size = 0
    for paragraph in tree.iter("p"):
        sample.append(text := paragraph.text_content())
        size += len(text)
        if size >= _SCRIPT_SAMPLE_CHARS:
            break
    text = "".join(sample)[:_SCRIPT_SAMPLE_CHARS]
    if _CJK_CHARACTER.search(text) is None:  # (most pages: their letters are not counted)
        return False
    letters = len(_LETTER.findall(text))
    return letters > 0 and 2 * len(_CJK_CHARACTER.findall(text)) >= letters


def _main_text(tree: HtmlElement, url: str, config: ConfigParser) -> str | None:
    """trafilatura's main text of the prepared page (which it copies, leaving it as it is)."""
    document = trafilatura.bare_extraction(
        tree,
        url=url if url.startswith("http") else None,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
        fast=True,
        config=config,
    )
    if document is None:
        return None
    found: dict[str, Any] = document if isinstance(document, dict) else document.as_dict()
    return found.get("text") or ""


def _cleaned_brief(
    tree: HtmlElement, url: str, rescued: str, title: str | None
) -> CleanText | None:
    """The page's main text as a brief, its paragraphs as lines, cleaned: what trafilatura
    extracts with `BRIEF_MIN_EXTRACTED_CHARS` as its minimum, when that is under its default
    one (where the baseline would replace it), holds all the prose of the `rescued` line
    (`_holds_the_prose`), and keeps `MIN_PROSE_WORDS` words once cleaned. A code review found the
    second extraction losing a <section> of a brief, or its words counted with the headline
    that cleaning takes off and the page rejected: then the rescued line is kept."""
    text = _main_text(tree, url, _config(BRIEF_MIN_EXTRACTED_CHARS))
    if not text or len(text) >= _DEFAULT_MIN_EXTRACTED_CHARS:
        return None
    if not _holds_the_prose(rescued, text):
        return None
    cleaned = clean_text(text, title=title)
    words = quality.count_words(cleaned.text, up_to=MIN_PROSE_WORDS, pattern=WORD_OR_CHARACTER)
    return cleaned if words >= MIN_PROSE_WORDS else None


def _holds_the_prose(line: str, brief: str) -> bool:
    """Whether the brief holds all the prose of the rescued line: the line is the brief's
    words (less those both open with: a headline) with at most an opening and a close around
    them that are no sentences and fewer than `MIN_PROSE_WORDS` words (a byline; tags or
    share links). A paragraph the brief lost is a sentence, before them or after."""
    spans = [(m.group().casefold(), m.start(), m.end()) for m in WORD_OR_CHARACTER.finditer(line)]
    line_words = [word for word, _, _ in spans]
    words = WORD_OR_CHARACTER.findall(brief.casefold())
    same = 0
    while same < min(len(line_words), len(words)) and line_words[same] == words[same]:
        same += 1
    rest = words[same:]
    if not rest:
        return same == len(line_words)
    found = f" {' '.join(line_words[same:])} ".find(f" {' '.join(rest)} ")
    if found < 0:
        return False
    first = same + f" {' '.join(line_words[same:])} "[:found].count(" ")
    last = first + len(rest) - 1
    opening = line[spans[same][1] : spans[first][1]] if first > same else ""
    close = line[spans[last][2] :].lstrip(_CLOSING_PUNCTUATION)  # the brief's own full stop
    return all(
        not _SENTENCE_END.search(part)
        and quality.count_words(part, up_to=MIN_PROSE_WORDS, pattern=WORD_OR_CHARACTER)
        < MIN_PROSE_WORDS
        for part in (opening, close)
    )


@cache
def _config(min_extracted_chars: int) -> ConfigParser:
    """trafilatura's defaults, with an extraction under `min_extracted_chars` rescued."""
    config = deepcopy(DEFAULT_CONFIG)
    config["DEFAULT"]["min_extracted_size"] = str(min_extracted_chars)
    return config


def load_html(html: str) -> HtmlElement | None:
    """The page's tree, as `trafilatura.load_html` parses a string, with its repairs done
    where they can apply.

    trafilatura removes control characters with a regular expression over the whole page (a
    twentieth of an extraction); `repair_text`, which ingest already applied, removes the same
    ones and more, and finds none faster. Its other repairs (a DOCTYPE, a self-closing
    `<html/>`) concern the first lines within 4,096 characters, so they are made on those.
    """
    html = repair_text(html)
    beginning = html[:50].lower()
    end = html.find("\n", _REPAIRED_HEAD) + 1 or len(html)  # the head ends with a whole line
    head = html[:end]
    repaired = repair_faulty_html(head, beginning)
    if repaired != head:  # most pages need no repair: the rest is not copied then
        html = repaired + html[end:]
    try:
        tree = fromstring(html, parser=HTML_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        return _accepted(fromstring_bytes(html), beginning)
    except etree.LxmlError:  # "Document is empty": trafilatura tries the bytes then
        tree = None
    if tree is None or len(tree) < 1:
        tree = fromstring_bytes(html)
    return _accepted(tree, beginning)


def _accepted(tree: HtmlElement | None, beginning: str) -> HtmlElement | None:
    """trafilatura's test of whether a parse is HTML at all."""
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def ran_out_of_memory(error: Exception) -> bool:
    """Whether `error` means the extraction ran out of memory: Python's `MemoryError`, or an
    lxml error whose log says libxml2 could not allocate (lxml raises those as XPath or
    syntax errors with the message "unknown error")."""
    if isinstance(error, MemoryError):
        return True
    return isinstance(error, etree.LxmlError) and _logs_no_memory(error.error_log)


def _parser_ran_out_of_memory() -> bool:
    """Whether libxml2 ran out of memory in the last parse. It does not raise then: trafilatura
    gets a truncated tree, or none, and would report a page without text (or extract part of
    one); under the sandbox's address-space cap that is what a huge page does."""
    return _logs_no_memory(HTML_PARSER.error_log)


def _logs_no_memory(log: Any) -> bool:
    return any(entry.type == _NO_MEMORY for entry in log)


def _link_texts(tree: HtmlElement) -> set[str]:
    """The texts of the page's links of a few words or more, as `_key`s."""
    texts = (_key(link.text_content()) for link in tree.iter("a"))
    return {text for text in texts if text.count(" ") + 1 >= _LINK_MIN_WORDS}


def _key(line: str) -> str:
    return " ".join(_WORD.findall(line.casefold()))


def _clean(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
