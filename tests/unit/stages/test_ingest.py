"""The ingest stage: raw bytes in, an Article or a Rejection out, never an exception."""

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.model import Article
from newsflow.rejection import REASONS, Rejection
from newsflow.stages.ingest import (
    CONTROL_CHARACTERS,
    IngestLimits,
    canonicalize_url,
    derive_source,
    ingest,
    parse_timestamp,
    repair_text,
)

NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)


def message(**fields: object) -> bytes:
    return orjson.dumps({"url": "https://www.example.com/news/1", "html": "<p>Hi</p>", **fields})


def test_a_valid_message_becomes_an_article() -> None:
    article = ingest(message(id="crawler-7", title="T", language="en"), now=NOW)
    assert isinstance(article, Article)
    assert article.canonical_url == "https://www.example.com/news/1"
    assert article.source == "example.com"
    assert article.source_id == "crawler-7"
    assert article.content_type == "html"
    assert article.ingested_at == "2024-09-10T12:00:00Z"
    assert len(article.article_id) == 32


def test_a_byte_order_mark_before_the_message_is_skipped() -> None:
    """A message sent with a UTF-8 byte-order mark (as .NET's and PowerShell's UTF-8 writers
    put one) was rejected invalid_json, "UTF-8 byte order mark (BOM) is not supported", where
    `newsflow process` drops it from a file's first line."""
    article = ingest(b"\xef\xbb\xbf" + message(id="bom"), now=NOW)
    assert isinstance(article, Article) and article.source_id == "bom"
    assert article.article_id == ingest(message(id="bom"), now=NOW).article_id  # type: ignore[union-attr]
    assert ingest(b"\xef\xbb\xbf\xef\xbb\xbf" + message(), now=NOW).reason == "invalid_json"  # type: ignore[union-attr]
    bad = ingest(b"\xef\xbb\xbf" + b'{"url": "\xff"}', now=NOW)
    assert isinstance(bad, Rejection) and bad.reason == "bad_encoding"


def test_article_id_is_stable_for_a_redelivery_and_new_for_a_recrawl() -> None:
    first = ingest(message(fetched_at="2024-09-10T10:00:00Z"), now=NOW)
    again = ingest(message(fetched_at="2024-09-10T12:00:00+02:00"), now=datetime.now(UTC))
    recrawl = ingest(message(fetched_at="2024-09-11T10:00:00Z"), now=NOW)
    edited = ingest(message(fetched_at="2024-09-10T10:00:00Z", html="<p>Hi!</p>"), now=NOW)
    assert isinstance(first, Article) and isinstance(again, Article)
    assert isinstance(recrawl, Article) and isinstance(edited, Article)
    assert first.article_id == again.article_id
    assert recrawl.article_id != first.article_id
    assert edited.article_id != first.article_id


def test_tracking_parameters_do_not_change_the_id() -> None:
    plain = ingest(message(url="https://example.com/a?id=3"), now=NOW)
    tracked = ingest(message(url="https://EXAMPLE.com:443/a?utm_source=x&id=3#top"), now=NOW)
    assert isinstance(plain, Article) and isinstance(tracked, Article)
    assert tracked.canonical_url == "https://example.com/a?id=3"
    assert plain.article_id == tracked.article_id


DEEP = b'{"a": ' * 300 + b"1" + b"}" * 300  # orjson reads it, but writes 254 levels at most


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"url": "https://example.com/a", "html": "<p>x</p>"', "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b'{"html": "<p>x</p>"}', "missing_field"),
        (b'{"url": "https://example.com/a"}', "missing_field"),
        (b'{"url": 42, "html": "x"}', "wrong_type"),
        (b'{"url": "https://example.com/a", "html": ["x"]}', "wrong_type"),
        (b'{"url": "https://example.com/a", "html": "x", "title": 5}', "wrong_type"),
        (b'{"url": "https://example.com/a", "html": "x", "metadata": "m"}', "wrong_type"),
        (b'{"url": "https://example.com/a", "html": "x", "text": "y"}', "conflicting_fields"),
        (b'{"url": "ftp://example.com/a", "html": "x"}', "bad_url"),
        (b'{"url": "javascript:alert(1)", "html": "x"}', "bad_url"),
        (b'{"url": "file:///etc/passwd", "html": "x"}', "bad_url"),
        (b'{"url": "/relative/path", "html": "x"}', "bad_url"),
        (b'{"url": "https://user:pw@example.com/a", "html": "x"}', "bad_url"),
        (b'{"url": "http://127.0.0.1/admin", "html": "x"}', "bad_url"),
        (b'{"url": "http://[::1]:80/", "html": "x"}', "bad_url"),
        (b'{"url": "https://example.com:99999/", "html": "x"}', "bad_url"),
        (message(url="https://example.com/" + "a" * 8200), "bad_url"),
        (b'{"url": "https://example.com/a", "html": "x", "metadata": ' + DEEP + b"}", "wrong_type"),
        (message(fetched_at="2024-09-12T12:00:01Z"), "bad_timestamp"),  # NOW + 2 days
        (
            b'{"url": "https://example.com/a", "html": "x", "fetched_at": "yesterday"}',
            "bad_timestamp",
        ),
        (
            b'{"url": "https://example.com/a", "html": "x", "fetched_at": "2024-09-10T10:00:00"}',
            "bad_timestamp",
        ),
        (b'{"url": "https://example.com/a", "html": "   \\u0000 "}', "empty_body"),
        (message(html=None, text="\u00a0\u3000\u200b\t\u2003"), "empty_body"),
        (b'{"url": "https://example.com/a", "html": "%PDF-1.7 binary"}', "not_html"),
        (b'{"url": "https://example.com/a", "html": "\\ud800"}', "bad_encoding"),
        (b"\xff\xfe\x00garbage", "bad_encoding"),
        (b'{"url": "https://example.com/a", "html": "<p>caf\xe9</p>"}', "bad_encoding"),
    ],
)
def test_bad_messages_are_rejected_with_a_precise_reason(raw: bytes, reason: str) -> None:
    result = ingest(raw, now=NOW)
    assert isinstance(result, Rejection), result
    assert result.reason == reason
    assert result.detail


