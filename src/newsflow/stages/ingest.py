"""The ingest stage: raw message bytes in, a validated `Article` or a `Rejection` out.

Validates the raw contract, repairs the text, canonicalizes the URL and derives a
deterministic `article_id`, so a redelivered message keeps its id and a re-crawl
(another `fetched_at` or another body) gets a new one.
"""

from __future__ import annotations

import codecs
import hashlib
import ipaddress
import re
import socket
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import courlan
import orjson

from newsflow import rejection as R
from newsflow.contracts.codec import SCHEMA_VERSION
from newsflow.model import Article, ContentType
from newsflow.rejection import Rejection

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_HINT_CHARS = 1000  # of a sender's title or source
MAX_URL_CHARS = 8192  # an event carries the URL twice (as given and canonical) and keys by it
FUTURE_TOLERANCE = timedelta(days=1)  # a crawler's clock may be off; not by more
WEB_SCHEMES = frozenset({"http", "https"})
_OPTIONAL_STRINGS = ("source", "id", "language", "title")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# C0 controls other than tab/newline/carriage return, DEL, and the Unicode noncharacters.
CONTROL_CHARACTERS = tuple(
    chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFFFE, 0xFFFF)
)
_CONTROL = re.compile("[" + "".join(map(re.escape, CONTROL_CHARACTERS)) + "]")
_BINARY_MAGIC = (b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
_ANY_WORD = re.compile(r"[^\W_]")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}")  # else ignored
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")  # as written in DNS (IDNA: xn--…)


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """What the stage accepts: message size cap and URL schemes."""

    max_bytes: int = DEFAULT_MAX_BYTES
    schemes: Collection[str] = WEB_SCHEMES


def ingest(raw: bytes, *, now: datetime, limits: IngestLimits | None = None) -> Article | Rejection:
    """Validate one raw message and turn it into an `Article`; never raises for bad input."""
    limits = limits or IngestLimits()
    if len(raw) > limits.max_bytes:
        return Rejection(R.TOO_LARGE, f"message is {len(raw)} bytes, limit {limits.max_bytes}")
    parsed = _parse_json(raw)
    if isinstance(parsed, Rejection):
        return parsed
    if not isinstance(parsed, dict):
        return Rejection(R.NOT_AN_OBJECT, f"expected a JSON object, got {type(parsed).__name__}")
    return _validate(parsed, raw, now=now, schemes=limits.schemes)


