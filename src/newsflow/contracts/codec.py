"""Encode, decode and validate events (orjson + the JSON Schema files next to this module)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

import orjson
from jsonschema import Draft202012Validator

from newsflow.errors import NewsflowError

EventKind = Literal["raw", "ingested", "clean", "duplicate", "rejection"]
KINDS: Final[tuple[EventKind, ...]] = ("raw", "ingested", "clean", "duplicate", "rejection")
SCHEMA_VERSION: Final = 1


class ContractError(NewsflowError):
    """An event does not match its schema: a bug in the producer, never bad user input."""


@cache
def schema(kind: EventKind) -> dict[str, Any]:
    """The JSON Schema of one event kind, as shipped in `contracts/schemas/`."""
    text = resources.files(__package__).joinpath("schemas", f"{kind}.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(kind: EventKind) -> Draft202012Validator:
    return Draft202012Validator(schema(kind))


def validate(kind: EventKind, event: Any) -> None:
    """Raise `ContractError` naming the first violation when `event` breaks its schema."""
    error = next(iter(_validator(kind).iter_errors(event)), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        raise ContractError(f"{kind} event invalid at {where}: {error.message}")


def encode(kind: EventKind, event: dict[str, Any], *, check: bool = True) -> bytes:
    """Serialize an event with orjson, validating it first unless `check` is off."""
    if check:
        validate(kind, event)
    return orjson.dumps(event)


def decode(kind: EventKind, data: bytes, *, check: bool = True) -> dict[str, Any]:
    """Parse an event produced by `encode`; `ContractError` if it is not one."""
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ContractError(f"{kind} event is not JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise ContractError(f"{kind} event is not a JSON object")
    if check:
        validate(kind, event)
    return event
