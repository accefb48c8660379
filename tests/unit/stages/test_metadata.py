"""Metadata from the page: the title without the site's name, the image made absolute."""

from __future__ import annotations

from urllib.parse import urljoin

from tests.metadata_pages import URL, meta


def test_the_title_loses_the_site_name_and_prefers_the_h1_it_wraps() -> None:
    found = meta("<title>Pier reopens | News | Harbor Gazette</title>", "<h1>Pier reopens</h1>")
    assert found.title == "Pier reopens"


def test_an_image_given_relative_to_the_page_is_made_absolute() -> None:
    """Consumers got `/content/photo.jpg` without the host it is on."""
    found = meta('<meta property="og:image" content="/content/photo.jpg">', url=URL)
    assert found.image == urljoin(URL, "/content/photo.jpg")
    assert found.image.startswith("https://")
    absolute = meta('<meta property="og:image" content="https://cdn.example/p.jpg">')
    assert absolute.image == "https://cdn.example/p.jpg"


def test_an_image_address_that_does_not_parse_is_kept_as_the_page_gives_it() -> None:
    """urljoin raised ValueError on "http://[oops/photo.jpg": the article was lost."""
    found = meta('<meta property="og:image" content="http://[oops/photo.jpg">')
    assert found.image == "http://[oops/photo.jpg"
