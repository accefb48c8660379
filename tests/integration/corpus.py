"""Generated raw messages for service tests: unique HTML articles, some exact copies."""

from __future__ import annotations

import random

import orjson

WORDS = [
    "council",
    "budget",
    "transit",
    "housing",
    "vote",
    "mayor",
    "river",
    "bridge",
    "court",
    "ruling",
    "storm",
    "flood",
    "school",
    "teachers",
    "strike",
    "hospital",
    "nurses",
    "election",
    "turnout",
    "market",
    "shares",
    "energy",
    "prices",
    "farmers",
    "drought",
    "harvest",
    "police",
    "inquiry",
    "museum",
    "exhibit",
    "airport",
    "runway",
    "rail",
    "union",
    "minister",
    "policy",
    "tax",
    "reform",
    "climate",
    "summit",
    "wildfire",
    "evacuation",
    "festival",
    "stadium",
]


def article_html(rng: random.Random, title: str, paragraphs: int = 4) -> str:
    body = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + ".</p>"
        for _ in range(paragraphs)
    )
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><nav><a href='/'>Home</a>"
        f"</nav><article><h1>{title}</h1>{body}</article><footer>About us</footer>"
        "</body></html>"
    )


def messages(
    count: int, *, copies_every: int = 10, seed: int = 7, paragraphs: int = 4
) -> list[tuple[str, bytes]]:
    """(source_id, raw bytes): every `copies_every`-th message repeats an earlier page's HTML
    under another URL (an exact duplicate)."""
    rng = random.Random(seed)
    out: list[tuple[str, bytes]] = []
    pages: list[str] = []
    for n in range(count):
        source_id = f"msg-{n:05d}"
        if pages and n % copies_every == copies_every - 1:
            html = rng.choice(pages)
        else:
            html = article_html(rng, f"Story number {n}", paragraphs)
            pages.append(html)
        raw = {
            "id": source_id,
            "url": f"https://site{n % 7}.example.com/news/{n}",
            "html": html,
            "fetched_at": "2024-09-10T12:00:00Z",
        }
        out.append((source_id, orjson.dumps(raw)))
    return out
