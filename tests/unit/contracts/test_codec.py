"""Every event kind has a schema; the codec refuses what breaks it."""

import orjson
import pytest

from newsflow.contracts.codec import KINDS, ContractError, decode, encode, schema, validate
from newsflow.rejection import REASONS


@pytest.mark.parametrize("kind", KINDS)
def test_every_schema_pins_its_version(kind: str) -> None:
    assert schema(kind)["properties"]["schema_version"] == {
        "const": 1,
        "description": "Bumped on any incompatible change.",
    }


def test_rejection_reasons_in_the_schema_are_the_code_vocabulary() -> None:
    assert set(schema("rejection")["properties"]["reason"]["enum"]) == REASONS


def test_raw_messages_need_exactly_one_body() -> None:
    validate("raw", {"url": "https://e.com/", "html": "<p>x</p>"})
    with pytest.raises(ContractError):
        validate("raw", {"url": "https://e.com/", "html": "x", "text": "y"})
    with pytest.raises(ContractError):
        validate("raw", {"url": "https://e.com/"})


def test_encode_refuses_an_invalid_event_and_names_the_field() -> None:
    with pytest.raises(ContractError, match="at url: 5 is not of type 'string'"):
        encode("raw", {"url": 5, "text": "hello"})


def test_decode_round_trips_and_checks() -> None:
    event = {"url": "https://e.com/", "text": "hello"}
    assert decode("raw", encode("raw", event)) == event
    with pytest.raises(ContractError, match="not JSON"):
        decode("raw", b"{")
    with pytest.raises(ContractError, match="object"):
        decode("raw", orjson.dumps([1]))


def _mutations(event: dict) -> list[dict]:
    """The event, and copies with one field missing, of another type, or out of pattern."""
    wrong: list[object] = [
        None,
        5,
        1.5,
        "x",
        "",
        [],
        {},
        True,
        "2024-01-01T00:00:00+01:00",
        "f" * 32,
    ]
    variants = [event]
    for key in event:
        variants.append({k: v for k, v in event.items() if k != key})
        variants.extend({**event, key: value} for value in wrong)
    variants.append({**event, "unexpected": 1})
    return variants


