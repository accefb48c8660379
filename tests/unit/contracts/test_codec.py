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