def _parse_json(raw: bytes) -> Any:
    """The parsed message, or why not. orjson checks that the whole message is UTF-8; where it
    is not, decoding it tells where (only then: it costs a tenth of an ingest)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        error = exc
    if raw.startswith(codecs.BOM_UTF8):  # a byte-order mark, which RFC 8259 lets a reader skip
        try:
            return orjson.loads(raw[len(codecs.BOM_UTF8) :])
        except orjson.JSONDecodeError as exc:
            error = exc
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return Rejection(R.BAD_ENCODING, f"message is not UTF-8: {bad.reason} at byte {bad.start}")
    if "surrogate" in str(error):
        return Rejection(R.BAD_ENCODING, f"invalid Unicode escape: {error}")
    return Rejection(R.INVALID_JSON, str(error))


def _validate(
    msg: dict[str, Any], raw: bytes, *, now: datetime, schemes: Collection[str]
) -> Article | Rejection:
    version = msg.get("schema_version")
    if version is not None and (isinstance(version, bool) or version != SCHEMA_VERSION):
        # a version this ingest does not read: incompatible by definition, not read as ours
        got = repr(version[:40]) if isinstance(version, str) else _type(version)
        if isinstance(version, int | float) and not isinstance(version, bool):
            got = repr(version)
        return Rejection(
            R.WRONG_TYPE, f"'schema_version' must be {SCHEMA_VERSION} (or left out), got {got}"
        )
    url = msg.get("url")
    if url is None:
        return Rejection(R.MISSING_FIELD, "field 'url' is required")
    if not isinstance(url, str):
        return Rejection(R.WRONG_TYPE, f"'url' must be a string, got {_type(url)}")
    body = _body(msg)
    if isinstance(body, Rejection):
        return body
    content_type, text = body
    for name in _OPTIONAL_STRINGS:
        if msg.get(name) is not None and not isinstance(msg[name], str):
            return Rejection(R.WRONG_TYPE, f"'{name}' must be a string, got {_type(msg[name])}")
    metadata = msg.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return Rejection(R.WRONG_TYPE, f"'metadata' must be an object, got {_type(metadata)}")
    if metadata and not _encodable(metadata):
        return Rejection(R.WRONG_TYPE, "'metadata' nests too deep to be carried (254 levels)")
    if len(url) > MAX_URL_CHARS:
        return Rejection(R.BAD_URL, f"URL is longer than {MAX_URL_CHARS} characters")
    canonical = canonicalize_url(url, schemes=schemes)
    if isinstance(canonical, Rejection):
        return canonical
    fetched_at = msg.get("fetched_at")
    if fetched_at is not None:
        fetched_at = parse_timestamp(fetched_at)
        if isinstance(fetched_at, Rejection):
            return fetched_at
        if datetime.fromisoformat(fetched_at) > now + FUTURE_TOLERANCE:
            return Rejection(R.BAD_TIMESTAMP, f"'fetched_at' {fetched_at} is in the future")
    repaired = repair_text(text)
    if not _ANY_WORD.search(repaired):  # (whitespace of any script, zero-width spaces)
        return Rejection(R.EMPTY_BODY, f"'{content_type}' has no letter or digit after repair")
    if content_type == "html" and _looks_binary(text):  # (repair drops gzip's first byte)
        return Rejection(R.NOT_HTML, "'html' holds binary data (a PDF, image or archive)")
    body_hash = hashlib.sha256(repaired.encode("utf-8")).hexdigest()
    return Article(
        article_id=derive_article_id(canonical, fetched_at, body_hash),
        source_id=msg.get("id"),
        url=url,
        canonical_url=canonical,
        source=_hint(msg.get("source")) or derive_source(canonical),
        content_type=content_type,
        body=repaired,
        body_hash=body_hash,
        fetched_at=fetched_at,
        ingested_at=format_timestamp(now),
        language=_language_hint(msg.get("language")),
        title=_hint(msg.get("title")),
        metadata=metadata or {},
    )


def _encodable(value: object) -> bool:
    """Whether an event can carry `value` (orjson reads JSON nested 1,024 deep, writes 254)."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def _hint(value: str | None) -> str | None:
    """A sender's title or source as text an event can carry: repaired (no control
    characters: a NUL stops many a database), one line, trimmed; None when nothing is left."""
    if not value:
        return None
    return " ".join(repair_text(value[:MAX_HINT_CHARS]).split()) or None


def _language_hint(value: str | None) -> str | None:
    """The sender's language when it is a language tag (`en`, `pt-BR`), else None: extraction
    detects the language then."""
    return value if value and _LANGUAGE_TAG.fullmatch(value) else None


def _body(msg: Mapping[str, Any]) -> tuple[ContentType, str] | Rejection:
    present = [name for name in ("html", "text") if msg.get(name) is not None]
    if not present:
        return Rejection(R.MISSING_FIELD, "one of 'html' or 'text' is required")
    if len(present) == 2:
        return Rejection(R.CONFLICTING_FIELDS, "give exactly one of 'html' or 'text', not both")
    name: ContentType = "html" if present[0] == "html" else "text"
    value = msg[name]
    if not isinstance(value, str):
        return Rejection(R.WRONG_TYPE, f"'{name}' must be a string, got {_type(value)}")
    return name, value