def test_the_fast_outgoing_check_agrees_with_jsonschema() -> None:
    """`encode` checks with fastjsonschema's generated code, `validate` with jsonschema: on
    events as newsflow builds them, and on each one broken field by field, they agree (but
    for `true` where a `const`/`enum` wants a number, which only jsonschema refuses)."""
    from datetime import UTC, datetime

    from newsflow import events
    from newsflow.contracts.codec import is_valid
    from newsflow.model import Decision, Extraction, Fingerprint, Origin
    from newsflow.rejection import Rejection
    from newsflow.stages.ingest import ingest

    article = ingest(
        orjson.dumps({"url": "https://e.com/a", "html": "<p>x</p>", "id": "s1"}),
        now=datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert not isinstance(article, Rejection)
    extraction = Extraction(
        "Text.", "T", ["A"], "2024-01-01T00:00:00Z", "S", "en", "D", None, ["t"], "n", "1", 0.5
    )
    fp = Fingerprint("a" * 64, 1)
    built = {
        "ingested": events.ingested_event(article),
        "clean": events.clean_event(article, extraction, fp, extracted_at="2024-01-01T00:00:01Z"),
        "duplicate": events.duplicate_event(
            article, fp, Decision("duplicate", "b" * 32, "exact"), decided_at="2024-01-01T00:00:01Z"
        ),
        "rejection": events.rejection_event(
            Rejection("no_main_text", "none"),
            stage="extract",
            original=b"{}",
            origin=Origin(topic="t", partition=0, offset=1),
            rejected_at="2024-01-01T00:00:01Z",
            article=article,
            attempts=1,
        ),
        "raw": {"url": "https://e.com/", "html": "<p>x</p>", "id": "s1"},
    }
    checked = 0
    for kind, event in built.items():
        for variant in _mutations(event):
            if any(v is True for v in variant.values()):
                continue
            try:
                validate(kind, variant)  # type: ignore[arg-type]
                expected = True
            except ContractError:
                expected = False
            assert is_valid(kind, variant) == expected, (kind, variant)  # type: ignore[arg-type]
            checked += 1
    assert checked > 300


def rejection_of(original: bytes) -> dict:
    from newsflow import events
    from newsflow.model import Origin
    from newsflow.rejection import Rejection

    return events.rejection_event(
        Rejection("too_large", "big"),
        stage="ingest",
        original=original,
        origin=Origin(topic="articles.raw", partition=0, offset=9),
        rejected_at="2024-01-01T00:00:00Z",
    )


@pytest.mark.parametrize(
    "original",
    [
        b"\x01" * 3_000_000,  # each byte written \u0001 in JSON: 18 MB
        b"\xff" + bytes(range(256)) * 40_000,  # not UTF-8: base64
        "é".encode() * 2_000_000,
        "😀".encode() * 750_000,  # the cut falls inside a 4-byte character: it is left out
    ],
)
def test_a_rejection_carries_the_beginning_of_an_original_too_large_to_carry_whole(
    original: bytes,
) -> None:
    from newsflow.events import ORIGINAL_LIMIT, original_bytes

    event = rejection_of(original)
    value = encode("rejection", event)
    assert ORIGINAL_LIMIT * 0.8 < len(value) < ORIGINAL_LIMIT + 1_000
    assert event["original_truncated"] is True and event["original_bytes"] == len(original)
    beginning = original_bytes(event)
    assert original.startswith(beginning) and len(beginning) > ORIGINAL_LIMIT // 8


def test_a_rejection_carries_an_original_that_fits_whole() -> None:
    from newsflow.events import original_bytes

    original = b'{"url": "ftp://example.com/a"}'
    event = rejection_of(original)
    assert "original_truncated" not in event and original_bytes(event) == original


def test_an_original_is_cut_only_when_its_json_takes_more_than_the_limit() -> None:
    from newsflow.events import ORIGINAL_LIMIT, original_bytes

    fits = b"a" * (ORIGINAL_LIMIT - 2)  # with its two quotes, exactly the limit
    event = rejection_of(fits)
    assert "original_truncated" not in event and original_bytes(event) == fits
    over = rejection_of(fits + b"a")
    assert over["original_truncated"] is True and over["original_bytes"] == len(fits) + 1


def clean_event(**fields: object) -> dict:
    """A clean event as newsflow builds it, with `fields` replaced."""
    from datetime import UTC, datetime

    from newsflow import events
    from newsflow.model import Extraction, Fingerprint
    from newsflow.rejection import Rejection
    from newsflow.stages.ingest import ingest

    article = ingest(
        orjson.dumps({"url": "https://e.com/a", "html": "<p>x</p>"}),
        now=datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert not isinstance(article, Rejection)
    extraction = Extraction("Text.", "T", [], None, None, "en", None, None, [], "n", "1", 0.5)
    event = events.clean_event(
        article, extraction, Fingerprint("a" * 64, 1), extracted_at="2024-01-01T00:00:01Z"
    )
    event["story_id"] = article.article_id
    return {**event, **fields}


@pytest.mark.parametrize(
    "published_at",
    [
        None,
        "2024-09-09",  # a day, as the page gives it
        "2024-09-10T08:00:00",  # a time whose offset the page does not give, as written
        "2024-09-10T08:00:00.250000",
        "2024-09-10T06:00:00Z",  # a time with its offset, in UTC
    ],
)
def test_a_clean_event_s_publication_date_is_a_day_a_time_as_written_or_a_moment_in_utc(
    published_at: str | None,
) -> None:
    validate("clean", clean_event(published_at=published_at))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("published_at", "Sept. 9, 2024"),
        ("published_at", "2024-09-10T08:00:00+02:00"),  # written in UTC, with Z
        ("language", "EN"),  # the primary subtag, lower-cased
        ("language", "pt-BR"),
        ("language", "english"),
        ("story_id", "story-1"),  # the article_id of the article that founded the story
        (
            "dedup",
            {
                "status": "unique",
                "near_duplicate_of": None,
                "similarity": None,
                "method": "simhash",
            },
        ),
    ],
)
def test_the_clean_schema_refuses_values_newsflow_never_writes(field: str, value: object) -> None:
    with pytest.raises(ContractError, match=f"at {field}"):
        validate("clean", clean_event(**{field: value}))


@pytest.mark.parametrize(
    "origin",
    [
        {},
        {"topic": "articles.raw"},
        {"file": "/in/a.ndjson", "topic": "articles.raw", "partition": 0, "offset": 1},
    ],
)
def test_a_rejection_s_origin_is_a_record_of_a_topic_or_a_file(origin: dict) -> None:
    event = rejection_of(b"{}")
    validate("rejection", event)
    for where in ({"file": "/in/a.ndjson", "line": 2}, {"file": "/in/a.warc", "offset": 0}):
        validate("rejection", {**event, "origin": where})
    with pytest.raises(ContractError, match="at origin"):
        validate("rejection", {**event, "origin": origin})


@pytest.mark.parametrize("kind", ["clean", "duplicate"])
def test_the_content_hash_names_its_algorithm(kind: str) -> None:
    assert "SHA-256" in schema(kind)["properties"]["content_hash"]["description"]
