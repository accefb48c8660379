"""Burmese in Zawgyi: recognized, and delivered in Unicode."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from myanmar import converter

from newsflow.model import Article, Extraction
from newsflow.stages import zawgyi
from newsflow.stages.extract import extract
from newsflow.stages.fingerprint import fingerprint
from newsflow.stages.ingest import ingest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
UNICODE = (FIXTURES / "sea" / "quake_a_1.txt").read_text()
ZAWGYI = (FIXTURES / "zawgyi" / "quake_a_1.txt").read_text()
NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)


def article(body: str, *, html: bool = False, title: str | None = None) -> Article:
    message = {"url": "https://news.example.mm/quake", "title": title}
    message["html" if html else "text"] = body
    found = ingest(orjson.dumps(message), now=NOW)
    assert isinstance(found, Article)
    return found


def extracted(found: object) -> Extraction:
    assert isinstance(found, Extraction)
    return found


def test_zawgyi_is_told_from_unicode_and_from_text_without_burmese() -> None:
    assert zawgyi.is_zawgyi(ZAWGYI)
    texts = [path.read_text() for path in FIXTURES.glob("*/*.txt")]
    unicode = [text for text in texts if zawgyi._MYANMAR_RUN.search(text) and text != ZAWGYI]
    assert len(unicode) >= 6
    assert not any(zawgyi.is_zawgyi(text) for text in unicode)
    assert all(zawgyi.is_zawgyi(converter.convert(text, "unicode", "zawgyi")) for text in unicode)
    assert not zawgyi.is_zawgyi("The council approved the budget on Tuesday.")
    assert not zawgyi.is_zawgyi("")


def test_a_zawgyi_report_is_extracted_as_its_unicode_original() -> None:
    """The same report in both encodings: one text, one content hash (an exact duplicate),
    where the Zawgyi copy had other letters and another hash."""
    assert fingerprint(ZAWGYI) != fingerprint(UNICODE)
    original = extracted(extract(article(UNICODE)))
    copy = extracted(extract(article(ZAWGYI)))
    assert copy.text == original.text
    assert fingerprint(copy.text) == fingerprint(original.text)
    assert copy.language == "my"


def test_a_zawgyi_page_s_title_and_description_are_converted_with_its_text() -> None:
    lines = ZAWGYI.split("\n")
    title, description = lines[0][:40].strip(), lines[0][:60].strip()
    body = "".join(f"<p>{line}</p>" for line in lines if line)
    page = (
        f"<html><head><title>{title}</title>"
        f'<meta name="description" content="{description}"></head>'
        f"<body><article>{body}</article></body></html>"
    )
    found = extracted(extract(article(page, html=True)))
    assert not zawgyi.is_zawgyi(found.text)
    assert found.title is not None and not zawgyi.is_zawgyi(found.title)
    assert found.title == zawgyi._converted(title)
    assert found.description == zawgyi._converted(description)


@pytest.mark.parametrize("path", ["sea/quake_a_1.txt", "unspaced/fire_a_1.txt"])
def test_unicode_burmese_and_other_texts_are_left_as_they_are(path: str) -> None:
    text = (FIXTURES / path).read_text()
    found = extracted(extract(article(text)))
    assert found == zawgyi.in_unicode(found)
    assert zawgyi._MYANMAR_RUN.search(found.text)


def test_a_zawgyi_page_s_unicode_title_description_and_author_are_left_as_they_are() -> None:
    """The converter is no identity on Unicode ("ရန်ကုန်" became "ရနျကုနျ"): a field the page
    (or the crawler's message) gives in Unicode over a Zawgyi text is not converted again."""
    title, author = "ရန်ကုန်တွင် ငလျင်လှုပ်", "ကိုအောင်"
    body = "".join(f"<p>{line}</p>" for line in ZAWGYI.split("\n") if line)
    page = (
        f'<html><head><title>{title}</title><meta name="description" content="{title}">'
        f'<meta name="author" content="{author}"></head>'
        f"<body><article>{body}</article></body></html>"
    )
    found = extracted(extract(article(page, html=True)))
    assert found.text == extracted(extract(article(UNICODE))).text
    assert (found.title, found.description, found.authors) == (title, title, [author])


def test_a_text_in_both_encodings_has_only_its_zawgyi_converted() -> None:
    """Posts of 2016–2019 often carry the report twice, in Zawgyi and in Unicode: the Unicode
    copy is not converted a second time."""
    other = (FIXTURES / "sea" / "quake_b.txt").read_text().strip()
    found = extracted(extract(article(ZAWGYI.strip() + "\n\n" + other)))
    assert found.text == extracted(extract(article(UNICODE.strip() + "\n\n" + other))).text


def test_a_line_the_converter_cannot_read_is_kept_as_it_is_and_nothing_is_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """python-myanmar prints a syllable it cannot map and drops part of it ("ဃႉဳ" gave "ဃ"):
    that line stays as written, the others of the text are converted."""
    unreadable = "ၟဠဃႉဳ၄"
    assert zawgyi._converted(unreadable) == unreadable
    lines = ZAWGYI.split("\n")
    found = extracted(extract(article("\n".join([*lines[:2], unreadable, *lines[2:]]))))
    assert unreadable in found.text.split("\n")
    assert extracted(extract(article(UNICODE))).text.split("\n")[0] == found.text.split("\n")[0]
    assert capsys.readouterr().out == ""