def canonicalize_url(url: str, *, schemes: Collection[str] = WEB_SCHEMES) -> str | Rejection:
    """The URL that identifies a page: tracking parameters, fragment and default port removed."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return Rejection(R.BAD_URL, f"unparseable URL: {exc}")
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        return Rejection(R.BAD_URL, f"scheme {scheme or '(none)'!r} not accepted ({allowed})")
    if scheme == "file":
        return urlunsplit(("file", "", parts.path, "", ""))
    if not parts.hostname:
        return Rejection(R.BAD_URL, "URL has no host")
    if parts.username is not None or parts.password is not None:
        return Rejection(R.BAD_URL, "URL carries credentials")
    if port == 0:
        return Rejection(R.BAD_URL, "URL names port 0")
    if problem := _host_problem(parts.hostname):
        return Rejection(R.BAD_URL, f"host {parts.hostname[:100]!r} {problem}")
    normalized = courlan.normalize_url(url, strict=False)
    parts = urlsplit(normalized)
    netloc = parts.hostname or ""
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _host_problem(host: str) -> str | None:
    """What makes `host` (lower case, as `urlsplit` gives it) no public web host, if anything:
    a private or local address or name, an IPv4 address in a shorthand form (`0x7f.1`, `127.1`
    and `2130706433` all reach 127.0.0.1), or not a host name at all (a space, an empty label,
    a label ending in a hyphen, more than 63 characters)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return None if address.is_global else "is a private or local address"
    name = host.removesuffix(".")  # a fully qualified name's final dot
    if name == "localhost" or name.endswith((".localhost", ".local", ".internal")):
        return "is a private or local address"
    try:
        socket.inet_aton(name)
    except OSError:
        pass
    else:
        return "is an IPv4 address in a shorthand form"
    try:
        labels = name.encode("idna").decode("ascii").split(".")
    except UnicodeError:
        return "is not a valid host name"
    if len(labels) < 2:
        return "is a local name (no domain)"
    if not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return "is not a valid host name"
    return None


def derive_source(canonical_url: str) -> str:
    """The registered domain of a URL (`www.bbc.co.uk` → `bbc.co.uk`); `local` for files."""
    if canonical_url.startswith("file:"):
        return "local"
    return courlan.extract_domain(canonical_url, fast=False) or urlsplit(canonical_url).netloc


def derive_article_id(canonical_url: str, fetched_at: str | None, body_hash: str) -> str:
    """Deterministic id: the same message always gets it, a re-crawl gets a new one."""
    key = "\n".join((canonical_url, fetched_at or "", body_hash)).encode("utf-8")
    return hashlib.sha256(key).hexdigest()[:32]


def parse_timestamp(value: object) -> str | Rejection:
    """An RFC 3339 timestamp (offset required), returned normalized to UTC."""
    if not isinstance(value, str):
        return Rejection(R.WRONG_TYPE, f"'fetched_at' must be a string, got {_type(value)}")
    if not _RFC3339.fullmatch(value):
        if _RFC3339.fullmatch(value + "Z"):
            return Rejection(R.BAD_TIMESTAMP, f"'fetched_at' has no UTC offset: {value[:64]!r}")
        return Rejection(R.BAD_TIMESTAMP, f"'fetched_at' is not RFC 3339: {value[:64]!r}")
    try:
        return format_timestamp(datetime.fromisoformat(value.upper()))
    except (ValueError, OverflowError) as exc:  # a day that does not exist, or out of range
        return Rejection(R.BAD_TIMESTAMP, f"'fetched_at' {value[:64]!r}: {exc}")


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, the one timestamp format of every event."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def repair_text(text: str) -> str:
    """Drop control characters and a byte-order mark, unify line endings.

    Most pages have neither carriage returns nor control characters: a substring search for
    each (fast, in C) finds that out in a sixth of the time of the regular expression's
    character-by-character scan, which runs only on a page that has one.
    """
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any(control in text for control in CONTROL_CHARACTERS):
        text = _CONTROL.sub("", text)
    return text


def _looks_binary(text: str) -> bool:
    head = text[:8].encode("latin-1", "replace")  # binary read as text keeps its bytes so
    return head.startswith(_BINARY_MAGIC) or text.count("\ufffd") > max(16, len(text) // 100)


def _type(value: object) -> str:
    return "null" if value is None else type(value).__name__


def peek_provenance(raw: bytes) -> tuple[str | None, str | None]:
    """The sender's `id` and `url` of a message, if it can be read at all and they are strings
    (a URL of up to `MAX_URL_CHARS`), for a rejection's provenance: a consumer of the rejected
    topic finds the page a crawler sent wrong by its URL (it was null for every ingest
    rejection, a missing `html` or a bad date with a good URL too)."""
    try:
        msg = orjson.loads(raw.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(msg, dict):
        return None, None
    source_id, url = msg.get("id"), msg.get("url")
    return (
        source_id if isinstance(source_id, str) else None,
        url if isinstance(url, str) and len(url) <= MAX_URL_CHARS else None,
    )