@pytest.mark.parametrize("version", [2, 0, "1", True])
def test_a_message_of_another_schema_version_is_rejected_not_read_as_version_1(
    version: object,
) -> None:
    """The raw schema pins `schema_version` to 1 (a message may leave it out): a sender's
    version 2, incompatible by definition, was read as if it were 1."""
    result = ingest(message(schema_version=version), now=NOW)
    assert isinstance(result, Rejection), result
    assert result.reason == "wrong_type"
    assert "'schema_version'" in result.detail


def test_a_message_of_schema_version_1_or_none_is_read() -> None:
    assert isinstance(ingest(message(schema_version=1), now=NOW), Article)
    assert isinstance(ingest(message(), now=NOW), Article)


def test_size_cap_is_checked_before_parsing() -> None:
    big = message(html="<p>" + "a" * 2000 + "</p>")
    result = ingest(big, now=NOW, limits=IngestLimits(max_bytes=1000))
    assert result == Rejection("too_large", f"message is {len(big)} bytes, limit 1000")


def test_text_is_repaired() -> None:
    article = ingest(message(html="\ufeff<p>a\r\nb\x00c\x07</p>"), now=NOW)
    assert isinstance(article, Article)
    assert article.body == "<p>a\nbc</p>"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(["a", "é", " ", "\n", "\r", "\t", "\ufeff", *CONTROL_CHARACTERS])
    )
)
def test_repair_drops_every_control_character_and_unifies_line_endings(text: str) -> None:
    c0_but_whitespace = {chr(c) for c in range(32)} - set("\t\n\r")
    assert set(CONTROL_CHARACTERS) == c0_but_whitespace | {"\x7f", "\ufffe", "\uffff"}
    expected = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    expected = "".join(c for c in expected if c not in CONTROL_CHARACTERS)
    assert repair_text(text) == expected


def test_the_senders_hints_are_repaired_and_a_language_that_is_no_tag_is_ignored() -> None:
    result = ingest(
        message(title="\u0000Storm\n  hits\tcoast ", source="\u0007Agency", language="x" * 500),
        now=NOW,
    )
    assert isinstance(result, Article)
    assert (result.title, result.source, result.language) == ("Storm hits coast", "Agency", None)
    long = ingest(message(title="word " * 1_000_000), now=NOW)
    assert isinstance(long, Article) and long.title is not None and len(long.title) <= 1000
    tagged = ingest(message(language="pt-BR", title="\u0000"), now=NOW)
    assert isinstance(tagged, Article) and (tagged.language, tagged.title) == ("pt-BR", None)


def test_source_given_by_the_sender_wins() -> None:
    article = ingest(message(source="AP"), now=NOW)
    assert isinstance(article, Article) and article.source == "AP"


def test_registered_domain_is_the_default_source() -> None:
    assert derive_source("https://www.bbc.co.uk/news/x") == "bbc.co.uk"
    assert derive_source("https://edition.cnn.com/x") == "cnn.com"


