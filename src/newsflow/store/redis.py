"""The shared dedup store: Redis (or Redis Cluster), atomic and TTL-bounded on the server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import redis
import redis.exceptions

from newsflow.errors import ConfigError, StoreUnavailable
from newsflow.store.records import Mark
from newsflow.store.redis_index import RedisIndexOps

DEFAULT_PREFIX = "newsflow:"
SOCKET_TIMEOUT_SECONDS = 2.0

# First writer wins: SET NX EX, then report whoever holds the key. One key, so it is atomic
# and valid in Redis Cluster; plain SET NX (not SET NX GET) keeps it working on Redis 6.
_CLAIM_SCRIPT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
    return ARGV[1]
end
return redis.call('GET', KEYS[1])
"""

# The same claim, then a mark naming the owner (SET NX EX): ARGV[3] .. owner .. ARGV[4].
# Both keys derive from the prefix, so a hash-tagged prefix keeps them in one Cluster slot.
_CLAIM_AND_MARK_SCRIPT = """
local owner = ARGV[1]
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
    owner = redis.call('GET', KEYS[1])
end
redis.call('SET', KEYS[2], ARGV[3] .. owner .. ARGV[4], 'NX', 'EX', ARGV[2])
return owner
"""

# Count a document once per line of a source: the document's marker (SET NX EX) decides
# whether this is its first observation; then every line counter is INCRed (and its TTL
# refreshed) or only read. Keys derive from ARGV[1], the source's key base.
_OBSERVE_LINES_SCRIPT = """
local base, ttl, lines = ARGV[1], ARGV[2], cjson.decode(ARGV[4])
local new = redis.call('SET', base .. 'doc:' .. ARGV[3], 1, 'NX', 'EX', ttl)
local counts = {}
for k = 1, #lines do
    local key = base .. lines[k]
    if new then
        counts[k] = redis.call('INCR', key)
        redis.call('EXPIRE', key, ttl)
    else
        counts[k] = tonumber(redis.call('GET', key) or '0')
    end
end
return counts
"""

_TRANSIENT = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
)
_CREDENTIALS = (redis.exceptions.AuthenticationError, redis.exceptions.AuthorizationError)


def redact_url(url: str) -> str:
    """Return `url` with any password (in the userinfo or the query) replaced by `***`.

    So that a store URL can be logged and shown in reprs and error messages.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            netloc = f"{user}:***@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*/"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class RedisStore(RedisIndexOps):
    """`DedupStore` over Redis, shared by every replica; Redis expires the claims itself."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX, description: str = "redis"
    ) -> None:
        """Wrap a redis-py client; `description` names the server in reprs and errors.

        `description` must not contain secrets: `from_url` passes a redacted URL.
        """
        self._client = client
        self._prefix = prefix
        self._description = description
        self._claim_script = client.register_script(_CLAIM_SCRIPT)
        self._claim_and_mark_script = client.register_script(_CLAIM_AND_MARK_SCRIPT)
        self._observe_lines_script = client.register_script(_OBSERVE_LINES_SCRIPT)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX) -> RedisStore:
        """Build a store from `redis://`, `rediss://` or `unix://` URL, with short timeouts.

        Timeouts are short (2 s) so a stalled Redis surfaces as `StoreUnavailable` quickly
        instead of blocking a consumer past its poll interval; the URL's own query options
        (e.g. `socket_timeout`) take precedence. No connection is made here.
        """
        redacted = redact_url(url)
        try:
            client = redis.Redis.from_url(
                url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            )
        except ValueError as exc:
            raise ConfigError(f"invalid Redis URL {redacted}: {exc}") from exc
        return cls(client, prefix=prefix, description=redacted)

    def __repr__(self) -> str:
        return f"RedisStore(url={self._description!r}, prefix={self._prefix!r})"

    def claim(
        self, key: str, owner: str, *, ttl_seconds: int, now: float, mark: Mark | None = None
    ) -> str:
        """Set `key` to `owner` unless it is held; return the owner that holds it now (and
        set `mark` naming it, in the same script).

        Redis expires the key after `ttl_seconds`, so `now` is not used. Raises
        `StoreUnavailable` (retriable) when Redis cannot be reached.
        """
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        with self._translated():
            if mark is None:
                holder = self._claim_script(keys=[self._prefix + key], args=[owner, ttl_seconds])
            else:
                holder = self._claim_and_mark_script(
                    keys=[self._prefix + key, self._prefix + mark.key],
                    args=[owner, ttl_seconds, mark.before, mark.after],
                )
        return _as_str(holder)

    def peek(self, key: str, *, now: float) -> str | None:
        """The current value of `key`, or None (Redis expires keys itself; `now` is unused)."""
        with self._translated():
            value = self._client.get(self._prefix + key)
        return None if value is None else _as_str(value)

    def peek_many(self, keys: Sequence[str], *, now: float) -> list[str | None]:
        """The current values of `keys` (None where absent): one MGET."""
        if not keys:
            return []
        with self._translated():
            values = self._client.mget([self._prefix + key for key in keys])
        return [None if value is None else _as_str(value) for value in values]

    def observe_lines(
        self,
        source: str,
        document: str,
        line_hashes: Sequence[str],
        *,
        ttl_seconds: int,
        now: float,
    ) -> list[int]:
        """Count `document` once for each of its lines; per line, how many documents of
        `source` had it (see `DedupStore.observe_lines`).

        One script call: it marks the document (`SET NX EX`, so a redelivery is not counted
        again), then either `INCR`s and `EXPIRE`s every line's counter or only reads them.
        Every key expires `ttl_seconds` after it was last written; `now` is not used.
        """
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        lines = list(dict.fromkeys(line_hashes))
        base = f"{self._prefix}lines:{source}:"
        with self._translated():
            replies = self._observe_lines_script(
                args=[base, ttl_seconds, document, orjson.dumps(lines)]
            )
        counts = {line: int(value) for line, value in zip(lines, replies, strict=True)}
        return [counts[line] for line in line_hashes]

    def ping(self) -> bool:
        """True when Redis answers PING; used by readiness checks, so it never raises."""
        try:
            return bool(self._client.ping())
        except redis.exceptions.RedisError:
            return False

    def close(self) -> None:
        """Release the client's connections."""
        self._client.close()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except _CREDENTIALS as exc:
            raise ConfigError(
                f"Redis at {self._description} refused the credentials: {exc}"
            ) from exc
        except _TRANSIENT as exc:
            raise StoreUnavailable(f"Redis at {self._description} unavailable: {exc}") from exc


def _as_str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    raise TypeError(f"unexpected reply from the claim script: {value!r}")
