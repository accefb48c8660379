"""A page made from a `<head>` and a `<body>`, read by `page_metadata`, and texts in English
and German: for the tests of a page's metadata, dates, bylines, teasers and language."""

from __future__ import annotations

from lxml.html import document_fromstring

from newsflow.stages.metadata import PageMetadata, page_metadata

URL = "https://www.harborgazette.example/news/1"
GERMAN = (
    "Der Stadtrat hat am Dienstagabend mit großer Mehrheit beschlossen, eine neue Buslinie "
    "entlang der Hauptstraße zu bauen. Die Bauarbeiten sollen im Frühjahr beginnen und etwa "
    "achtzehn Monate dauern, teilte die Verwaltung mit."
)
ENGLISH = (
    "The council voted on Tuesday night to build a bus rapid transit line along Fulton Avenue, "
    "ending nearly three years of debate over the future of the corridor, officials said."
)


def meta(
    head: str, body: str = "", *, url: str = URL, fetched_at: str | None = None
) -> PageMetadata:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return page_metadata(document_fromstring(html), url, fetched_at=fetched_at)
