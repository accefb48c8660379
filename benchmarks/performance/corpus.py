"""A synthetic news corpus for the performance suite: real-looking pages, varying in size,
with a chosen share of re-crawls.

Pages are article bodies made up from a sentence pool (the extraction dev set's annotated
texts when `../shared/data/extraction-dev/` is there, else a built-in newsroom vocabulary)
and rendered into the six site templates of `tests/fixtures/templates/` by
`benchmarks.corpus.page`. Each page then gets the weight real pages carry besides the
article — an inline app-state script, inline CSS, a mega-menu — drawn from a log-normal
distribution, so sizes range from ~15 KB to ~600 KB (median ~90 KB, like the dev set's
117 KB). When the dev set is present, its real pages are mixed in too (each once).

A *re-crawl* is the same URL with the byte-identical HTML fetched again later: a new
`fetched_at` and sender id, so a new `article_id`, and an exact duplicate of the first
fetch. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from benchmarks.corpus import SITES, Body, page

DEV_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "extraction-dev"
EPOCH = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
_SENTENCE = re.compile(r"[^.!?]{40,400}[.!?]")

_WORDS = {
    "subject": (
        "The city council", "The mayor", "A spokesperson for the ministry", "Local residents",
        "The school board", "Researchers at the university", "The transport authority",
        "Hospital officials", "The regional government", "Union leaders", "Farmers in the valley",
        "The company", "Police", "Emergency crews", "The central bank", "Opposition lawmakers",
        "Environmental groups", "The health department", "Shop owners downtown", "Investigators",
    ),
    "verb": (
        "announced", "approved", "rejected", "postponed", "defended", "criticized", "proposed",
        "reviewed", "questioned", "welcomed", "funded", "delayed", "confirmed", "disputed",
        "outlined", "expanded", "suspended", "revised", "published", "investigated",
    ),
    "object": (
        "a new budget for road repairs", "plans for a second bridge", "the water rate increase",
        "a pilot program for electric buses", "the contract with the waste hauler",
        "a report on air quality", "the hospital expansion", "changes to the zoning code",
        "an inquiry into the outage", "emergency funding for flood defenses",
        "the closure of two branch libraries", "a tax break for small businesses",
        "new rules for short-term rentals", "the timetable for the rail upgrade",
        "a study of traffic deaths", "the sale of the old courthouse",
        "wage talks with nurses", "the redesign of the harbor front",
    ),
    "tail": (
        "on Tuesday", "after a long debate", "despite objections from neighbors",
        "at a packed public meeting", "in a statement released late on Friday",
        "for the third time this year", "ahead of the winter season", "by a narrow vote",
        "without giving a reason", "after months of negotiations", "in a letter to residents",
        "following the storm", "as costs continue to rise", "under pressure from the province",
    ),
    "quote": (
        "We have listened carefully and this is the responsible choice",
        "Nobody wants to see fares go up, but the numbers are what they are",
        "This is a good day for the families who have waited years",
        "We were not consulted and we will keep asking questions",
        "The data is clear and we intend to act on it",
        "It is too early to say what the long-term effects will be",
    ),
    "name": (
        "Maria Hoffmann", "James Okafor", "Lena Virtanen", "Rahul Mehta", "Chloe Dubois",
        "Samuel Adeyemi", "Elif Kaya", "Marcus Brennan", "Yuki Tanaka", "Ana Ribeiro",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Page:
    """One crawled page: where it lives and its HTML."""

    url: str
    html: str


def sentence_pool(dev_dir: Path | None = DEV_DIR, *, limit: int = 4000) -> list[str]:
    """Real sentences from the dev set's annotated article texts, or [] without it."""
    if dev_dir is None or not (dev_dir / "ground-truth.json").exists():
        return []
    truth = json.loads((dev_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pool: list[str] = []
    for page_id in sorted(truth):
        for match in _SENTENCE.finditer(truth[page_id].get("articleBody", "")):
            sentence = " ".join(match.group(0).split())
            if sentence[:1].isupper():
                pool.append(sentence)
    return pool[:limit]


def dev_pages(dev_dir: Path | None = DEV_DIR) -> list[Page]:
    """The dev set's real pages (each used once in a corpus), or [] without it."""
    if dev_dir is None or not (dev_dir / "html").is_dir():
        return []
    pages = []
    for path in sorted((dev_dir / "html").glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        slug = path.name.removesuffix(".html.gz")[:16]
        pages.append(Page(f"https://dev-{slug}.news.example/article/{slug}", html))
    return pages


class PageMaker:
    """Makes unique pages: `pages(n)` is the same sequence for the same seed and pool."""

    def __init__(
        self,
        *,
        seed: int = 7,
        pool: Sequence[str] = (),
        dev: Sequence[Page] = (),
        weight: bool = True,
    ) -> None:
        """`weight`: add the app state, CSS and menu real pages carry (False: the bare page,
        a small file of a few KB)."""
        self.seed = seed
        self.weight = weight
        self.pool = list(pool)
        self.dev = list(dev)

    def pages(self, count: int) -> Iterator[Page]:
        rng = random.Random(self.seed)
        dev = iter(self.dev)
        for index in range(count):
            if index % 9 == 4 and (real := next(dev, None)) is not None:
                yield real
                continue
            yield self._synthetic(rng, index)

    def _synthetic(self, rng: random.Random, index: int) -> Page:
        site = SITES[index % len(SITES)]
        paragraphs = min(70, max(3, round(rng.lognormvariate(2.4, 0.6))))
        blocks: list[str | dict[str, object]] = []
        for number in range(paragraphs):
            if number and number % 6 == 0 and rng.random() < 0.5:
                blocks.append({"h2": self._headline(rng, words=rng.randint(3, 6))})
            blocks.append(" ".join(self._sentence(rng) for _ in range(rng.randint(2, 5))))
        headline = self._headline(rng, words=rng.randint(6, 12))
        published = EPOCH - timedelta(hours=rng.randint(1, 72), minutes=rng.randint(0, 59))
        slug = "-".join(re.findall(r"[a-z]+", headline.lower())[:6]) + f"-{index}"
        body = Body(
            slug=slug,
            headline=headline,
            description=self._sentence(rng),
            authors=tuple(rng.sample(_WORDS["name"], rng.randint(1, 2))),
            published=published.isoformat(),
            pullquote=self._sentence(rng),
            blocks=tuple(blocks),
        )
        html = page(site, body)
        if self.weight:
            html = _add_weight(html, rng)
        return Page(site.base_url + slug, html)

    def _sentence(self, rng: random.Random) -> str:
        if self.pool and rng.random() < 0.7:
            return rng.choice(self.pool)
        w = _WORDS
        if rng.random() < 0.25:
            return f"“{rng.choice(w['quote'])},” said {rng.choice(w['name'])}."
        return (
            f"{rng.choice(w['subject'])} {rng.choice(w['verb'])} {rng.choice(w['object'])} "
            f"{rng.choice(w['tail'])}, with {rng.randint(2, 900)} "
            f"{rng.choice(('people', 'households', 'jobs', 'million dollars', 'votes'))} at stake."
        )

    def _headline(self, rng: random.Random, *, words: int) -> str:
        text = self._sentence(rng).strip("“”\"'.!? ")
        return " ".join(text.split()[:words]).rstrip(",;:")


def _add_weight(html: str, rng: random.Random) -> str:
    """Inline app state, CSS and a mega-menu, as real pages carry: ~5–500 KB more."""
    target = min(500_000, max(5_000, round(rng.lognormvariate(11.2, 0.8))))
    state = {"props": {"items": []}, "buildId": f"{rng.getrandbits(64):016x}"}
    items: list[dict[str, object]] = state["props"]["items"]  # type: ignore[index]
    size = 0
    while size < target * 0.6:
        item = {"id": rng.getrandbits(40), "title": " ".join(rng.choices(_WORDS["verb"], k=6))}
        items.append(item)
        size += 70
    css = "".join(
        f".c{rng.getrandbits(24):06x}{{margin:{rng.randint(0, 40)}px;"
        f"color:#{rng.getrandbits(24):06x}}}"
        for _ in range(int(target * 0.25 / 45))
    )
    menu = "".join(
        f'<li><a href="/section/{n}">{rng.choice(_WORDS["object"])}</a></li>'
        for n in range(int(target * 0.15 / 80))
    )
    head = f"<style>{css}</style>"
    tail = (
        f'<nav class="mega-menu" hidden><ul>{menu}</ul></nav>'
        f'<script id="__APP_STATE__" type="application/json">{json.dumps(state)}</script>'
    )
    return html.replace("</head>", head + "</head>", 1).replace("</body>", tail + "</body>", 1)


def raw_messages(
    pages: Iterable[Page], *, count: int, duplicate_ratio: float, seed: int = 11, tag: str = "p"
) -> Iterator[bytes]:
    """`count` raw messages: unique pages plus `duplicate_ratio` re-crawls of earlier ones.

    A re-crawl repeats an earlier page's URL and HTML byte for byte, later in the stream, with
    a later `fetched_at` and its own sender `id` (`<tag>-r…`; originals are `<tag>-u…`).
    Without re-crawls the messages are made one at a time (a 10k-page corpus never sits in
    memory).
    """
    recrawls = round(count * duplicate_ratio)
    if not recrawls:
        for i, p in enumerate(_take(pages, count)):
            yield _raw(p, float(i), f"{tag}-u{i:06d}")
        return
    originals = list(_take(pages, count - recrawls))
    rng = random.Random(seed)
    slots: list[tuple[float, Page, str]] = [
        (float(i), p, f"{tag}-u{i:06d}") for i, p in enumerate(originals)
    ]
    picks = (
        rng.sample(range(len(originals)), recrawls)
        if recrawls <= len(originals)
        else [rng.randrange(len(originals)) for _ in range(recrawls)]
    )
    for n, i in enumerate(picks):
        at = i + 0.5 + rng.random() * (len(originals) - i)
        slots.append((at, originals[i], f"{tag}-r{n:06d}"))
    slots.sort(key=lambda slot: slot[0])
    for at, p, ident in slots:
        yield _raw(p, at, ident)


def _raw(p: Page, at: float, ident: str) -> bytes:
    fetched_at = EPOCH + timedelta(seconds=at * 7)
    return orjson.dumps(
        {"url": p.url, "html": p.html, "fetched_at": fetched_at.isoformat(), "id": ident}
    )


def _take(pages: Iterable[Page], count: int) -> Iterator[Page]:
    for n, p in enumerate(pages):
        if n >= count:
            return
        yield p
