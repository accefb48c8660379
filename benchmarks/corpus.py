"""The template-invariance corpus: article bodies rendered into site templates.

Exact dedup needs the same article to give the same text whatever site wraps it. This module
makes that testable: `tests/fixtures/templates/*.html` are site templates with `{{…}}`
placeholders (HTML5 `<article>`, WordPress-era div soup, a table-layout legacy site, a
WordPress theme, a big news site with mega-menu and rail, a React/Next.js app with hashed
class names), and a `Body` is an article as its newsroom wrote it. `page(site, body)` puts one
in the other. Bodies come from `tests/fixtures/templates/bodies/*.json` (used by the unit
tests) and, for the benchmark, from the extraction dev set's hand-annotated texts
(`dev_bodies`): paragraphs from the annotation, headline and description from the page.

Used by `tests/unit/stages/test_extract.py` and `benchmarks/extraction.py`.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml.html import HtmlElement, document_fromstring, fragment_fromstring

TEMPLATES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "templates"
LEAD_BLOCKS = 3  # {{LEAD}} is the first blocks, {{REST}} the others: templates put boxes between


@dataclass(frozen=True)
class Site:
    """A site template, where its pages live, and what it shows besides the article."""

    template: str
    base_url: str
    sitename: str | None  # declared by og:site_name or a JSON-LD publisher, if at all
    comments: tuple[str, ...]  # phrases from the reader comments under every article


SITES = (
    # HTML5: <article>, headline and byline in its <header>, dek, newsletter box in the body.
    Site(
        "semantic",
        "https://www.riverton-ledger.example/local/2024/",
        "The Riverton Ledger",
        ("three buses go by full", "drive for a living", "bike parking", "plan to drive them"),
    ),
    # WordPress-era div soup: headline outside the body container, ad and sign-up box and a
    # pull quote in the body, "Filed under" links, Disqus comments, JSON-LD metadata.
    Site(
        "divsoup",
        "https://valleypost.example/2024/04/",
        "Valley Daily Post",
        ("frost of '72", "loud as jet engines", "rest of us get one", "Stock up on last year"),
    ),
    # Early-2000s table layout: no classes, headline in <font><b>, byline lines, ad table in
    # the story cell, copyright line, related-stories and comment tables, no og: metadata.
    Site(
        "tables",
        "http://www.harborgazette.example/news/local/",
        None,
        ("should be held accountable", "give them a raise", "Bet they paid"),
    ),
    # A WordPress theme: photo caption, pull quote, "Read more:" link, Mailchimp box and
    # donation appeal in the body, author bio, related posts, threaded comments.
    Site(
        "wordpress",
        "https://coastlinechronicle.example/2024/03/",
        "Coastline Chronicle",
        ("Credit where it is due", "Who is paying for all this", "neighbouring towns"),
    ),
    # A big news site: breaking ticker, mega-menu, headline and byline ("By …, Site") in a
    # hero outside the body, sticky share bar, lede image with credit, inline related card and
    # ad, video teaser, contributor footnote, paid-partner links, trending rail, "More from".
    Site(
        "newsroom",
        "https://edition.metrowire.example/2024/01/03/world/",
        "Metro Wire News",
        ("Doctors stunned", "Unsold 2024 SUVs", "highest cash back card"),
    ),
    # A React (Next.js) app: hashed CSS-module class names, data-testid attributes, JSON-LD
    # metadata only, headline and "Written by" byline outside the body, share rail, inline
    # newsletter and story card, support appeal, recommended stories, reader discussion.
    Site(
        "nextjs",
        "https://www.brightline.example/science/2024/",
        "The Brightline",
        ("Clear and well sourced", "reads like a press release", "Who funded the study"),
    ),
)

# A paragraph's inner HTML, {"h2": text}, {"ul": [items]} or {"table": [header, *rows]}.
Block = str | dict[str, Any]


@dataclass(frozen=True)
class Body:
    """An article as its newsroom wrote it, before any site's template wraps it."""

    slug: str
    headline: str
    description: str
    authors: tuple[str, ...]
    published: str
    pullquote: str
    blocks: tuple[Block, ...]

    @classmethod
    def load(cls, path: Path) -> Body:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{**data, "authors": tuple(data["authors"]), "blocks": tuple(data["blocks"])})

    def dump(self, path: Path) -> None:
        data = {**asdict(self), "authors": list(self.authors), "blocks": list(self.blocks)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def text(self) -> str:
        """The article as a reader sees it: a line per paragraph, heading and list item."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, str):
                lines.append(fragment_fromstring(block, create_parent="p").text_content())
            elif "h2" in block:
                lines.append(block["h2"])
            elif "ul" in block:
                lines.extend(f"- {item}" for item in block["ul"])
            else:
                lines.extend(" | ".join(row) for row in block["table"])
        return "\n".join(lines)


def fixture_bodies() -> tuple[Body, ...]:
    """The bodies kept with the templates (three written for them, five from the dev set)."""
    return tuple(Body.load(path) for path in sorted((TEMPLATES / "bodies").glob("*.json")))


def blocks_html(blocks: tuple[Block, ...]) -> str:
    def one(block: Block) -> str:
        if isinstance(block, str):
            return f"<p>{block}</p>"
        if "h2" in block:
            return f"<h2>{html.escape(block['h2'])}</h2>"
        if "ul" in block:
            return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block["ul"]) + "</ul>"
        header, *rows = block["table"]
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        cells = ("".join(f"<td>{html.escape(cell)}</td>" for cell in row) for row in rows)
        body = "".join(f"<tr>{row}</tr>" for row in cells)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    return "\n".join(map(one, blocks))


def url(site: Site, body: Body) -> str:
    return site.base_url + body.slug


def page(site: Site, body: Body) -> str:
    """The HTML of `body` as `site` would serve it."""
    published = datetime.fromisoformat(body.published)
    values = {
        "URL": url(site, body),
        "SLUG": body.slug,
        "TITLE": html.escape(body.headline),
        "DESCRIPTION": html.escape(body.description),
        "AUTHORS": " and ".join(body.authors),
        "AUTHORS_META": ", ".join(body.authors),
        "AUTHORS_JSONLD": ", ".join(
            json.dumps({"@type": "Person", "name": name}) for name in body.authors
        ),
        "AUTHORS_LINKS": " &amp; ".join(
            f'<a href="/people/{_slug(name)}">{html.escape(name)}</a>' for name in body.authors
        ),
        "DATE_ISO": body.published,
        "DATE_TEXT": f"{published:%B} {published.day}, {published.year}",
        "TIME_TEXT": f"{published:%I:%M %p}".lstrip("0") + f" {published:%Z}".rstrip(),
        "PULLQUOTE": html.escape(body.pullquote),
        "LEAD": blocks_html(body.blocks[:LEAD_BLOCKS]),
        "REST": blocks_html(body.blocks[LEAD_BLOCKS:]),
    }
    template = (TEMPLATES / f"{site.template}.html").read_text(encoding="utf-8")
    filled = re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], template)
    assert "{{" not in filled
    return filled


def _slug(name: str) -> str:
    return re.sub(r"\W+", "-", name.casefold()).strip("-")


# --- bodies from the extraction dev set ------------------------------------------------------

_NAMES = (
    "Amara Okonkwo", "Daniel Reyes", "Ingrid Solberg", "Kenji Watanabe", "Fatima Zahra Idrissi",
    "Lucas Moreau", "Priya Nair", "Owen Gallagher", "Sofia Lindqvist", "Tomasz Kowalczyk",
    "Hannah Becker", "Mateo Alvarez",
)  # fmt: skip
_OFFSETS = ("+00:00", "-05:00", "-04:00", "+01:00", "+02:00", "+05:30", "+09:00", "-07:00")
_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)")
_WORD = re.compile(r"\w+")
_C1 = re.compile("[\x80-\x9f]")  # control characters of mis-decoded pages
_TITLE_SPLIT = re.compile(r"\s+[|–—·•»-]\s+")
# A quote's attribution ("— Jane Doe (@janedoe) March 3, 2024", closing an embedded tweet) and
# a note in brackets ("[Applause]") end no sentence but are no subheadings: pages print them
# as the quote's or the paragraph's text, and an <h2> closing the article is dropped as a
# heading by trafilatura in some templates and not in others.
_ATTRIBUTION_OR_NOTE = re.compile(r"^(?:[—–―]|--)|^\[[^\[\]]+\]$")


def dev_bodies(dev_dir: Path, *, count: int | None = None) -> list[Body]:
    """Bodies made from the dev set's annotated articles, `count` of them at most.

    Pages whose annotation has fewer than three paragraphs or 120 words, or is more than a
    quarter subheadings (a table or list, not running text), are skipped.
    """
    truth: dict[str, dict[str, str]] = json.loads((dev_dir / "ground-truth.json").read_text())
    bodies: list[Body] = []
    for page_id in sorted(truth):
        if count is not None and len(bodies) >= count:
            break
        raw = gzip.decompress((dev_dir / "html" / f"{page_id}.html.gz").read_bytes())
        body = body_from_page(page_id, truth[page_id]["articleBody"], raw.decode("utf-8"))
        if body is not None:
            bodies.append(body)
    return bodies


def body_from_page(page_id: str, article_text: str, page_html: str) -> Body | None:
    """A `Body` from an annotated article text and its page (headline, description).

    Paragraphs are the annotation's lines; a short line that does not end like a sentence is
    a subheading. Authors and the date are made up (deterministically from `page_id`): the
    templates print them in different ways, which is what the corpus is for.
    """
    article_text = _C1.sub("", article_text)
    paragraphs = [line.strip() for line in article_text.split("\n") if line.strip()]
    if len(paragraphs) < 3 or len(_WORD.findall(article_text)) < 120:
        return None
    blocks: list[Block] = [_block(paragraph) for paragraph in paragraphs]
    if sum(isinstance(block, dict) for block in blocks) > len(blocks) / 4:
        return None  # a table or list page, not running text
    tree = document_fromstring(_C1.sub("", page_html).encode("utf-8"))
    headline = _headline(tree)
    if headline is None:
        return None
    seed = int(hashlib.sha256(page_id.encode()).hexdigest()[:8], 16)
    authors = tuple(_NAMES[(seed + i * 5) % len(_NAMES)] for i in range(1 + seed % 2))
    published = (
        f"2024-{1 + seed % 12:02d}-{1 + seed % 28:02d}T{seed % 24:02d}:{seed % 60:02d}:00"
        + _OFFSETS[seed % len(_OFFSETS)]
    )
    middle = paragraphs[len(paragraphs) // 2]
    sentence = _SENTENCE.match(middle)
    return Body(
        slug=f"dev-{page_id[:12]}",
        headline=headline,
        description=_meta(tree, "og:description", "description") or "",
        authors=authors,
        published=published,
        pullquote=sentence.group(1) if sentence else middle[:120],
        blocks=tuple(blocks),
    )


def _block(paragraph: str) -> Block:
    words = len(_WORD.findall(paragraph))
    is_attribution = _ATTRIBUTION_OR_NOTE.match(paragraph)
    if words <= 10 and not re.search(r"[.!?:;,\"”’)]$", paragraph) and not is_attribution:
        return {"h2": paragraph}
    return html.escape(paragraph, quote=False)


def _headline(tree: HtmlElement) -> str | None:
    title = _meta(tree, "og:title") or " ".join(tree.xpath("//title//text()")).strip()
    parts = _TITLE_SPLIT.split(title)
    headline = max(parts, key=len).strip() if parts else ""
    return headline if len(_WORD.findall(headline)) >= 3 else None


def _meta(tree: HtmlElement, *names: str) -> str | None:
    for name in names:
        for content in tree.xpath("//meta[@property=$name or @name=$name]/@content", name=name):
            text = " ".join(str(content).split())
            if text:
                return text
    return None


def corpus(bodies: list[Body] | tuple[Body, ...]) -> Iterator[tuple[Site, Body, str]]:
    """Every body in every site: `(site, body, html)`."""
    for body in bodies:
        for site in SITES:
            yield site, body, page(site, body)