def test_timestamps_are_normalized_to_utc() -> None:
    assert parse_timestamp("2024-09-10T12:00:00+02:00") == "2024-09-10T10:00:00Z"
    assert parse_timestamp("2024-09-10T10:00:00.5Z") == "2024-09-10T10:00:00.500000Z"
    assert parse_timestamp("2024-09-10t10:00:00z") == "2024-09-10T10:00:00Z"


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-05:00",  # a moment after the last one a timestamp can hold
        "0001-01-01T00:00:00+05:00",  # before the first
        "2024-02-30T00:00:00Z",
        "2024-W01-1T00:00:00Z",  # ISO 8601, not RFC 3339
        "20240101T000000Z",
        "2024-01-01T00:00Z",
        "2024-01-01T00:00:00-00:00:01",
    ],
)
def test_a_timestamp_that_is_not_an_rfc_3339_moment_is_rejected(value: str) -> None:
    result = parse_timestamp(value)
    assert isinstance(result, Rejection) and result.reason == "bad_timestamp"
    assert value in result.detail


@pytest.mark.parametrize(
    "url",
    [
        "https://exa mple.com/",
        "https://a..com/",
        "https://%zz/",
        "https://xn--.com/a",
        "https://-news.example.com/",
        "https://\u3002/",
        "https://a.com:0/",
        "http://0x7f.1/",  # 127.0.0.1 in a shorthand form
        "http://127.1/",
        "http://2130706433/",
        "http://intranet/page",
        "http://printer.local/",
        "http://app.localhost/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://10.0.0.1/",  # private, and below, link-local (the cloud metadata address)
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/",
        "https://" + "a" * 64 + ".com/",
    ],
)
def test_a_url_whose_host_is_no_public_web_host_is_rejected(url: str) -> None:
    result = canonicalize_url(url)
    assert isinstance(result, Rejection) and result.reason == "bad_url", result


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://163.com/news", "https://163.com/news"),
        ("https://cafe.be/a", "https://cafe.be/a"),
        ("https://my_blog.blogspot.com/a", "https://my_blog.blogspot.com/a"),
        ("https://bücher.de/a", "https://bücher.de/a"),
        ("https://example.com./a", "https://example.com./a"),
        ("http://8.8.8.8/a", "http://8.8.8.8/a"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("http://news.example:80/a", "http://news.example/a"),  # each scheme's default port
        ("http://news.example:443/a", "http://news.example:443/a"),
    ],
)
def test_public_hosts_are_accepted_in_all_their_forms(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize("magic", [b"\x1f\x8b\x08\x00", b"\x89PNG\r\n", b"\xff\xd8\xff\xe0"])
def test_binary_data_read_as_text_in_html_is_not_html(magic: bytes) -> None:
    result = ingest(message(html=(magic + b"compressed data").decode("latin-1")), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "not_html"


def test_html_that_is_mostly_replacement_characters_is_not_html() -> None:
    """Binary data decoded as UTF-8 by its sender: more than 16 U+FFFD (or 1 %) is not a page;
    a few, as a badly encoded page has, are."""
    page = "<p>" + "text " * 100 + "</p>"
    result = ingest(message(html="\ufffd" * 17 + page), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "not_html"
    assert isinstance(ingest(message(html="\ufffd" * 16 + page), now=NOW), Article)


def test_a_fetch_time_up_to_a_day_ahead_of_the_clock_is_accepted() -> None:
    """A crawler's clock may be off by up to a day (NOW is 2024-09-10T12:00:00Z)."""
    assert isinstance(ingest(message(fetched_at="2024-09-11T12:00:00Z"), now=NOW), Article)
    result = ingest(message(fetched_at="2024-09-11T12:00:01Z"), now=NOW)
    assert isinstance(result, Rejection) and result.reason == "bad_timestamp"


def test_file_urls_only_when_allowed() -> None:
    assert isinstance(canonicalize_url("file:///tmp/a.html"), Rejection)
    assert canonicalize_url("file:///tmp/a.html", schemes={"file"}) == "file:///tmp/a.html"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
timestamps = st.builds(
    lambda moment, hours: moment.replace(tzinfo=timezone(timedelta(hours=hours))).isoformat(),
    st.datetimes(),
    st.integers(-12, 12),
)
raw_like = st.fixed_dictionaries(
    {},
    optional={
        "url": st.one_of(st.text(), st.just("https://example.com/x"), json_values),
        "html": st.one_of(st.text(), json_values),
        "text": st.one_of(st.text(), json_values),
        "fetched_at": st.one_of(
            st.text(), st.just("2024-01-01T00:00:00Z"), json_values, timestamps
        ),
        "id": json_values,
        "title": json_values,
        "metadata": json_values,
    },
)


@settings(max_examples=300)
@given(
    st.one_of(st.binary(max_size=300), raw_like.map(orjson.dumps), json_values.map(orjson.dumps))
)
def test_validation_never_raises_and_always_decides(raw: bytes) -> None:
    result = ingest(raw, now=NOW)
    assert isinstance(result, Article | Rejection)
    if isinstance(result, Rejection):
        assert result.reason in REASONS
